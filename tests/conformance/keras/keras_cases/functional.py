"""Functional models: several inputs and outputs, losses/metrics/loss weights as lists and dicts, dict outputs,
per-output sample weights, shared layers, nested models and subclassed models."""
import numpy as np

from keras_session import Case, attempt, train_and_report

from .data import features, targets


def _data(rng):
    a = features(rng)
    b = rng.normal(size=(48, 3)).astype("float32")
    joined = np.concatenate([a, b[:, :1]], axis=1)
    return {"a": a, "b": b, "y_reg": targets("real:1", joined, rng), "y_bin": targets("binary", joined, rng),
            "y_cls": targets("label", a, rng), "y_wide": targets("prob:k", a, rng),
            "sw": rng.uniform(0.2, 2.0, size=48).astype("float32")}


def _two_heads(kl, names=("reg", "cls")):
    a, b = kl.Input((4,), name="a"), kl.Input((3,), name="b")
    h = kl.layers.Dense(6, activation="tanh", name="hidden")(kl.layers.Concatenate()([a, b]))
    reg = kl.layers.Dense(1, name=names[0])(h)
    cls = kl.layers.Dense(3, activation="softmax", name=names[1])(h)
    return [a, b], reg, cls


def _case(name, program):
    return Case(f"functional/{name}", program, _data)


def _two_inputs(s):
    kl = s.kl
    inputs, reg, _ = _two_heads(kl)
    model = kl.Model(inputs, reg)
    model.compile(optimizer=kl.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    train_and_report(s, model, [s.d["a"], s.d["b"]], s.d["y_reg"])


def _two_inputs_dict(s):
    kl = s.kl
    inputs, reg, _ = _two_heads(kl)
    model = kl.Model(inputs, reg)
    model.compile(optimizer=kl.optimizers.SGD(0.1), loss="mse")
    train_and_report(s, model, {"a": s.d["a"], "b": s.d["b"]}, s.d["y_reg"])


def _list_outputs(loss, loss_weights=None, metrics=None, y_as="list", sample_weight=None, second="y_cls"):
    def program(s):
        kl = s.kl
        inputs, reg, cls = _two_heads(kl)
        model = kl.Model(inputs, [reg, cls])
        model.compile(optimizer=kl.optimizers.SGD(0.1), loss=loss, loss_weights=loss_weights, metrics=metrics)
        y = [s.d["y_reg"], s.d[second]]
        if y_as == "dict":
            y = {"reg": y[0], "cls": y[1]}
        sw = None
        if sample_weight == "list":
            sw = [s.d["sw"], np.ones_like(s.d["sw"])]
        train_and_report(s, model, [s.d["a"], s.d["b"]], y, sample_weight=sw)
        s.out["predict_on_batch"] = model.predict_on_batch([s.d["a"][:5], s.d["b"][:5]])

    return program


def _dict_outputs(s):
    kl = s.kl
    inputs, reg, cls = _two_heads(kl)
    model = kl.Model(inputs, {"reg": reg, "cls": cls})
    model.compile(optimizer=kl.optimizers.SGD(0.1), loss={"reg": "mse", "cls": "sparse_categorical_crossentropy"},
                  metrics={"cls": ["accuracy"]})
    train_and_report(s, model, [s.d["a"], s.d["b"]], {"reg": s.d["y_reg"], "cls": s.d["y_cls"]})
    s.out["predict_on_batch"] = model.predict_on_batch([s.d["a"][:5], s.d["b"][:5]])


def _output_without_loss(s):
    kl = s.kl
    inputs, reg, cls = _two_heads(kl)
    model = kl.Model(inputs, [reg, cls])
    model.compile(optimizer=kl.optimizers.SGD(0.1), loss={"reg": "mse"})
    s.start(model)
    s.out["fit_raises"] = attempt(lambda: model.fit([s.d["a"], s.d["b"]], s.d["y_reg"], epochs=1, verbose=0))


def _shared_layer(s):
    kl = s.kl
    a, b = kl.Input((3,), name="a"), kl.Input((3,), name="b")
    shared = kl.layers.Dense(4, activation="tanh")
    distance = kl.layers.Subtract()([shared(a), shared(b)])
    model = kl.Model([a, b], kl.layers.Dense(1, activation="sigmoid")(distance))
    model.compile(optimizer=kl.optimizers.SGD(0.2), loss="binary_crossentropy", metrics=["accuracy"])
    train_and_report(s, model, [s.d["a"][:, :3], s.d["b"]], s.d["y_bin"])


def _nested(s):
    kl = s.kl
    encoder = kl.Sequential([kl.Input((4,)), kl.layers.Dense(5, activation="relu"), kl.layers.Dense(3)],
                            name="encoder")
    a = kl.Input((4,))
    model = kl.Model(a, kl.layers.Dense(1)(encoder(a)))
    model.compile(optimizer=kl.optimizers.SGD(0.1), loss="mse")
    train_and_report(s, model, s.d["a"], s.d["y_reg"])


def _subclassed(s):
    kl = s.kl

    class TwoLayer(kl.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = kl.layers.Dense(5, activation="relu")
            self.out = kl.layers.Dense(1)

        def call(self, inputs):
            return self.out(self.hidden(inputs))

    model = TwoLayer()
    model.compile(optimizer=kl.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    model(s.d["a"][:2])   # builds the weights
    train_and_report(s, model, s.d["a"], s.d["y_reg"])


def _multi_output_class_weight(s):
    kl = s.kl
    inputs, reg, cls = _two_heads(kl)
    model = kl.Model(inputs, [reg, cls])
    model.compile(optimizer=kl.optimizers.SGD(0.1), loss=["mse", "sparse_categorical_crossentropy"])
    s.start(model)
    s.out["fit_raises"] = attempt(lambda: model.fit([s.d["a"], s.d["b"]], [s.d["y_reg"], s.d["y_cls"]], epochs=1,
                                                    class_weight={0: 1.0, 1: 2.0, 2: 1.0}, verbose=0))


SCCE = "sparse_categorical_crossentropy"
CASES = [
    _case("two_inputs", _two_inputs),
    _case("two_inputs_dict", _two_inputs_dict),
    _case("outputs/list_losses", _list_outputs(["mse", SCCE])),
    _case("outputs/one_loss_for_all", _list_outputs("mse", second="y_wide")),
    _case("outputs/loss_weights_list", _list_outputs(["mse", SCCE], loss_weights=[0.3, 2.0])),
    _case("outputs/dict_losses", _list_outputs({"reg": "mse", "cls": SCCE}, y_as="dict")),
    _case("outputs/dict_loss_weights_metrics", _list_outputs(
        {"reg": "mse", "cls": SCCE}, loss_weights={"reg": 0.5, "cls": 1.5},
        metrics={"reg": ["mae"], "cls": ["accuracy"]}, y_as="dict")),
    _case("outputs/list_metrics", _list_outputs(["mse", SCCE], metrics=[["mae", "mse"], ["accuracy"]])),
    _case("outputs/sample_weight_list", _list_outputs(["mse", SCCE], sample_weight="list")),
    _case("outputs/dict_outputs", _dict_outputs),
    _case("outputs/no_loss_for_one", _output_without_loss),
    _case("outputs/class_weight_multi_output", _multi_output_class_weight),
    _case("shared_layer", _shared_layer),
    _case("nested_model", _nested),
    _case("subclassed_model", _subclassed),
]
