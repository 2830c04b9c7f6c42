"""Recurrent layers, cells and wrappers against NumPy references written from Keras's formulas.

``CASES`` holds one row per layer configuration (the lead's ``run_layer_test`` reuses it): a factory, an input
shape, and a NumPy forward ``reference(x, weights, mask) -> list of outputs``.
"""
import numpy as np
import pytest

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit.layers.base import CallContext, Layer
from layerkit.layers.cells import GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells
from layerkit.layers.input_layer import Input
from layerkit.layers.recurrent import GRU, LSTM, RNN, SimpleRNN
from layerkit.layers.wrappers import Bidirectional, TimeDistributed


# ----------------------------------------------------------------------------------------------- NumPy references
def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def simple_step(x, states, w):
    kernel, recurrent, bias = w
    h = np.tanh(x @ kernel + states[0] @ recurrent + bias)
    return h, [h]


def lstm_step(x, states, w):
    kernel, recurrent, bias = w
    h, c = states
    z = x @ kernel + h @ recurrent + bias
    i, f, g, o = np.split(z, 4, axis=-1)
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    h = sigmoid(o) * np.tanh(c)
    return h, [h, c]


def gru_step(reset_after):
    def step(x, states, w):
        kernel, recurrent, bias = w
        h = states[0]
        u = h.shape[-1]
        input_bias, recurrent_bias = (bias[0], bias[1]) if reset_after else (bias, np.zeros_like(bias))
        xz, xr, xh = np.split(x @ kernel + input_bias, 3, axis=-1)
        if reset_after:
            rz, rr, rh = np.split(h @ recurrent + recurrent_bias, 3, axis=-1)
            z, r = sigmoid(xz + rz), sigmoid(xr + rr)
            hh = np.tanh(xh + r * rh)
        else:
            z = sigmoid(xz + h @ recurrent[:, :u])
            r = sigmoid(xr + h @ recurrent[:, u:2 * u])
            hh = np.tanh(xh + (r * h) @ recurrent[:, 2 * u:])
        h = z * h + (1 - z) * hh
        return h, [h]
    return step


def stacked_step(*parts):
    """``parts``: (step, n_weights, n_states) per cell."""
    def step(x, states, w):
        new_states = []
        for cell_step, n_weights, n_states in parts:
            x, cell_states = cell_step(x, states[:n_states], w[:n_weights])
            states, w = states[n_states:], w[n_weights:]
            new_states += cell_states
        return x, new_states
    return step


def doubling_step(x, states, w):
    kernel, recurrent = w
    h = np.tanh(x @ kernel + states[0] @ recurrent)
    return 2 * h, [h]


def run_reference(step, x, weights, state_sizes, mask=None, go_backwards=False, return_sequences=False,
                  return_state=False, initial_states=None):
    """Keras's RNN loop: masked steps keep the previous states and repeat the previous output."""
    batch, steps = x.shape[:2]
    states = [s.copy() for s in initial_states] if initial_states else [np.zeros((batch, n)) for n in state_sizes]
    order = range(steps - 1, -1, -1) if go_backwards else range(steps)
    outputs, previous = [], None
    for t in order:
        output, new_states = step(x[:, t], states, weights)
        if mask is not None:
            keep = mask[:, t:t + 1].astype(bool)
            new_states = [np.where(keep, n, s) for n, s in zip(new_states, states)]
            output = np.where(keep, output, np.zeros_like(output) if previous is None else previous)
        states, previous = new_states, output
        outputs.append(output)
    result = np.stack(outputs, axis=1) if return_sequences else outputs[-1]
    return [result] + states if return_state else [result]


def ref(step, sizes, **options):
    return lambda x, w, mask=None: run_reference(step, x, w, sizes, mask=mask, **options)


class DoublingCell(Layer):
    """A custom cell (no split step) whose output (2h) differs from its state (h): the layer's generic path."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units))
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (self.units, self.units), "orthogonal")
        self.built = True

    def call(self, inputs, states):
        h = T.tanh(T.dot(inputs, self.kernel) + T.dot(states[0], self.recurrent_kernel))
        return 2 * h, [h]

    def get_config(self):
        return {**super().get_config(), "units": self.units}


# variable-length inputs need the scan path (until layerkit_backend.scan exists, only static lengths run)
needs_scan = pytest.mark.skipif(getattr(lb, "scan", None) is None, reason="layerkit_backend.scan not available")


def stacked_cells():
    return StackedRNNCells([SimpleRNNCell(3), LSTMCell(2)])


# name, factory, input shape (batch, time, features), reference
CASES = [
    ("simple_rnn", lambda: SimpleRNN(4), (2, 5, 3), ref(simple_step, [4])),
    ("simple_rnn_seq_state", lambda: SimpleRNN(4, return_sequences=True, return_state=True), (2, 5, 3),
     ref(simple_step, [4], return_sequences=True, return_state=True)),
    ("lstm", lambda: LSTM(4), (2, 5, 3), ref(lstm_step, [4, 4])),
    ("lstm_seq_state", lambda: LSTM(4, return_sequences=True, return_state=True), (2, 5, 3),
     ref(lstm_step, [4, 4], return_sequences=True, return_state=True)),
    ("lstm_backwards", lambda: LSTM(3, go_backwards=True, return_sequences=True), (2, 4, 3),
     ref(lstm_step, [3, 3], go_backwards=True, return_sequences=True)),
    ("lstm_unroll", lambda: LSTM(4, unroll=True, return_state=True), (2, 5, 3),
     ref(lstm_step, [4, 4], return_state=True)),
    ("gru_reset_after", lambda: GRU(4, return_sequences=True), (2, 5, 3),
     ref(gru_step(True), [4], return_sequences=True)),
    ("gru_keras2", lambda: GRU(4, reset_after=False, return_state=True), (2, 5, 3),
     ref(gru_step(False), [4], return_state=True)),
    ("rnn_lstm_cell", lambda: RNN(LSTMCell(3), return_sequences=True), (2, 4, 2),
     ref(lstm_step, [3, 3], return_sequences=True)),
    ("rnn_stacked", lambda: RNN(stacked_cells(), return_state=True), (2, 4, 3),
     ref(stacked_step((simple_step, 3, 1), (lstm_step, 3, 2)), [3, 2, 2], return_state=True)),
    ("rnn_cell_list", lambda: RNN([GRUCell(3), SimpleRNNCell(2)], return_sequences=True), (2, 4, 3),
     ref(stacked_step((gru_step(True), 3, 1), (simple_step, 3, 1)), [3, 2], return_sequences=True)),
    ("rnn_custom_cell", lambda: RNN(DoublingCell(3), return_sequences=True), (2, 4, 2),
     ref(doubling_step, [3], return_sequences=True)),
]


def _random_weights(layer, rng):
    values = [rng.uniform(-0.6, 0.6, w.get_value().shape).astype("float32") for w in layer.weights]
    layer.set_weights(values)
    return [v.astype("float64") for v in values]


def _build(factory, shape):
    layer = factory()
    x = Input(batch_shape=(None,) + shape[1:])
    outputs = layer(x)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    return layer, outputs, lb.function([x], outputs)


@pytest.mark.parametrize("name, factory, shape, reference", CASES, ids=[c[0] for c in CASES])
def test_forward_matches_numpy(name, factory, shape, reference):
    rng = np.random.default_rng(0)
    layer, outputs, f = _build(factory, shape)
    weights = _random_weights(layer, rng)
    x = rng.standard_normal(shape).astype("float32")
    expected = reference(x.astype("float64"), weights)
    got = f(x)
    assert len(got) == len(expected)
    for g, e, symbolic in zip(got, expected, outputs):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)
        assert all(s is None or s == d for s, d in zip(symbolic.type.shape[1:], e.shape[1:]))
    declared = layer.compute_output_shape((None,) + shape[1:])
    declared = declared if isinstance(declared, list) else [declared]
    assert [tuple(d) for d in declared] == [(None,) + e.shape[1:] for e in expected]


@pytest.mark.parametrize("name, factory, shape, reference", CASES, ids=[c[0] for c in CASES])
def test_padding_never_changes_the_result(name, factory, shape, reference):
    """Pre- and post-padded sequences (masked) give the unpadded sequence's final output and states."""
    rng = np.random.default_rng(1)
    batch, steps, features = shape
    layer, functions = factory(), {}
    for length in (steps, steps + 3):   # one graph per length: unroll=True needs a static time dimension
        x, mask = Input(shape=(length, features)), T.tensor("bool", shape=(None, length), name="mask")
        outputs = layer(x, mask=mask)
        functions[length] = lb.function([x, mask], outputs if isinstance(outputs, list) else [outputs])
    weights = _random_weights(layer, rng)
    x = rng.standard_normal(shape).astype("float32")
    unpadded = functions[steps](x, np.ones((batch, steps), bool))
    for pad in ("pre", "post"):
        noise = rng.standard_normal((batch, 3, features)).astype("float32")
        padded = np.concatenate([noise, x] if pad == "pre" else [x, noise], axis=1)
        mask = np.ones((batch, steps + 3), bool)
        mask[:, :3 if pad == "pre" else 0] = False
        mask[:, steps if pad == "post" else steps + 3:] = False
        got = functions[steps + 3](padded, mask)
        expected = reference(padded.astype("float64"), weights, mask=mask)
        for g, e in zip(got, expected):
            np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)
        if not layer.return_sequences:
            for g, u in zip(got, unpadded):
                np.testing.assert_allclose(g, u, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name, factory, shape, reference", CASES, ids=[c[0] for c in CASES])
def test_config_round_trip(name, factory, shape, reference):
    layer = factory()
    config = layer.get_config()
    custom = {"DoublingCell": DoublingCell}
    if isinstance(config.get("cell"), dict) and config["cell"]["class_name"] in custom:
        config["cell"] = DoublingCell.from_config(config["cell"]["config"])
    clone = type(layer).from_config(dict(config))
    again = clone.get_config()
    assert again.keys() == layer.get_config().keys()
    for key, value in layer.get_config().items():
        if key != "cell":
            assert again[key] == value, key


KERAS_KEYS = {
    SimpleRNN: set(),
    LSTM: {"recurrent_activation", "unit_forget_bias", "implementation"},
    GRU: {"recurrent_activation", "implementation", "reset_after"},
}


@pytest.mark.parametrize("cls", list(KERAS_KEYS), ids=lambda c: c.__name__)
def test_keras_config_keys_and_weight_shapes(cls):
    common = {"units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer",
              "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "activity_regularizer",
              "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout",
              "return_sequences", "return_state", "go_backwards", "stateful", "unroll", "name",
              "trainable", "dtype"}
    layer = cls(5)
    assert common | KERAS_KEYS[cls] <= set(layer.get_config())
    layer(Input(shape=(4, 3)))
    gates = {SimpleRNN: 1, LSTM: 4, GRU: 3}[cls]
    bias = (2, 3 * 5) if cls is GRU else (gates * 5,)
    assert [w.get_value().shape for w in layer.weights] == [(3, gates * 5), (5, gates * 5), bias]
    assert [w.name.split("/")[-1] for w in layer.weights] == ["kernel", "recurrent_kernel", "bias"]
    assert layer.units == 5


def test_reads_keras3_configs():
    config = {"name": "lstm_k3", "trainable": True, "dtype": {"class_name": "DTypePolicy", "config": {
        "name": "float32"}}, "units": 2, "use_cudnn": "auto", "seed": None, "zero_output_for_mask": False,
        "return_sequences": False, "unroll": False, "activation": "tanh", "recurrent_activation": "sigmoid"}
    layer = LSTM.from_config(config)
    assert (layer.units, layer.dtype, layer.name) == (2, "float32", "lstm_k3")
    rnn = RNN.from_config({"name": "rnn_k3", "cell": {"class_name": "GRUCell", "config": {
        "units": 3, "reset_after": True, "dtype": {"class_name": "DTypePolicy", "config": {"name": "float32"}}}}})
    assert isinstance(rnn.cell, GRUCell) and rnn.cell.units == 3


def test_lstm_unit_forget_bias_and_orthogonal_recurrent_kernel():
    layer = LSTM(3)
    layer(Input(shape=(2, 4)))
    np.testing.assert_array_equal(layer.cell.bias.get_value(), [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    recurrent = layer.cell.recurrent_kernel.get_value()
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(3), atol=1e-5)


@needs_scan
def test_initial_state_and_time_major():
    rng = np.random.default_rng(2)
    layer = LSTM(3, return_state=True, time_major=True)
    x = T.tensor("float32", shape=(None, None, 2), name="x")
    h0, c0 = T.matrix("h0"), T.matrix("c0")
    outputs = layer(x, initial_state=[h0, c0])
    f = lb.function([x, h0, c0], outputs)
    weights = _random_weights(layer, rng)
    xs = rng.standard_normal((4, 2, 2)).astype("float32")   # (time, batch, features)
    states = [rng.standard_normal((2, 3)).astype("float32") for _ in range(2)]
    expected = run_reference(lstm_step, xs.transpose(1, 0, 2).astype("float64"), weights, [3, 3],
                             return_state=True, initial_states=[s.astype("float64") for s in states])
    for g, e in zip(f(xs, *states), expected):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)


@needs_scan
def test_stateful_continues_like_one_long_sequence():
    rng = np.random.default_rng(3)
    stateful = LSTM(3, stateful=True, return_sequences=True)
    x = Input(batch_shape=(2, None, 2))
    with CallContext() as ctx:
        y = stateful(x)
    f = lb.function([x], y, updates=ctx.updates)
    weights = _random_weights(stateful, rng)
    seq = rng.standard_normal((2, 6, 2)).astype("float32")
    pieces = np.concatenate([f(seq[:, :3]), f(seq[:, 3:])], axis=1)
    expected = run_reference(lstm_step, seq.astype("float64"), weights, [3, 3], return_sequences=True)[0]
    np.testing.assert_allclose(pieces, expected, rtol=1e-4, atol=1e-5)
    stateful.reset_states()
    np.testing.assert_allclose(f(seq[:, :3]), expected[:, :3], rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match="fixed batch size"):
        LSTM(3, stateful=True)(Input(shape=(None, 2)))


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
def test_bidirectional_merge_modes(merge_mode):
    rng = np.random.default_rng(4)
    layer = Bidirectional(GRU(3, return_sequences=True, return_state=True), merge_mode=merge_mode)
    x = Input(shape=(4, 2))
    outputs = layer(x)
    f = lb.function([x], outputs)
    weights = _random_weights(layer, rng)
    xs = rng.standard_normal((2, 4, 2)).astype("float32")
    forward, h_f = run_reference(gru_step(True), xs.astype("float64"), weights[:3], [3], return_sequences=True,
                                 return_state=True)
    backward, h_b = run_reference(gru_step(True), xs.astype("float64"), weights[3:], [3], go_backwards=True,
                                  return_sequences=True, return_state=True)
    backward = backward[:, ::-1]
    merged = {"concat": [np.concatenate([forward, backward], -1)], "sum": [forward + backward],
              "mul": [forward * backward], "ave": [(forward + backward) / 2], None: [forward, backward]}
    expected = merged[merge_mode] + [h_f, h_b]
    got = f(xs)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)
    clone = Bidirectional.from_config(layer.get_config())
    assert clone.merge_mode == merge_mode and clone.backward_layer.go_backwards


@needs_scan
def test_bidirectional_masking_ignores_padding():
    rng = np.random.default_rng(5)
    layer = Bidirectional(LSTM(3))
    x = Input(shape=(None, 2))
    mask = T.tensor("bool", shape=(None, None), name="mask")
    f = lb.function([x, mask], layer(x, mask=mask))
    xs = rng.standard_normal((2, 4, 2)).astype("float32")
    padded = np.concatenate([np.zeros((2, 2, 2), "float32"), xs, np.ones((2, 1, 2), "float32")], axis=1)
    padded_mask = np.array([[0, 0, 1, 1, 1, 1, 0]] * 2, bool)
    np.testing.assert_allclose(f(padded, padded_mask), f(xs, np.ones((2, 4), bool)), rtol=1e-4, atol=1e-5)


class Affine(Layer):
    """A tiny Dense stand-in (kernel then bias) for TimeDistributed."""

    def build(self, input_shape):
        self.kernel = self.add_weight("kernel", (input_shape[-1], 3))
        self.bias = self.add_weight("bias", (3,), "zeros")

    def call(self, inputs):
        return T.dot(inputs, self.kernel) + self.bias


def _dense():
    try:
        from layerkit.layers.core import Dense
    except ImportError:
        return Affine()
    return Dense(3)


def test_time_distributed_dense():
    rng = np.random.default_rng(6)
    layer = TimeDistributed(_dense())
    x = Input(shape=(5, 4))
    y = layer(x)
    assert y.type.shape == (None, 5, 3)
    kernel, bias = _random_weights(layer, rng)
    xs = rng.standard_normal((2, 5, 4)).astype("float32")
    np.testing.assert_allclose(lb.function([x], y)(xs), xs @ kernel + bias, rtol=1e-5, atol=1e-5)


DROPOUT_CASES = [
    ("simple_rnn", SimpleRNN, simple_step, [4], {}),
    ("lstm", LSTM, lstm_step, [4, 4], {}),
    ("gru", GRU, gru_step(True), [4], {}),
    ("gru_keras2", GRU, gru_step(False), [4], {"reset_after": False}),
]


@pytest.mark.parametrize("name, cls, step, sizes, options", DROPOUT_CASES, ids=[c[0] for c in DROPOUT_CASES])
def test_dropout_only_in_training(name, cls, step, sizes, options):
    rng = np.random.default_rng(7)
    layer = cls(4, dropout=0.5, recurrent_dropout=0.5, seed=1, **options)
    x = Input(shape=(5, 3))
    test_out = layer(x, training=False)
    train_out = layer(x, training=True)
    f = lb.function([x], [test_out, train_out])
    weights = _random_weights(layer, rng)
    xs = rng.standard_normal((2, 5, 3)).astype("float32")
    test_value, train_value = f(xs)
    np.testing.assert_allclose(test_value, run_reference(step, xs.astype("float64"), weights, sizes)[0],
                               rtol=1e-4, atol=1e-5)
    assert not np.allclose(train_value, test_value)
    assert not np.allclose(f(xs)[1], train_value)    # fresh masks on every call


def test_lstm_gradient_matches_finite_differences():
    rng = np.random.default_rng(8)
    layer = LSTM(2, dtype="float64", return_sequences=True)
    x = T.tensor("float64", shape=(None, 3, 2), name="x")
    loss = (layer(x) ** 2).sum()
    params = layer.weights
    f_loss = lb.function([x], loss)
    f_grads = lb.function([x], lb.grad(loss, params))
    xs = rng.standard_normal((2, 3, 2))
    for param, grad in zip(params, f_grads(xs)):
        value = param.get_value()
        numeric = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            for sign in (1, -1):
                shifted = value.copy()
                shifted[index] += sign * 1e-6
                param.set_value(shifted)
                numeric[index] += sign * f_loss(xs) / 2e-6
        param.set_value(value)
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)
    lb.gradient.verify_grad(lambda v: (layer(T.specify_shape(v, (2, 3, 2))) ** 2).sum(),
                            [rng.standard_normal((2, 3, 2))], rng=rng)


def test_training_reduces_the_loss():
    rng = np.random.default_rng(9)
    layer = GRU(4)
    readout = Affine()
    x, target = Input(shape=(6, 2)), T.matrix("target")
    loss = ((readout(layer(x, training=True)) - target) ** 2).mean()
    params = layer.trainable_weights + readout.trainable_weights
    updates = [(p, p - 0.5 * g) for p, g in zip(params, lb.grad(loss, params))]
    train = lb.function([x, target], loss, updates=updates)
    xs = rng.standard_normal((16, 6, 2)).astype("float32")
    ys = np.stack([xs[:, :, 0].sum(1), xs[:, -1, 1], xs[:, 0, 1]], axis=1).astype("float32") / 3
    losses = [float(train(xs, ys)) for _ in range(30)]
    assert losses[-1] < 0.7 * losses[0]


def test_errors_name_the_layer():
    with pytest.raises(ValueError, match="initial_state expected 2"):
        LSTM(3)(Input(shape=(4, 2)), initial_state=[T.matrix("h")])
    with pytest.raises(ValueError, match="static number of time steps"):
        LSTM(3, unroll=True)(Input(shape=(None, 2)))
    with pytest.raises(ValueError, match="merge_mode"):
        Bidirectional(LSTM(2), merge_mode="max")
    with pytest.raises(AttributeError, match="stateful=True"):
        LSTM(2).reset_states()


# mask source -> (layer making the mask, input array for the padded and the unpadded sequence)
MASK_SOURCES = [
    ("embedding_mask_zero", "embedding"),
    ("masking", "masking"),
]


@pytest.mark.parametrize("name, source", MASK_SOURCES, ids=[m[0] for m in MASK_SOURCES])
@needs_scan
def test_mask_flows_end_to_end(name, source):
    """A mask made upstream (Embedding(mask_zero=True) or Masking) reaches the RNN; padding changes nothing."""
    core = pytest.importorskip("layerkit.layers.core")
    embedding = pytest.importorskip("layerkit.layers.embedding")
    rng = np.random.default_rng(10)
    if source == "embedding":
        x = Input(shape=(None,), dtype="int64")
        features = embedding.Embedding(6, 3, mask_zero=True)(x)
        unpadded = rng.integers(1, 6, (2, 4))
        padded = np.concatenate([np.zeros((2, 2), int), unpadded, np.zeros((2, 1), int)], axis=1)
    else:
        x = Input(shape=(None, 3))
        features = core.Masking(0.0)(x)
        unpadded = rng.standard_normal((2, 4, 3)).astype("float32")
        padded = np.concatenate([np.zeros((2, 2, 3), "float32"), unpadded, np.zeros((2, 1, 3), "float32")], 1)
    sequences = Bidirectional(GRU(3, return_sequences=True))(features)
    assert sequences._keras_mask is not None
    last = LSTM(2)(sequences)
    assert last._keras_mask is None
    f = lb.function([x], last)
    np.testing.assert_allclose(f(padded), f(unpadded), rtol=1e-4, atol=1e-5)
