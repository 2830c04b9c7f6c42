"""Recurrent layers: every layer with and without masks (Masking and Embedding(mask_zero=True)), sequences and
last outputs, go_backwards, return_state, stateful layers, every Bidirectional merge mode, TimeDistributed."""
import numpy as np

from keras_session import Case, train_and_report

from .data import sequences, targets


def _padded(rng):
    """Sequences with zero-padded tails (the mask) and targets that depend on the kept steps only."""
    x = sequences(rng, n=32, t=6, f=3)
    lengths = rng.integers(2, 7, size=len(x))
    keep = np.arange(6)[None, :] < lengths[:, None]
    x = np.where(keep[..., None], x, 0.0).astype("float32")
    return {"x": x, "y": targets("binary:1", x.sum(axis=1), rng), "y_seq": targets("real:1", x, rng)}


def _tokens(rng):
    lengths = rng.integers(2, 7, size=32)
    tokens = rng.integers(1, 10, size=(32, 6))
    tokens = np.where(np.arange(6)[None, :] < lengths[:, None], tokens, 0).astype("int32")
    y = ((tokens * (tokens > 0)).sum(axis=1) > 5 * lengths).astype("float32")[:, None]
    return {"x": tokens, "y": y}


def _layer(kl, kind, **kwargs):
    if kind == "GRU_v1":
        return kl.layers.GRU(4, reset_after=False, **kwargs)
    return getattr(kl.layers, kind)(4, **kwargs)


KINDS = ("SimpleRNN", "LSTM", "GRU", "GRU_v1")


def _masked_case(kind, masking, return_sequences):
    def program(s):
        kl = s.kl
        if masking == "embedding":
            front = [kl.Input((6,), dtype="int32"), kl.layers.Embedding(10, 3, mask_zero=True)]
        elif masking == "masking":
            front = [kl.Input((6, 3)), kl.layers.Masking(0.0)]
        else:
            front = [kl.Input((6, 3))]
        head = kl.layers.Dense(1, activation=None if return_sequences else "sigmoid")
        model = kl.Sequential(front + [_layer(kl, kind, return_sequences=return_sequences), head])
        model.compile(optimizer=kl.optimizers.SGD(0.1),
                      loss="mse" if return_sequences else "binary_crossentropy",
                      metrics=["mae"] if return_sequences else ["accuracy"])
        y = s.d["y_seq"] if return_sequences and "y_seq" in s.d else s.d["y"]
        if return_sequences and masking == "embedding":
            y = np.repeat(s.d["y"][:, None, :], 6, axis=1)
        train_and_report(s, model, s.d["x"], y)

    data = _tokens if masking == "embedding" else _padded
    suffix = "seq" if return_sequences else "last"
    if return_sequences and masking != "none":
        # Keras 3.15 on JAX drops the output's mask before the training metrics (the loss keeps it); Keras on
        # torch applies it, as Keras documents
        return Case(f"recurrent/{kind}/{masking}/{suffix}", program, data, backend="torch",
                    differs="masked-training-metrics-on-jax")
    return Case(f"recurrent/{kind}/{masking}/{suffix}", program, data)


def _program_case(name, build, data=_padded, loss="binary_crossentropy", target="y", **fit):
    def program(s):
        kl = s.kl
        model = build(kl)
        model.compile(optimizer=kl.optimizers.SGD(0.1), loss=loss)
        train_and_report(s, model, s.d["x"], s.d[target], **fit)

    return Case(f"recurrent/{name}", program, data)


def _bidirectional(mode, masked):
    def build(kl):
        inputs = kl.Input((6, 3))
        h = kl.layers.Masking(0.0)(inputs) if masked else inputs
        h = kl.layers.Bidirectional(kl.layers.LSTM(3, return_sequences=True), merge_mode=mode)(h)
        if mode is None:
            h = kl.layers.Concatenate()(h)
        h = kl.layers.GlobalAveragePooling1D()(h)
        return kl.Model(inputs, kl.layers.Dense(1, activation="sigmoid")(h))

    return _program_case(f"Bidirectional/{mode}/{'masked' if masked else 'plain'}", build)


def _return_state(kind):
    def build(kl):
        inputs = kl.Input((6, 3))
        outputs = _layer(kl, kind, return_state=True, return_sequences=True)(inputs)
        sequence, states = outputs[0], outputs[1:]
        joined = kl.layers.Concatenate()([kl.layers.GlobalAveragePooling1D()(sequence)] + list(states))
        return kl.Model(inputs, kl.layers.Dense(1, activation="sigmoid")(joined))

    return _program_case(f"{kind}/return_state", build)


def _stateful(kind):
    """Four streams of 8 chunks: each chunk continues the previous one's state; reset between epochs."""
    def data(rng):
        x = sequences(rng, n=32, t=4, f=2)
        return {"x": x, "y": targets("real:1", x.sum(axis=1), rng)}

    def program(s):
        kl = s.kl
        # use_cudnn=False: Keras on torch's fused path fails to train a stateful LSTM/GRU (an autograd error)
        options = {} if kind == "SimpleRNN" else {"use_cudnn": False}
        model = kl.Sequential([kl.Input(batch_shape=(4, 4, 2)), _layer(kl, kind, stateful=True, **options),
                               kl.layers.Dense(1)])
        model.compile(optimizer=kl.optimizers.SGD(0.05), loss="mse")
        s.start(model)
        losses = []
        for _ in range(2):
            losses.append(model.fit(s.d["x"], s.d["y"], batch_size=4, epochs=1, shuffle=False,
                                    verbose=0).history["loss"][0])
            model.layers[0].reset_state()   # Keras 3's name
        s.out["history"] = {"loss": losses}
        s.out["predict"] = model.predict(s.d["x"], batch_size=4, verbose=0)
        s.out["predict_again"] = model.predict(s.d["x"][:4], batch_size=4, verbose=0)
        s.out["weights"] = model.get_weights()

    # Keras 3.15 on JAX never updates a stateful layer's states; Keras on torch does as documented
    return Case(f"recurrent/{kind}/stateful", program, data, backend="torch", differs="stateful-rnn-on-jax")


def _simple_builds():
    return [
        ("LSTM/go_backwards", lambda kl: kl.Sequential([kl.Input((6, 3)), kl.layers.LSTM(4, go_backwards=True),
                                                        kl.layers.Dense(1, activation="sigmoid")])),
        ("GRU/go_backwards/masked", lambda kl: kl.Sequential([
            kl.Input((6, 3)), kl.layers.Masking(0.0), kl.layers.GRU(4, go_backwards=True),
            kl.layers.Dense(1, activation="sigmoid")])),
        ("LSTM/stacked", lambda kl: kl.Sequential([
            kl.Input((6, 3)), kl.layers.Masking(0.0), kl.layers.LSTM(4, return_sequences=True),
            kl.layers.LSTM(3), kl.layers.Dense(1, activation="sigmoid")])),
        ("LSTM/activations", lambda kl: kl.Sequential([
            kl.Input((6, 3)), kl.layers.LSTM(4, activation="relu", recurrent_activation="hard_sigmoid",
                                             use_bias=False), kl.layers.Dense(1, activation="sigmoid")])),
        ("GRU/activations", lambda kl: kl.Sequential([
            kl.Input((6, 3)), kl.layers.GRU(4, activation="softsign", recurrent_activation="hard_sigmoid"),
            kl.layers.Dense(1, activation="sigmoid")])),
        ("SimpleRNN/relu", lambda kl: kl.Sequential([
            kl.Input((6, 3)), kl.layers.SimpleRNN(4, activation="relu"), kl.layers.Dense(1, activation="sigmoid")])),
        ("RNN/LSTMCell", lambda kl: kl.Sequential([
            kl.Input((6, 3)), kl.layers.RNN(kl.layers.LSTMCell(4)), kl.layers.Dense(1, activation="sigmoid")])),
        ("RNN/StackedCells", lambda kl: kl.Sequential([
            kl.Input((6, 3)), kl.layers.Masking(0.0),
            kl.layers.RNN(kl.layers.StackedRNNCells([kl.layers.GRUCell(3), kl.layers.SimpleRNNCell(2)])),
            kl.layers.Dense(1, activation="sigmoid")])),
        ("TimeDistributed", lambda kl: kl.Sequential([
            kl.Input((6, 3)), kl.layers.TimeDistributed(kl.layers.Dense(4, activation="tanh")),
            kl.layers.LSTM(3), kl.layers.Dense(1, activation="sigmoid")])),
        ("RepeatVector_seq2seq", lambda kl: kl.Sequential([
            kl.Input((6, 3)), kl.layers.LSTM(4), kl.layers.RepeatVector(2), kl.layers.GRU(3),
            kl.layers.Dense(1, activation="sigmoid")])),
    ]


CASES = [_masked_case(kind, masking, seq) for kind in KINDS for masking in ("none", "masking", "embedding")
         for seq in (False, True)]
CASES += [_bidirectional(mode, masked) for mode in ("concat", "sum", "mul", "ave", None) for masked in (False, True)]
CASES += [_return_state(kind) for kind in ("LSTM", "GRU", "SimpleRNN")]
CASES += [_stateful(kind) for kind in ("LSTM", "GRU", "SimpleRNN")]
CASES += [_program_case(name, build) for name, build in _simple_builds()]
CASES.append(_program_case("LSTM/seq_targets_masked", lambda kl: kl.Sequential([
    kl.Input((6, 3)), kl.layers.Masking(0.0), kl.layers.LSTM(4, return_sequences=True),
    kl.layers.TimeDistributed(kl.layers.Dense(1))]), loss="mse", target="y_seq"))
