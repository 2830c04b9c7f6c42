"""Reductions, products, shape ops and tensor makers, one row each, all run through ``opcheck.check_op``."""
import numpy as np
import pytest

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit_backend.config import config
from layerkit_backend.tensor import subtensor as _subtensor
from opcheck import F64, OpSpec, check_op, params

I32, I64, U8, B = "int32", "int64", "uint8", "bool"
FX = config.floatX
GRID = lambda rng, shape, dtype: rng.integers(-2, 3, size=shape) * (0.5 if np.dtype(dtype).kind == "f" else 1)
HAVE_SUBTENSOR = hasattr(_subtensor, "getitem")
NEEDS_SUBTENSOR = pytest.mark.skipif(not HAVE_SUBTENSOR,
                                     reason="tensor/subtensor.py (getitem) is not written yet")


def _with_zeros(rng, shape, dtype):
    """Values with one zero in some lanes and two in others: prod's gradient must stay exact there."""
    x = rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    flat = x.reshape(-1)
    if flat.size >= 2:
        flat[0] = 0.0
    if flat.size >= 7:
        flat[5] = flat[6] = 0.0
    return x.astype(dtype)


def _distinct(rng, shape, dtype):
    """Values at least 0.2 apart: max and min have no (near-)ties, where their gradient is not defined."""
    n = int(np.prod(shape, dtype=np.int64))
    x = (rng.permutation(n) - n / 2) * 0.25 + rng.uniform(-0.02, 0.02, size=n)
    return x.reshape(shape).astype(dtype)


def _const(*values):
    """A domain giving fixed values whatever the shape (sizes, axes, split points)."""
    return lambda rng, shape, dtype: np.asarray(values if shape else values[0], dtype=dtype).reshape(shape)


# -- reductions ---------------------------------------------------------------------------------------------------
# (suffix, keyword arguments, shapes); empty shapes only where the reduced dimension is not empty.
AXIS_CASES = [
    ("all", dict(axis=None), [(3, 4), (5,), (), (1, 4), (2, 1, 3)], [(0, 3)]),
    ("axis0", dict(axis=0), [(3, 4), (5,), (1, 4), (2, 3, 4)], [(3, 0)]),
    ("axis1", dict(axis=1), [(3, 4), (3, 1), (2, 3, 4)], [(0, 3)]),
    ("axis_neg1", dict(axis=-1), [(3, 4), (5,), (2, 3, 4)], [(0, 2)]),
    ("axes02", dict(axis=(0, 2)), [(2, 3, 4), (1, 3, 1)], [(2, 0, 3)]),
    ("axes_neg_tuple", dict(axis=(-1, 0)), [(2, 3, 4)], []),
    ("axis_neg1_keepdims", dict(axis=-1, keepdims=True), [(3, 4), (5,), (2, 1, 3)], [(0, 2)]),
    ("all_keepdims", dict(axis=None, keepdims=True), [(3, 4), (), (2, 1, 3)], []),
    ("axes02_keepdims", dict(axis=(0, 2), keepdims=True), [(2, 3, 4)], []),
]


def _lane(shape, axis):
    """How many elements each output element reduces."""
    axes = range(len(shape)) if axis is None else [axis] if isinstance(axis, int) else axis
    return int(np.prod([shape[a] for a in axes]))


def reduce_rows(name, fn, ref, dtypes, grad=True, empty=True, cases=AXIS_CASES, grad_min_lane=1, **kw):
    """One row per axis case of AXIS_CASES. ``empty``: True (all empty shapes), "kept" (only those whose empty
    dimensions are not reduced: max and min have no identity), False (none). Gradients are checked on non-empty
    shapes whose lanes hold at least ``grad_min_lane`` elements (std of one element is sqrt(0): no derivative)."""
    rows = []
    for suffix, kwargs, shapes, empty_shapes in cases:
        if empty == "kept":
            empty_shapes = [s for s in empty_shapes if _lane(s, kwargs["axis"]) > 0]
        shapes = shapes + (empty_shapes if empty else [])
        grad_shapes = [(s,) for s in shapes if 0 not in s and _lane(s, kwargs["axis"]) >= grad_min_lane]
        rows.append(OpSpec(f"{name}_{suffix}", lambda x, kw_=kwargs: fn(x, **kw_),
                           lambda x, kw_=kwargs: ref(x, **kw_), [(s,) for s in shapes], dtypes=dtypes,
                           grad=grad and bool(grad_shapes), grad_shapes=grad_shapes, **kw))
    return rows


def _np_argmax(fn):
    return lambda x, axis=None, keepdims=False: np.asarray(fn(x, axis=axis, keepdims=keepdims))


def _np_norm(L):
    def norm(x, axis=None, keepdims=False):
        a = np.abs(x)
        if L == np.inf:
            return np.max(a, axis=axis, keepdims=keepdims)
        if L == 1:
            return np.sum(a, axis=axis, keepdims=keepdims)
        return np.sum(a.astype(F64) ** L, axis=axis, keepdims=keepdims).astype(
            x.dtype if x.dtype.kind == "f" else F64) ** (1.0 / L)

    return norm


SINGLE_AXIS = [c for c in AXIS_CASES if not isinstance(c[1]["axis"], tuple)]
NORM_CASES = [c for c in AXIS_CASES if c[0] in ("all", "axis1", "axes02", "axis_neg1_keepdims")]
PROD_ZEROS = dict(grad_domain=_with_zeros, grad=HAVE_SUBTENSOR)  # prod's gradient slices with getitem

REDUCE_ROWS = (
    reduce_rows("sum", T.sum, np.sum, [(F64,), (I32,), (B,), (U8,)])
    + reduce_rows("prod", T.prod, np.prod, [(F64,), (I32,), (U8,), (B,)], **PROD_ZEROS)
    + reduce_rows("mean", T.mean, np.mean, [(F64,), (I32,), (B,)])
    + reduce_rows("var", T.var, np.var, [(F64,), (I32,)])
    + reduce_rows("var_ddof1", lambda x, **k: T.var(x, ddof=1, **k), lambda x, **k: np.var(x, ddof=1, **k),
                  [(F64,)], empty="kept", cases=[c for c in AXIS_CASES if c[0] in ("all", "axis1", "axes02")],
                  grad_min_lane=2)
    + reduce_rows("std", T.std, np.std, [(F64,), (I32,)], empty="kept", grad_min_lane=2)
    + reduce_rows("max", T.max, np.max, [(F64,), (I32,), (U8,)], empty="kept", grad_domain=_distinct)
    + reduce_rows("min", T.min, np.min, [(F64,), (I32,), (B,)], empty="kept", grad_domain=_distinct)
    + reduce_rows("all", T.all, np.all, [(B,), (I32,), (F64,)], grad=False, domain=GRID)
    + reduce_rows("any", T.any, np.any, [(B,), (I32,), (F64,)], grad=False, domain=GRID)
    + reduce_rows("argmax", T.argmax, _np_argmax(np.argmax), [(F64,), (I32,)], grad=False, empty="kept",
                  cases=SINGLE_AXIS)
    + reduce_rows("argmin", T.argmin, _np_argmax(np.argmin), [(F64,), (I32,)], grad=False, empty="kept",
                  cases=SINGLE_AXIS)
    + reduce_rows("max_and_argmax", T.max_and_argmax,
                  lambda x, **k: (np.max(x, **k), _np_argmax(np.argmax)(x, **k)), [(F64,), (I32,)], empty="kept",
                  cases=SINGLE_AXIS, grad=False)
    + reduce_rows("norm_l1", lambda x, **k: T.norm(x, 1, **k), _np_norm(1), [(F64,), (I32,)], cases=NORM_CASES,
                  domain="nonzero")
    + reduce_rows("norm_l2", lambda x, **k: T.norm(x, 2, **k), _np_norm(2), [(F64,), (I32,)], cases=NORM_CASES,
                  domain="nonzero", empty="kept")
    + reduce_rows("norm_inf", lambda x, **k: T.norm(x, np.inf, **k), _np_norm(np.inf), [(F64,)],
                  cases=NORM_CASES, domain="nonzero", empty="kept", grad_domain=_distinct)
    + reduce_rows("norm_l3", lambda x, **k: T.norm(x, 3, **k), _np_norm(3), [(F64,)], cases=NORM_CASES,
                  domain="nonzero", empty="kept")
    + [OpSpec("max_and_argmax_grad", lambda x: T.max_and_argmax(x, axis=1)[0], lambda x: np.max(x, axis=1),
              [((3, 4),), ((2, 1, 3),)], grad=True, grad_domain=_distinct),
       OpSpec("sum_dtype_float32", lambda x: T.sum(x, dtype="float32"), lambda x: np.sum(x, dtype="float32"),
              [((3, 4),), ((0,),)], dtypes=[(I32,)], out_dtype="float32"),
       OpSpec("mean_dtype_float64", lambda x: T.mean(x, axis=0, dtype="float64"),
              lambda x: np.mean(x, axis=0, dtype="float64"), [((3, 4),)], dtypes=[(I32,)], out_dtype=F64),
       OpSpec("method_sum_mean", lambda x: x.sum(axis=0) + x.mean(), lambda x: x.sum(axis=0) + x.mean(),
              [((3, 4),), ((1, 4),)], grad=True)]
)

# -- products -----------------------------------------------------------------------------------------------------
DOT_SHAPES = {
    "0d_nd": [((), (3, 4)), ((3, 4), ()), ((), ()), ((), (5,))],
    "1x1": [((4,), (4,)), ((1,), (1,)), ((0,), (0,))],
    "1x2": [((3,), (3, 4)), ((1,), (1, 4)), ((0,), (0, 4)), ((3,), (3, 1))],
    "2x1": [((3, 4), (4,)), ((3, 1), (1,)), ((0, 2), (2,)), ((3, 0), (0,))],
    "2x2": [((3, 4), (4, 5)), ((1, 4), (4, 1)), ((3, 0), (0, 2)), ((0, 3), (3, 2)), ((3, 1), (1, 4))],
    "3x2": [((2, 3, 4), (4, 5)), ((2, 1, 4), (4, 1))],
    "2x3": [((3, 4), (2, 4, 5)), ((1, 4), (2, 4, 1))],
    "3x3": [((2, 3, 4), (3, 4, 5)), ((1, 2, 3), (2, 3, 1))],
}
MIXED = [(F64, F64), (I32, I32), (I32, F64), (F64, "float32")]


def _batched_dot_ref(a, b):
    return np.stack([np.dot(a[i], b[i]) for i in range(a.shape[0])])


def _np_matmul(a, b):
    return np.matmul(a, b)


LINALG_ROWS = (
    [OpSpec(f"dot_{k}", T.dot, np.dot, shapes, dtypes=MIXED, grad=True) for k, shapes in DOT_SHAPES.items()]
    + [OpSpec("method_dot", lambda a, b: a.dot(b), np.dot, DOT_SHAPES["2x2"], grad=True),
       OpSpec("matmul", T.matmul, _np_matmul,
              [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (2, 4, 5)),
               ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)), ((2, 1, 3, 4), (5, 4, 2)), ((1, 3, 4), (2, 4, 5)),
               ((4,), (2, 4, 5)), ((2, 3, 4), (4,)), ((2, 0, 4), (4, 3)), ((0, 3, 4), (1, 4, 2))],
              dtypes=MIXED, grad=True),
       OpSpec("matmul_operator", lambda a, b: a @ b, _np_matmul, [((3, 4), (4, 5)), ((2, 3, 4), (4,))], grad=True),
       OpSpec("tensordot_int0", lambda a, b: T.tensordot(a, b, 0), lambda a, b: np.tensordot(a, b, 0),
              [((2, 3), (4,)), ((2,), (1, 3))], grad=True),
       OpSpec("tensordot_int1", lambda a, b: T.tensordot(a, b, 1), lambda a, b: np.tensordot(a, b, 1),
              [((2, 3), (3, 4)), ((2, 3, 4), (4, 5)), ((3,), (3,)), ((2, 1), (1, 3))], dtypes=MIXED, grad=True),
       OpSpec("tensordot_int2", lambda a, b: T.tensordot(a, b), lambda a, b: np.tensordot(a, b),
              [((2, 3, 4), (3, 4, 5)), ((3, 4), (3, 4)), ((2, 0, 3), (0, 3, 2))], grad=True),
       OpSpec("tensordot_lists", lambda a, b: T.tensordot(a, b, [[0, 2], [1, 0]]),
              lambda a, b: np.tensordot(a, b, [[0, 2], [1, 0]]), [((2, 3, 4), (4, 2, 5)), ((1, 3, 2), (2, 1))],
              grad=True),
       OpSpec("tensordot_negative", lambda a, b: T.tensordot(a, b, [[-1], [0]]),
              lambda a, b: np.tensordot(a, b, [[-1], [0]]), [((2, 3), (3, 4)), ((3,), (3, 2))], grad=True),
       OpSpec("tensordot_single_ints", lambda a, b: T.tensordot(a, b, [1, 0]),
              lambda a, b: np.tensordot(a, b, [1, 0]), [((2, 3), (3, 4))], grad=True),
       OpSpec("batched_dot", T.batched_dot, _batched_dot_ref,
              [((2, 3), (2, 3)), ((2, 3, 4), (2, 4, 5)), ((2, 3, 4), (2, 4)), ((2, 3), (2, 3, 4)),
               ((1, 3, 4), (1, 4, 2)), ((2, 3, 4), (2, 5, 4, 3)), ((2, 3, 1, 4), (2, 4, 2))],
              dtypes=MIXED, grad=True),
       OpSpec("batched_dot_vector", T.batched_dot, lambda a, b: a.reshape((-1,) + (1,) * (b.ndim - 1)) * b,
              [((2,), (2, 3)), ((2,), (2,))], grad=True),
       OpSpec("outer", T.outer, np.outer, [((3,), (4,)), ((0,), (2,)), ((1,), (1,)), ((2, 2), (3,))],
              dtypes=MIXED, grad=True)]
)

# -- shape ops ----------------------------------------------------------------------------------------------------
SHAPE_ROWS = [
    OpSpec("reshape_const", lambda x: T.reshape(x, (4, 3)), lambda x: x.reshape(4, 3), [((3, 4),), ((2, 6),)],
           dtypes=[(F64,), (I32,)], grad=True),
    OpSpec("reshape_minus1", lambda x: x.reshape((-1, 2)), lambda x: x.reshape(-1, 2),
           [((3, 4),), ((2, 1, 2),), ((0, 2),)], grad=True),
    OpSpec("reshape_minus1_first", lambda x: x.reshape((2, -1)), lambda x: x.reshape(2, -1), [((3, 4),)],
           grad=True),
    OpSpec("reshape_flat", lambda x: x.reshape(-1), lambda x: x.reshape(-1), [((3, 4),), ((),), ((0, 3),)],
           grad=True),
    OpSpec("reshape_to_scalar", lambda x: x.reshape(()), lambda x: x.reshape(()), [((1, 1),), ((1,),)], grad=True),
    OpSpec("reshape_varargs", lambda x: x.reshape(2, 2, 3), lambda x: x.reshape(2, 2, 3), [((3, 4),)], grad=True),
    OpSpec("reshape_symbolic_sizes", lambda x: T.reshape(x, (T.shape_i(x, 1), T.shape_i(x, 0))),
           lambda x: x.reshape(x.shape[1], x.shape[0]), [((3, 4),), ((1, 5),), ((0, 2),)], grad=True),
    OpSpec("reshape_shape_vector", lambda x, s: T.reshape(x, s, ndim=2), lambda x, s: x.reshape(tuple(s)),
           [((3, 4), (2,))], dtypes=[(F64, I64)], domain=("real", _const(6, 2)), grad=True,
           static_complete=False),
    OpSpec("reshape_shape_of_other", lambda x, y: T.reshape(x, y.shape), lambda x, y: x.reshape(y.shape),
           [((3, 4), (2, 6)), ((6,), (3, 2))], grad=True),
    OpSpec("flatten_1", lambda x: T.flatten(x), lambda x: x.reshape(-1),
           [((3, 4),), ((2, 3, 4),), ((5,),), ((0, 3),), ((),)], grad=True),
    OpSpec("flatten_2", lambda x: x.flatten(2), lambda x: x.reshape(x.shape[0], -1),
           [((3, 4),), ((2, 3, 4),), ((2, 1, 3, 2),), ((2, 0, 3),)], grad=True),
    OpSpec("flatten_3", lambda x: x.flatten(3), lambda x: x.reshape(x.shape[0], x.shape[1], -1),
           [((2, 3, 4, 2),), ((2, 3, 4),), ((1, 2, 1, 3),)], grad=True),
    OpSpec("transpose_default", T.transpose, np.transpose, [((3, 4),), ((2, 3, 4),), ((5,),), ((),), ((1, 0),)],
           grad=True),
    OpSpec("transpose_axes", lambda x: T.transpose(x, (1, 0, 2)), lambda x: np.transpose(x, (1, 0, 2)),
           [((2, 3, 4),), ((1, 2, 1),)], grad=True),
    OpSpec("transpose_method_T", lambda x: x.T, lambda x: x.T, [((3, 4),), ((3, 1),)], grad=True),
    OpSpec("transpose_method_args", lambda x: x.transpose(2, 0, 1), lambda x: x.transpose(2, 0, 1),
           [((2, 3, 4),)], grad=True),
    OpSpec("squeeze_axis", lambda x: T.squeeze(x, axis=1), lambda x: np.squeeze(x, axis=1),
           [((3, 1),), ((2, 1, 3),), ((0, 1),)], grad=True),
    OpSpec("squeeze_axes", lambda x: x.squeeze(axis=(0, -1)), lambda x: np.squeeze(x, axis=(0, -1)),
           [((1, 3, 1),), ((1, 1),)], grad=True),
    OpSpec("expand_dims_0", lambda x: T.expand_dims(x, 0), lambda x: np.expand_dims(x, 0),
           [((3, 4),), ((),), ((0,),)], grad=True),
    OpSpec("expand_dims_neg1", lambda x: T.expand_dims(x, -1), lambda x: np.expand_dims(x, -1),
           [((3, 4),), ((5,),)], grad=True),
    OpSpec("expand_dims_1", lambda x: T.expand_dims(x, 1), lambda x: np.expand_dims(x, 1), [((3, 4),)], grad=True),
    OpSpec("shape_padleft", T.shape_padleft, lambda x: x[None], [((3, 4),), ((),)], grad=True),
    OpSpec("shape_padleft_2", lambda x: T.shape_padleft(x, 2), lambda x: x[None, None], [((3,),)], grad=True),
    OpSpec("shape_padright", T.shape_padright, lambda x: x[..., None], [((3, 4),), ((),)], grad=True),
    OpSpec("shape_padright_2", lambda x: T.shape_padright(x, 2), lambda x: x[..., None, None], [((3,),)],
           grad=True),
    OpSpec("shape_padaxis", lambda x: T.shape_padaxis(x, 1), lambda x: np.expand_dims(x, 1), [((3, 4),)],
           grad=True),
    OpSpec("specify_shape", lambda x: T.specify_shape(x, (3, 4)), np.copy, [((3, 4),)], grad=True),
    OpSpec("specify_shape_partial", lambda x: T.specify_shape(x, (None, 4)), np.copy, [((3, 4),), ((0, 4),)],
           grad=True),
    OpSpec("shape_vector", lambda x: x.shape, lambda x: np.asarray(x.shape, dtype=I64),
           [((3, 4),), ((),), ((0, 2, 1),)], dtypes=[(F64,), (I32,)], float32=False),
    OpSpec("shape_i", lambda x: T.shape_i(x, 1), lambda x: np.asarray(x.shape[1], dtype=I64),
           [((3, 4),), ((2, 0),)], float32=False),
    OpSpec("shape_index_0", lambda x: x.shape[0], lambda x: np.asarray(x.shape[0], dtype=I64),
           [((3, 4),), ((0,),)], float32=False, marks=[NEEDS_SUBTENSOR]),
    OpSpec("shape_index_neg1", lambda x: x.shape[-1], lambda x: np.asarray(x.shape[-1], dtype=I64),
           [((3, 4),)], float32=False, marks=[NEEDS_SUBTENSOR]),
    OpSpec("size", lambda x: x.size, lambda x: np.asarray(x.size, dtype=I64), [((3, 4),), ((0, 4),), ((),)],
           float32=False),
    OpSpec("shape_in_arithmetic", lambda x: x * T.cast(T.shape_i(x, 0), "float64"),
           lambda x: x * x.shape[0], [((3, 4),), ((1, 2),)], grad=True, float32=False),
]

# -- makers -------------------------------------------------------------------------------------------------------
SIZE = _const(3)
BASIC_ROWS = [
    OpSpec("alloc", lambda x: T.alloc(x, 2, 3, 4), lambda x: np.broadcast_to(x, (2, 3, 4)).copy(),
           [((),), ((4,),), ((3, 1),), ((1, 3, 4),)], dtypes=[(F64,), (I32,)], grad=True),
    OpSpec("alloc_symbolic", lambda x, n: T.alloc(x, n, 4), lambda x, n: np.broadcast_to(x, (int(n), 4)).copy(),
           [((), ()), ((4,), ()), ((1, 4), ())], dtypes=[(F64, I64), (F64, I32)], domain=("real", SIZE),
           grad=True, static_complete=False),
    OpSpec("broadcast_to", lambda x: T.broadcast_to(x, (3, 4)), lambda x: np.broadcast_to(x, (3, 4)).copy(),
           [((4,),), ((3, 1),)], grad=True),
    OpSpec("zeros", lambda: T.zeros((2, 3)), lambda: np.zeros((2, 3), FX), [()]),
    OpSpec("zeros_symbolic", lambda n: T.zeros((n, 2), dtype="int32"), lambda n: np.zeros((int(n), 2), I32),
           [((),)], dtypes=[(I64,)], domain=SIZE, static_complete=False),
    OpSpec("ones", lambda: T.ones((3,), dtype="float64"), lambda: np.ones(3), [()], out_dtype=F64),
    OpSpec("ones_symbolic", lambda n: T.ones(n), lambda n: np.ones(int(n), FX), [((),)], dtypes=[(I64,)],
           domain=SIZE, static_complete=False),
    OpSpec("full", lambda: T.full((2, 2), 2.5), lambda: np.full((2, 2), 2.5, FX), [()]),
    OpSpec("full_dtype", lambda: T.full((2,), 3, dtype="int32"), lambda: np.full((2,), 3, I32), [()]),
    OpSpec("full_variable_value", lambda v: T.full((2, 3), v), lambda v: np.full((2, 3), v), [((),)],
           dtypes=[(F64,), (I32,)], grad=True),
    OpSpec("fill", T.fill, lambda m, v: np.broadcast_to(v, m.shape).copy(),
           [((3, 4), ()), ((3, 4), (4,)), ((2, 3), (2, 1)), ((0, 2), ())], dtypes=[(F64, F64), (I32, F64)],
           grad=True),
    OpSpec("zeros_like", T.zeros_like, np.zeros_like, [((3, 4),), ((),), ((0, 2),)],
           dtypes=[(F64,), (I32,), (B,)]),
    OpSpec("ones_like", T.ones_like, np.ones_like, [((3, 4),), ((),), ((0, 2),)], dtypes=[(F64,), (I32,), (B,)]),
    OpSpec("ones_like_dtype", lambda x: T.ones_like(x, dtype="int8"), lambda x: np.ones_like(x, dtype="int8"),
           [((3, 4),)], out_dtype="int8"),
    OpSpec("full_like", lambda x: T.full_like(x, 7), lambda x: np.full_like(x, 7), [((3, 4),), ((),)],
           dtypes=[(F64,), (I32,)]),
    OpSpec("arange_stop", lambda n: T.arange(n), lambda n: np.arange(n), [((),)], dtypes=[(I64,), (I32,)],
           domain=_const(5), static_complete=False, out_dtype=I64),
    OpSpec("arange_empty", lambda n: T.arange(n), lambda n: np.arange(n), [((),)], dtypes=[(I64,)],
           domain=_const(0), static_complete=False),
    OpSpec("arange_float_bounds", T.arange, np.arange, [((), (), ())], domain=(_const(0.5), _const(3.2), _const(0.7)),
           static_complete=False, float32=False),
    OpSpec("arange_negative_step", T.arange, np.arange, [((), (), ())], dtypes=[(I64, I64, I64)],
           domain=(_const(5), _const(-2), _const(-2)), static_complete=False),
    OpSpec("arange_const", lambda: T.arange(5), lambda: np.arange(5), [()]),
    OpSpec("arange_const_float", lambda: T.arange(0.0, 1.0, 0.25), lambda: np.arange(0.0, 1.0, 0.25, dtype=FX), [()]),
    OpSpec("arange_const_negative", lambda: T.arange(5, 0, -2), lambda: np.arange(5, 0, -2), [()]),
    OpSpec("arange_const_float_step", lambda: T.arange(0, 1, 0.1), lambda: np.arange(0, 1, 0.1, dtype=FX), [()]),
    OpSpec("eye", lambda: T.eye(3), lambda: np.eye(3, dtype=FX), [()]),
    OpSpec("eye_rect_k", lambda: T.eye(3, 4, 1, dtype="int32"), lambda: np.eye(3, 4, 1, dtype=I32), [()]),
    OpSpec("eye_negative_k", lambda: T.eye(3, k=-1, dtype="float64"), lambda: np.eye(3, k=-1), [()], out_dtype=F64),
    OpSpec("eye_symbolic", lambda n, m: T.eye(n, m), lambda n, m: np.eye(int(n), int(m), dtype=FX), [((), ())],
           dtypes=[(I64, I64)], domain=(_const(2), _const(3)), static_complete=False),
    # Join's gradient slices with getitem (tensor/subtensor.py).
    OpSpec("concatenate_axis0", lambda a, b: T.concatenate([a, b]), lambda a, b: np.concatenate([a, b]),
           [((2, 3), (4, 3)), ((0, 3), (2, 3)), ((1,), (3,)), ((1, 3), (1, 3))], dtypes=MIXED, grad=HAVE_SUBTENSOR),
    OpSpec("concatenate_axis1", lambda a, b: T.concatenate([a, b], axis=1), lambda a, b: np.concatenate([a, b], 1),
           [((2, 3), (2, 1)), ((2, 0), (2, 2)), ((3, 1), (3, 1))], grad=HAVE_SUBTENSOR),
    OpSpec("concatenate_axis_neg1", lambda a, b, c: T.concatenate([a, b, c], axis=-1),
           lambda a, b, c: np.concatenate([a, b, c], -1), [((2, 1, 3), (2, 1, 2), (2, 1, 1))], grad=HAVE_SUBTENSOR),
    OpSpec("join", lambda a, b: T.join(1, a, b), lambda a, b: np.concatenate([a, b], 1),
           [((2, 3), (2, 4))], grad=HAVE_SUBTENSOR),
    OpSpec("join_single", lambda a: T.join(0, a), np.copy, [((2, 3),)], grad=True),
    OpSpec("stack_axis0", lambda a, b: T.stack([a, b]), lambda a, b: np.stack([a, b]),
           [((), ()), ((3,), (3,)), ((2, 3), (2, 3)), ((0,), (0,))], dtypes=MIXED, grad=HAVE_SUBTENSOR),
    OpSpec("stack_axis1", lambda a, b: T.stack([a, b], axis=1), lambda a, b: np.stack([a, b], 1),
           [((3,), (3,)), ((2, 3), (2, 3))], grad=HAVE_SUBTENSOR),
    OpSpec("stack_axis_neg1", lambda a, b: T.stack([a, b], axis=-1), lambda a, b: np.stack([a, b], -1),
           [((2, 3), (2, 3))], grad=HAVE_SUBTENSOR),
    OpSpec("split", lambda x: T.split(x, [1, 3], 2), lambda x: tuple(np.split(x, [1])), [((4, 2),), ((4,),)],
           dtypes=[(F64,), (I32,)]),
    OpSpec("split_axis1", lambda x: T.split(x, [2, 0, 1], 3, axis=1), lambda x: tuple(np.split(x, [2, 2], 1)),
           [((2, 3),), ((0, 3),)]),
    OpSpec("split_grad", lambda x: T.split(x, [1, 3], 2)[1], lambda x: x[1:], [((4, 2),), ((4,),)], grad=True),
    OpSpec("split_symbolic_sizes", lambda x, s: T.split(x, s, 2), lambda x, s: tuple(np.split(x, [int(s[0])])),
           [((5, 2), (2,))], dtypes=[(F64, I64)], domain=("real", _const(2, 3)), static_complete=False),
    OpSpec("cast", lambda x: T.cast(x, "int32"), lambda x: x.astype(I32), [((3, 4),), ((),)], out_dtype=I32,
           float32=False),
]

ALL_ROWS = REDUCE_ROWS + LINALG_ROWS + SHAPE_ROWS + BASIC_ROWS


@pytest.mark.parametrize("spec", params(ALL_ROWS))
def test_op(spec):
    check_op(spec)


# -- errors and Theano semantics that a row cannot express -------------------------------------------------------
def test_specify_shape_runtime_error():
    x = T.dmatrix("x")
    f = lb.function([x], T.specify_shape(x, (3, 4)) * 2)
    f(np.ones((3, 4)))
    with pytest.raises(ValueError, match="specify_shape"):
        f(np.ones((3, 5)))


def test_specify_shape_static_clash():
    with pytest.raises(ValueError, match="dimension 1"):
        T.specify_shape(T.tensor("float64", shape=(3, 4)), (3, 5))


def test_reshape_size_mismatch():
    with pytest.raises(ValueError, match="cannot reshape"):
        T.reshape(T.tensor("float64", shape=(3, 4)), (5, 2))
    x = T.dmatrix("x")
    f = lb.function([x], x.reshape((5, 2)))
    with pytest.raises(ValueError, match="reshape"):
        f(np.ones((3, 4)))


def test_squeeze_without_axis_drops_static_size_one_dims_only():
    # Theano's rule: only dimensions known to be broadcastable are dropped.
    col = T.col("c", dtype="float64")
    out = T.squeeze(col)
    assert out.ndim == 1
    f = lb.function([col], out)
    np.testing.assert_array_equal(f(np.ones((3, 1))), np.ones(3))
    assert T.squeeze(T.dmatrix()).ndim == 2


@pytest.mark.parametrize("fn", [T.max, T.min, T.argmax])
def test_reducing_an_empty_axis_raises(fn):
    x = T.dmatrix("x")
    f = lb.function([x], fn(x, axis=0))
    with pytest.raises(ValueError):
        f(np.zeros((0, 3)))


@pytest.mark.parametrize("axis", [2, -3, (0, 0)])
def test_bad_axis(axis):
    with pytest.raises(ValueError):
        T.sum(T.dmatrix(), axis=axis)


@pytest.mark.parametrize("a,b", [((3, 4), (5, 6)), ((4,), (3,))])
def test_dot_static_mismatch(a, b):
    with pytest.raises(ValueError, match="not aligned"):
        T.dot(T.tensor("float64", shape=a), T.tensor("float64", shape=b))


def test_split_sizes_must_add_up():
    x = T.dvector("x")
    f = lb.function([x], T.split(x, [1, 1], 2))
    with pytest.raises(ValueError, match="split"):
        f(np.ones(3))


def test_join_rank_mismatch():
    with pytest.raises(TypeError):
        T.concatenate([T.dmatrix(), T.dvector()])


# float16 data -> (reduction, float64 reference): accumulated in float32, returned as float16
_F16 = np.random.default_rng(0)
FLOAT16_ROWS = [
    ("mean of 1,000 values of 100", lambda x: T.mean(x), np.full(1000, 100, "float16"), lambda a: a.mean()),
    ("mean of 70,000 ones", lambda x: T.mean(x), np.ones(70000, "float16"), lambda a: a.mean()),
    ("var near 300", lambda x: T.var(x), (300 + 17 * _F16.standard_normal(5000)).astype("float16"),
     lambda a: a.var()),
    ("var with ddof=1", lambda x: T.var(x, ddof=1), (40 * _F16.standard_normal(3000)).astype("float16"),
     lambda a: a.var(ddof=1)),
    ("std of spread data", lambda x: T.std(x), (200 * _F16.standard_normal(2000)).astype("float16"),
     lambda a: a.std()),
    ("sum of 3,000 small values", lambda x: T.sum(x), np.full(3000, 0.01, "float16"), lambda a: a.sum()),
    ("prod of values near 1", lambda x: T.prod(x), np.full(500, 1.001, "float16"), lambda a: a.prod()),
]


@pytest.mark.parametrize("case, reduction, data, reference", FLOAT16_ROWS, ids=[r[0] for r in FLOAT16_ROWS])
def test_float16_reductions_accumulate_in_float32(case, reduction, data, reference):
    x = T.tensor("float16", shape=(None,), name="x")
    got = lb.function([x], reduction(x))(data)
    want = reference(data.astype("float64"))
    assert got.dtype == np.float16 and np.isfinite(got)
    np.testing.assert_allclose(float(got), want, rtol=2e-3)
