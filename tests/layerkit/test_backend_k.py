"""layerkit.backend (K): functions vs NumPy (one row per case), conv/pool padding, K.rnn with masks vs a hand
loop, variables and K.function."""
import numpy as np
import pytest

import layerkit_backend as lb
from layerkit import backend as K

rng = np.random.default_rng(2)
A = rng.normal(size=(2, 3, 4)).astype("float32")
B = rng.normal(size=(2, 4, 5)).astype("float32")
M = rng.normal(size=(3, 4)).astype("float32")


def _ph(a):
    return K.placeholder(shape=(None,) + a.shape[1:], dtype=str(a.dtype))


CASES = [  # (name, builds the output from placeholders, inputs, NumPy reference)
    ("dot_nd", lambda a, b: K.dot(a, b), [M, B], lambda m, b: np.dot(m, b)),
    ("batch_dot", lambda a, b: K.batch_dot(a, b, axes=(2, 1)), [A, B], lambda a, b: np.einsum("bij,bjk->bik", a, b)),
    ("batch_dot_vec", lambda a, b: K.batch_dot(a, b, axes=1), [M, M], lambda a, b: (a * b).sum(1, keepdims=True)),
    ("sum_keepdims", lambda a: K.sum(a, axis=1, keepdims=True), [A], lambda a: a.sum(1, keepdims=True)),
    ("std", lambda a: K.std(a, axis=-1), [A], lambda a: a.std(-1)),
    ("argmax", lambda a: K.argmax(a), [A], lambda a: a.argmax(-1)),
    ("sqrt_clips", lambda a: K.sqrt(a), [M], lambda a: np.sqrt(np.maximum(a, 0))),
    ("clip", lambda a: K.clip(a, -0.5, 0.5), [M], lambda a: np.clip(a, -0.5, 0.5)),
    ("round_half_even", lambda a: K.round(a * 0 + 2.5), [M], lambda a: np.full_like(a, 2.0)),
    ("concatenate", lambda a: K.concatenate([a, a]), [A], lambda a: np.concatenate([a, a], -1)),
    ("permute", lambda a: K.permute_dimensions(a, (0, 2, 1)), [A], lambda a: a.transpose(0, 2, 1)),
    ("expand_squeeze", lambda a: K.squeeze(K.expand_dims(a, 1), 1), [M], lambda a: a),
    ("repeat", lambda a: K.repeat(a, 3), [M], lambda a: np.repeat(a[:, None], 3, 1)),
    ("repeat_elements", lambda a: K.repeat_elements(a, 2, axis=1), [M], lambda a: np.repeat(a, 2, 1)),
    ("tile", lambda a: K.tile(a, (2, 1)), [M], lambda a: np.tile(a, (2, 1))),
    ("batch_flatten", lambda a: K.batch_flatten(a), [A], lambda a: a.reshape(2, -1)),
    ("stack", lambda a: K.stack([a, a], axis=1), [M], lambda a: np.stack([a, a], 1)),
    ("one_hot", lambda a: K.one_hot(a, 4), [np.array([1, 3, 0])], lambda a: np.eye(4)[a]),
    ("l2_normalize", lambda a: K.l2_normalize(a, axis=-1), [M],
     lambda a: a / np.sqrt((a ** 2).sum(-1, keepdims=True))),
    ("switch", lambda a: K.switch(K.greater(K.sum(a, axis=1), 0), a, -a), [M],
     lambda a: np.where(a.sum(1, keepdims=True) > 0, a, -a)),
    ("softmax", lambda a: K.softmax(a), [M], lambda a: np.exp(a) / np.exp(a).sum(-1, keepdims=True)),
    ("binary_crossentropy", lambda a: K.binary_crossentropy(a * 0 + 1, K.sigmoid(a)), [M],
     lambda a: np.log1p(np.exp(-a))),
    ("bias_add", lambda a: K.bias_add(a, K.constant([1.0, 2.0, 3.0, 4.0])), [M], lambda a: a + [1, 2, 3, 4]),
]


@pytest.mark.parametrize("name,build,inputs,reference", CASES, ids=[c[0] for c in CASES])
def test_k_function_matches_numpy(name, build, inputs, reference):
    placeholders = [_ph(a) for a in inputs]
    out = K.function(placeholders, [build(*placeholders)])(inputs)[0]
    np.testing.assert_allclose(out, reference(*inputs), rtol=1e-5, atol=1e-6)


def _np_conv2d(x, k, stride, pads):
    x = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    kh, kw = k.shape[:2]
    rows = (x.shape[1] - kh) // stride[0] + 1
    cols = (x.shape[2] - kw) // stride[1] + 1
    out = np.zeros((x.shape[0], rows, cols, k.shape[3]))
    for i in range(rows):
        for j in range(cols):
            patch = x[:, i * stride[0]:i * stride[0] + kh, j * stride[1]:j * stride[1] + kw]
            out[:, i, j] = np.tensordot(patch, k, axes=3)
    return out


@pytest.mark.parametrize("kernel,strides,padding,pads", [
    ((3, 3), (1, 1), "valid", ((0, 0), (0, 0))),
    ((3, 3), (1, 1), "same", ((1, 1), (1, 1))),
    ((2, 2), (2, 2), "same", ((0, 1), (0, 1))),
    ((2, 3), (1, 2), "same", ((0, 1), (1, 1))),
])
def test_conv2d_channels_last(kernel, strides, padding, pads):
    x = rng.normal(size=(2, 5, 5, 3)).astype("float32")
    k = rng.normal(size=kernel + (3, 4)).astype("float32")
    xv, kv = K.placeholder(shape=x.shape), K.placeholder(shape=k.shape)
    out = K.conv2d(xv, kv, strides=strides, padding=padding)
    value = K.function([xv, kv], [out])([x, k])[0]
    expected = _np_conv2d(x, k, strides, pads)
    assert K.int_shape(out) == expected.shape
    np.testing.assert_allclose(value, expected, rtol=1e-4, atol=1e-4)


def test_conv1d_causal():
    x = rng.normal(size=(2, 6, 3)).astype("float32")
    k = rng.normal(size=(3, 3, 2)).astype("float32")
    xv, kv = K.placeholder(shape=x.shape), K.placeholder(shape=k.shape)
    value = K.function([xv, kv], [K.conv1d(xv, kv, padding="causal")])([x, k])[0]
    expected = _np_conv2d(x[:, None], k[None], (1, 1), ((0, 0), (2, 0)))[:, 0]
    np.testing.assert_allclose(value, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_pool2d_same_excludes_padding(mode):
    x = rng.normal(size=(1, 5, 5, 2)).astype("float32")
    xv = K.placeholder(shape=x.shape)
    value = K.function([xv], [K.pool2d(xv, (2, 2), strides=(2, 2), padding="same", pool_mode=mode)])([x])[0]
    reduce = np.max if mode == "max" else np.mean
    expected = np.array([[[reduce(x[0, i:i + 2, j:j + 2, c]) for c in range(2)] for j in (0, 2, 4)]
                         for i in (0, 2, 4)])[None]
    np.testing.assert_allclose(value, expected, rtol=1e-6)


def _hand_rnn(x, h0, w, u, mask, backwards):
    """The reference loop: h = tanh(x_t w + h u); masked steps keep h and repeat the previous output."""
    steps = range(x.shape[1])[::-1] if backwards else range(x.shape[1])
    h, prev, outputs = h0.copy(), np.zeros_like(h0), []
    for t in steps:
        new = np.tanh(x[:, t] @ w + h @ u)
        keep = mask[:, t:t + 1] > 0 if mask is not None else np.ones((len(x), 1), bool)
        h = np.where(keep, new, h)
        prev = np.where(keep, new, prev)
        outputs.append(prev)
    return prev, np.stack(outputs, 1), h


@pytest.mark.parametrize("unroll", [True, False], ids=["unrolled", "scan"])
@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_rnn_with_mask_matches_hand_loop(masked, go_backwards, unroll):
    x = rng.normal(size=(3, 5, 2)).astype("float32")
    h0 = rng.normal(size=(3, 4)).astype("float32")
    w, u = rng.normal(size=(2, 4)).astype("float32"), rng.normal(size=(4, 4)).astype("float32") * 0.5
    mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [0, 1, 0, 1, 0]], "float32") if masked else None
    xv, hv, mv = K.placeholder(shape=(None, 5, 2)), K.placeholder(shape=(None, 4)), K.placeholder(shape=(None, 5))
    wv, uv = K.variable(w), K.variable(u)

    def step(x_t, states):
        h = K.tanh(K.dot(x_t, wv) + K.dot(states[0], uv))
        return h, [h]

    last, outputs, states = K.rnn(step, xv, [hv], go_backwards=go_backwards, mask=mv if masked else None,
                                  unroll=unroll)
    got = K.function([xv, hv, mv], [last, outputs, states[0]])([x, h0, mask if masked else np.ones((3, 5))])
    for value, expected in zip(got, _hand_rnn(x, h0, w, u, mask, go_backwards)):
        np.testing.assert_allclose(value, expected, rtol=1e-5, atol=1e-6)
    grads = K.gradients(K.sum(outputs), [wv, uv])
    assert all(np.isfinite(g).all() for g in K.function([xv, hv, mv], grads)([x, h0, np.ones((3, 5))]))


def test_variables_values_and_updates():
    v = K.variable(np.ones((2, 3)), name="v")
    assert K.int_shape(v) == (2, 3) and K.dtype(v) == "float32" and K.count_params(v) == 6
    K.set_value(v, np.full((2, 3), 2.0))
    step = K.function([], [K.sum(v)], updates=[K.update_add(v, K.ones_like(v))])
    assert step([])[0] == 12.0 and float(K.eval(K.sum(v))) == 18.0
    K.batch_set_value([(v, np.zeros((2, 3)))])
    assert K.batch_get_value([v])[0].sum() == 0
    assert K.in_train_phase(1, 2, training=True) == 1 and K.in_train_phase(1, 2) == 2
    assert K.in_test_phase(1, 2, training=False) == 1


def test_random_and_dropout_are_symbolic():
    x = K.placeholder(shape=(None, 1000))
    f = K.function([x], [K.dropout(x, 0.5, seed=1), K.random_uniform((3,), seed=2)])
    dropped, u = f([np.ones((2, 1000))])
    assert set(np.unique(dropped)) <= {0.0, 2.0} and 0.4 < (dropped == 0).mean() < 0.6
    assert ((u >= 0) & (u < 1)).all()
    assert not np.array_equal(f([np.ones((2, 1000))])[0], dropped)
