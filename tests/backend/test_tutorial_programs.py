"""Programs written the way Theano 1.0's tutorial teaches, with only the import changed.

Each test is one small program touching a tutorial topic: algebra, More Examples (logistic function, several
outputs, defaults, shared state, givens, copy with swap), derivatives, Rop/Lop, and a logistic regression.
"""
import numpy as np
import pytest

import layerkit_backend
import layerkit_backend.tensor as T
from layerkit_backend import In, function, shared


def test_adding_two_scalars_and_matrices():
    x, y = T.dscalar("x"), T.dscalar("y")
    f = function([x, y], x + y)
    assert float(f(2, 3)) == 5.0
    assert f(16.3, 12.1) == pytest.approx(28.4)
    a, b = T.dmatrices("a", "b")
    g = function([a, b], a + b)
    np.testing.assert_array_equal(g([[1, 2], [3, 4]], [[10, 20], [30, 40]]), [[11, 22], [33, 44]])
    assert (x + y).eval({x: 1.5, y: 2.0}) == 3.5


def test_logistic_function_and_several_outputs():
    x = T.dmatrix("x")
    logistic = function([x], 1 / (1 + T.exp(-x)))
    tanh_form = function([x], (1 + T.tanh(x / 2)) / 2)
    m = np.array([[0, 1], [-1, -2]], dtype=float)
    np.testing.assert_allclose(logistic(m), 1 / (1 + np.exp(-m)))
    np.testing.assert_allclose(tanh_form(m), logistic(m))
    a, b = T.dmatrices("a", "b")
    diff = a - b
    f = function([a, b], [diff, abs(diff), diff ** 2])
    d, ad, sq = f([[1, 1], [1, 1]], [[0, 1], [2, 3]])
    np.testing.assert_array_equal(d, [[1, 0], [-1, -2]])
    np.testing.assert_array_equal(ad, [[1, 0], [1, 2]])
    np.testing.assert_array_equal(sq, [[1, 0], [1, 4]])


def test_default_values_and_names():
    x, y, w = T.dscalars("x", "y", "w")
    z = (x + y) * w
    f = function([x, In(y, value=1), In(w, value=2, name="w_by_name")], z)
    assert float(f(33)) == 68
    assert float(f(33, 2)) == 70
    assert float(f(33, 0, 1)) == 33
    assert float(f(33, w_by_name=1)) == 34
    assert float(f(33, w_by_name=1, y=0)) == 33


def test_shared_accumulator_givens_and_copy():
    state = shared(0)
    inc = T.iscalar("inc")
    accumulator = function([inc], state, updates=[(state, state + inc)])
    assert int(accumulator(1)) == 0
    assert int(state.get_value()) == 1
    accumulator(300)
    assert int(state.get_value()) == 301
    state.set_value(-1)
    decrementor = function([inc], state, updates=[(state, state - inc)])
    decrementor(2)
    assert int(state.get_value()) == -3

    fn_of_state = state * 2 + inc
    foo = T.scalar(dtype=state.dtype)
    skip_shared = function([inc, foo], fn_of_state, givens=[(state, foo)])
    assert int(skip_shared(1, 3)) == 7
    assert int(state.get_value()) == -3  # givens replaced the shared variable: it is untouched

    new_state = shared(0)
    new_accumulator = accumulator.copy(swap={state: new_state})
    new_accumulator(100)
    assert int(new_state.get_value()) == 100
    assert int(state.get_value()) == -3


def test_derivatives_second_order_and_jacobian_products():
    x = T.dscalar("x")
    gy = T.grad(x ** 2, x)
    f = function([x], gy)
    assert float(f(4)) == 8.0
    assert float(function([x], T.grad(gy, x))(4)) == 2.0

    m = T.dmatrix("m")
    s = T.sum(1 / (1 + T.exp(-m)))
    ds = function([m], T.grad(s, m))
    v = np.array([[0, 1], [-1, -2]], dtype=float)
    sig = 1 / (1 + np.exp(-v))
    np.testing.assert_allclose(ds(v), sig * (1 - sig))

    W, V = T.dmatrices("W", "V")
    xv = T.dvector("x")
    y = T.dot(xv, W)
    jv = function([W, V, xv], T.Rop(y, W, V))
    np.testing.assert_allclose(jv([[1, 1], [1, 1]], [[2, 2], [2, 2]], [0, 1]), [2, 2])
    vv = T.dvector("v")
    vj = function([vv, xv], T.Lop(y, W, vv), on_unused_input="ignore")
    np.testing.assert_allclose(vj([2, 2], [0, 1]), [[0, 0], [2, 2]])


def test_logistic_regression_trains():
    rng = np.random.default_rng(0)
    n, feats = 400, 20
    data_x = rng.standard_normal((n, feats))
    true_w = rng.standard_normal(feats)
    data_y = (data_x @ true_w > 0).astype(np.float64)
    x, y = T.dmatrix("x"), T.dvector("y")
    w = shared(rng.standard_normal(feats) * 0.01, name="w")
    b = shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    prediction = p_1 > 0.5
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    gw, gb = T.grad(cost, [w, b])
    train = function([x, y], [prediction, xent], updates=((w, w - 0.5 * gw), (b, b - 0.5 * gb.astype(b.dtype))))
    predict = function([x], prediction)
    for _ in range(200):
        train(data_x, data_y)
    assert (predict(data_x) == data_y).mean() > 0.95


def test_config_is_reachable_like_theano():
    assert layerkit_backend.config.floatX in ("float32", "float64")
    assert T.matrix().dtype == layerkit_backend.config.floatX
