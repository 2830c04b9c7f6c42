"""Saving: Keras-written .h5 fixtures, save/load round trips, weights files, configs, chunked attributes, safety."""
import json
import os
import warnings

import h5py
import numpy as np
import pytest

import layerkit_backend.tensor as T
from layerkit import saving
from layerkit.layers.base import Layer, register_keras_serializable
from layerkit.layers.core import Dense, Lambda
from layerkit.layers.input_layer import Input
from layerkit.models import Model, Sequential
from layerkit.saving import hdf5, model_config

FIXTURES = os.path.join(os.path.dirname(__file__), os.pardir, "fixtures", "keras")


# ----------------------------------------------------------------------------------------------- Keras fixtures
# name -> the layer classes it needs. A row whose classes layerkit does not have yet is skipped with their names;
# once the classes exist the row must pass.
FIXTURE_ROWS = [
    ("mlp", ["Dense"]),
    ("two_inputs", ["Dense", "Concatenate"]),
    ("lstm", ["LSTM", "Dense"]),
    ("gru", ["GRU"]),
    ("embedding_rnn", ["Embedding", "SimpleRNN", "Dense"]),
    ("cnn", ["Conv2D", "MaxPooling2D", "Flatten", "Dense"]),
    ("batchnorm", ["Dense", "BatchNormalization", "Activation"]),
]


@pytest.mark.parametrize("name, classes", FIXTURE_ROWS, ids=[row[0] for row in FIXTURE_ROWS])
def test_keras_fixture_predictions(name, classes):
    known = model_config._builtin_layer_classes()
    missing = [c for c in classes if c not in known]
    if missing:
        pytest.skip(f"layerkit has no {missing} yet")
    data = np.load(os.path.join(FIXTURES, f"{name}.npz"))
    xs = [data[k] for k in sorted(data.files) if k.startswith("x")]
    model = saving.load_model(os.path.join(FIXTURES, f"{name}.h5"))
    predicted = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    np.testing.assert_allclose(predicted, data["y"], atol=1e-5, rtol=1e-5)


def test_keras_compiled_fixture_resumes_training():
    data = np.load(os.path.join(FIXTURES, "mlp.npz"))
    model = saving.load_model(os.path.join(FIXTURES, "mlp.h5"))
    assert type(model.optimizer).__name__ == "Adam" and model.optimizer.learning_rate == pytest.approx(0.01)
    assert int(model.optimizer.iterations.get_value()) == 1
    model.train_on_batch(data["x"], np.eye(3, dtype="float32"))   # Keras's next step from the same state
    np.testing.assert_allclose(model.predict(data["x"], verbose=0), data["y_next"], atol=1e-5, rtol=1e-5)


def test_fixtures_stay_small():
    total = sum(os.path.getsize(os.path.join(FIXTURES, f)) for f in os.listdir(FIXTURES))
    assert total < 200_000


# ----------------------------------------------------------------------------------------------- helpers
def _mlp(name=None, units=(4, 2)):
    return Sequential([Dense(units[0], activation="tanh", input_shape=(3,), name=f"{name}_hidden" if name else None),
                       Dense(units[1], name=f"{name}_out" if name else None)], name=name)


def _batch(seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(8, 3)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")


@register_keras_serializable(package="tests")
class Shift(Layer):
    """A custom layer with a constructor argument and one weight."""

    def __init__(self, offset=1.0, **kwargs):
        super().__init__(**kwargs)
        self.offset = offset

    def build(self, input_shape):
        self.b = self.add_weight("b", (input_shape[-1],), initializer="ones")

    def call(self, inputs):
        return inputs * self.b + self.offset


class Unregistered(Shift):
    pass


def doubled_tanh(x):
    """A module-level function: a Lambda saves it as the reference 'module:doubled_tanh'."""
    return 2 * T.tanh(x)


# ----------------------------------------------------------------------------------------------- round trips
def test_save_load_round_trip_resumes_training(tmp_path):
    x, y = _batch()
    model = _mlp()
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    for _ in range(2):
        model.train_on_batch(x, y)
    path = tmp_path / "m.h5"
    model.save(path)
    loaded = saving.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert int(loaded.optimizer.iterations.get_value()) == 2
    for _ in range(3):   # continued training equals uninterrupted training
        expected, got = model.train_on_batch(x, y), loaded.train_on_batch(x, y)
        np.testing.assert_allclose(got, expected, rtol=1e-6)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_file_layout_matches_keras(tmp_path):
    model = _mlp(name="lay")
    model.compile(optimizer="sgd", loss="mse")
    model.train_on_batch(*_batch())
    path = tmp_path / "m.h5"
    saving.save_model(model, path)
    with h5py.File(path, "r") as f:
        assert {"keras_version", "backend", "model_config", "training_config"} <= set(f.attrs)
        training = json.loads(f.attrs["training_config"])
        assert training["optimizer_config"]["class_name"] == "SGD" and training["loss"] == "mse"
        assert set(training) >= {"optimizer_config", "loss", "metrics", "loss_weights", "weighted_metrics"}
        group = f["model_weights"]
        assert hdf5.load_attributes(group, "layer_names") == ["lay_hidden", "lay_out"]
        assert hdf5.load_attributes(group["lay_hidden"], "weight_names") == ["lay_hidden/kernel:0",
                                                                             "lay_hidden/bias:0"]
        assert group["lay_hidden"]["lay_hidden/kernel:0"].shape == (3, 4)
        assert "optimizer_weights" in f


def test_include_optimizer_false_writes_no_training_state(tmp_path):
    model = _mlp()
    model.compile(optimizer="adam", loss="mse")
    model.save(tmp_path / "m.h5", include_optimizer=False)
    with h5py.File(tmp_path / "m.h5", "r") as f:
        assert "training_config" not in f.attrs and "optimizer_weights" not in f
    assert saving.load_model(tmp_path / "m.h5").optimizer is None


def test_functional_nested_and_shared_round_trip(tmp_path):
    inner = _mlp(units=(5, 3))
    a, b = Input(shape=(3,), name="left"), Input(shape=(3,), name="right")
    shared = Dense(3, name="shared")
    out = Shift(offset=0.5)(inner(shared(a)))
    model = Model([a, b], [out, shared(b)], name="outer")
    x = np.random.default_rng(1).normal(size=(4, 3)).astype("float32")
    model.save(tmp_path / "f.h5")
    loaded = saving.load_model(tmp_path / "f.h5")
    for got, expected in zip(loaded.predict([x, x + 1], verbose=0), model.predict([x, x + 1], verbose=0)):
        np.testing.assert_array_equal(got, expected)
    assert [l.name for l in loaded.layers] == [l.name for l in model.layers]


def test_weights_only_round_trip(tmp_path):
    x, _ = _batch()
    source, target = _mlp(), _mlp()
    source.save_weights(tmp_path / "w.h5")
    target.load_weights(tmp_path / "w.h5")
    np.testing.assert_array_equal(target.predict(x, verbose=0), source.predict(x, verbose=0))
    target2 = _mlp()
    target2.load_weights(tmp_path / "w.h5", by_name=False)
    with h5py.File(tmp_path / "w.h5", "r") as f:
        assert "layer_names" in f.attrs and "model_config" not in f.attrs


def test_load_weights_from_full_model_file(tmp_path):
    x, _ = _batch()
    source, target = _mlp(), _mlp()
    source.save(tmp_path / "m.h5")
    target.load_weights(tmp_path / "m.h5")
    np.testing.assert_array_equal(target.predict(x, verbose=0), source.predict(x, verbose=0))


# (target model units, by_name, skip_mismatch, expected: 'error' message part, or which layers got loaded)
BY_NAME_ROWS = [
    ("same shapes by name", (4, 2), True, False, {"hidden", "out"}),
    ("shape mismatch raises", (4, 5), True, False, "weight 'k_out/kernel' has shape (4, 5)"),
    ("shape mismatch skipped", (4, 5), True, True, {"hidden"}),
    ("order: shape mismatch raises", (4, 5), False, False, "has shape (4, 5), the file's"),
    ("order: mismatch skipped", (4, 5), False, True, {"hidden"}),
]


@pytest.mark.parametrize("case, units, by_name, skip, expected", BY_NAME_ROWS, ids=[r[0] for r in BY_NAME_ROWS])
def test_load_weights_by_name_and_skip_mismatch(tmp_path, case, units, by_name, skip, expected):
    target = Sequential([Dense(units[0], activation="tanh", input_shape=(3,), name="k_hidden"),
                         Dense(units[1], name="k_out")])
    source = Sequential([Dense(4, activation="tanh", input_shape=(3,), name="k_hidden"), Dense(2, name="k_out")])
    source.save_weights(tmp_path / "w.h5")
    before = {l.name: [w.copy() for w in l.get_weights()] for l in target.layers}
    if isinstance(expected, str):
        with pytest.raises(ValueError, match=expected.replace("(", r"\(").replace(")", r"\)")):
            target.load_weights(tmp_path / "w.h5", by_name=by_name, skip_mismatch=skip)
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        target.load_weights(tmp_path / "w.h5", by_name=by_name, skip_mismatch=skip)
    for layer, original in zip(source.layers, target.layers):
        short = layer.name.split("_", 1)[1]
        loaded = all(np.array_equal(a, b) for a, b in zip(layer.get_weights(), original.get_weights())
                     if a.shape == b.shape)
        changed = any(not np.array_equal(a, b) for a, b in zip(before[original.name], original.get_weights()))
        assert (short in expected) == (loaded and changed), (case, layer.name)
    assert skip == any("Skipping" in str(w.message) for w in caught)


def test_load_weights_layer_count_mismatch_names_layers(tmp_path):
    _mlp().save_weights(tmp_path / "w.h5")
    three = Sequential([Dense(4, input_shape=(3,)), Dense(4), Dense(2)])
    with pytest.raises(ValueError, match="3 layer\\(s\\) with weights .* the file has 2"):
        three.load_weights(tmp_path / "w.h5")


# ----------------------------------------------------------------------------------------------- file safety
def test_chunked_attributes_round_trip(tmp_path):
    names = [f"layer_{k:04d}_" + "x" * 240 for k in range(300)]   # ~75 KB: over the 64 KB header limit
    with h5py.File(tmp_path / "a.h5", "w") as f:
        hdf5.save_attributes(f, "layer_names", names)
        assert "layer_names" not in f.attrs and "layer_names0" in f.attrs and "layer_names1" in f.attrs
        assert hdf5.load_attributes(f, "layer_names") == names


def test_model_with_long_layer_list_saves_and_loads(tmp_path):
    layers = [Dense(2, input_shape=(2,), name="first")] + [Layer(name=f"pass_{k:03d}_" + "y" * 240)
                                                         for k in range(280)]
    model = Sequential(layers)
    model.save(tmp_path / "long.h5")
    with h5py.File(tmp_path / "long.h5", "r") as f:
        assert "layer_names1" in f["model_weights"].attrs
    loaded = saving.load_model(tmp_path / "long.h5")
    x = np.ones((1, 2), "float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_failed_save_leaves_previous_file(tmp_path, monkeypatch):
    model = _mlp()
    path = tmp_path / "m.h5"
    model.save(path)
    original = path.read_bytes()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full (simulated)")

    monkeypatch.setattr(model.layers[1].weights[0], "get_value", broken)
    with pytest.raises(RuntimeError, match="simulated"):
        model.save(path)
    assert path.read_bytes() == original
    assert os.listdir(tmp_path) == ["m.h5"]   # no temporary file left behind


def test_overwrite_false_refuses_existing_file(tmp_path):
    model = _mlp()
    model.save(tmp_path / "m.h5")
    with pytest.raises(FileExistsError, match="overwrite=False"):
        model.save(tmp_path / "m.h5", overwrite=False)
    with pytest.raises(FileExistsError):
        model.save_weights(tmp_path / "m.h5", overwrite=False)


def test_load_missing_and_non_hdf5_files(tmp_path):
    with pytest.raises(FileNotFoundError):
        saving.load_model(tmp_path / "nope.h5")
    (tmp_path / "text.h5").write_text("not hdf5")
    with pytest.raises(ValueError, match="not an HDF5 file"):
        saving.load_model(tmp_path / "text.h5")
    _mlp().save_weights(tmp_path / "w.h5")
    with pytest.raises(ValueError, match="no model_config"):
        saving.load_model(tmp_path / "w.h5")


# ----------------------------------------------------------------------------------------------- configs
def _lambda_entry(function, **extra):
    return {"class_name": "Lambda", "config": dict({"name": "lam", "function": function}, **extra),
            "name": "lam", "inbound_nodes": [[["inp", 0, 0, {}]]]}


LAMBDA_CODE_ROWS = [
    ("keras 2 bytecode", _lambda_entry(["4wEAAAAAAAAAAAAAAAEAAAACAAAAQwAAAHMIAAAAfABkARQAUwApAk7p", None, None],
                                       function_type="lambda")),
    ("keras 3 __lambda__", _lambda_entry({"class_name": "__lambda__", "config": {"code": "4wEAAAAA"}})),
]


@pytest.mark.parametrize("case, entry", LAMBDA_CODE_ROWS, ids=[r[0] for r in LAMBDA_CODE_ROWS])
def test_lambda_with_stored_code_is_refused(case, entry):
    config = {"class_name": "Functional", "config": {
        "name": "m", "input_layers": [["inp", 0, 0]], "output_layers": [["lam", 0, 0]],
        "layers": [{"class_name": "InputLayer", "config": {"batch_input_shape": [None, 2], "name": "inp"},
                    "name": "inp", "inbound_nodes": []}, entry]}}
    with pytest.raises(ValueError, match="never executes code from a file"):
        saving.model_from_config(config)


def test_lambda_with_importable_function_round_trips(tmp_path):
    model = Sequential([Dense(2, input_shape=(3,)), Lambda(doubled_tanh)])
    model.save(tmp_path / "l.h5")
    loaded = saving.load_model(tmp_path / "l.h5", custom_objects={"doubled_tanh": doubled_tanh})
    x = np.ones((2, 3), "float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_custom_layer_registered_and_via_custom_objects(tmp_path):
    x = np.ones((2, 3), "float32")
    for cls, custom_objects in ((Shift, None), (Unregistered, {"Unregistered": Unregistered})):
        model = Sequential([Dense(3, input_shape=(3,)), cls(offset=2.0)])
        model.layers[1].set_weights([np.array([1.0, 2.0, 3.0], "float32")])
        model.save(tmp_path / "c.h5")
        loaded = saving.load_model(tmp_path / "c.h5", custom_objects=custom_objects)
        assert type(loaded.layers[1]) is cls and loaded.layers[1].offset == 2.0
        np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    with pytest.raises(ValueError, match="Unknown layer class 'Unregistered'.*custom_objects"):
        saving.load_model(tmp_path / "c.h5")


def test_registered_class_is_written_with_package_name():
    model = Sequential([Shift(input_shape=(2,))])
    entries = model.get_config()["config"]["layers"]
    assert entries[-1]["class_name"] == "tests>Shift"


def test_to_json_and_model_from_json():
    a = Input(shape=(3,), name="x_in")
    hidden = Dense(4, name="h")(a)
    model = Model(a, [Dense(1, name="o")(hidden), hidden], name="two_out")
    text = model.to_json()
    config = json.loads(text)
    assert config["class_name"] == "Functional"
    layers = {entry["name"]: entry for entry in config["config"]["layers"]}
    assert layers["o"]["inbound_nodes"] == [[["h", 0, 0, {}]]]
    assert config["config"]["output_layers"] == [["o", 0, 0], ["h", 0, 0]]
    clone = saving.model_from_json(text)
    assert [l.name for l in clone.layers] == ["x_in", "h", "o"]
    assert [tuple(o.type.shape) for o in clone.outputs] == [(None, 1), (None, 4)]
    assert [l.name for l in Model.from_config(model.get_config()).layers] == ["x_in", "h", "o"]
    assert [l.name for l in saving.model_from_config(model.get_config()["config"]).layers] == ["x_in", "h", "o"]
    sequential = _mlp(name="seq")
    assert json.loads(saving.model_from_json(sequential.to_json()).to_json())["config"] == \
        json.loads(sequential.to_json())["config"]


def test_keras3_config_format_is_read():
    tensor = {"class_name": "__keras_tensor__", "config": {"shape": [None, 2], "keras_history": ["inp", 0, 0]}}
    config = {"module": "keras", "class_name": "Functional", "registered_name": "Functional", "config": {
        "name": "k3", "input_layers": [["inp", 0, 0]], "output_layers": [["d", 0, 0]],
        "layers": [
            {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None, "name": "inp",
             "config": {"batch_shape": [None, 2], "dtype": "float32", "name": "inp", "optional": False},
             "inbound_nodes": []},
            {"module": "keras.layers", "class_name": "Dense", "registered_name": None, "name": "d",
             "config": {"name": "d", "units": 3, "dtype": {"module": "keras", "class_name": "DTypePolicy",
                                                          "config": {"name": "float32"}},
                        "kernel_initializer": {"module": "keras.initializers", "class_name": "GlorotUniform",
                                               "config": {"seed": None}, "registered_name": None},
                        "quantization_config": None},
             "inbound_nodes": [{"args": [tensor], "kwargs": {}}]}]}}
    model = saving.model_from_config(config)
    assert tuple(model.outputs[0].type.shape) == (None, 3) and model.layers[1].units == 3


def test_subclassed_model_config_is_refused():
    class Twice(Model):
        def call(self, inputs):
            return 2 * inputs

    with pytest.raises(NotImplementedError, match="subclassed Model"):
        saving.model_to_config(Twice())


def test_keras3_weights_file_that_does_not_fit_changes_nothing(tmp_path):
    """A Keras 3 layout ``.weights.h5`` whose shapes do not fit raises naming the layer, before any assignment."""
    small = Sequential([Input(shape=(3,)), Dense(2, name="a"), Dense(4, name="b")])
    other = Sequential([Input(shape=(3,)), Dense(2, name="a"), Dense(5, name="b")])
    path = str(tmp_path / "m.weights.h5")
    small.save_weights(path)
    before = [w.copy() for w in other.get_weights()]
    with pytest.raises(ValueError, match=r"layer 'b'.*shape \(2, 5\).*layers/dense_1/vars"):
        other.load_weights(path)
    assert all(np.array_equal(a, b) for a, b in zip(before, other.get_weights()))
