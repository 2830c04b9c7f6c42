"""The in-place GEMM update of shared matrices (rewrite/blas.py, tensor/linalg.GemmUpdate): same values as the plain
graph, nothing changed by a failing call, and no other value sees the buffer being overwritten."""
import numpy as np
import pytest

import layerkit_backend as lb
import layerkit_backend.tensor as T

PLAIN = lb.Mode(excluding=["local_gemm_update"])
RNG = np.random.default_rng(0)


def _count(f):
    return sum(type(n.op).__name__ == "GemmUpdate" for n in f.maker.fgraph.toposort())


def _shared(shape, dtype, name, order="C"):
    return lb.shared(np.asarray(RNG.standard_normal(shape), dtype=dtype, order=order), name=name)


# a learning rate held in a shared variable (an optimizer's, which callbacks may change between calls)
RATE = {dtype: lb.shared(np.asarray(0.1, dtype=dtype), name=f"rate_{dtype}") for dtype in ("float32", "float64")}

UPDATES = [
    # (id, update expression of (W, a, b)) where a: (m, k) and b: (k, n), or transposes
    ("shared_rate", lambda w, a, b: w - RATE[w.dtype] * T.dot(a, b)),
    ("shared_rate_right", lambda w, a, b: w - T.dot(a, b) * RATE[w.dtype]),
    ("sub_scaled", lambda w, a, b: w - 0.1 * T.dot(a, b)),
    ("sub_scaled_right", lambda w, a, b: w - T.dot(a, b) * 0.1),
    ("add_scaled", lambda w, a, b: w + 0.5 * T.dot(a, b)),
    ("sub_plain", lambda w, a, b: w - T.dot(a, b)),
    ("gradient_shape", lambda w, a, b: w - 0.01 * T.dot(a.T.T, b)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, update", UPDATES, ids=[u[0] for u in UPDATES])
def test_values_equal_the_plain_graph(name, update, dtype):
    a, b = T.matrix("a", dtype=dtype), T.matrix("b", dtype=dtype)
    w1, w2 = _shared((4, 3), dtype, "w1"), _shared((4, 3), dtype, "w2")
    w2.set_value(w1.get_value())
    fast = lb.function([a, b], [], updates=[(w1, update(w1, a, b))])
    plain = lb.function([a, b], [], updates=[(w2, update(w2, a, b))], mode=PLAIN)
    assert _count(fast) == 1 and _count(plain) == 0
    for step in range(3):
        RATE[dtype].set_value(np.asarray(0.1 * (step + 1), dtype=dtype))   # a changed rate is read every call
        av = RNG.standard_normal((4, 5)).astype(dtype)
        bv = RNG.standard_normal((5, 3)).astype(dtype)
        fast(av, bv)
        plain(av, bv)
        np.testing.assert_allclose(w1.get_value(), w2.get_value(), rtol=1e-5 if dtype == "float32" else 1e-12)


def test_transposed_and_non_contiguous_operands():
    x, g = T.dmatrix("x"), T.dmatrix("g")
    w = _shared((6, 3), "float64", "w")
    start = w.get_value()
    f = lb.function([x, g], [], updates=[(w, w - 0.1 * T.dot(x.T, g))])
    xv, gv = RNG.standard_normal((5, 6)), RNG.standard_normal((3, 5)).T  # g arrives Fortran-ordered
    f(xv, gv)
    np.testing.assert_allclose(w.get_value(), start - 0.1 * xv.T @ gv, rtol=1e-12)
    xs = RNG.standard_normal((5, 12))[:, ::2]  # neither C- nor F-contiguous: NumPy computes the product
    f(xs, gv)
    np.testing.assert_allclose(w.get_value(), start - 0.1 * xv.T @ gv - 0.1 * xs.T @ gv, rtol=1e-12)


def test_a_failing_call_changes_no_shared_variable():
    a, b, c, d = T.dmatrices("a", "b", "c", "d")
    w, v = _shared((2, 2), "float64", "w"), _shared((2, 2), "float64", "v")
    before = w.get_value(), v.get_value()
    f = lb.function([a, b, c, d], [], updates=[(w, w - 0.1 * T.dot(a, b)), (v, v - 0.1 * T.dot(c, d))])
    assert _count(f) == 2
    good, bad = np.ones((2, 2)), np.ones((3, 2))
    with pytest.raises(ValueError, match="while computing op GemmUpdate"):
        f(good, good, good, bad)  # v's product fails; w's would have succeeded
    np.testing.assert_array_equal(w.get_value(), before[0])
    np.testing.assert_array_equal(v.get_value(), before[1])


def test_outputs_and_other_updates_see_the_old_value():
    a, b = T.dmatrices("a", "b")
    w = _shared((2, 3), "float64", "w")
    copy_of_w = lb.shared(np.zeros((2, 3)), name="copy_of_w")
    old = w.get_value()
    borrowed_snapshot = w.get_value()
    f = lb.function([a, b], w * 1, updates=[(w, w - 1.0 * T.dot(a, b)), (copy_of_w, w)])
    returned = f(np.ones((2, 4)), np.ones((4, 3)))
    np.testing.assert_array_equal(returned, old)  # a function returns the values from before its updates
    np.testing.assert_array_equal(copy_of_w.get_value(), old)
    np.testing.assert_array_equal(w.get_value(), old - 4.0)
    np.testing.assert_array_equal(borrowed_snapshot, old)  # get_value() copies


def test_broadcast_shared_value_is_updated_out_of_place():
    a, b = T.dmatrices("a", "b")
    w = lb.shared(np.ones((1, 3)), name="w")  # the product is (2, 3): w cannot hold it, so a new array is made
    f = lb.function([a, b], [], updates=[(w, w - T.dot(a, b))])
    f(np.ones((2, 2)), np.ones((2, 3)))
    np.testing.assert_array_equal(w.get_value(), np.full((2, 3), -1.0))


def test_training_step_matches_without_the_rewrite():
    x, y = T.dmatrix("x"), T.dvector("y")
    params = [_shared((5, 4), "float64", "W"), lb.shared(np.zeros(4), name="b"), _shared((4, 1), "float64", "V")]
    twins = [lb.shared(p.get_value(), name=p.name + "_plain") for p in params]

    def step(ps, mode):
        w, bias, v = ps
        pred = T.dot(T.tanh(T.dot(x, w) + bias), v)[:, 0]
        loss = ((pred - y) ** 2).mean()
        return lb.function([x, y], loss, updates=[(p, p - 0.05 * g) for p, g in zip(ps, lb.grad(loss, ps))],
                           mode=mode)

    fast, plain = step(params, None), step(twins, PLAIN)
    assert _count(fast) == 2  # W and V (the bias gradient is a sum, not a product)
    xv, yv = RNG.standard_normal((8, 5)), RNG.standard_normal(8)
    for _ in range(5):
        np.testing.assert_allclose(fast(xv, yv), plain(xv, yv), rtol=1e-12)
    for p, q in zip(params, twins):
        np.testing.assert_allclose(p.get_value(), q.get_value(), rtol=1e-12)


def test_concurrent_calls_of_an_in_place_training_step_add_up():
    from concurrent.futures import ThreadPoolExecutor

    a, b = T.dmatrices("a", "b")
    w = lb.shared(np.zeros((64, 64)), name="w")
    f = lb.function([a, b], [], updates=[(w, w + 1.0 * T.dot(a, b))])
    ones = np.ones((64, 1))
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: f(ones, ones.T), range(200)))
    np.testing.assert_array_equal(w.get_value(), np.full((64, 64), 200.0))  # no update lost or torn
