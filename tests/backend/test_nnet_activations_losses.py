"""Neural-network activations, softmax/logsumexp and losses (layerkit_backend.tensor.nnet), one opcheck row each,
and the stabilize rewrites that keep softmax, logsumexp and cross-entropy finite for logits of magnitude 1000."""
import numpy as np
import pytest
import scipy.special

import layerkit_backend as lb
import layerkit_backend.tensor as T
import layerkit_backend.tensor.nnet as nnet
from layerkit_backend.tensor.nnet.activations import SELU_ALPHA, SELU_SCALE
from opcheck import BINARY_SHAPES, F64, UNARY_SHAPES, OpSpec, check_op, params

I64 = "int64"
K = 4  # classes in every integer-label row, so that labels drawn in [0, K) are valid


def _prob(rng, shape, dtype):
    return rng.uniform(0.05, 0.95, size=shape)


def _labels(rng, shape, dtype):
    return rng.integers(0, K, size=shape)


# -- NumPy references (each keeps float32 float32) ------------------------------------------------------------
def _np_softmax(x, axis=-1):
    if x.shape[axis] == 0:
        return x.copy()
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _np_log_softmax(x, axis=-1):
    if x.shape[axis] == 0:
        return x.copy()
    s = x - x.max(axis=axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


def _np_logsumexp(x, axis=None, keepdims=False):
    m = x.max(axis=axis, keepdims=True)
    out = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis) if axis is not None else out.reshape(())


def _np_elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _np_one_hot(y, dtype):
    return (y[..., None] == np.arange(K)).astype(dtype)


def _np_label_ce(p, y):
    return -np.log(np.take_along_axis(p, y[..., None], axis=-1)[..., 0])


def _np_gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh((2 / np.pi) ** 0.5 * (x + 0.044715 * x ** 3)))


def unary(name, fn, ref, domain="nonzero", **kw):
    # nonzero: no value within a finite-difference step of the kink at 0 (relu, elu, softsign)
    return OpSpec(name, fn, ref, UNARY_SHAPES, domain=domain, grad=True, **kw)


ACTIVATION_ROWS = [
    unary("sigmoid", nnet.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    unary("hard_sigmoid", nnet.hard_sigmoid, lambda x: np.clip(0.2 * x + 0.5, 0, 1)),
    unary("softplus", nnet.softplus, lambda x: np.logaddexp(0, x)),
    unary("softsign", nnet.softsign, lambda x: x / (1 + np.abs(x))),
    unary("relu", nnet.relu, lambda x: np.maximum(x, 0)),
    # Theano's relu is 0.5 * (x + |x|): its gradient at 0 is 0.5 (the row tensor.relu, Keras's, has 0 there)
    OpSpec("relu_gradient_at_zero", lambda x: lb.grad(nnet.relu(x).sum(), x), lambda x: np.where(
        x > 0, 1.0, np.where(x < 0, 0.0, 0.5)), [((5,),)], domain=lambda rng, s, d: rng.integers(-1, 2, size=s),
           float32=False),
    unary("relu_leaky", lambda x: nnet.relu(x, 0.1), lambda x: np.where(x > 0, x, 0.1 * x)),
    unary("elu", nnet.elu, _np_elu),
    unary("elu_alpha", lambda x: nnet.elu(x, 0.5), lambda x: _np_elu(x, 0.5)),
    unary("selu", nnet.selu, lambda x: SELU_SCALE * _np_elu(x, SELU_ALPHA)),
    unary("gelu", nnet.gelu, lambda x: 0.5 * x * (1 + scipy.special.erf(x / 2 ** 0.5))),
    unary("gelu_tanh", lambda x: nnet.gelu(x, approximate=True), _np_gelu_tanh),
    unary("swish", nnet.swish, lambda x: x * scipy.special.expit(x)),
    unary("silu", nnet.silu, lambda x: x * scipy.special.expit(x)),
]

# Shapes with a class axis: size 1 and 0 on either side, and rank 1 and 3.
AXIS_SHAPES = [((5,),), ((3, 4),), ((1, 4),), ((3, 1),), ((0, 4),), ((3, 0),), ((2, 3, 4),), ((1, 1),)]
NONEMPTY_REDUCED = [s for s in AXIS_SHAPES if 0 not in s[0]] + [((0, 4),)]

THEANO_SHAPES = [s for s in AXIS_SHAPES if len(s[0]) <= 2]  # Theano's softmax takes vectors and matrices


def _as_theano_rows(fn):
    # Theano's softmax (no axis given) makes a vector a (1, n) row
    return lambda x, *rest: fn(x[None] if x.ndim == 1 else x, *rest)


SOFTMAX_ROWS = [
    OpSpec("softmax", nnet.softmax, _as_theano_rows(_np_softmax), THEANO_SHAPES, grad=True),
    OpSpec("softmax_last_axis", lambda x: nnet.softmax(x, axis=-1), _np_softmax, AXIS_SHAPES, grad=True),
    OpSpec("softmax_axis0", lambda x: nnet.softmax(x, axis=0), lambda x: _np_softmax(x, 0), AXIS_SHAPES,
           grad=True),
    OpSpec("log_softmax", nnet.log_softmax, _as_theano_rows(_np_log_softmax), THEANO_SHAPES, grad=True),
    OpSpec("log_softmax_last_axis", lambda x: nnet.log_softmax(x, axis=-1), _np_log_softmax, AXIS_SHAPES, grad=True),
    OpSpec("logsoftmax_axis0", lambda x: nnet.logsoftmax(x, 0), lambda x: _np_log_softmax(x, 0), AXIS_SHAPES,
           grad=True),
    OpSpec("softmax_with_bias", nnet.softmax_with_bias, lambda x, b: _np_softmax(x + b),
           [((3, 4), (4,)), ((1, 1), (1,)), ((0, 3), (3,))], grad=True),
    OpSpec("logsumexp_all", nnet.logsumexp, _np_logsumexp, [s for s in AXIS_SHAPES if 0 not in s[0]],
           grad=True),
    OpSpec("logsumexp_last", lambda x: nnet.logsumexp(x, axis=-1), lambda x: _np_logsumexp(x, -1),
           NONEMPTY_REDUCED, grad=True),
    OpSpec("logsumexp_keepdims", lambda x: nnet.logsumexp(x, axis=-1, keepdims=True),
           lambda x: _np_logsumexp(x, -1, keepdims=True), NONEMPTY_REDUCED, grad=True),
    OpSpec("logsumexp_two_axes", lambda x: nnet.logsumexp(x, axis=(0, 2)), lambda x: _np_logsumexp(x, (0, 2)),
           [((2, 3, 4),), ((1, 0, 1),), ((1, 1, 1),)], grad=True),
]

ONE_HOT_SHAPES = [((3, 4), (3, 4)), ((1, 4), (1, 4)), ((3, 1), (3, 1)), ((4,), (4,)), ((0, 4), (0, 4)),
                  ((2, 3, 4), (2, 3, 4))]
LABEL_SHAPES = [((3, K), (3,)), ((1, K), (1,)), ((K,), ()), ((0, K), (0,)), ((2, 3, K), (2, 3))]
LABELS = [(F64, I64)]

LOSS_ROWS = [
    OpSpec("categorical_crossentropy_one_hot", nnet.categorical_crossentropy,
           lambda p, t: -(t * np.log(p)).sum(axis=-1), ONE_HOT_SHAPES, domain=(_prob, "real"), grad=True),
    OpSpec("categorical_crossentropy_labels", nnet.categorical_crossentropy, _np_label_ce, LABEL_SHAPES,
           dtypes=LABELS, domain=(_prob, _labels), grad=True),
    OpSpec("softmax_crossentropy_one_hot", nnet.softmax_crossentropy_with_logits,
           lambda x, t: -(t * _np_log_softmax(x)).sum(axis=-1), ONE_HOT_SHAPES, grad=True),
    OpSpec("softmax_crossentropy_labels", nnet.softmax_crossentropy_with_logits,
           lambda x, y: _np_label_ce(_np_softmax(x), y), LABEL_SHAPES, dtypes=LABELS, domain=("real", _labels),
           grad=True),
    OpSpec("binary_crossentropy", nnet.binary_crossentropy,
           lambda p, t: -(t * np.log(p) + (1 - t) * np.log(1 - p)), BINARY_SHAPES, domain=(_prob, _prob),
           grad=True),
    OpSpec("sigmoid_binary_crossentropy", nnet.sigmoid_binary_crossentropy,
           lambda x, t: np.logaddexp(0, x) - x * t, BINARY_SHAPES, domain=("real", _prob), grad=True),
]

# The gradient ops, as rows of their own: their gradients (second derivatives of the losses) are checked too.
GRAD_SHAPES = [((3, 4), (3, 4)), ((1, 1), (1, 1)), ((0, 4), (0, 4)), ((2, 3, 4), (2, 3, 4))]
GRAD_ROWS = [
    OpSpec("softmax_grad", lambda g, sm: nnet.SoftmaxGrad(sm.ndim - 1)(g, sm),
           lambda g, sm: (g - (g * sm).sum(axis=-1, keepdims=True)) * sm, GRAD_SHAPES, domain=("real", _prob),
           grad=True),
    OpSpec("categorical_crossentropy_grad", lambda g, p, t: nnet.CategoricalCrossentropyGrad()(g, p, t),
           lambda g, p, t: -g[..., None] * t / p, [((3,), (3, 4), (3, 4)), ((), (4,), (4,)), ((0,), (0, 4), (0, 4))],
           domain=("real", _prob, "real"), grad=True),
]


@pytest.mark.parametrize("spec", params(ACTIVATION_ROWS + SOFTMAX_ROWS + LOSS_ROWS + GRAD_ROWS))
def test_nnet_op(spec):
    check_op(spec)


# -- stabilize rewrites: each gives finite values for logits of magnitude 1000, and gives inf/NaN when excluded --
BIG = np.array([[1000.0, 0.0, -1000.0], [3.0, 1.0, 2.0]])
LABEL = np.array([2, 1])
ONE_HOT = np.eye(3)[LABEL]


def _loss_labels(x):
    return nnet.categorical_crossentropy(nnet.softmax(x), T.constant(LABEL)).sum()


def _loss_one_hot(x):
    return nnet.categorical_crossentropy(nnet.softmax(x), T.constant(ONE_HOT)).sum()


REWRITE_CASES = [
    # (id, rewrite names, build(x) -> output, NumPy reference)
    ("log_softmax", ["local_log_softmax"], lambda x: T.log(nnet.softmax(x)), _np_log_softmax(BIG)),
    ("logsumexp", ["local_logsumexp"], lambda x: T.log(T.exp(x).sum(axis=1)), _np_logsumexp(BIG, 1)),
    ("crossentropy", ["local_softmax_crossentropy"], _loss_labels,
     -np.take_along_axis(_np_log_softmax(BIG), LABEL[:, None], axis=-1).sum()),
    ("crossentropy_grad", ["local_softmax_crossentropy_grad"], lambda x: lb.grad(_loss_labels(x), x),
     _np_softmax(BIG) - ONE_HOT),
    ("crossentropy_grad_one_hot", ["local_softmax_crossentropy_grad"], lambda x: lb.grad(_loss_one_hot(x), x),
     _np_softmax(BIG) - ONE_HOT),
]


@pytest.mark.parametrize("names, build, ref", [c[1:] for c in REWRITE_CASES], ids=[c[0] for c in REWRITE_CASES])
def test_stabilize_rewrite_keeps_large_logits_finite(names, build, ref):
    x = T.dmatrix("x")
    out = build(x)
    with np.errstate(all="ignore"):
        stable = lb.function([x], out)(BIG)
        unstable = lb.function([x], out, mode=lb.Mode(excluding=names))(BIG)
    np.testing.assert_allclose(stable, ref, rtol=1e-12)
    assert np.all(np.isfinite(stable)), f"{names}: {stable}"
    assert not np.all(np.isfinite(unstable)), f"{names} excluded, still finite: the test would not catch a loss"


def test_crossentropy_value_with_large_logits():
    # the loss of example 0 is logsumexp(BIG[0]) - BIG[0, 2] = 1000 - (-1000) = 2000
    x = T.dmatrix("x")
    got = lb.function([x], nnet.categorical_crossentropy(nnet.softmax(x), T.constant(LABEL)))(BIG)
    np.testing.assert_allclose(got, [2000.0, -_np_log_softmax(BIG[1:])[0, 1]], rtol=1e-12)


def test_log_softmax_rewrite_replaces_the_log():
    x = T.dmatrix("x")
    ops = [type(n.op).__name__ for n in lb.function([x], T.log(nnet.softmax(x))).maker.fgraph.toposort()]
    assert ops == ["LogSoftmax"], ops


def test_fused_crossentropy_gradient_is_softmax_minus_one_hot():
    x, y = T.tensor("float32", shape=(None, None), name="x"), T.lvector("y")
    loss = nnet.softmax_crossentropy_with_logits(x, y)
    assert loss.dtype == "float32"
    f = lb.function([x, y], [loss, lb.grad(loss.sum(), x)])
    big = BIG.astype("float32")
    value, g = f(big, LABEL)
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, _np_softmax(BIG) - ONE_HOT, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(value, [2000.0, -_np_log_softmax(BIG[1:])[0, 1]], rtol=1e-6)


def test_model_trained_on_logits_of_magnitude_1000_stays_finite():
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(32, 8))
    labels = rng.integers(0, 3, size=32)
    w = lb.shared(rng.normal(size=(8, 3)) * 400.0, name="w")  # logits of magnitude ~1000
    b = lb.shared(np.zeros(3), name="b")
    x, y = T.dmatrix("x"), T.lvector("y")
    logits = T.dot(x, w) + b
    loss = nnet.categorical_crossentropy(nnet.softmax(logits), y).mean()
    gw, gb = lb.grad(loss, [w, b])
    with np.errstate(all="ignore"):  # without the rewrites, the same first step is not finite
        naive = lb.function([x, y], [loss, gw], mode=lb.Mode(excluding=["local_softmax_crossentropy",
                                                                         "local_softmax_crossentropy_grad"]))
        assert not all(np.all(np.isfinite(v)) for v in naive(inputs, labels))
    step = lb.function([x, y], [loss, gw, gb, abs(logits).max()], updates=[(w, w - 0.01 * gw), (b, b - 0.01 * gb)])
    losses = []
    for _ in range(20):
        value, g_w, g_b, biggest = step(inputs, labels)
        assert np.isfinite(value) and np.all(np.isfinite(g_w)) and np.all(np.isfinite(g_b))
        losses.append(float(value))
    assert biggest > 500, "the logits were not large: the test would not exercise the stable path"
    assert losses[-1] < losses[0]


def test_logsumexp_of_infinite_slices():
    x = T.dmatrix("x")
    with np.errstate(divide="ignore"):  # log(0) = -inf is the answer for the all -inf row
        got = nnet.logsumexp(x, axis=1).eval({x: np.array([[-np.inf, -np.inf], [np.inf, 0.0], [1000.0, 1000.0]])})
    np.testing.assert_allclose(got, [-np.inf, np.inf, 1000.0 + np.log(2.0)])


ERROR_CASES = [
    ("softmax_0d", lambda: nnet.softmax(T.dscalar(), axis=-1), ValueError, "at least one dimension"),
    ("softmax_theano_3d", lambda: nnet.softmax(T.dtensor3()), TypeError, "expected a float vector or matrix"),
    ("softmax_theano_int", lambda: nnet.softmax(T.imatrix()), TypeError, "expected a float vector or matrix"),
    ("softmax_axis", lambda: nnet.softmax(T.dmatrix(), axis=2), ValueError, "out of range"),
    ("crossentropy_rank", lambda: nnet.categorical_crossentropy(T.dmatrix(), T.dtensor3()), ValueError,
     "one-hot target of rank 2 or integer labels of rank 1"),
    ("crossentropy_float_labels", lambda: nnet.categorical_crossentropy(T.dmatrix(), T.dvector()), ValueError,
     "integer labels of rank 1"),
]


@pytest.mark.parametrize("build, error, message", [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES])
def test_errors_say_what_was_expected(build, error, message):
    with pytest.raises(error, match=message):
        build()


def test_nnet_is_a_package_with_theano_names():
    assert T.nnet is nnet
    for name in nnet.__all__:
        assert hasattr(nnet, name), name
    assert {"sigmoid", "softmax", "relu", "categorical_crossentropy", "binary_crossentropy"} <= set(nnet.__all__)
