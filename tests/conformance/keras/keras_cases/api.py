"""Return formats: evaluate / train_on_batch / test_on_batch / predict_on_batch with and without metrics,
return_dict, several outputs; metrics_names before and after training; count_params; reset_metrics."""
import numpy as np

from keras_session import Case, evaluate_names

from .data import features, targets


def _data(rng):
    x = features(rng, n=20)
    return {"x": x, "y": targets("real:1", x, rng), "y_bin": targets("binary:1", x, rng),
            "y_cls": targets("label", x, rng)}


def _single(kl, metrics):
    model = kl.Sequential([kl.Input((4,)), kl.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=kl.optimizers.SGD(0.1), loss="binary_crossentropy", metrics=metrics)
    return model


def _multi(kl, metrics):
    x = kl.Input((4,))
    reg = kl.layers.Dense(1, name="reg")(x)
    cls = kl.layers.Dense(3, activation="softmax", name="cls")(x)
    model = kl.Model(x, [reg, cls])
    model.compile(optimizer=kl.optimizers.SGD(0.1), loss=["mse", "sparse_categorical_crossentropy"],
                  metrics=metrics)
    return model


def _batch_methods(build, metrics, targets_of):
    def program(s):
        kl = s.kl
        model = build(kl, metrics)
        s.start(model)
        x, y = s.d["x"], targets_of(s.d)
        out = s.out
        out["train_on_batch"] = model.train_on_batch(x, y)
        out["train_on_batch_dict"] = model.train_on_batch(x, y, return_dict=True)
        out["test_on_batch"] = model.test_on_batch(x, y)
        out["test_on_batch_dict"] = model.test_on_batch(x, y, return_dict=True)
        out["predict_on_batch"] = model.predict_on_batch(x)
        out["evaluate"] = model.evaluate(x, y, verbose=0)
        out["evaluate_dict"] = model.evaluate(x, y, verbose=0, return_dict=True)
        out["evaluate_names"] = evaluate_names(s, model)
        out["fit_history_keys"] = sorted(model.fit(x, y, epochs=1, verbose=0).history)
        out["predict"] = model.predict(x, verbose=0)

    return program


def _metrics_names_before_fit(s):
    """Before any training step Keras 3 lists no metrics; layerkit lists what evaluate will return."""
    kl = s.kl
    model = _single(kl, ["accuracy"])
    s.out["before"] = list(model.metrics_names)


def _count_params(s):
    kl = s.kl
    model = kl.Sequential([kl.Input((6, 3)), kl.layers.LSTM(4), kl.layers.BatchNormalization(), kl.layers.Dense(2)])
    s.out["count_params"] = int(model.count_params())
    s.out["trainable"] = len(model.trainable_weights)
    s.out["non_trainable"] = len(model.non_trainable_weights)
    s.out["weight_shapes"] = [list(np.shape(w)) for w in model.get_weights()]


def _reset_metrics(s):
    """Each *_on_batch call reports its own batch only (Keras 3 resets the metrics first)."""
    kl = s.kl
    model = _single(kl, ["accuracy"])
    s.start(model)
    x, y = s.d["x"], s.d["y_bin"]
    first = model.train_on_batch(x[:10], y[:10], return_dict=True)
    second = model.train_on_batch(x[10:], y[10:], return_dict=True)
    third = model.test_on_batch(x, y, return_dict=True)
    model.reset_metrics()
    s.out["steps"] = [first, second, third]
    s.out["evaluate_after"] = model.evaluate(x, y, verbose=0, return_dict=True)


def _predict_batches(s):
    """predict over uneven batches and a single sample."""
    kl = s.kl
    model = _single(kl, [])
    s.start(model)
    s.out["uneven"] = model.predict(s.d["x"], batch_size=7, verbose=0)
    s.out["one"] = model.predict(s.d["x"][:1], verbose=0)
    s.out["call"] = np.asarray(model(s.d["x"][:3]))


SINGLE_Y = lambda d: d["y_bin"]   # noqa: E731
MULTI_Y = lambda d: [d["y"], d["y_cls"]]   # noqa: E731

CASES = [
    Case("api/single_no_metrics", _batch_methods(_single, [], SINGLE_Y), _data),
    Case("api/single_metrics", _batch_methods(_single, ["accuracy", "mse"], SINGLE_Y), _data),
    Case("api/multi_no_metrics", _batch_methods(_multi, None, MULTI_Y), _data),
    Case("api/multi_metrics", _batch_methods(_multi, [["mae"], ["accuracy"]], MULTI_Y), _data),
    Case("api/metrics_names_before_fit", _metrics_names_before_fit, _data, differs="metrics-names",
         skip=("before",), check=lambda keras, ours, tol: [] if ours["before"] == ["loss", "accuracy"] else [
             f"metrics_names before fit: layerkit {ours['before']}, documented ['loss', 'accuracy']"]),
    Case("api/count_params", _count_params, _data),
    Case("api/reset_metrics", _reset_metrics, _data),
    Case("api/predict_batches", _predict_batches, _data),
]
