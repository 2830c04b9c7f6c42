"""Indexing (subtensor.py): ``x[idx]``, ``set_subtensor``/``inc_subtensor``, ``take`` and ``nonzero``.

One row per case through ``opcheck.check_op`` (values against NumPy, static shapes against run-time shapes, no
input mutation, strided/Fortran/reversed inputs, float32 twins, finite-difference gradients of x and y), then
tables of static shapes and of user errors, and a few properties of the ops themselves."""
import numpy as np
import pytest

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit_backend.backends import get_xp
from layerkit_backend.graph.basic import Constant
from layerkit_backend.tensor.subtensor import AdvancedIncSubtensor, AdvancedSubtensor, IncSubtensor, Subtensor
from opcheck import F64, OpSpec, check_op, params

I64, I32, B = "int64", "int32", "bool"


def fixed(value):
    """A value domain that always gives ``value`` (an index or a slice bound)."""
    return lambda rng, shape, dtype_: np.broadcast_to(np.asarray(value), shape).copy()


def with_zeros(rng, shape, dtype):
    x = rng.uniform(0.5, 1.5, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    return np.where(rng.random(shape) < 0.35, 0.0, x)


def indexed(name, idx, shapes, **kw):
    """A row for ``x[idx]`` with a constant index, on each shape of ``shapes``."""
    return OpSpec(name, lambda x: x[idx], lambda a: a[idx], [(s,) for s in shapes], grad=True, **kw)


def _set_ref(idx):
    def ref(a, v):
        out = a.copy()
        out[idx] = v
        return out
    return ref


def _inc_ref(idx):
    def ref(a, v):
        out = a.copy()
        np.add.at(out, idx, v)
        return out
    return ref


def updated(name, idx, shapes, set_=False, **kw):
    """A row for ``set_subtensor(x[idx], y)`` / ``inc_subtensor(x[idx], y)``; gradients of both x and y."""
    fn = T.set_subtensor if set_ else T.inc_subtensor
    return OpSpec(name, lambda x, y: fn(x[idx], y), (_set_ref if set_ else _inc_ref)(idx), shapes, grad=True, **kw)


def symbolic(name, build, ref, shapes, index_domains, index_dtypes, **kw):
    """A row whose index parts are symbolic inputs (after x), each with a fixed value."""
    return OpSpec(name, build, ref, shapes, dtypes=[(F64,) + tuple(index_dtypes)],
                  domain=("real",) + tuple(index_domains), static_complete=False, **kw)


ROWS = [
    # basic indexing: a view, no copy
    indexed("int", 1, [(3, 4), (2, 1), (5,)]),
    indexed("neg_int", -1, [(3, 4), (1, 3)]),
    indexed("int_pair_0d", (1, -2), [(3, 4), (2, 2)]),
    indexed("column", (slice(None), 0), [(3, 4), (1, 4), (3, 1), (0, 2)]),
    indexed("slice", slice(1, 3), [(4, 2), (1, 3), (0, 2), (2, 1, 3)]),
    indexed("slice_neg_bounds", slice(-3, -1), [(5, 2), (2, 2)]),
    indexed("neg_step", (slice(None, None, -2), slice(None, None, -1)), [(5, 3), (1, 1), (0, 2)]),
    indexed("neg_step_bounds", slice(3, 0, -1), [(5,), (2, 3)]),
    indexed("step_overshoot", slice(1, 100, 3), [(8, 2), (1, 2)]),
    indexed("empty_5_2", slice(5, 2), [(6, 4), (3,)]),
    indexed("newaxis", (None, slice(None), 1), [(3, 4), (2, 2)]),
    indexed("ellipsis_last", (Ellipsis, 1), [(2, 3, 4), (2, 2)]),
    indexed("ellipsis_middle", (0, Ellipsis, slice(1, None)), [(2, 3, 4), (1, 2)]),
    indexed("ellipsis_newaxis", (Ellipsis, None), [(2, 3), (4,)]),
    # advanced indexing: a copy, NumPy's placement of the index dimensions
    indexed("adv_repeats", [0, 2, 0, -1], [(4, 3), (3, 1), (3,)]),
    indexed("adv_columns", (slice(None), [1, 1, 0]), [(3, 4), (1, 2)]),
    indexed("adv_pair", ([0, 1, 1], [1, 0, 1]), [(2, 3), (2, 2, 2)]),
    indexed("adv_matrix", np.array([[0, 1], [1, 0], [1, 1]]), [(2, 3), (2,)]),
    indexed("adv_broadcast", (np.array([[0], [1]]), [0, 2, 1]), [(2, 3), (3, 4, 2)]),
    indexed("adv_nonadjacent", ([0, 1], slice(None), [1, 2]), [(2, 3, 4), (3, 1, 3)]),
    indexed("adv_int_counts_as_array", (0, slice(None), [0, 1]), [(2, 3, 4), (1, 2, 2)]),
    indexed("adv_int_adjacent", (slice(None), 1, [0, 0]), [(2, 3, 4), (1, 2, 1)]),
    indexed("adv_newaxis", (slice(None), None, [0, 2]), [(2, 3), (1, 4)]),
    indexed("adv_zero_ellipsis", (slice(None), [0, 1], Ellipsis, [0, 1]), [(3, 4, 5), (2, 2, 2)]),
    indexed("adv_empty_list", [], [(3, 4), (2,)]),
    indexed("mask_const", np.array([True, False, True]), [(3, 4), (3,)]),
    indexed("mask_const_2d", (np.array([[True, False], [False, True]]), 0), [(2, 2, 3)]),
    indexed("bool_scalar", True, [(3,), (2, 2)]),
    # symbolic index parts
    symbolic("sym_int", lambda x, i: x[i], lambda a, i: a[i], [((3, 4), ()), ((2, 1), ())], [fixed(-2)], [I64],
             grad=True),
    symbolic("sym_int32_column", lambda x, i: x[:, i], lambda a, i: a[:, i], [((3, 4), ())], [fixed(1)], [I32],
             grad=True),
    symbolic("sym_slice", lambda x, a, b: x[a:b], lambda x, a, b: x[a:b], [((5, 2), (), ()), ((1, 3), (), ())],
             [fixed(-4), fixed(3)], [I64, I64], grad=True),
    symbolic("sym_neg_step", lambda x, s: x[::s, 1:], lambda x, s: x[::s, 1:], [((5, 3), ()), ((1, 1), ())],
             [fixed(-2)], [I64], grad=True),
    symbolic("sym_empty", lambda x, a: x[a:2], lambda x, a: x[a:2], [((6, 2), ())], [fixed(5)], [I64]),
    symbolic("sym_vector_repeats", lambda x, v: x[v], lambda a, v: a[v], [((3, 4), (5,)), ((3, 1), (5,))],
             [fixed([0, 2, 0, -1, 2])], [I64], grad=True),
    symbolic("sym_matrix_columns", lambda x, m: x[:, m], lambda a, m: a[:, m], [((2, 3), (2, 2))],
             [fixed([[0, 2], [2, 2]])], [I32], grad=True),
    symbolic("sym_mixed", lambda x, s, v: x[s:, v], lambda a, s, v: a[s:, v], [((4, 3), (), (3,))],
             [fixed(1), fixed([2, 0, 2])], [I64, I64], grad=True),
    symbolic("sym_mask_rows", lambda x, m: x[m], lambda a, m: a[m], [((3, 4), (3,)), ((1, 2), (1,))], ["real"],
             [B], grad=True),
    OpSpec("mask_of_x", lambda x: x[x > 0], lambda a: a[a > 0], [((3, 4),), ((5,),), ((0, 2),)], grad=True,
           domain=with_zeros, grad_domain="nonzero", static_complete=False),
    OpSpec("mask_of_x_int", lambda x: x[T.neq(x, 0)], lambda a: a[a != 0], [((3, 4),)], dtypes=[(I32,)],
           static_complete=False, float32=False),
    # set_subtensor / inc_subtensor, y broadcast to the region
    updated("set_column", (slice(None), 1), [((3, 4), (3,)), ((3, 4), ()), ((1, 4), (1,))], set_=True),
    updated("set_slice_broadcast", slice(1, 3), [((4, 3), (3,)), ((4, 3), (1, 3)), ((4, 3), (2, 1))], set_=True),
    updated("inc_slice_broadcast", slice(1, 3), [((4, 3), (2, 3)), ((4, 3), (3,)), ((4, 3), (2, 1))]),
    updated("inc_neg_step", slice(None, None, -2), [((5, 2), (3, 2)), ((1, 2), ())]),
    updated("inc_int_0d", (1, 2), [((3, 4), ())]),
    updated("inc_newaxis", (None, 0), [((3, 4), (1, 4)), ((3, 4), ())]),
    updated("inc_empty", slice(5, 2), [((6, 2), (2,)), ((6, 2), ())]),
    updated("inc_adv_repeats", [0, 2, 0], [((3, 4), (3, 4)), ((3, 4), (4,)), ((3, 1), (3, 1))]),
    updated("inc_adv_mixed", (slice(1, None), [0, 2, 0]), [((3, 4), (2, 3)), ((3, 4), ())]),
    updated("set_adv_unique", ([2, 0], slice(None)), [((3, 4), (2, 4)), ((3, 4), (2, 1))], set_=True),
    updated("set_adv_pair", ([0, 1], [1, 0]), [((2, 3), (2,)), ((2, 3), ())], set_=True),
    updated("set_mask", np.array([True, False, True]), [((3, 2), (2, 2)), ((3, 2), ())], set_=True),
    updated("inc_mask", (slice(None), np.array([False, True])), [((3, 2), (3, 1)), ((3, 2), (1,)), ((3, 2), ())]),
    OpSpec("set_repeats_last_wins", lambda x, y: T.set_subtensor(x[[0, 0, 1]], y), _set_ref([0, 0, 1]),
           [((3, 2), (3, 2))]),
    OpSpec("inc_mask_of_x", lambda x, y: T.inc_subtensor(x[x > 0], y),
           lambda a, v: np.where(a > 0, a + v, a), [((3, 4), ()), ((5,), ())], domain=(with_zeros, "real"),
           grad_domain=("nonzero", "real"), grad=True),
    OpSpec("inc_sym_bounds", lambda x, y, a: T.inc_subtensor(x[a:], y), lambda x, y, a: _inc_ref(slice(a, None))(x, y),
           [((4, 3), (3,), ())], dtypes=[(F64, F64, I64)], domain=("real", "real", fixed(-2)), grad=True),
    OpSpec("set_sym_vector", lambda x, y, v: T.set_subtensor(x[v, 1], y), lambda x, y, v: _set_ref((v, 1))(x, y),
           [((4, 3), (2,), (2,))], dtypes=[(F64, F64, I64)], domain=("real", "real", fixed([3, -4])), grad=True),
    OpSpec("set_weak_number", lambda x: T.set_subtensor(x[1:], 7), lambda a: _set_ref(slice(1, None))(a, 7),
           [((3, 2),)], dtypes=[(I32,), (F64,)], float32=False),
    # take / nonzero
    OpSpec("take_axis0", lambda x: T.take(x, [2, 0, 2], axis=0), lambda a: np.take(a, [2, 0, 2], axis=0),
           [((3, 4),), ((3,),)], grad=True),
    OpSpec("take_flat", lambda x: T.take(x, [[0, 5], [3, 3]]), lambda a: np.take(a, [[0, 5], [3, 3]]),
           [((3, 4),), ((2, 3),)], grad=True),
    OpSpec("take_neg_axis", lambda x: T.take(x, 1, axis=-1), lambda a: np.take(a, 1, axis=-1), [((3, 4),), ((2, 2),)],
           grad=True),
    OpSpec("take_wrap", lambda x: T.take(x, [5, -7], axis=1, mode="wrap"),
           lambda a: np.take(a, [5, -7], axis=1, mode="wrap"), [((2, 4),), ((1, 3),)], static_complete=False),
    OpSpec("take_clip", lambda x: T.take(x, [5, -7, 1], axis=0, mode="clip"),
           lambda a: np.take(a, [5, -7, 1], axis=0, mode="clip"), [((4, 2),)], static_complete=False, grad=True),
    OpSpec("nonzero", lambda x: T.nonzero(x), np.nonzero, [((3, 4),), ((5,),), ((0, 3),), ((2, 1, 3),)],
           domain=with_zeros, static_complete=False),
    OpSpec("nonzero_matrix", lambda x: T.nonzero(x, return_matrix=True), lambda a: np.array(np.nonzero(a)),
           [((3, 4),), ((0, 2),)], domain=with_zeros, static_complete=False),
    OpSpec("flatnonzero", T.flatnonzero, np.flatnonzero, [((3, 4),), ((5,),)], domain=with_zeros,
           static_complete=False, dtypes=[(F64,), (I32,)]),
    OpSpec("nonzero_values", T.nonzero_values, lambda a: a[a != 0], [((3, 4),), ((2, 1, 3),)], domain=with_zeros,
           grad_domain="nonzero", static_complete=False, grad=True),
]


@pytest.mark.parametrize("spec", params(ROWS))
def test_op(spec):
    check_op(spec)


# -- static shapes --------------------------------------------------------------------------------------------------
STATIC_SHAPES = [
    # (id, static shape of x, index function, expected static output shape)
    ("column_unknown_rows", (None, 5), lambda x: x[:, 0], (None,)),
    ("slice_static", (6, 4), lambda x: x[1:5:2], (2, 4)),
    ("slice_empty", (6, 4), lambda x: x[5:2], (0, 4)),
    ("neg_step", (6,), lambda x: x[::-4], (2,)),
    ("neg_bounds", (6, 2), lambda x: x[-4:-1, -1], (3,)),
    ("slice_unknown", (None, 3), lambda x: x[1:3], (None, 3)),
    ("slice_of_broadcastable", (1, None), lambda x: x[:, 1:], (1, None)),
    ("slice_of_size1_from_1", (1, None), lambda x: x[1:], (0, None)),
    ("newaxis_ellipsis", (None, 3), lambda x: x[None, ..., None], (1, None, 3, 1)),
    ("symbolic_bound", (6, 4), lambda x: x[T.lscalar("a"):], (None, 4)),
    ("symbolic_bound_empty_dim", (0, 4), lambda x: x[T.lscalar("a"):], (0, 4)),
    ("adv_vector", (6, 4), lambda x: x[[0, 0, 1]], (3, 4)),
    ("adv_nonadjacent", (2, 3, 4), lambda x: x[0, :, [0, 1]], (2, 3)),
    ("adv_adjacent", (2, 3, 4), lambda x: x[:, 0, [0, 1, 1]], (2, 3)),
    ("adv_symbolic", (6, 4), lambda x: x[:, T.lvector("v")], (6, None)),
    ("adv_broadcast", (6, 4), lambda x: x[T.lmatrix("m"), [[0, 1, 2]]], (None, 3)),
    ("mask_symbolic", (6, 4), lambda x: x[x > 0], (None,)),
    ("mask_constant", (3, 4), lambda x: x[np.array([True, False, True])], (2, 4)),
    ("shape_element", (3, None), lambda x: x.shape[0], ()),
    ("set_keeps_shape", (3, None), lambda x: T.set_subtensor(x[:, 0], 1.0), (3, None)),
    ("alloc_from_shape", (3, 4), lambda x: T.zeros((x.shape[0], x.shape[1:][0])), (3, 4)),
]


@pytest.mark.parametrize("shape, index, want", [c[1:] for c in STATIC_SHAPES], ids=[c[0] for c in STATIC_SHAPES])
def test_static_shape(shape, index, want):
    x = T.tensor(F64, shape=shape, name="x")
    assert index(x).type.shape == want


def test_shape_element_of_static_size_is_a_constant():
    x = T.tensor(F64, shape=(3, None), name="x")
    assert isinstance(x.shape[0], Constant) and int(x.shape[0].data) == 3
    assert not isinstance(x.shape[1], Constant) and x.shape[-1].owner is not None


# -- user errors ----------------------------------------------------------------------------------------------------
def _x(shape=(3, 4), dtype=F64):
    return T.tensor(dtype, shape=shape, name="x")


ERRORS = [
    # (id, code that must fail, exception type, fragment of the message)
    ("float_index", lambda: _x()[1.5], TypeError, "invalid index 1.5"),
    ("float_symbolic_index", lambda: _x()[T.dscalar("f")], TypeError, "indices must be integers"),
    ("float_array_index", lambda: _x()[np.array([0.0, 1.0])], TypeError, "indices must be integers"),
    ("string_index", lambda: _x()["a"], TypeError, "invalid index"),
    ("float_slice_bound", lambda: _x()[1.0:], TypeError, "slice bounds"),
    ("float_symbolic_bound", lambda: _x()[:T.dscalar("f")], TypeError, "slice bounds must be integer scalars"),
    ("vector_slice_bound", lambda: _x()[T.lvector("v"):], TypeError, "slice bounds must be integer scalars"),
    ("zero_step", lambda: _x()[::0], ValueError, "step cannot be zero"),
    ("too_many_indices", lambda: _x()[0, 0, 0], IndexError, "too many indices for a 2-d tensor"),
    ("too_many_with_mask", lambda: _x()[0, T.bmatrix("m") > 0], IndexError, "too many indices"),
    ("two_ellipses", lambda: _x()[..., 0, ...], IndexError, "single ellipsis"),
    ("int_out_of_range", lambda: _x()[3], IndexError, "index 3 is out of bounds for dimension 0 with size 3"),
    ("neg_int_out_of_range", lambda: _x()[:, -5], IndexError, "index -5 is out of bounds for dimension 1"),
    ("array_out_of_range", lambda: _x()[[0, 4]], IndexError, "index 4 is out of bounds"),
    ("mask_shape_mismatch", lambda: _x()[np.ones(4, bool)], IndexError, "does not match the shape (3,)"),
    ("index_arrays_not_broadcastable", lambda: _x()[[0, 1], [0, 1, 2]], IndexError, "cannot be broadcast"),
    ("shape_element_out_of_range", lambda: _x().shape[2], IndexError, "out of bounds"),
    ("set_on_plain_variable", lambda: T.set_subtensor(_x(), 1.0), TypeError, "must be an indexed tensor"),
    ("inc_on_computed", lambda: T.inc_subtensor(_x() + 1, 1.0), TypeError, "must be an indexed tensor"),
    ("set_float_into_int", lambda: T.set_subtensor(_x(dtype=I32)[0], T.dvector("y")), TypeError,
     "without losing information"),
    ("set_weak_fraction_into_int", lambda: T.set_subtensor(_x(dtype=I32)[0], 1.5), TypeError, "losing information"),
    ("y_too_many_dims", lambda: T.set_subtensor(_x()[0], T.dmatrix("y")), TypeError, "y has 2 dimensions"),
    ("y_bad_static_shape", lambda: T.inc_subtensor(_x()[:, 0], np.ones(4)), ValueError, "cannot be broadcast"),
    ("take_bad_mode", lambda: T.take(_x(), [0], axis=0, mode="nearest"), ValueError, "mode must be"),
    ("take_bad_axis", lambda: T.take(_x(), [0], axis=2), ValueError, "axis 2 is out of range"),
    ("take_float_indices", lambda: T.take(_x(), np.array([0.5])), TypeError, "indices must be integers"),
    ("nonzero_of_scalar", lambda: T.nonzero(T.dscalar("s")), ValueError, "at least 1 dimension"),
    ("subtensor_with_array", lambda: Subtensor(("array",))(_x(), np.array([0])), TypeError,
     "needs an index with only ints"),
    ("wrong_index_input_type", lambda: Subtensor(("int",))(_x(), T.lvector("v")), TypeError, "expects an integer "
     "scalar"),
]


@pytest.mark.parametrize("code, exc, fragment", [c[1:] for c in ERRORS], ids=[c[0] for c in ERRORS])
def test_error(code, exc, fragment):
    with pytest.raises(exc) as info:
        code()
    assert fragment in str(info.value), f"message {str(info.value)!r} lacks {fragment!r}"


RUNTIME_ERRORS = [
    # (id, build(x, i), value of i): NumPy's IndexError, raised when the function runs
    ("int", lambda x, i: x[i], 7),
    ("array", lambda x, i: x[i.dimshuffle("x")], -9),
    ("set", lambda x, i: T.set_subtensor(x[i], 0.0), 5),
]


@pytest.mark.parametrize("build, value", [c[1:] for c in RUNTIME_ERRORS], ids=[c[0] for c in RUNTIME_ERRORS])
def test_runtime_index_error(build, value):
    x, i = T.dmatrix("x"), T.lscalar("i")
    f = lb.function([x, i], build(x, i))
    with pytest.raises(IndexError):
        f(np.zeros((3, 4)), value)


# -- properties of the ops ------------------------------------------------------------------------------------------
def test_repeated_indices_accumulate():
    x = T.dvector("x")
    f = lb.function([x], [T.inc_subtensor(x[[0, 0, 2]], 1.0), T.set_subtensor(x[[0, 0]], [1.0, 2.0]),
                          lb.grad(x[[1, 1, 1]].sum(), x)])
    inc, set_, g = f(np.zeros(3))
    assert inc.tolist() == [2.0, 0.0, 1.0]
    assert set_.tolist() == [2.0, 0.0, 0.0]  # the last write wins
    assert g.tolist() == [0.0, 3.0, 0.0]


def test_ops_structure_and_aliasing():
    x, i = T.dmatrix("x"), T.lscalar("i")
    basic, adv = x[1:i, 0], x[[0, 1], i]
    assert isinstance(basic.owner.op, Subtensor) and basic.owner.op.view_map == {0: [0]}
    assert basic.owner.op.idx_list == (("slice", True, True, False), "int")
    assert isinstance(adv.owner.op, AdvancedSubtensor) and adv.owner.op.view_map == {}
    assert x[1:i, 0].owner.op == basic.owner.op and hash(x[2:i, 1].owner.op) == hash(basic.owner.op)
    assert x[0, :].owner.op == x[0].owner.op == x[0, ...].owner.op  # trailing full slices are dropped
    for upd in (T.inc_subtensor(basic, 1.0), T.set_subtensor(adv, 1.0)):
        assert isinstance(upd.owner.op, (IncSubtensor, AdvancedIncSubtensor))
        assert not upd.owner.op.view_map and not upd.owner.op.destroy_map


def test_outputs_never_alias_and_inputs_untouched():
    a = np.arange(24.0).reshape(4, 6)[:, ::2]  # non-contiguous
    x = T.dmatrix("x")
    f = lb.function([x], [x[:, 0], x[1:], x[[0, 0]], T.set_subtensor(x[1:, 0], -1.0), T.inc_subtensor(x[[1, 1]], 1.0)])
    before = a.copy()
    outs = f(a)
    np.testing.assert_array_equal(a, before)
    for out in outs:
        assert not np.shares_memory(out, a)
    np.testing.assert_array_equal(outs[0], before[:, 0])
    assert outs[4][1].tolist() == (before[1] + 2).tolist()


def test_constant_index_thunk_is_prebuilt():
    x = T.dmatrix("x")
    node = x[:, 0].owner
    thunk = node.op.make_thunk(node, get_xp("cpu"))
    a = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(thunk(a, None), a[:, 0])  # the constant index input is not even read


def test_dtype_of_y_follows_x():
    x, xi = T.fmatrix("x"), T.imatrix("xi")
    assert T.set_subtensor(x[0], T.dvector("y")).dtype == "float32"
    assert T.inc_subtensor(x[0], T.ivector("y")).dtype == "float32"
    out = T.set_subtensor(xi[0], 2.0)  # a Python number that an integer can hold exactly
    assert out.dtype == "int32"
    assert lb.function([xi], out)(np.zeros((2, 2), "int32")).tolist() == [[2, 2], [0, 0]]


def test_set_subtensor_of_folded_constant_element():
    c = T.constant(np.arange(4, dtype="int64"))
    elem = c[2]
    assert isinstance(elem, Constant) and int(elem.data) == 2
    assert T.set_subtensor(elem, 9).eval().tolist() == [0, 1, 9, 3]


def test_gradient_wrt_symbolic_index_is_disconnected():
    x, i = T.dvector("x"), T.lscalar("i")
    g = lb.grad(x[i:].sum() + T.inc_subtensor(x[i], 2.0).sum(), [x, i], disconnected_inputs="ignore")
    gx, gi = lb.function([x, i], g)(np.ones(4), 1)
    assert gx.tolist() == [1.0, 2.0, 2.0, 2.0] and gi == 0
