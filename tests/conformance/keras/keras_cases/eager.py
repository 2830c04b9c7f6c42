"""Eager calls on NumPy arrays, as Keras 3 users inspect numbers: ``layer(x)`` and ``model(x)`` (with and
without ``training``, whose updates of moving statistics Keras applies), loss objects ``loss(y, p)``, metric
objects (``update_state``/``result``/``reset_state``, ``metric(y, p)``), variables (``assign``...) and
``add_weight``'s Keras 3 signature."""
import numpy as np

from keras_session import Case

from .data import features, sequences


def _data(rng):
    x = features(rng, n=6)
    return {"x": x, "s": sequences(rng, n=4, t=5, f=3), "img": rng.normal(size=(2, 6, 6, 2)).astype("float32"),
            "tokens": rng.integers(0, 8, size=(3, 5)).astype("int32"),
            "y": rng.normal(size=(6, 2)).astype("float32"), "p": rng.normal(size=(6, 2)).astype("float32"),
            "y_bin": (rng.uniform(size=(6, 1)) > 0.5).astype("float32"), "logit": rng.normal(size=(6, 1)).astype("float32"),
            "onehot": np.eye(3, dtype="float32")[rng.integers(0, 3, size=6)], "probs": rng.dirichlet(np.ones(3), 6).astype("float32"),
            "labels": rng.integers(0, 3, size=6).astype("int32"), "w": rng.uniform(0.5, 1.5, size=6).astype("float32")}


LAYERS = {
    "Dense": (lambda kl: kl.layers.Dense(3, activation="relu"), "x"),
    "Conv2D": (lambda kl: kl.layers.Conv2D(3, 3, padding="same"), "img"),
    "LSTM": (lambda kl: kl.layers.LSTM(4, return_sequences=True), "s"),
    "GRU_state": (lambda kl: kl.layers.GRU(3, return_state=True), "s"),
    "Embedding": (lambda kl: kl.layers.Embedding(8, 2), "tokens"),
    "LayerNormalization": (lambda kl: kl.layers.LayerNormalization(), "x"),
}


def _layer_case(name, make, key):
    def program(s):
        layer = make(s.kl)
        layer(s.d[key])                # the first call builds the layer
        s.start(layer)
        result = layer(s.d[key])
        s.out["call"] = [np.asarray(r) for r in result] if isinstance(result, (list, tuple)) else np.asarray(result)

    return Case(f"eager/layer/{name}", program, _data)


def _attention_call(s):
    kl = s.kl
    layer = kl.layers.MultiHeadAttention(num_heads=2, key_dim=2)
    layer(s.d["s"], s.d["s"])
    s.start(layer)
    s.out["call"] = np.asarray(layer(s.d["s"], s.d["s"]))


def _model_calls(s):
    """model(x), model(x, training=True) twice (batch statistics, moving averages updated), model(x) again."""
    kl = s.kl
    model = kl.Sequential([kl.Input((4,)), kl.layers.Dense(3), kl.layers.BatchNormalization(momentum=0.5),
                           kl.layers.Dense(2)])
    s.start(model)
    s.out["inference"] = np.asarray(model(s.d["x"]))
    s.out["training"] = [np.asarray(model(s.d["x"] * k, training=True)) for k in (1.0, 2.0)]
    s.out["after"] = np.asarray(model(s.d["x"]))
    s.out["weights"] = model.get_weights()


def _functional_dict_call(s):
    kl = s.kl
    a, b = kl.Input((4,), name="a"), kl.Input((5, 3), name="b")
    out = kl.layers.Dense(2)(kl.layers.Concatenate()([a, kl.layers.GlobalAveragePooling1D()(b)]))
    model = kl.Model({"a": a, "b": b}, out)
    s.start(model)
    s.out["dict"] = np.asarray(model({"b": s.d["s"], "a": s.d["x"][:4]}))
    s.out["list"] = np.asarray(model([s.d["x"][:4], s.d["s"]]))


LOSSES = {
    "MeanSquaredError": (lambda kl: kl.losses.MeanSquaredError(), "y", "p"),
    "MeanAbsoluteError": (lambda kl: kl.losses.MeanAbsoluteError(reduction="sum"), "y", "p"),
    "Huber": (lambda kl: kl.losses.Huber(delta=0.5), "y", "p"),
    "BinaryCrossentropy": (lambda kl: kl.losses.BinaryCrossentropy(from_logits=True), "y_bin", "logit"),
    "CategoricalCrossentropy": (lambda kl: kl.losses.CategoricalCrossentropy(), "onehot", "probs"),
    "SparseCategoricalCrossentropy": (lambda kl: kl.losses.SparseCategoricalCrossentropy(), "labels", "probs"),
    "KLDivergence": (lambda kl: kl.losses.KLDivergence(), "probs", "probs_shift"),
    "CosineSimilarity": (lambda kl: kl.losses.CosineSimilarity(), "y", "p"),
}


def _loss_case(name, make, true_key, pred_key):
    def program(s):
        loss = make(s.kl)
        y_pred = np.roll(s.d["probs"], 1, axis=0) if pred_key == "probs_shift" else s.d[pred_key]
        s.out["value"] = np.asarray(loss(s.d[true_key], y_pred))
        s.out["weighted"] = np.asarray(loss(s.d[true_key], y_pred, sample_weight=s.d["w"]))

    return Case(f"eager/loss/{name}", program, _data)


METRICS = {
    "Mean": (lambda kl: kl.metrics.Mean(), lambda d: (d["w"],), lambda d: (d["w"][:2] * 3,)),
    "MeanSquaredError": (lambda kl: kl.metrics.MeanSquaredError(), lambda d: (d["y"], d["p"]),
                         lambda d: (d["p"], d["y"] * 2)),
    "BinaryAccuracy": (lambda kl: kl.metrics.BinaryAccuracy(), lambda d: (d["y_bin"], d["logit"]),
                       lambda d: (d["y_bin"][:3], 1 - d["y_bin"][:3])),
    "SparseCategoricalAccuracy": (lambda kl: kl.metrics.SparseCategoricalAccuracy(),
                                  lambda d: (d["labels"], d["probs"]), lambda d: (d["labels"][:2], d["probs"][3:5])),
    "AUC": (lambda kl: kl.metrics.AUC(num_thresholds=20), lambda d: (d["y_bin"], 1 / (1 + np.exp(-d["logit"]))),
            lambda d: (d["y_bin"][::-1], 1 / (1 + np.exp(d["logit"])))),
    "RootMeanSquaredError": (lambda kl: kl.metrics.RootMeanSquaredError(), lambda d: (d["y"], d["p"]),
                             lambda d: (d["y"][:2], d["p"][:2] * 0)),
}


def _metric_case(name, make, first, second):
    def program(s):
        metric = make(s.kl)
        metric.update_state(*first(s.d))
        s.out["first"] = np.asarray(metric.result())
        metric.update_state(*second(s.d), sample_weight=s.d["w"][:len(second(s.d)[0])])
        s.out["second"] = np.asarray(metric.result())
        metric.reset_state()
        s.out["reset"] = np.asarray(metric.result())
        s.out["call"] = np.asarray(metric(*first(s.d)))
        s.out["variables"] = len(metric.variables)

    return Case(f"eager/metric/{name}", program, _data)


def _variables(s):
    """Keras 3's variable API and add_weight's keyword-only signature (the name optional)."""
    kl = s.kl
    v = kl.Variable(np.array([1.0, 2.0], "float32"), name="v")
    v.assign([3.0, 4.0])
    v.assign_add(np.array([1.0, 1.0], "float32"))
    v.assign_sub(np.array([0.5, 0.0], "float32"))
    s.out["value"] = v.numpy()
    s.out["asarray"] = np.asarray(v) * 2
    s.out["shape"] = list(v.shape)
    s.out["trainable"] = bool(v.trainable)

    class Weighted(kl.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 2), initializer="ones")
            self.b = self.add_weight(shape=(2,), initializer="zeros", trainable=False)
            self.c = self.add_weight(shape=(), initializer="ones", name="scale")

        def call(self, inputs):
            return kl.ops.matmul(inputs, self.w) * self.c + self.b

    layer = Weighted(name="weighted")
    out = layer(s.d["x"])
    layer.c.assign(2.0)
    s.out["outputs"] = [np.asarray(out), np.asarray(layer(s.d["x"]))]
    s.out["weights"] = [[w.path, list(w.shape), bool(w.trainable)] for w in layer.weights]
    s.out["counts"] = [len(layer.trainable_weights), len(layer.non_trainable_weights)]


def _custom_layer_ops(s):
    """A custom layer written with kl.ops (softmax attention pooling over time), called eagerly and trained."""
    kl = s.kl
    ops = kl.ops

    class AttentionPool(kl.layers.Layer):
        def build(self, input_shape):
            self.score = self.add_weight(shape=(input_shape[-1],), initializer="glorot_uniform", name="score")

        def call(self, inputs):
            weights = ops.softmax(ops.einsum("btf,f->bt", inputs, self.score), axis=-1)
            return ops.sum(inputs * ops.expand_dims(weights, -1), axis=1)

    model = kl.Sequential([kl.Input((5, 3)), AttentionPool(), kl.layers.Dense(1)])
    model.compile(optimizer=kl.optimizers.SGD(0.1), loss="mse")
    s.start(model)
    s.out["eager"] = np.asarray(model.layers[0](s.d["s"]))
    history = model.fit(s.d["s"], s.d["y"][:4, :1], epochs=2, batch_size=2, shuffle=False, verbose=0)
    s.out["history"] = {k: [float(v) for v in values] for k, values in history.history.items()}
    s.out["after"] = np.asarray(model(s.d["s"]))


CASES = [_layer_case(name, make, key) for name, (make, key) in LAYERS.items()]
CASES += [Case("eager/layer/MultiHeadAttention", _attention_call, _data),
          Case("eager/model_calls_and_moving_statistics", _model_calls, _data),
          Case("eager/functional_dict_and_list_inputs", _functional_dict_call, _data),
          Case("eager/variables_and_add_weight", _variables, _data),
          Case("eager/custom_layer_with_ops", _custom_layer_ops, _data)]
CASES += [_loss_case(name, *spec) for name, spec in LOSSES.items()]
CASES += [_metric_case(name, *spec) for name, spec in METRICS.items()]
