"""Symbolic gradients: grad against analytic derivatives, higher orders, jacobian/hessian, Lop/Rop, the
gradient-shaping ops, disconnected and integer inputs, known_grads, run-time broadcasting and verify_grad."""
import warnings

import numpy as np
import pytest

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit_backend.graph.basic import Apply, Op
from layerkit_backend.gradient import (DisconnectedInputError, GradientError, Lop, Rop, consider_constant,
                                       disconnected_grad, grad, grad_clip, grad_scale, hessian, jacobian,
                                       verify_grad, zero_grad)

XV = np.array([0.3, -1.2, 0.8, 2.0])
A = np.arange(8.0).reshape(2, 4) / 7.0 - 0.5


def _values(f, inputs, values, mode=None):
    return lb.function(inputs, f, mode=mode, on_unused_input="ignore")(*values)


# -- grad against analytic derivatives ----------------------------------------------------------------------------
GRAD_CASES = [
    # (id, cost(x) for a float64 vector x, analytic gradient at XV)
    ("square", lambda x: (x ** 2).sum(), lambda v: 2 * v),
    ("sqr", lambda x: T.sqr(x).sum(), lambda v: 2 * v),
    ("tanh", lambda x: T.tanh(x).sum(), lambda v: 1 - np.tanh(v) ** 2),
    ("exp_sin", lambda x: (T.exp(x) * T.sin(x)).sum(), lambda v: np.exp(v) * (np.sin(v) + np.cos(v))),
    ("quotient", lambda x: (x / (1 + x ** 2)).sum(), lambda v: (1 - v ** 2) / (1 + v ** 2) ** 2),
    ("sqrt", lambda x: T.sqrt(x ** 2 + 1).sum(), lambda v: v / np.sqrt(v ** 2 + 1)),
    ("log1p_sq", lambda x: T.log(1 + x ** 2).sum(), lambda v: 2 * v / (1 + v ** 2)),
    ("abs", lambda x: abs(x).sum(), np.sign),
    ("maximum", lambda x: T.maximum(x, 0.5).sum(), lambda v: (v > 0.5).astype(float)),
    ("max", lambda x: x.max(), lambda v: (v == v.max()).astype(float)),
    ("dot_self", lambda x: T.dot(x, x), lambda v: 2 * v),
    ("mean_times_sum", lambda x: x.mean() * x.sum(), lambda v: np.full_like(v, 2 * v.sum() / v.size)),
    ("matrix_vector", lambda x: T.tanh(T.dot(A, x)).sum(), lambda v: A.T @ (1 - np.tanh(A @ v) ** 2)),
    ("outer_sum", lambda x: (x.dimshuffle(0, "x") * x.dimshuffle("x", 0)).sum(),
     lambda v: np.full_like(v, 2 * v.sum())),
    ("sigmoid", lambda x: T.sigmoid(x).sum(), lambda v: np.exp(-v) / (1 + np.exp(-v)) ** 2),
    ("neg_sub", lambda x: (3 - x * 2).sum(), lambda v: np.full_like(v, -2.0)),
    ("pow_const_base", lambda x: (2.0 ** x).sum(), lambda v: np.log(2.0) * 2.0 ** v),
    ("switch", lambda x: T.switch(x > 0, x ** 2, -x).sum(), lambda v: np.where(v > 0, 2 * v, -1.0)),
    ("clip", lambda x: T.clip(x, -1.0, 1.0).sum(), lambda v: ((v > -1) & (v < 1)).astype(float)),
    ("cast_roundtrip", lambda x: (x.astype("float32") * 3).astype("float64").sum(), lambda v: np.full_like(v, 3.0)),
]


@pytest.mark.parametrize("cost, analytic", [c[1:] for c in GRAD_CASES], ids=[c[0] for c in GRAD_CASES])
def test_grad_matches_analytic(cost, analytic):
    x = T.dvector("x")
    g = grad(cost(x), x)
    assert g.dtype == "float64" and g.ndim == 1
    np.testing.assert_allclose(_values(g, [x], [XV]), analytic(XV), rtol=1e-10, atol=1e-12)


def test_grad_with_several_wrt_and_matrix_inputs():
    x, w = T.dvector("x"), T.dmatrix("w")
    cost = T.tanh(T.dot(w, x)).sum() + (w ** 2).sum()
    gx, gw = grad(cost, [x, w])
    s = 1 - np.tanh(A @ XV) ** 2
    rx, rw = _values([gx, gw], [x, w], [XV, A])
    np.testing.assert_allclose(rx, A.T @ s)
    np.testing.assert_allclose(rw, np.outer(s, XV) + 2 * A)


WRT_CASES = [
    # (id, build(x) -> (cost, wrt, inputs, values), expected gradient)
    ("intermediate", lambda x: (lambda y: ((y ** 2).sum(), y, [x], [XV]))(x * 2), 4 * XV),
    ("cost_itself", lambda x: (lambda c: (c, c, [x], [XV]))(x.sum()), 1.0),
    ("shared", lambda x: (lambda w: ((w ** 3).sum(), w, [], []))(lb.shared(XV, name="w")), 3 * XV ** 2),
    ("split_one_output_used", lambda x: ((T.split(x, [1, 3], 2)[1] ** 2).sum(), x, [x], [XV]),
     np.concatenate([[0.0], 2 * XV[1:]])),
    ("split_both_outputs", lambda x: (lambda p: ((p[0] * 3).sum() + (p[1] ** 2).sum(), x, [x], [XV]))(
        T.split(x, [1, 3], 2)), np.concatenate([[3.0], 2 * XV[1:]])),
]


@pytest.mark.parametrize("build, expected", [c[1:] for c in WRT_CASES], ids=[c[0] for c in WRT_CASES])
def test_grad_wrt_other_kinds_of_variables(build, expected):
    cost, wrt, inputs, values = build(T.dvector("x"))
    np.testing.assert_allclose(_values(grad(cost, wrt), inputs, values), expected)


def test_grad_single_vs_list_and_names():
    x = T.dscalar("x")
    c = x ** 2
    c.name = "c"
    g = grad(c, x)
    assert not isinstance(g, list) and g.name == "(dc/dx)"
    assert isinstance(grad(c, [x]), list)


GRAD_ARG_ERRORS = [
    ("vector_cost", lambda x: grad(x * 2, x), TypeError, r"scalar"),
    ("int_cost", lambda x: grad(T.iscalar("i") * 2, x), TypeError, r"float"),
    ("wrt_not_variable", lambda x: grad(x.sum(), 3.0), TypeError, r"wrt"),
    ("bad_option", lambda x: grad(x.sum(), x, disconnected_inputs="loud"), ValueError, r"disconnected_inputs"),
    ("nothing", lambda x: grad(None, x), ValueError, r"cost or known_grads"),
]


@pytest.mark.parametrize("build, exc, regex", [c[1:] for c in GRAD_ARG_ERRORS], ids=[c[0] for c in GRAD_ARG_ERRORS])
def test_grad_argument_errors(build, exc, regex):
    with pytest.raises(exc, match=regex):
        build(T.dvector("x"))


# -- higher order -------------------------------------------------------------------------------------------------
def test_grads_of_grads():
    x = T.dscalar("x")
    d1 = grad(x ** 3, x)
    d2 = grad(d1, x)
    d3 = grad(d2, x)
    for xv in (-1.5, 0.0, 2.0):
        r1, r2, r3 = _values([d1, d2, d3], [x], [xv])
        assert np.isclose(r1, 3 * xv ** 2) and np.isclose(r2, 6 * xv) and np.isclose(r3, 6.0)
    y = T.dscalar("y")
    mixed = grad(grad(T.sin(x * y), x), y)  # d2/dxdy sin(xy) = cos(xy) - xy sin(xy)
    np.testing.assert_allclose(_values(mixed, [x, y], [0.7, 1.3]), np.cos(0.91) - 0.91 * np.sin(0.91))


ZERO_SECOND_ORDER = [
    # (id, cost(x)): the cost depends on x, but its gradient reads x only through shapes or not at all
    ("grad_of_sum", lambda x: grad(x.sum(), x).sum()),
    ("grad_of_linear", lambda x: (grad((x * 3 + 1).sum(), x) * 2).sum()),
    ("shape_only", lambda x: T.cast(T.shape_i(x, 0), "float64") * 2.0),
]


@pytest.mark.parametrize("cost", [c[1] for c in ZERO_SECOND_ORDER], ids=[c[0] for c in ZERO_SECOND_ORDER])
def test_dependence_through_shapes_only_gives_zero_gradient(cost):
    x = T.dvector("x")
    g = grad(cost(x), x)  # not a DisconnectedInputError: the cost does depend on x
    assert g.dtype == "float64"
    np.testing.assert_array_equal(_values(g, [x], [XV]), np.zeros(4))


def test_jacobian_and_hessian_static_sizes():
    x = T.tensor("float64", shape=(4,), name="x")
    f = T.tanh(x) * x.sum()
    J = jacobian(f, x)
    t = np.tanh(XV)
    np.testing.assert_allclose(_values(J, [x], [XV]), np.diag((1 - t ** 2) * XV.sum()) + t[:, None])
    # a matrix-valued expression and a list of wrt
    y = T.tensor("float64", shape=(2,), name="y")
    m = T.dot(A.T, y).dimshuffle("x", 0) * x.dimshuffle(0, "x")  # shape (4, 4): x_i * (A.T y)_j
    jx, jy = jacobian(m, [x, y])
    yv = np.array([0.5, -2.0])
    rx, ry = _values([jx, jy], [x, y], [XV, yv])
    assert rx.shape == (4, 4, 4) and ry.shape == (4, 4, 2)
    ay = A.T @ yv
    np.testing.assert_allclose(rx, np.einsum("ik,j->ijk", np.eye(4), ay))
    np.testing.assert_allclose(ry, np.einsum("i,jk->ijk", XV, A.T))
    H = hessian((x ** 3).sum() + x.sum() ** 2, x)
    np.testing.assert_allclose(_values(H, [x], [XV]), np.diag(6 * XV) + 2.0)
    H_linear, H_mixed = hessian(x.sum() * 3, x), hessian((x ** 2).sum() + x.sum(), x)
    r_linear, r_mixed = _values([H_linear, H_mixed], [x], [XV])
    np.testing.assert_array_equal(r_linear, np.zeros((4, 4)))
    np.testing.assert_allclose(r_mixed, 2 * np.eye(4))
    v = T.dvector("v")  # no static shape: the Jacobian is a scan over its elements (as in Theano)
    np.testing.assert_array_equal(_values(jacobian(v * 2, v), [v], [XV]), 2 * np.eye(4))


# -- Lop and Rop --------------------------------------------------------------------------------------------------
def test_lop_and_rop_match_explicit_jacobian_products():
    x, v, u = T.dvector("x"), T.dvector("v"), T.dvector("u")
    f = T.tanh(T.dot(A, x))
    jac = (1 - np.tanh(A @ XV) ** 2)[:, None] * A  # (2, 4)
    vv, uv = np.array([0.7, -1.1]), np.array([1.0, 0.5, -0.25, 2.0])
    lop = Lop(f, x, v)
    rop = Rop(f, x, u)
    rl, rr = _values([lop, rop], [x, v, u], [XV, vv, uv])
    np.testing.assert_allclose(rl, vv @ jac)
    np.testing.assert_allclose(rr, jac @ uv)
    # several outputs and wrt
    w = T.dmatrix("w")
    g = (w ** 2).sum(axis=1)
    rops = Rop([f, g], [x, w], [u, T.ones_like(w)])
    r_f, r_g = _values(rops, [x, u, w], [XV, uv, A])
    np.testing.assert_allclose(r_f, jac @ uv)
    np.testing.assert_allclose(r_g, (2 * A).sum(axis=1))
    with pytest.raises(ValueError, match="eval_points"):
        Lop([f, g], x, [v])


# -- gradient-shaping ops -----------------------------------------------------------------------------------------
SHAPER_CASES = [
    # (id, cost(x), analytic gradient, forward value)
    ("consider_constant_arg", None, lambda v: v ** 2, lambda v: (v ** 3).sum()),
    ("consider_constant_fn", lambda x: (x * consider_constant(x ** 2)).sum(), lambda v: v ** 2,
     lambda v: (v ** 3).sum()),
    ("zero_grad", lambda x: (x * zero_grad(x ** 2)).sum(), lambda v: v ** 2, lambda v: (v ** 3).sum()),
    ("zero_grad_alone", lambda x: zero_grad(x).sum() + x.sum() * 0, lambda v: 0 * v, lambda v: v.sum()),
    ("disconnected_grad", lambda x: (x * disconnected_grad(x ** 2)).sum(), lambda v: v ** 2,
     lambda v: (v ** 3).sum()),
    ("grad_clip", lambda x: (grad_clip(x, -1.0, 1.0) ** 2).sum(), lambda v: np.clip(2 * v, -1, 1),
     lambda v: (v ** 2).sum()),
    ("grad_clip_scaled", lambda x: (grad_clip(x, -0.5, 0.5) * 5).sum(), lambda v: np.full_like(v, 0.5),
     lambda v: 5 * v.sum()),
    ("grad_scale", lambda x: (grad_scale(x, 3.0) ** 2).sum(), lambda v: 6 * v, lambda v: (v ** 2).sum()),
    ("grad_scale_negative", lambda x: T.sin(grad_scale(x, -1.0)).sum(), lambda v: -np.cos(v),
     lambda v: np.sin(v).sum()),
]


@pytest.mark.parametrize("cost, analytic, forward", [c[1:] for c in SHAPER_CASES], ids=[c[0] for c in SHAPER_CASES])
def test_gradient_shaping_ops(cost, analytic, forward):
    x = T.dvector("x")
    if cost is None:  # grad's consider_constant argument
        y = x ** 2
        c = (x * y).sum()
        g = grad(c, x, consider_constant=[y])
    else:
        c = cost(x)
        g = grad(c, x)
    rc, rg = _values([c, g], [x], [XV])
    np.testing.assert_allclose(rc, forward(XV))
    np.testing.assert_allclose(rg, analytic(XV))


# -- disconnected and integer inputs ------------------------------------------------------------------------------
def test_disconnected_inputs():
    x, y = T.dvector("x"), T.dmatrix("unrelated")
    cost = (x ** 2).sum()
    with pytest.raises(DisconnectedInputError, match="unrelated"):
        grad(cost, [x, y])
    with pytest.raises(DisconnectedInputError, match="unrelated"):
        grad(cost, y, disconnected_inputs="raise")
    with pytest.warns(UserWarning, match="unrelated"):
        gx, gy = grad(cost, [x, y], disconnected_inputs="warn")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gy2 = grad(cost, y, disconnected_inputs="ignore")
    assert gy.dtype == gy2.dtype == "float64" and gy.ndim == 2
    np.testing.assert_array_equal(_values(gy2, [y], [np.ones((2, 3))]), np.zeros((2, 3)))
    for how in ("None", "Disconnected"):
        assert grad(cost, y, disconnected_inputs="ignore", return_disconnected=how) is None
    # stopping the gradient disconnects the input
    with pytest.raises(DisconnectedInputError):
        grad(disconnected_grad(x).sum(), x)


def test_consider_constant_blocks_only_the_given_variable():
    x = T.dvector("x")
    y = x * 2
    with pytest.raises(DisconnectedInputError):
        grad(y.sum(), x, consider_constant=[y])
    np.testing.assert_allclose(_values(grad((y + x).sum(), x, consider_constant=[y]), [x], [XV]), np.ones(4))


def test_consider_constant_keeps_the_gradient_of_the_variable_itself():
    x = T.dvector("x")
    y = T.tanh(x)
    cost = (y ** 2).sum() + x.sum()
    gy, gx = grad(cost, [y, x], consider_constant=[y])
    ry, rx = _values([gy, gx], [x], [XV])
    np.testing.assert_allclose(ry, 2 * np.tanh(XV))
    np.testing.assert_allclose(rx, np.ones(4))  # nothing flows from y back to x
    total = y.sum()
    with pytest.raises(DisconnectedInputError):
        grad(total, x, consider_constant=[total])  # a blocked cost passes nothing on


INT_CASES = [
    # (id, cost(x, i) with x a dvector and i an ivector)
    ("cast_product", lambda x, i: (x * i).sum()),
    ("index_like_use", lambda x, i: (x * T.cast(i, "float64") ** 2).sum()),
    ("comparison", lambda x, i: T.switch(i > 1, x, -x).sum()),
]


@pytest.mark.parametrize("cost", [c[1] for c in INT_CASES], ids=[c[0] for c in INT_CASES])
def test_integer_inputs_get_zero_gradients(cost):
    x, i = T.dvector("x"), T.ivector("i")
    c = cost(x, i)
    gx, gi = grad(c, [x, i])
    assert gi.dtype == lb.config.floatX and gi.ndim == 1
    iv = np.array([1, 2, 3, 4], "int32")
    rx, ri = _values([gx, gi], [x, i], [XV, iv])
    np.testing.assert_array_equal(ri, np.zeros(4))
    assert rx.shape == (4,)
    # an integer input the cost does not use is disconnected, like any other
    with pytest.raises(DisconnectedInputError):
        grad(c, T.ivector("other"))


# -- known_grads --------------------------------------------------------------------------------------------------
def test_known_grads():
    x, gy = T.dvector("x"), T.dvector("gy")
    y = T.tanh(x)
    g = grad(None, x, known_grads={y: gy})
    gyv = np.array([1.0, -2.0, 0.5, 3.0])
    np.testing.assert_allclose(_values(g, [x, gy], [XV, gyv]), gyv * (1 - np.tanh(XV) ** 2))
    # a cost and known gradients add up
    g2 = grad((x ** 2).sum(), x, known_grads={y: gy})
    np.testing.assert_allclose(_values(g2, [x, gy], [XV, gyv]), 2 * XV + gyv * (1 - np.tanh(XV) ** 2))
    with pytest.raises(ValueError, match="dims"):
        grad(None, x, known_grads={y: T.dmatrix()})


# -- broadcasting known only at run time --------------------------------------------------------------------------
BROADCAST_CASES = [
    # (id, shape of a, shape of b, cost(a, b) with c a (3, 4) weight)
    ("row_add", (1, 4), (3, 4), lambda a, b, c: ((a + b) * c).sum()),
    ("row_mul", (1, 4), (3, 4), lambda a, b, c: (a * b).sum()),
    ("col_add", (3, 1), (3, 4), lambda a, b, c: ((a + b) * c).sum()),
    ("both_broadcast", (1, 4), (3, 1), lambda a, b, c: ((a - b) * c).sum()),
    ("scalar_like", (1, 1), (3, 4), lambda a, b, c: (T.tanh(a * b) * c).sum()),
    ("no_broadcast", (3, 4), (3, 4), lambda a, b, c: ((a + b) * c).sum()),
]


def _broadcast_reference(kind, av, bv, cv):
    """d cost / d a and d cost / d b by NumPy, summing over broadcast dimensions."""
    def reduce_to(g, shape):
        axes = tuple(d for d, (gs, s) in enumerate(zip(g.shape, shape)) if s == 1 and gs != 1)
        return g.sum(axis=axes, keepdims=True)

    if kind == "row_mul":
        ga, gb = np.broadcast_to(bv, (3, 4)), np.broadcast_to(av, (3, 4))
    elif kind == "scalar_like":
        s = cv * (1 - np.tanh(av * bv) ** 2)
        ga, gb = s * bv, s * av
    elif kind == "both_broadcast":
        ga, gb = cv, -cv
    else:
        ga = gb = cv
    return reduce_to(np.asarray(ga), av.shape), reduce_to(np.asarray(gb), bv.shape)


@pytest.mark.parametrize("mode", [None, "FAST_COMPILE"])
@pytest.mark.parametrize("sa, sb, cost", [c[1:] for c in BROADCAST_CASES], ids=[c[0] for c in BROADCAST_CASES])
def test_gradient_through_runtime_broadcasting(sa, sb, cost, mode):
    a, b = T.dmatrix("a"), T.dmatrix("b")  # static shapes (?, ?): broadcasting is only known at run time
    rng = np.random.default_rng(2)
    cv = rng.normal(size=(3, 4))
    av, bv = rng.normal(size=sa), rng.normal(size=sb)
    ga, gb = grad(cost(a, b, T.constant(cv)), [a, b])
    ra, rb = _values([ga, gb], [a, b], [av, bv], mode=mode)
    assert ra.shape == sa and rb.shape == sb
    kind = next(c[0] for c in BROADCAST_CASES if c[1:3] == (sa, sb) and c[3] is cost)
    ea, eb = _broadcast_reference(kind, av, bv, cv)
    np.testing.assert_allclose(ra, ea)
    np.testing.assert_allclose(rb, eb)


def test_runtime_broadcast_row_gradient_is_column_sums():
    a, b = T.matrix("a"), T.matrix("b")  # floatX
    ga = grad(((a + b) ** 2).sum(), a)
    av = np.ones((1, 4), "float32")
    bv = np.arange(12, dtype="float32").reshape(3, 4)
    r = lb.function([a, b], ga)(av, bv)
    assert r.shape == (1, 4) and r.dtype == np.float32
    np.testing.assert_allclose(r, (2 * (av + bv)).sum(axis=0, keepdims=True))
    # the same compiled gradient with a full-size a
    r_full = lb.function([a, b], ga)(np.ones((3, 4), "float32"), bv)
    np.testing.assert_allclose(r_full, 2 * (1 + bv))


def test_vector_broadcast_against_matrix():
    v, m = T.dvector("v"), T.dmatrix("m")
    gv, gm = grad((T.exp(v + m) * m).sum(), [v, m])
    vv, mv = XV[:3], A[:, :3]
    rv, rm = _values([gv, gm], [v, m], [vv, mv])
    e = np.exp(vv + mv)
    np.testing.assert_allclose(rv, (e * mv).sum(axis=0))
    np.testing.assert_allclose(rm, e * mv + e)


# -- verify_grad --------------------------------------------------------------------------------------------------
class _WrongSquare(Op):
    """x ** 2 forward, with a deliberately wrong gradient (g * x instead of 2 * g * x)."""

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def perform(self, xp, node, inputs):
        return [xp.square(inputs[0])]

    def grad(self, inputs, output_grads):
        return [output_grads[0] * inputs[0]]


class _RightSquare(_WrongSquare):
    def grad(self, inputs, output_grads):
        return [output_grads[0] * inputs[0] * 2]


def test_verify_grad_catches_a_wrong_gradient():
    pt = [np.array([0.5, -1.5, 2.0])]
    rng = np.random.default_rng(0)
    verify_grad(lambda x: _RightSquare()(x), pt, rng=rng)
    verify_grad(lambda x, y: T.tanh(x * y).sum(), pt + [np.array([1.0, 0.2, -0.3])], rng=rng)
    with pytest.raises(GradientError, match="input 0"):
        verify_grad(lambda x: _WrongSquare()(x), pt, rng=rng)
    with pytest.raises(GradientError, match="input 1"):
        verify_grad(lambda x, y: x + _WrongSquare()(y), pt + [np.array([1.0, 2.0, 3.0])], rng=rng)
    with pytest.raises(TypeError, match="float"):
        verify_grad(lambda x: x * 2, [np.array([1, 2])], rng=rng)


def test_verify_grad_float32():
    verify_grad(lambda x: T.tanh(x) * 2, [np.array([0.1, 0.5, -0.4], "float32")], rng=np.random.default_rng(1))
