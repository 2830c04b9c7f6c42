"""Sorting (sort.py) and NumPy's extra functions (extra_ops.py), one row each through ``opcheck.check_op``:
values against NumPy on odd shapes (size 1, empty, 0-d with axis=None, strided/Fortran/reversed layouts), static
shapes, dtypes and finite-difference gradients. Then a table of user errors and a few second-order gradients."""
import numpy as np
import pytest

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit_backend.gradient import verify_grad
from opcheck import F64, SEED, OpSpec, check_op, params

I32, I64 = "int32", "int64"
VECTOR_UP = [((5,),), ((3, 4),), ((1, 4),), ((3, 1),), ((0,),), ((2, 0, 3),), ((2, 1, 3),)]  # ndim >= 1
ANY_RANK = [((),)] + VECTOR_UP
MATRICES = [((3, 4),), ((1, 4),), ((3, 1),), ((0, 3),), ((2, 1, 3),)]
MAT_ONLY = [((3, 4),), ((1, 1),), ((3, 1),), ((0, 3),)]


def distinct(rng, shape, dtype):
    """Values at least 0.25 apart: the sort permutation is unique, so finite differences do not cross ties."""
    size = int(np.prod(shape, dtype=np.int64))
    return (rng.permutation(size) * 0.25 - size * 0.125).reshape(shape)


def ties(rng, shape, dtype):
    """Few distinct values: stability decides the order of equal elements."""
    return rng.integers(-2, 3, size=shape).astype(dtype)


def with_zeros(rng, shape, dtype):
    """Nonzero values with about a third replaced by zeros (so lanes hold none, one or several zeros)."""
    x = rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    return np.where(rng.random(shape) < 0.35, 0.0, x)


def counts(rng, shape, dtype):
    return rng.integers(0, 4, size=shape)


def _fill_diagonal_ref(a, val):
    out = a.copy()
    np.fill_diagonal(out, val)
    return out


def _tile(reps):
    return OpSpec(f"tile_{'x'.join(map(str, reps))}", lambda x: T.tile(x, reps), lambda x: np.tile(x, reps),
                  ANY_RANK, grad=True)


SPECS = [
    # -- sort.py ----------------------------------------------------------------------------------------------
    OpSpec("sort_last", lambda x: T.sort(x), lambda x: np.sort(x), VECTOR_UP, dtypes=[(F64,), (I32,)],
           domain=distinct, grad=True),
    OpSpec("sort_axis0", lambda x: T.sort(x, axis=0), lambda x: np.sort(x, axis=0), VECTOR_UP, domain=distinct,
           grad=True),
    OpSpec("sort_axis_neg2", lambda x: T.sort(x, axis=-2), lambda x: np.sort(x, axis=-2), MATRICES,
           domain=distinct, grad=True),
    OpSpec("sort_none", lambda x: T.sort(x, axis=None), lambda x: np.sort(x, axis=None), ANY_RANK,
           domain=distinct, grad=True),
    OpSpec("sort_method", lambda x: x.sort(axis=0), lambda x: np.sort(x, axis=0), VECTOR_UP, domain=ties),
    OpSpec("argsort_stable_ties", lambda x: T.argsort(x), lambda x: np.argsort(x, kind="stable"), VECTOR_UP,
           dtypes=[(F64,), (I32,)], domain=ties),
    OpSpec("argsort_axis0", lambda x: x.argsort(axis=0), lambda x: np.argsort(x, axis=0, kind="stable"),
           VECTOR_UP, domain=ties),
    OpSpec("argsort_none", lambda x: T.argsort(x, axis=None), lambda x: np.argsort(x, axis=None, kind="stable"),
           ANY_RANK, domain=ties),
    # -- cumulative sums and products -------------------------------------------------------------------------
    OpSpec("cumsum_none", lambda x: T.cumsum(x), lambda x: np.cumsum(x), ANY_RANK, dtypes=[(F64,), (I32,)],
           grad=True),
    OpSpec("cumsum_axis0", lambda x: x.cumsum(axis=0), lambda x: np.cumsum(x, axis=0), VECTOR_UP, grad=True),
    OpSpec("cumsum_last", lambda x: T.cumsum(x, axis=-1), lambda x: np.cumsum(x, axis=-1), VECTOR_UP,
           dtypes=[(F64,), ("bool",), ("uint8",)], grad=True),
    OpSpec("cumprod_none", lambda x: T.cumprod(x), lambda x: np.cumprod(x), ANY_RANK, dtypes=[(F64,), (I32,)],
           grad=True),
    OpSpec("cumprod_last_zeros", lambda x: T.cumprod(x, axis=-1), lambda x: np.cumprod(x, axis=-1), VECTOR_UP,
           domain=with_zeros, grad=True),
    OpSpec("cumprod_axis0_zeros", lambda x: x.cumprod(axis=0), lambda x: np.cumprod(x, axis=0), VECTOR_UP,
           domain=with_zeros, grad=True),
    # -- repeat -----------------------------------------------------------------------------------------------
    OpSpec("repeat_scalar_axis0", lambda x: T.repeat(x, 3, axis=0), lambda x: np.repeat(x, 3, axis=0),
           VECTOR_UP, grad=True),
    OpSpec("repeat_zero_times", lambda x: T.repeat(x, 0, axis=-1), lambda x: np.repeat(x, 0, axis=-1),
           VECTOR_UP, grad=True),
    OpSpec("repeat_none", lambda x: x.repeat(2), lambda x: np.repeat(x, 2), ANY_RANK, grad=True),
    OpSpec("repeat_vector", lambda x: T.repeat(x, [2, 0, 1, 3], axis=1), lambda x: np.repeat(x, [2, 0, 1, 3], 1),
           [((3, 4),), ((1, 4),), ((0, 4),), ((2, 4, 3),)], grad=True),
    OpSpec("repeat_one_count", lambda x: T.repeat(x, [2], axis=0), lambda x: np.repeat(x, [2], axis=0),
           VECTOR_UP, grad=True),
    OpSpec("repeat_symbolic_counts", lambda x, r: T.repeat(x, r, axis=0), lambda x, r: np.repeat(x, r, axis=0),
           [((4,), (4,)), ((3, 2), (3,)), ((1, 3), (1,)), ((0, 2), (0,))], dtypes=[(F64, I64)],
           domain=["real", counts], grad=True, static_complete=False),
    OpSpec("repeat_symbolic_scalar", lambda x, r: T.repeat(x, r, axis=-1), lambda x, r: np.repeat(x, r, axis=-1),
           [((4,), ()), ((3, 2), ()), ((2, 0), ())], dtypes=[(F64, I32)], domain=["real", counts], grad=True,
           static_complete=False),
    # -- tile, diff -------------------------------------------------------------------------------------------
    _tile((2,)), _tile((2, 3)), _tile((1, 2, 1)), _tile((1, 1)),
    OpSpec("tile_symbolic", lambda x, r: T.tile(x, (r, 2)), lambda x, r: np.tile(x, (int(r), 2)),
           [((3,), ()), ((2, 3), ()), ((0, 1), ())], dtypes=[(F64, I64)], domain=["real", counts], grad=True,
           static_complete=False),
    OpSpec("diff_last", lambda x: T.diff(x), lambda x: np.diff(x), VECTOR_UP, dtypes=[(F64,), (I32,)],
           grad=True),
    OpSpec("diff_n2_axis0", lambda x: T.diff(x, n=2, axis=0), lambda x: np.diff(x, n=2, axis=0),
           [((5,),), ((4, 3),), ((1, 3),), ((2, 3),), ((0, 2),)], grad=True),
    OpSpec("diff_n0", lambda x: T.diff(x, n=0), lambda x: np.diff(x, n=0), VECTOR_UP, grad=True),
    # -- bincount, fill_diagonal, one-hot, index conversions --------------------------------------------------
    OpSpec("bincount", lambda x: T.bincount(x), lambda x: np.bincount(x), [((6,),), ((1,),), ((0,),)],
           dtypes=[(I64,), (I32,)], domain=counts, static_complete=False),
    OpSpec("bincount_minlength", lambda x: T.bincount(x, minlength=6), lambda x: np.bincount(x, minlength=6),
           [((6,),), ((0,),)], dtypes=[(I64,)], domain=counts, static_complete=False),
    OpSpec("bincount_weights", lambda x, w: T.bincount(x, w), lambda x, w: np.bincount(x, w),
           [((6,), (6,)), ((1,), (1,)), ((0,), (0,))], dtypes=[(I64, F64)], domain=[counts, "real"],
           static_complete=False, grad=True, out_dtype=lambda d: d[1]),
    OpSpec("fill_diagonal", T.fill_diagonal, _fill_diagonal_ref,
           [((3, 3), ()), ((2, 4), ()), ((4, 2), ()), ((1, 1), ()), ((0, 3), ()), ((3, 3, 3), ())], grad=True),
    OpSpec("fill_diagonal_const", lambda a: T.fill_diagonal(a, 5.0), lambda a: _fill_diagonal_ref(a, 5.0),
           MAT_ONLY, dtypes=[(F64,), (I32,)], grad=True),
    OpSpec("to_one_hot", lambda y: T.to_one_hot(y, 4), lambda y: np.eye(4, dtype="float32")[y],
           [((5,),), ((1,),), ((0,),)], dtypes=[(I64,), (I32,)], domain=counts, out_dtype="float32"),
    OpSpec("to_one_hot_dtype", lambda y: T.to_one_hot(y, 3, dtype="int8"), lambda y: np.eye(3, dtype="int8")[y],
           [((5,),)], dtypes=[(I64,)], domain=lambda rng, s, d: rng.integers(0, 3, s)),
    OpSpec("unravel_index", lambda i: T.unravel_index(i, (2, 3)), lambda i: np.unravel_index(i, (2, 3)),
           [((5,),), ((2, 2),), ((),), ((0,),)], dtypes=[(I64,)], domain=lambda rng, s, d: rng.integers(0, 6, s)),
    OpSpec("unravel_index_F", lambda i: T.unravel_index(i, (2, 3, 2), order="F"),
           lambda i: np.unravel_index(i, (2, 3, 2), order="F"), [((4,),)], dtypes=[(I64,)],
           domain=lambda rng, s, d: rng.integers(0, 12, s)),
    OpSpec("ravel_multi_index", lambda r, c: T.ravel_multi_index((r, c), (3, 4)),
           lambda r, c: np.ravel_multi_index((r, c), (3, 4)), [((5,), (5,)), ((2, 2), (2,)), ((), ())],
           dtypes=[(I64, I32)], domain=lambda rng, s, d: rng.integers(0, 3, s)),
]


@pytest.mark.parametrize("spec", params(SPECS))
def test_op(spec):
    check_op(spec)


# -- user errors: what, expected, received --------------------------------------------------------------------
ERRORS = [
    # (id, builder, exception, message regex)
    ("sort_0d", lambda: T.sort(T.dscalar()), ValueError, r"sort: cannot sort a 0-d tensor.*axis=None"),
    ("sort_axis", lambda: T.sort(T.dmatrix(), axis=2), ValueError, r"sort: axis 2 is out of range.*2 dim"),
    ("sort_kind", lambda: T.sort(T.dvector(), kind="bogo"), ValueError, r"kind must be one of.*'bogo'"),
    ("argsort_order", lambda: T.argsort(T.dvector(), order="f"), ValueError, r"order="),
    ("cumsum_axis", lambda: T.cumsum(T.dmatrix(), axis=-3), ValueError, r"cumsum: axis -3 is out of range"),
    ("cumprod_0d_axis", lambda: T.cumprod(T.dscalar(), axis=0), ValueError, r"cumprod: axis 0 is out of range"),
    ("repeat_float", lambda: T.repeat(T.dvector(), 1.5), TypeError, r"repeats must be an integer.*float"),
    ("repeat_length", lambda: T.repeat(T.dmatrix().reshape((2, 3)), [1, 2], axis=1), ValueError,
     r"2 repeats for an axis of size 3"),
    ("tile_ndim", lambda: T.tile(T.dmatrix(), (2, 2), ndim=1), ValueError, r"ndim=1 is smaller"),
    ("diff_n", lambda: T.diff(T.dvector(), n=-1), ValueError, r"n must be non-negative, received -1"),
    ("bincount_float", lambda: T.bincount(T.dvector()), TypeError, r"x must be an integer vector"),
    ("fill_diagonal_1d", lambda: T.fill_diagonal(T.dvector(), 1.0), TypeError, r"at least 2 dimensions"),
    ("to_one_hot_float", lambda: T.to_one_hot(T.dvector(), 3), TypeError, r"y must be an integer vector"),
]


@pytest.mark.parametrize("build, exc, regex", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_user_errors(build, exc, regex):
    with pytest.raises(exc, match=regex):
        build()


RUNTIME_ERRORS = [
    # (id, builder of (inputs, output), argument values, exception, message regex)
    ("bincount_negative", lambda x: T.bincount(x), [np.array([1, -2])], ValueError, r"non-negative.*-2"),
    ("fill_diagonal_nd", lambda x: T.fill_diagonal(x, 1.0), [np.zeros((2, 3, 3))], ValueError, r"equal sizes"),
    ("repeat_counts", lambda x: T.repeat(x, T.constant(np.array([1, 2, 3])), 0), [np.zeros((2, 2, 2))],
     ValueError, r"repeat: 3 repeats for axis 0 of size 2 \(expected 2 counts, or 1\)"),
]


@pytest.mark.parametrize("build, values, exc, regex", [e[1:] for e in RUNTIME_ERRORS],
                         ids=[e[0] for e in RUNTIME_ERRORS])
def test_runtime_errors(build, values, exc, regex):
    inputs = [T.tensor(v.dtype.name, shape=(None,) * v.ndim) for v in values]
    fn = lb.function(inputs, build(*inputs))
    with pytest.raises(exc, match=regex):
        fn(*values)


# -- second derivatives: the gradient ops are differentiable too ------------------------------------------------
SECOND_ORDER = [
    # (id, function whose gradient's gradient is checked, point)
    ("sort", lambda x: T.sort(x, axis=0), distinct(np.random.default_rng(SEED), (4, 3), F64)),
    ("cumprod_no_zeros", lambda x: T.cumprod(x, axis=1), np.random.default_rng(SEED).uniform(0.5, 2, (3, 4))),
    ("cumsum", lambda x: T.cumsum(x), np.random.default_rng(SEED).uniform(-1, 1, (3, 4))),
    ("repeat_vector", lambda x: T.repeat(x, [1, 0, 2], axis=0), np.random.default_rng(SEED).uniform(-1, 1, (3, 2))),
]


@pytest.mark.parametrize("fn, point", [c[1:] for c in SECOND_ORDER], ids=[c[0] for c in SECOND_ORDER])
def test_second_order(fn, point):
    out_shape = fn(T.constant(point)).eval().shape
    weights = np.random.default_rng(SEED + 1).uniform(0.5, 1.5, size=out_shape)

    def gradient_of(x):
        return lb.grad(T.sum(T.sqr(fn(x)) * T.constant(weights)), x)

    verify_grad(gradient_of, [point], rng=np.random.default_rng(SEED))


def test_cumprod_gradient_with_zeros_is_exact():
    # Lanes with no zero, one zero and several zeros; compared with the product-of-the-others formula.
    x = np.array([[2.0, 3.0, 4.0], [2.0, 0.0, 4.0], [0.0, 3.0, 0.0], [0.0, 0.0, 5.0]])
    g = np.array([[1.0, 2.0, 3.0]] * 4)
    xs = T.dmatrix("x")
    got = lb.function([xs], lb.grad(T.sum(T.cumprod(xs, axis=1) * T.constant(g)), xs))(x)
    want = np.zeros_like(x)
    for r in range(x.shape[0]):
        for k in range(x.shape[1]):
            want[r, k] = sum(g[r, i] * np.prod([x[r, j] for j in range(i + 1) if j != k])
                             for i in range(k, x.shape[1]))
    np.testing.assert_array_equal(got, want)
