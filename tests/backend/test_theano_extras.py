"""Theano's remaining tensor and nnet functions, one opcheck row each against NumPy (finite-difference gradients
for the differentiable ones): roll, choose, ptp, stacklists, mgrid/ogrid, tri/tril/triu, searchsorted, unique,
compress, fill_diagonal_offset, isclose, images2neibs/neibs2images, conv3d, pool_3d, batch_normalization and ctc."""
import itertools

import numpy as np
import pytest

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit_backend.tensor import extra_ops
from layerkit_backend.tensor.nnet import bn, conv3d, ctc, neighbours
from layerkit_backend.tensor.signal.pool import pool_3d
from opcheck import UNARY_SHAPES, OpSpec, check_op, params

F64, I64 = "float64", "int64"


def _indices(n):
    return lambda rng, s, d: rng.integers(0, n, size=s)


def _sorted(rng, s, d):
    return np.sort(rng.uniform(-2, 2, size=s), axis=-1)


ROWS = [
    OpSpec("roll", lambda x: T.roll(x, 2, axis=-1), lambda x: np.roll(x, 2, axis=-1),
           [s for s in UNARY_SHAPES if len(s[0]) >= 1], grad=True),
    OpSpec("roll_flat", lambda x: T.roll(x, -1), lambda x: np.roll(x, -1), [((3, 4),), ((5,),)], grad=True),
    OpSpec("roll_symbolic_shift", lambda x: T.roll(x, T.constant(1) + 0, axis=0),
           lambda x: np.roll(x, 1, axis=0), [((3, 2),), ((1, 4),)], grad=True, static_complete=False),
    OpSpec("choose", lambda a, x, y: T.choose(a, [x, y]), lambda a, x, y: np.choose(a, [x, y]),
           [((3, 4), (3, 4), (4,)), ((2,), (2,), (2,)), ((2, 1), (3,), (2, 3))],
           dtypes=[(I64, F64, F64)], domain=(_indices(2), "real", "real"), grad=True),
    OpSpec("choose_wrap", lambda a, x, y: T.choose(a, [x, y], mode="wrap"),
           lambda a, x, y: np.choose(a, [x, y], mode="wrap"), [((4,), (4,), (4,))], dtypes=[(I64, F64, F64)],
           domain=(lambda rng, s, d: rng.integers(-3, 4, size=s), "real", "real"), grad=True),
    OpSpec("ptp", lambda x: T.ptp(x, axis=-1), lambda x: np.ptp(x, axis=-1),
           [s for s in UNARY_SHAPES if len(s[0]) >= 1 and 0 not in s[0]], grad=True,
           grad_domain=lambda rng, s, d: rng.permutation(np.arange(np.prod(s))).reshape(s) * 0.5),
    OpSpec("stacklists", lambda a, b: T.stacklists([[a, b], [b, a]]), lambda a, b: np.array([[a, b], [b, a]]),
           [((), ()), ((2,), (2,))], grad=True),
    OpSpec("tril", lambda m: T.tril(m), np.tril, [((3, 3),), ((2, 4),), ((1, 1),)], grad=True,
           static_complete=False),
    OpSpec("triu_offset", lambda m: T.triu(m, 1), lambda m: np.triu(m, 1), [((3, 3),), ((4, 2),)], grad=True,
           static_complete=False),
    OpSpec("searchsorted", lambda x, v: extra_ops.searchsorted(x, v), lambda x, v: np.searchsorted(x, v),
           [((5,), (3,)), ((4,), ()), ((1,), (2, 2))], domain=(_sorted, "real"), grad=False),
    OpSpec("searchsorted_right", lambda x, v: extra_ops.searchsorted(x, v, side="right"),
           lambda x, v: np.searchsorted(x, v, side="right"), [((5,), (3,))],
           domain=(lambda rng, s, d: np.sort(rng.integers(-2, 3, size=s) * 0.5), lambda rng, s, d: rng.integers(
               -2, 3, size=s) * 0.5), grad=False),
    OpSpec("unique", lambda x: extra_ops.unique(x), np.unique, [((6,),), ((2, 3),), ((0,),)], dtypes=[(I64,)],
           domain=_indices(3), grad=False, static_complete=False, float32=False),
    OpSpec("unique_counts", lambda x: extra_ops.Unique(return_index=True, return_counts=True)(x),
           lambda x: np.unique(x, return_index=True, return_counts=True), [((6,),)], dtypes=[(I64,)],
           domain=_indices(3), grad=False, static_complete=False, float32=False),
    OpSpec("compress", lambda c, x: extra_ops.compress(c > 0, x, axis=0), lambda c, x: np.compress(c > 0, x, axis=0),
           [((3,), (3, 2)), ((4,), (4,))], grad=True, static_complete=False),
    OpSpec("fill_diagonal_offset", lambda a, v: extra_ops.fill_diagonal_offset(a, v, 1),
           lambda a, v: _fill_offset(a, v, 1), [((3, 3), ()), ((2, 4), ()), ((4, 2), ())], grad=True),
    OpSpec("fill_diagonal_negative_offset", lambda a, v: extra_ops.fill_diagonal_offset(a, v, -2),
           lambda a, v: _fill_offset(a, v, -2), [((4, 3), ()), ((2, 2), ())], grad=True),
    OpSpec("isclose_with_infinities", lambda a, b: T.isclose(a, b), np.isclose, [((6,), (6,))],
           domain=("special", "special"), grad=False),
    OpSpec("images2neibs_valid", lambda x: neighbours.images2neibs(x, (2, 3)), lambda x: _np_neibs(x, (2, 3),
                                                                                                   (2, 3), "valid"),
           [((2, 1, 4, 6),), ((1, 2, 2, 3),)], grad=True, static_complete=False),
    OpSpec("images2neibs_step", lambda x: neighbours.images2neibs(x, (2, 2), (1, 2)),
           lambda x: _np_neibs(x, (2, 2), (1, 2), "valid"), [((2, 1, 3, 4),)], grad=True, static_complete=False),
    OpSpec("images2neibs_ignore_borders", lambda x: neighbours.images2neibs(x, (2, 2), mode="ignore_borders"),
           lambda x: _np_neibs(x, (2, 2), (2, 2), "ignore_borders"), [((1, 2, 5, 3),)], grad=True,
           static_complete=False),
    OpSpec("images2neibs_wrap_centered", lambda x: neighbours.images2neibs(x, (3, 3), mode="wrap_centered"),
           lambda x: _np_neibs(x, (3, 3), (3, 3), "wrap_centered"), [((1, 1, 4, 5),)], grad=True,
           static_complete=False),
    OpSpec("images2neibs_half", lambda x: neighbours.images2neibs(x, (3, 3), (1, 1), mode="half"),
           lambda x: _np_neibs(x, (3, 3), (1, 1), "half"), [((1, 1, 3, 4),)], grad=True, static_complete=False),
    OpSpec("images2neibs_full", lambda x: neighbours.images2neibs(x, (2, 2), (1, 1), mode="full"),
           lambda x: _np_neibs(x, (2, 2), (1, 1), "full"), [((1, 1, 2, 3),)], grad=True, static_complete=False),
    OpSpec("neibs2images_inverts", lambda x: neighbours.neibs2images(neighbours.images2neibs(x, (2, 2)), (2, 2),
                                                                     x.shape), lambda x: x.copy(),
           [((2, 3, 4, 6),)], grad=True, static_complete=False),
    OpSpec("conv3d", lambda x, w: conv3d(x, w), lambda x, w: _np_conv3d(x, w, flip=True),
           [((2, 3, 4, 5, 4), (2, 3, 2, 3, 2)), ((1, 1, 3, 3, 3), (1, 1, 3, 3, 3))], grad=True,
           static_complete=False, rtol=1e-5),
    OpSpec("conv3d_half_strided", lambda x, w: conv3d(x, w, border_mode="half", subsample=(2, 1, 2),
                                                       filter_flip=False),
           lambda x, w: _np_conv3d(np.pad(x, [(0, 0), (0, 0), (1, 1), (1, 1), (0, 0)]), w, flip=False)[
               :, :, ::2, :, ::2], [((1, 2, 4, 3, 5), (2, 2, 3, 3, 1))], grad=True, static_complete=False, rtol=1e-5),
    OpSpec("pool_3d_max", lambda x: pool_3d(x, (2, 2, 2)), lambda x: _np_pool3d(x, (2, 2, 2), np.max),
           [((2, 1, 4, 4, 6),), ((1, 2, 3, 5, 2),)], grad=True, static_complete=False,
           grad_domain=lambda rng, s, d: rng.permutation(np.arange(np.prod(s))).reshape(s) * 0.1),
    OpSpec("pool_3d_average", lambda x: pool_3d(x, (2, 1, 3), mode="average_inc_pad"),
           lambda x: _np_pool3d(x, (2, 1, 3), np.mean), [((1, 2, 4, 3, 6),)], grad=True, static_complete=False),
    OpSpec("batch_normalization", lambda x, g, b, m, s: bn.batch_normalization(x, g, b, m, s),
           lambda x, g, b, m, s: (x - m) * (g / s) + b, [((3, 4), (4,), (4,), (4,), (4,))],
           domain=("real", "real", "real", "real", "positive"), grad=True),
]


def _fill_offset(a, v, k):
    out = a.copy()
    n = max(0, min(a.shape[0], a.shape[1] - k) if k >= 0 else min(a.shape[0] + k, a.shape[1]))
    rows = np.arange(n) + max(0, -k)
    out[rows, rows + k] = v
    return out


def _np_neibs(x, shape, step, mode):
    """Patches by plain loops over the padded (or wrapped) image."""
    b, c, h, w = x.shape
    ph, pw = shape
    if mode == "wrap_centered":
        src = np.pad(x, [(0, 0), (0, 0), (ph // 2, ph // 2), (pw // 2, pw // 2)], mode="wrap")
        starts = [range(0, h, step[0]), range(0, w, step[1])]
    else:
        pad = {"valid": (0, 0), "ignore_borders": (0, 0), "half": (ph // 2, pw // 2), "full": (ph - 1, pw - 1)}[mode]
        src = np.pad(x, [(0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])])
        starts = [range(0, src.shape[2] - ph + 1, step[0]), range(0, src.shape[3] - pw + 1, step[1])]
    rows = [src[n, k, i:i + ph, j:j + pw].reshape(-1) for n in range(b) for k in range(c) for i in starts[0]
            for j in starts[1]]
    return np.array(rows, dtype=x.dtype).reshape(-1, ph * pw)


def _np_conv3d(x, w, flip):
    """Valid 3-d convolution (or cross-correlation) by loops over the kernel taps."""
    if flip:
        w = w[:, :, ::-1, ::-1, ::-1]
    b, c, d, h, wd = x.shape
    f, _, kd, kh, kw = w.shape
    out = np.zeros((b, f, d - kd + 1, h - kh + 1, wd - kw + 1), dtype=x.dtype)
    for i, j, k in itertools.product(range(kd), range(kh), range(kw)):
        window = x[:, :, i:i + out.shape[2], j:j + out.shape[3], k:k + out.shape[4]]
        out += np.einsum("bcdhw,fc->bfdhw", window, w[:, :, i, j, k])
    return out


def _np_pool3d(x, ws, reduce):
    lead = x.shape[:-3]
    d, h, w = (s // k for s, k in zip(x.shape[-3:], ws))
    trimmed = x[..., :d * ws[0], :h * ws[1], :w * ws[2]]
    blocks = trimmed.reshape(lead + (d, ws[0], h, ws[1], w, ws[2]))
    n = len(lead)
    return reduce(blocks, axis=(n + 1, n + 3, n + 5))


@pytest.mark.parametrize("spec", params(ROWS))
def test_theano_extra_op(spec):
    check_op(spec)


def test_mgrid_and_ogrid():
    a, b = T.mgrid[0:4, 1:7:2]
    c, d = T.ogrid[0:4, 1:7:2]
    e, = T.mgrid[0:1:5j]
    f = lb.function([], [a, b, c, d, e])
    for got, want in zip(f(), list(np.mgrid[0:4, 1:7:2]) + list(np.ogrid[0:4, 1:7:2]) + [np.mgrid[0:1:5j]]):
        np.testing.assert_allclose(got, want)


def test_unbroadcast_forgets_size_one():
    r = T.addbroadcast(T.dmatrix("m"), 0)
    assert r.broadcastable == (True, False) and T.unbroadcast(r, 0).broadcastable == (False, False)


def _ctc_brute_force(scores, label):
    """-log of the summed probability of every path that collapses to ``label`` (blank 0)."""
    p = np.exp(scores - scores.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    total = 0.0
    for path in itertools.product(range(scores.shape[1]), repeat=scores.shape[0]):
        collapsed = [c for k, c in enumerate(path) if c != 0 and (k == 0 or c != path[k - 1])]
        if collapsed == list(label):
            total += np.prod([p[t, c] for t, c in enumerate(path)])
    return -np.log(total)


def test_ctc_cost_and_gradient_match_a_brute_force_sum_over_paths():
    rng = np.random.default_rng(3)
    acts = rng.normal(size=(5, 3, 3))
    labels = np.array([[1, 2, -1], [1, 1, -1], [2, -1, -1]], dtype="int32")
    lengths = np.array([5, 4, 3], dtype="int32")
    a, l, n = T.dtensor3("a"), T.imatrix("l"), T.ivector("n")
    cost = ctc.ctc(a, l, n)
    f = lb.function([a, l, n], [cost, T.grad(cost.sum(), a)])
    got, grad = f(acts, labels, lengths)
    for b in range(3):
        label = [v for v in labels[b] if v >= 0]
        assert got[b] == pytest.approx(_ctc_brute_force(acts[:lengths[b], b], label), rel=1e-10)
        numeric = np.zeros((lengths[b], 3))
        for t, k in itertools.product(range(lengths[b]), range(3)):
            step = np.zeros((lengths[b], 3))
            step[t, k] = 1e-6
            numeric[t, k] = (_ctc_brute_force(acts[:lengths[b], b] + step, label)
                             - _ctc_brute_force(acts[:lengths[b], b] - step, label)) / 2e-6
        np.testing.assert_allclose(grad[:lengths[b], b], numeric, atol=1e-6)
        assert not grad[lengths[b]:, b].any()


def test_ctc_refuses_inconsistent_lengths():
    a, l, n = T.dtensor3("a"), T.imatrix("l"), T.ivector("n")
    with pytest.raises(ValueError, match="input length 9"):
        ctc.ctc(a, l, n).eval({a: np.zeros((3, 1, 2)), l: np.ones((1, 1), "int32"), n: np.array([9], "int32")})


@pytest.mark.parametrize("shape,axis", [((1, 2, 0), 0), ((1, 2, 0), -1), ((0, 3), 1), ((0, 3), 0), ((2, 0, 3), (0, 2)),
                                        ((2, 0, 3), None)])
def test_prod_gradient_of_empty_arrays(shape, axis):
    # found by the Theano fuzz: the exclusive products reshaped with -1, which NumPy cannot infer for 0 elements
    x = T.TensorType("float64", (False,) * len(shape))("x")
    got = lb.function([x], T.grad(T.sum(T.prod(x, axis=axis) * 2.0), x))(np.zeros(shape))
    assert got.shape == shape
    got = lb.function([x], T.grad(T.sum(T.prod(x, axis=axis)), x))(np.full(shape, 3.0))
    assert got.shape == shape
