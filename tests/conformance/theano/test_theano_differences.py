"""One test per documented difference from Theano 1.0.5 (differences.py, docs/migration.md): what layerkit_backend
does instead, checked against NumPy. And docs/migration.md lists every difference with its pinning test."""
import os
import re

import numpy as np
import pytest

import layerkit_backend as lb
import layerkit_backend.tensor as T
from differences import DIFFERENCES
from layerkit_backend.gradient import NullTypeGradError

HERE = os.path.dirname(os.path.abspath(__file__))
MIGRATION = os.path.join(HERE, "..", "..", "..", "docs", "migration.md")


@pytest.fixture(autouse=True)
def float64_by_default():
    before = lb.config.floatX
    lb.config.floatX = "float64"  # Theano's default, so the differences below are the ones that remain
    yield
    lb.config.floatX = before


def test_every_difference_is_in_migration_md_with_its_test():
    text = open(MIGRATION).read()
    for key, diff in DIFFERENCES.items():
        assert f"`{key}`" in text, f"docs/migration.md does not list the difference {key}"
        test = diff.pinned_by.split("::")[1]
        assert test in globals(), f"{key}: the pinning test {test} does not exist"
        assert test in text, f"docs/migration.md does not name {test} for {key}"


def test_dtype_rules():
    i32, f32, u8 = T.ivector("i"), T.fvector("f"), T.vector("u", dtype="uint8")
    assert (i32 * f32).dtype == "float32"               # Theano: float64
    assert T.exp(i32).dtype == lb.config.floatX          # Theano: float64 for int32, float32 for int8
    assert (f32 * 0.1).dtype == "float32"                # Theano: float64 with floatX=float64
    assert (u8 + 2).dtype == "uint8" and (T.bvector() + 300).dtype == "int16"  # Theano: int16 and int16
    assert T.fill(T.dmatrix(), 3.0).dtype == "float64"   # Theano: float32 (3.0 is exact in float32)


def test_rounding_keeps_integer_dtypes():
    i = T.ivector("i")
    b = i > 0
    for build in (T.floor, T.ceil, T.trunc, T.round):
        assert build(i).dtype == "int32" and build(b).dtype == "bool"
    values = np.array([-2, 0, 3], dtype="int32")
    np.testing.assert_array_equal(T.floor(i).eval({i: values}), values)
    assert T.iround(i).dtype == "int64"


def test_cumulative_ops_accumulate_in_int64():
    b = T.dvector("x") > 0
    got = lb.function([b.owner.inputs[0]], [T.cumsum(b), T.cumprod(b)])
    x = np.array([1.0, -1.0, 2.0, 3.0])
    s, p = got(x)
    assert T.cumsum(T.bvector()).dtype == "int64"  # Theano: int8
    np.testing.assert_array_equal(s, np.cumsum(x > 0))
    np.testing.assert_array_equal(p, np.cumprod(x > 0))
    assert s.dtype == p.dtype == np.int64


def test_nan_algebra_follows_ieee():
    x = T.dvector("x")
    values = np.array([np.nan, np.inf, -np.inf, 0.0, 2.0])
    for mode in (None, "FAST_COMPILE"):
        f = lb.function([x], [x / x, x - x, x * 0, T.eq(x, x), T.neq(x, x)], mode=mode)
        with np.errstate(all="ignore"):
            want = [values / values, values - values, values * 0, values == values, values != values]
            for got, ref in zip(f(values), want):
                np.testing.assert_array_equal(got, ref)


def test_unknown_size_one_dimensions_broadcast():
    x, y = T.dvector("x"), T.dvector("y")  # Theano: shapes (1,) and (3,) do not match unless x is declared (True,)
    np.testing.assert_array_equal((x + y).eval({x: [1.0], y: [1.0, 2.0, 3.0]}), [2.0, 3.0, 4.0])
    g = lb.function([x, y], T.grad((x * y).sum(), x))
    np.testing.assert_array_equal(g([2.0], [1.0, 2.0, 3.0]), [6.0])  # summed back to x's shape
    m = T.dmatrix("m")
    np.testing.assert_array_equal(m.dimshuffle(1).eval({m: [[1.0, 2.0]]}), [1.0, 2.0])  # dropped at run time
    with pytest.raises(ValueError):
        m.dimshuffle(1).eval({m: [[1.0, 2.0], [3.0, 4.0]]})
    x3, v3 = T.dtensor3("x3"), T.dtensor3("v3")  # neither declared broadcastable
    got = T.fill(x3, v3).eval({x3: np.zeros((3, 2, 1)), v3: np.ones((3, 1, 1))})
    np.testing.assert_array_equal(got, np.ones((3, 2, 1)))  # Theano: raised, or (3, 1, 1) once fill(x, v) -> v


def test_shape_of_a_failing_join_raises():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    f = lb.function([x, y], T.join(0, x, y).shape)
    np.testing.assert_array_equal(f(np.ones((5, 4)), np.ones((3, 4))), [8, 4])
    with pytest.raises(ValueError):
        f(np.ones((5, 4)), np.ones((3, 3)))  # Theano answered [8, 4]


def test_ultra_fast_sigmoid_has_the_derivative_of_its_pieces():
    x = T.dvector("x")
    values = np.array([-5.0, -2.0, 0.3, 4.0, 7.0])
    step = 1e-6
    f = lb.function([x], T.nnet.ultra_fast_sigmoid(x))
    numeric = (f(values + step) - f(values - step)) / (2 * step)
    np.testing.assert_allclose(lb.function([x], T.grad(T.nnet.ultra_fast_sigmoid(x).sum(), x))(values), numeric,
                               rtol=1e-6, atol=1e-9)


def test_prod_and_cumprod_gradients_at_zeros():
    x = T.dvector("x")
    values = np.array([2.0, 0.0, 3.0, 0.5])
    g_prod, g_cumprod = lb.function([x], [T.grad(T.prod(x), x), T.grad(T.cumprod(x).sum(), x)])(values)
    others = np.array([np.prod(np.delete(values, k)) for k in range(4)])
    np.testing.assert_allclose(g_prod, others)  # Theano: NaN where the product is divided by the zero
    want = [sum(np.prod(np.delete(values[:j + 1], k)) for j in range(k, 4)) for k in range(4)]
    np.testing.assert_allclose(g_cumprod, want)


def test_gradients_have_their_variables_dtype():
    x = T.fvector("x")
    for build in (lambda v: (v // 2).sum(), lambda v: T.floor(v).sum(), lambda v: (v * 2).sum()):
        assert T.grad(build(x), x).dtype == "float32"


def test_meaningless_bool_arithmetic():
    b = T.dvector("x") > 0
    for name, build in [("int_div", lambda: b // b), ("mod", lambda: b % b), ("neg", lambda: -b),
                        ("sub", lambda: b - b), ("sgn", lambda: T.sgn(b))]:
        with pytest.raises(TypeError, match=f"{name}: not defined for bool tensors"):
            build()


def test_float_writes_into_integer_tensors_are_refused():
    i, f = T.ivector("i"), T.dvector("f")
    with pytest.raises(TypeError, match="cast y first"):
        T.set_subtensor(i[:2], f[:2])
    with pytest.raises(TypeError, match="cast y first"):
        T.set_subtensor(i[:2], 2.7)
    np.testing.assert_array_equal(T.set_subtensor(i[:2], 1.0).eval({i: np.zeros(3, "int32")}), [1, 1, 0])


def test_no_gradient_through_piecewise_constants():
    x = T.dvector("x")
    values = np.array([0.0, -1.0, 2.0])
    cost = (T.log(x) * T.floor(x)).sum() * 0 + T.sgn(T.log(x)).sum() + (T.log(x) ** 0).sum()
    with np.errstate(all="ignore"):
        got = lb.function([x], T.grad(cost, x))(values)
    np.testing.assert_array_equal(got[1:], 0.0)  # Theano: NaN (0 * log'(x) at x = 0 is 0 * inf)
    np.testing.assert_array_equal(lb.function([x], T.grad(T.sgn(T.log(x)).sum(), x))(values), 0.0)


def test_nonfinite_gradients_stay_nonfinite():
    x = T.dvector("x")
    with np.errstate(all="ignore"):
        g = lb.function([x], T.grad((x ** 0.5 * T.log(x)).sum(), x))(np.array([0.0, 1.0]))
    assert not np.isfinite(g[0]) and np.isfinite(g[1])


def test_elu_gradient_where_exp_overflows():
    x = T.dvector("x")
    g = lb.function([x], T.grad(T.nnet.elu(x).sum(), x))(np.array([1e300, -1.0, 2.0]))
    np.testing.assert_allclose(g, [1.0, np.exp(-1.0), 1.0])  # Theano: NaN at 1e300


def test_where_theano_was_wrong():
    # each line is a graph on which Theano 1.0.5 (C and Python code alike unless said) gave what its comment says
    r = T.TensorType("float64", (True,))("r")  # declared broadcastable
    m = T.TensorType("float64", (False, True))("m")
    g_r, g_m = lb.function([r, m], T.grad(T.extra_ops.diff(m.min(axis=0) * r).sum(), [r, m]))(
        np.array([2.0]), np.array([[1.0], [3.0]]))
    assert g_r.shape == (1,) and g_m.shape == (2, 1)  # Theano: (2,) and (2, 2)
    v = T.dvector("v")
    assert v.mean(keepdims=True)[1:].eval({v: np.array([1.0, 2.0])}).shape == (0,)  # Theano: (1,)
    b = T.TensorType("int8", (True,))("b")
    assert T.isinf(b)[:2:-1].eval({b: np.array([3], "int8")}).shape == (0,)  # Theano: a Rebroadcast error
    x, y = T.dvector("x"), T.dscalar("y")
    above = T.gt(y, T.cumsum(x > 0))
    got = lb.function([x, y], above)(np.array([1.0, -1.0, 2.0]), 1.5)
    assert got.dtype == above.dtype == "bool"  # Theano's Python code: int64 values of a graph declared bool
    np.testing.assert_array_equal(got, 1.5 > np.cumsum([True, False, True]))
    c = T.TensorType("float64", (True, True, False))("c")
    with pytest.raises(ValueError, match="broadcast"):
        T.switch(c, v, v).eval({c: np.ones((1, 1, 2)), v: np.zeros(0)})  # Theano: shape (1, 1, 0)


def test_sigmoid_is_not_cut_off():
    x, xf = T.dvector("x"), T.fvector("xf")
    points = np.array([-750.0, -40.0, 20.0, 40.0])
    with np.errstate(over="ignore"):
        want = 1.0 / (1.0 + np.exp(-points))
    got = T.nnet.sigmoid(x).eval({x: points})
    np.testing.assert_allclose(got, want, rtol=1e-15)
    assert got[1] > 0 and got[2] < 1  # Theano: 0.0 at -40 (its Python code), 1.0 at 20 (its C code)
    got = T.nnet.sigmoid(xf).eval({xf: np.float32([-60.0, 16.0])})
    assert got[0] > 0 and got[1] < 1  # Theano: 0.0 at -60 (Python code), 1.0 at 16 (C code)


def test_graphs_theano_could_not_run():
    m, i = T.dmatrix("m"), T.ivector("i")
    x = T.dtensor3("x")
    np.testing.assert_array_equal(T.grad(T.repeat(x, 2, axis=1).sum(), x).eval({x: np.ones((2, 2, 2))}),
                                  np.full((2, 2, 2), 2.0))
    np.testing.assert_array_equal(T.argmax(m, axis=None, keepdims=True).eval({m: [[1.0, 5.0], [2.0, 0.0]]}),
                                  np.argmax([[1.0, 5.0], [2.0, 0.0]], axis=None, keepdims=True))
    assert T.nnet.softmax(m).eval({m: np.zeros((1, 0))}).shape == (1, 0)
    np.testing.assert_array_equal((i ** T.constant(np.array([-1, 2], dtype="int32"))).eval(
        {i: np.array([2, 3], dtype="int32")}), [0, 9])
    with pytest.raises(NullTypeGradError):  # (and where Theano had no gradient, neither has layerkit)
        T.grad(T.nlinalg.svd(m)[1].sum(), m)


def test_int_div_of_floats_is_the_floor_of_the_quotient():
    x, y = T.dvectors("x", "y")
    a, b = np.array([3.7, 1.0, -1.0, 7.0]), np.array([0.1, -np.inf, np.inf, 2.0])
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal((x // y).eval({x: a, y: b}), np.floor(a / b))  # NumPy's floor_divide: 36, -1...
