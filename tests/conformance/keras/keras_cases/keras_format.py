"""Keras 3's ``.keras`` files in both directions: Keras saves a model (some compiled and trained, one with a
registered custom layer), layerkit loads it and predicts what Keras predicted, and a trained one continues
training exactly where Keras would (the optimizer state is in the file). layerkit's own ``.keras`` of the loaded
model has the layout Keras writes (the same weights tree, the same layer classes in the config) and loads back
with the same predictions. That Keras loads layerkit's files is checked by ``tests/fixtures/keras/
check_reverse.py`` (needs Keras)."""
import io
import json
import os
import zipfile

from keras_session import Case

from .saving import MODELS, _data, _inputs


def _archive_layout(path):
    """What Keras's loader walks in a .keras file: member names, the weights tree, the layer classes."""
    import h5py

    from keras_session import h5_tree

    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read("config.json"))
        weights = io.BytesIO(archive.read("model.weights.h5"))
        members = sorted(archive.namelist())
    with h5py.File(weights, "r") as f:
        tree_path = os.path.join(os.path.dirname(path), "tree.h5")
        with h5py.File(tree_path, "w") as copy:
            for key in f:
                f.copy(key, copy)
            for key, value in f.attrs.items():
                copy.attrs[key] = value
    tree = {k: v for k, v in h5_tree(tree_path).items() if not k.startswith("optimizer")}
    layers = config["config"]["layers"]
    return {"members": members, "tree": tree, "model_class": config["class_name"],
            "layers": [[entry["class_name"], entry["config"].get("name")] for entry in layers]}


def _custom_layer(kl):
    """A custom layer written the Keras 3 way, registered under 'conformance>Scale' in either library."""
    @kl.saving.register_keras_serializable(package="conformance")
    class Scale(kl.layers.Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="w")

        def call(self, inputs):
            return inputs * self.w * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    return Scale


def _with_custom_layer(kl):
    scale = _custom_layer(kl)
    x = kl.Input((4,), name="x")
    out = kl.layers.Dense(2, name="out")(scale(3.0, name="scale")(kl.layers.Dense(3, name="d")(x)))
    return kl.Model(x, out, name="custom"), "x"


def _archive_case(name, build, compiled=False):
    def program(s):
        kl = s.kl
        path = s.file("model.keras")
        if name == "custom_layer":
            _custom_layer(kl)   # registered in both libraries before anything is loaded
        if s.recording:
            model, keys = build(kl)
            if compiled:
                model.compile(optimizer=compiled(kl), loss="mse", metrics=["mae"])
                model.fit(_inputs(s, keys), s.d["y"], epochs=2, batch_size=4, verbose=0)
            model.save(path)
            written = path
        else:
            model = kl.models.load_model(path)
            keys = build(kl)[1] if name != "custom_layer" else "x"
            written = os.path.join(s.tmp, "ours.keras")
            model.save(written)
            again = kl.models.load_model(written)
            s.out["reloaded"] = again.predict(_inputs(s, keys), verbose=0)
        s.out["predict"] = model.predict(_inputs(s, keys), verbose=0)
        s.out["layout"] = _archive_layout(written)
        if compiled:
            s.out["evaluate"] = model.evaluate(_inputs(s, keys), s.d["y"], verbose=0, return_dict=True)
            s.out["train_on_batch"] = model.train_on_batch(_inputs(s, keys), s.d["y"], return_dict=True)
            s.out["weights"] = model.get_weights()

    def check(keras, ours, tol):
        import numpy as np

        same = np.allclose(ours["reloaded"], ours["predict"], rtol=0, atol=0)
        return [] if same else ["layerkit's own .keras file does not reload with identical predictions"]

    return Case(f"keras_format/{name}", program, _data, skip=("reloaded",), check=check)


def _safe_mode(s):
    """A Lambda whose function Keras stored as bytecode: Keras refuses it in safe mode, and so does layerkit
    (layerkit refuses it with safe_mode=False too: it never runs code from a file)."""
    kl = s.kl
    path = s.file("lambda.keras")
    if s.recording:
        x = kl.Input((3,))
        kl.Model(x, kl.layers.Lambda(lambda t: t * 2)(x)).save(path)
    try:
        kl.models.load_model(path)
        s.out["refused"] = False
    except Exception:   # noqa: BLE001 - that it raises is compared; the message differs
        s.out["refused"] = True


CASES = [_archive_case(name, build) for name, build in MODELS.items()]
# Adam on the MLP; momentum on the CNN (whose conv bias, followed by batch normalisation, has gradients that
# are rounding noise: Adam's g / sqrt(v) would compare noise)
CASES += [_archive_case("compiled_mlp", MODELS["mlp"], compiled=lambda kl: kl.optimizers.Adam(0.05)),
          _archive_case("compiled_cnn", MODELS["cnn"], compiled=lambda kl: kl.optimizers.SGD(0.05, momentum=0.9)),
          _archive_case("custom_layer", _with_custom_layer),
          Case("keras_format/lambda_bytecode_refused", _safe_mode, _data)]
