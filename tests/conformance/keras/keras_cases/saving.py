"""Files in both directions: Keras writes ``.h5`` (legacy) and ``.weights.h5`` (Keras 3) files that layerkit
reads with the same predictions (and, for a compiled model, the same next training step); layerkit's own files
have the layout Keras's readers walk (compared with the file Keras wrote for the same model)."""
import os

from keras_session import Case, h5_legacy_layers, h5_tree

from .data import features, sequences


def _data(rng):
    return {"x": features(rng, n=8), "s": sequences(rng, n=8, t=6, f=3),
            "img": rng.normal(size=(8, 6, 6, 2)).astype("float32"),
            "tokens": rng.integers(0, 10, size=(8, 6)).astype("int32"), "y": rng.normal(size=(8, 2)).astype("float32")}


def _mlp(kl):
    return kl.Sequential([kl.Input((4,)), kl.layers.Dense(5, activation="relu", name="d1"),
                          kl.layers.Dense(2, name="d2")], name="mlp"), "x"


def _cnn(kl):
    return kl.Sequential([kl.Input((6, 6, 2)), kl.layers.Conv2D(3, 3, name="c1"),
                          kl.layers.BatchNormalization(name="bn"), kl.layers.MaxPooling2D(name="pool"),
                          kl.layers.Flatten(name="flat"), kl.layers.Dense(2, name="d")], name="cnn"), "img"


def _rnn(kl):
    return kl.Sequential([kl.Input((6, 3)), kl.layers.LSTM(4, return_sequences=True, name="lstm"),
                          kl.layers.Bidirectional(kl.layers.GRU(3), name="bi"), kl.layers.Dense(2, name="d")],
                         name="rnn"), "s"


def _embedding(kl):
    return kl.Sequential([kl.Input((6,), dtype="int32"), kl.layers.Embedding(10, 3, mask_zero=True, name="emb"),
                          kl.layers.SimpleRNN(4, name="rnn"), kl.layers.Dense(2, name="d")], name="emb_rnn"), "tokens"


def _functional(kl):
    a, b = kl.Input((4,), name="a"), kl.Input((6, 3), name="b")
    h = kl.layers.Concatenate(name="cat")([kl.layers.Dense(3, name="da")(a), kl.layers.GRU(3, name="gru")(b)])
    out = kl.layers.Dense(2, name="out")(h)
    return kl.Model([a, b], out, name="two_in"), ("x", "s")


def _attention(kl):
    x = kl.Input((6, 3), name="x")
    h = kl.layers.Dense(4, name="proj")(x)
    attended = kl.layers.MultiHeadAttention(num_heads=2, key_dim=2, name="mha")(h, h)
    h = kl.layers.LayerNormalization(name="ln")(kl.layers.Add(name="add")([h, attended]))
    out = kl.layers.Dense(2, name="out")(kl.layers.GlobalAveragePooling1D(name="pool")(h))
    return kl.Model(x, out, name="attention"), "s"


def _nested(kl):
    inner = kl.Sequential([kl.Input((4,)), kl.layers.Dense(3, name="inner_d")], name="inner")
    x = kl.Input((4,), name="x")
    out = kl.layers.Dense(2, name="out")(kl.layers.TimeDistributed(kl.layers.Dense(2, name="td_d"), name="td")(
        kl.layers.Reshape((3, 1), name="reshape")(inner(x))))
    return kl.Model(x, kl.layers.Flatten(name="flat")(out), name="nested"), "x"


MODELS = {"mlp": _mlp, "cnn": _cnn, "rnn": _rnn, "embedding": _embedding, "functional": _functional,
          "attention": _attention, "nested": _nested}


def _inputs(s, keys):
    return [s.d[k] for k in keys] if isinstance(keys, tuple) else s.d[keys]


def _weights_case(name, build):
    """Keras 3's ``save_weights`` -> layerkit's ``load_weights``; layerkit's file has Keras 3's layout."""
    def program(s):
        model, keys = build(s.kl)
        x = _inputs(s, keys)
        path = s.file("model.weights.h5")
        if s.recording:
            model.save_weights(path)
            written = path
        else:
            model.load_weights(path)
            written = os.path.join(s.tmp, "ours.weights.h5")
            model.save_weights(written)
        s.out["predict"] = model.predict(x, verbose=0)
        s.out["layout"] = h5_tree(written)

    return Case(f"saving/weights_h5/{name}", program, _data)


def _h5_case(name, build):
    """Keras's legacy ``.h5`` -> layerkit's ``load_model``; layerkit's ``.h5`` lists the same layers and weights."""
    def program(s):
        kl = s.kl
        path = s.file("model.h5")
        if s.recording:
            model, keys = build(kl)
            model.save(path)
            written = path
        else:
            model = kl.models.load_model(path)
            keys = build(kl)[1]
            written = os.path.join(s.tmp, "ours.h5")
            model.save(written)
        s.out["predict"] = model.predict(_inputs(s, keys), verbose=0)
        s.out["layers"] = h5_legacy_layers(written)

    return Case(f"saving/h5/{name}", program, _data)


def _compiled_h5(s):
    """A compiled, trained model saved to .h5 continues training from the saved optimizer state."""
    kl = s.kl
    path = s.file("compiled.h5")
    if s.recording:
        model, _ = _mlp(kl)
        model.compile(optimizer=kl.optimizers.Adam(0.05), loss="mse", metrics=["mae"])
        model.fit(s.d["x"], s.d["y"], epochs=2, verbose=0)
        model.save(path)
    else:
        model = kl.models.load_model(path)
    s.out["evaluate"] = model.evaluate(s.d["x"], s.d["y"], verbose=0, return_dict=True)
    s.out["train_on_batch"] = model.train_on_batch(s.d["x"], s.d["y"], return_dict=True)
    s.out["predict"] = model.predict(s.d["x"], verbose=0)


def _optimizer_state_case(name, optimizer):
    """Keras's ``.weights.h5`` of a trained, compiled model carries the optimizer state: the next step matches."""
    def program(s):
        kl = s.kl
        model, _ = _mlp(kl)
        model.compile(optimizer=optimizer(kl), loss="mse")
        path = s.file("trained.weights.h5")
        if s.recording:
            model.fit(s.d["x"], s.d["y"], epochs=3, batch_size=4, verbose=0)
            model.save_weights(path)
        else:
            model.load_weights(path)
        s.out["train_on_batch"] = model.train_on_batch(s.d["x"], s.d["y"])
        s.out["weights"] = model.get_weights()

    return Case(f"saving/weights_h5/optimizer_state/{name}", program, _data)


def _roundtrip_weights(s):
    """save_weights / load_weights in one library restores predictions exactly (any file name)."""
    kl = s.kl
    model, keys = _rnn(kl)
    other, _ = _rnn(kl)
    s.start(model)
    for name in ("w.weights.h5",):
        path = os.path.join(s.tmp, name)
        model.save_weights(path)
        other.load_weights(path)
        s.out[name] = other.predict(s.d["s"], verbose=0)


CASES = [_weights_case(name, build) for name, build in MODELS.items()]
CASES += [_h5_case(name, build) for name, build in MODELS.items()]
CASES += [_optimizer_state_case(name, optimizer) for name, optimizer in (
    ("Adam", lambda kl: kl.optimizers.Adam(0.05)),
    ("RMSprop_momentum_centered", lambda kl: kl.optimizers.RMSprop(0.01, momentum=0.5, centered=True)),
    ("SGD_momentum", lambda kl: kl.optimizers.SGD(0.05, momentum=0.9)),
    ("Nadam", lambda kl: kl.optimizers.Nadam(0.02)))]
CASES += [Case("saving/h5/compiled_continues_training", _compiled_h5, _data),
          Case("saving/roundtrip", _roundtrip_weights, _data)]
