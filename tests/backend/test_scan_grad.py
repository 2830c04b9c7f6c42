"""Gradients through scan: finite differences (one table), a hand-unrolled tanh RNN, second order, truncation."""
import numpy as np
import pytest

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit_backend.gradient import hessian, jacobian, verify_grad
from layerkit_backend.tensor.shared_randomstreams import RandomStreams

RNG = np.random.default_rng(0)


def _rnn(x, h0, W, U):
    h, _ = lb.scan(lambda xt, h, W, U: T.tanh(T.dot(xt, W) + T.dot(h, U)), sequences=x, outputs_info=h0,
                   non_sequences=[W, U])
    return h


def _output_taps(x0, a):
    y, _ = lb.scan(lambda p2, p1, a: T.tanh(a * p2 + p1), outputs_info=dict(initial=x0, taps=[-2, -1]),
                   non_sequences=a, n_steps=6)
    return y


def _three_taps(x0):
    y, _ = lb.scan(lambda p3, p1: T.sin(p3) * p1, outputs_info=dict(initial=x0, taps=[-3, -1]), n_steps=5)
    return y


def _sequence_taps(x):
    return lb.scan(lambda a, b, c: a * b + T.sin(c), sequences=dict(input=x, taps=[-1, 0, 2]))[0]


def _backwards_last(x, h0):
    h, _ = lb.scan(lambda xt, h: T.tanh(xt + h * 2), sequences=x, outputs_info=h0, go_backwards=True)
    return h[-1]


def _closure_and_nitsot(x, w):  # w is read from the closure: an implicit non-sequence
    outs, _ = lb.scan(lambda xt, s: [s * T.cos(xt * w), T.exp(xt * w)], sequences=x,
                      outputs_info=[T.ones_like(w), None])
    return outs[0].sum() + outs[1].sum()


def _nested(m):
    def row(r):
        return lb.scan(lambda v, acc: acc * v + v, sequences=r, outputs_info=T.constant(0.0))[0]

    return lb.scan(row, sequences=m)[0] ** 2


def _reduce_product(x):
    return lb.reduce(lambda v, acc: acc * v, x, T.constant(1.0))[0]


def _until_loop(x0):
    out, _ = lb.scan(lambda h: (h * 1.5, lb.until(h.sum() > 10)), outputs_info=x0, n_steps=50)
    return out


GRADS = [
    ("tanh rnn", _rnn, [RNG.normal(size=(5, 3)), RNG.normal(size=4), RNG.normal(size=(3, 4)) * .5,
                        RNG.normal(size=(4, 4)) * .5]),
    ("output taps -2 -1", _output_taps, [RNG.normal(size=(2, 3)), RNG.normal(size=3)]),
    ("output taps -3 -1", _three_taps, [RNG.normal(size=(3, 2))]),
    ("sequence taps -1 0 2", _sequence_taps, [RNG.normal(size=(7, 2))]),
    ("go_backwards", _backwards_last, [RNG.normal(size=(5, 3)), RNG.normal(size=3)]),
    ("closure and nit-sot", _closure_and_nitsot, [RNG.normal(size=(4, 2)), RNG.normal(size=2)]),
    ("nested scan", _nested, [RNG.normal(size=(2, 3))]),
    ("reduce", _reduce_product, [RNG.normal(size=4)]),
    ("until", _until_loop, [np.array([1.0, 2.0])]),
]


@pytest.mark.parametrize("name,fun,points", GRADS, ids=[r[0] for r in GRADS])
def test_gradient_matches_finite_differences(name, fun, points):
    verify_grad(fun, points, rng=np.random.default_rng(1), n_tests=1)


def _unrolled_rnn(x, h0, W, steps):
    h, total = h0, 0
    for t in range(steps):
        h = T.tanh(x[t] + T.dot(h, W))
        total = total + (h ** 2).sum()
    return total


def test_tanh_rnn_matches_hand_unrolled_graph_to_second_order():
    W = lb.shared(RNG.normal(size=(3, 3)) * .5, name="W")
    x, h0, v = T.dmatrix("x"), T.dvector("h0"), T.dmatrix("v")
    h, _ = lb.scan(lambda xt, h: T.tanh(xt + T.dot(h, W)), sequences=x, outputs_info=h0)
    costs = [(h ** 2).sum(), _unrolled_rnn(x, h0, W, 4)]
    outs = []
    for cost in costs:
        gx = lb.grad(cost, x)
        hvp = lb.grad((gx * v).sum(), x)  # a Hessian-vector product through the loop
        outs.append(lb.function([x, h0, v], [cost] + lb.grad(cost, [W, h0]) + [gx, hvp]))
    args = RNG.normal(size=(4, 3)), RNG.normal(size=3), RNG.normal(size=(4, 3))
    for a, b in zip(outs[0](*args), outs[1](*args)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    scans = [n for n in outs[0].maker.fgraph.apply_nodes if isinstance(n.op, lb.scan_module.Scan)]
    assert len({n.op.inner for n in scans}) == len(scans)  # each loop runs once: the forward node is merged


def test_truncate_gradient_keeps_the_last_steps():
    x, h0 = T.dmatrix("x"), T.dvector("h0")

    def run(truncate):
        h, _ = lb.scan(lambda xt, h: T.tanh(xt + h * 0.9), sequences=x, outputs_info=h0,
                       truncate_gradient=truncate)
        return lb.function([x, h0], lb.grad(h[-1].sum(), [x, h0]))

    args = RNG.normal(size=(6, 2)), RNG.normal(size=2)
    (full_x, full_h0), (cut_x, cut_h0) = run(-1)(*args), run(2)(*args)
    np.testing.assert_allclose(cut_x[-2:], full_x[-2:])
    np.testing.assert_array_equal(cut_x[:-2], 0)
    np.testing.assert_array_equal(cut_h0, 0)


def test_jacobian_and_hessian_without_static_shapes_use_scan():
    x = T.dvector("x")
    J, H = jacobian(T.sin(x) * x.sum(), x), hessian((x ** 3).sum(), x)
    f = lb.function([x], [J, H])
    xv = np.array([0.5, -1.0, 2.0])
    j, h = f(xv)
    np.testing.assert_allclose(j, np.diag(np.cos(xv) * xv.sum()) + np.sin(xv)[:, None])
    np.testing.assert_allclose(h, np.diag(6 * xv))


def test_bptt_training_reduces_the_loss():
    rng = np.random.default_rng(3)
    W = lb.shared(rng.normal(size=(2, 4)) * .3, name="W")
    U = lb.shared(rng.normal(size=(4, 4)) * .3, name="U")
    V = lb.shared(rng.normal(size=(4, 1)) * .3, name="V")
    x, y = T.dmatrix("x"), T.dvector("y")
    h, _ = lb.scan(lambda xt, h: T.tanh(T.dot(xt, W) + T.dot(h, U)), sequences=x,
                   outputs_info=T.zeros((4,), dtype="float64"))
    loss = ((T.dot(h, V)[:, 0] - y) ** 2).mean()
    params = [W, U, V]
    train = lb.function([x, y], loss, updates=[(p, p - 0.2 * g) for p, g in zip(params, lb.grad(loss, params))])
    xv = rng.normal(size=(10, 2))
    yv = np.cumsum(xv[:, 0]) * 0.3  # a running sum: needs the recurrence
    losses = [float(train(xv, yv)) for _ in range(60)]
    assert losses[-1] < 0.5 * losses[0]


def test_gradient_through_random_draws_in_the_loop_is_refused_clearly():
    srng = RandomStreams(0)
    x = T.dvector("x")
    h, _ = lb.scan(lambda xt, h: T.tanh(h + xt * srng.uniform(())), sequences=x, outputs_info=T.constant(0.0))
    with pytest.raises(NotImplementedError, match="per-step values"):
        lb.grad(h.sum(), x)


@pytest.mark.parametrize("steps,every", [(7, 3), (6, 2), (4, 10)])
def test_scan_checkpoints_matches_scan_values_and_gradients(steps, every):
    W = lb.shared(np.random.default_rng(2).normal(size=(3, 3)) * .5, name="W")
    xs, h0 = T.dmatrix("xs"), T.dvector("h0")

    def step(x_t, h):
        return T.tanh(x_t + T.dot(h, W))

    checkpointed, _ = lb.scan_checkpoints(step, sequences=[xs], outputs_info=[h0], save_every_N=every)
    full, _ = lb.scan(step, sequences=xs, outputs_info=h0)
    fns = [lb.function([xs, h0], [h, h[-1]] + lb.grad((h[-1] ** 2).sum(), [W, xs, h0]))
           for h in (checkpointed, full)]
    args = np.random.default_rng(3).normal(size=(steps, 3)), np.ones(3)
    got, want = fns[0](*args), fns[1](*args)
    chunk_ends = [min(k + every, steps) - 1 for k in range(0, steps, every)]
    np.testing.assert_allclose(got[0], want[0][chunk_ends])  # outputs: the state at the end of each chunk
    for a, b in zip(got[1:], want[1:]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
