"""scan: Theano's loop tutorial with only the import changed, forward semantics, gradients, errors.

Each table row is one program or case; one checker per table.
"""
from collections import OrderedDict

import numpy as np
import pytest

import layerkit_backend as theano  # Theano's tutorial programs, with only this import changed
import layerkit_backend.tensor as T
from layerkit_backend.tensor.shared_randomstreams import RandomStreams

RNG = np.random.default_rng(0)
floatX = theano.config.floatX


# -- Theano's scan tutorial ---------------------------------------------------------------------------------------
def tut_power():
    k = T.iscalar("k")
    A = T.vector("A")
    result, updates = theano.scan(fn=lambda prior_result, A: prior_result * A, outputs_info=T.ones_like(A),
                                  non_sequences=A, n_steps=k)
    final_result = result[-1]
    power = theano.function(inputs=[A, k], outputs=final_result, updates=updates)
    return power(np.arange(10, dtype=floatX), 2), np.arange(10) ** 2


def tut_polynomial():
    coefficients = T.vector("coefficients")
    x = T.scalar("x")
    full_range = T.arange(10000)
    components, updates = theano.scan(fn=lambda coefficient, power, free_variable:
                                      coefficient * (free_variable ** power),
                                      outputs_info=None, sequences=[coefficients, full_range], non_sequences=x)
    polynomial = components.sum()
    calculate_polynomial = theano.function(inputs=[coefficients, x], outputs=polynomial)
    return calculate_polynomial(np.asarray([1, 0, 2], dtype=floatX), 3), 19.0


def tut_sum_arange():
    up_to = T.iscalar("up_to")

    def accumulate_by_adding(arange_val, sum_to_date):
        return sum_to_date + arange_val

    seq = T.arange(up_to)
    outputs_info = T.as_tensor_variable(np.asarray(0, seq.dtype))
    scan_result, scan_updates = theano.scan(fn=accumulate_by_adding, outputs_info=outputs_info, sequences=seq)
    triangular_sequence = theano.function(inputs=[up_to], outputs=scan_result)
    return triangular_sequence(15), np.cumsum(np.arange(15))


def tut_elementwise_tanh():
    X, W, b_sym = T.matrix("X"), T.matrix("W"), T.vector("b_sym")
    results, updates = theano.scan(lambda v: T.tanh(T.dot(v, W) + b_sym), sequences=X)
    compute_elementwise = theano.function(inputs=[X, W, b_sym], outputs=results)
    x = np.eye(2, dtype=floatX)
    w = np.ones((2, 2), dtype=floatX)
    b = np.ones(2, dtype=floatX)
    b[1] = 2
    return compute_elementwise(x, w, b), np.tanh(x.dot(w) + b)


def tut_sequence_with_reversed_input():
    X, W, b_sym = T.vector("X"), T.matrix("W"), T.vector("b_sym")
    U, Y, V, P = T.matrix("U"), T.matrix("Y"), T.matrix("V"), T.matrix("P")
    results, updates = theano.scan(lambda y, p, x_tm1: T.tanh(T.dot(x_tm1, W) + T.dot(y, U) + T.dot(p, V)),
                                   sequences=[Y, P[::-1]], outputs_info=[X])
    compute_seq = theano.function(inputs=[X, W, Y, U, P, V], outputs=results)
    x = np.zeros(2, dtype=floatX)
    x[1] = 1
    w = np.ones((2, 2), dtype=floatX)
    y = np.ones((5, 2), dtype=floatX)
    y[0, :] = -3
    u = np.ones((2, 2), dtype=floatX)
    p = np.ones((5, 2), dtype=floatX)
    p[0, :] = 3
    v = np.ones((2, 2), dtype=floatX)
    expected = np.zeros((5, 2))
    expected[0] = np.tanh(x.dot(w) + y[0].dot(u) + p[4].dot(v))
    for i in range(1, 5):
        expected[i] = np.tanh(expected[i - 1].dot(w) + y[i].dot(u) + p[4 - i].dot(v))
    return compute_seq(x, w, y, u, p, v), expected


def tut_norms():
    X = T.matrix("X")
    results, updates = theano.scan(lambda x_i: T.sqrt((x_i ** 2).sum()), sequences=[X])
    rows = theano.function(inputs=[X], outputs=results)
    results, updates = theano.scan(lambda x_i: T.sqrt((x_i ** 2).sum()), sequences=[X.T])
    cols = theano.function(inputs=[X], outputs=results)
    x = np.diag(np.arange(1, 6, dtype=floatX), 1)
    return np.concatenate([rows(x), cols(x)]), np.concatenate([np.sqrt((x ** 2).sum(1)), np.sqrt((x ** 2).sum(0))])


def tut_trace():
    X = T.matrix("X")
    results, updates = theano.scan(lambda i, j, t_f: T.cast(X[i, j] + t_f, floatX),
                                   sequences=[T.arange(X.shape[0]), T.arange(X.shape[1])],
                                   outputs_info=np.asarray(0., dtype=floatX))
    result = results[-1]
    compute_trace = theano.function(inputs=[X], outputs=result)
    x = np.eye(5, dtype=floatX)
    x[0] = np.arange(5, dtype=floatX)
    return compute_trace(x), np.diagonal(x).sum()


def tut_taps_recurrence():
    X, W, b_sym = T.matrix("X"), T.matrix("W"), T.vector("b_sym")
    U, V, n_sym = T.matrix("U"), T.matrix("V"), T.iscalar("n_sym")
    results, updates = theano.scan(lambda x_tm2, x_tm1: T.dot(x_tm2, U) + T.dot(x_tm1, V)
                                   + T.tanh(T.dot(x_tm1, W) + b_sym),
                                   n_steps=n_sym, outputs_info=[dict(initial=X, taps=[-2, -1])])
    compute_seq2 = theano.function(inputs=[X, U, V, W, b_sym, n_sym], outputs=results)
    x = np.zeros((2, 2), dtype=floatX)
    x[1, 1] = 1
    w = 0.5 * np.ones((2, 2), dtype=floatX)
    u = 0.5 * (np.ones((2, 2), dtype=floatX) - np.eye(2, dtype=floatX))
    v = 0.5 * np.ones((2, 2), dtype=floatX)
    b = np.ones(2, dtype=floatX)
    x_res = np.zeros((12, 2))
    x_res[0] = x[0].dot(u) + x[1].dot(v) + np.tanh(x[1].dot(w) + b)
    x_res[1] = x[1].dot(u) + x_res[0].dot(v) + np.tanh(x_res[0].dot(w) + b)
    for i in range(2, 12):
        x_res[i] = x_res[i - 2].dot(u) + x_res[i - 1].dot(v) + np.tanh(x_res[i - 1].dot(w) + b)
    return compute_seq2(x, u, v, w, b, 10), x_res[:10]


def tut_jacobian():
    v = T.vector()
    A = T.matrix()
    y = T.tanh(T.dot(v, A))
    results, updates = theano.scan(lambda i: T.grad(y[i], v), sequences=[T.arange(y.shape[0])])
    compute_jac_t = theano.function([A, v], results, allow_input_downcast=True)
    x = np.eye(5, dtype=floatX)[0]
    w = np.eye(5, 3, dtype=floatX)
    w[2] = np.ones(3, dtype=floatX)
    return compute_jac_t(w, x), ((1 - np.tanh(x.dot(w)) ** 2) * w).T


def tut_jacobian_non_sequences():
    x = T.dvector("x")
    y = x ** 2
    J, updates = theano.scan(lambda i, y, x: T.grad(y[i], x), sequences=T.arange(y.shape[0]),
                             non_sequences=[y, x])
    f = theano.function([x], J, updates=updates)
    return f([4, 4]), [[8, 0], [0, 8]]


def tut_shared_counter():
    k = theano.shared(0)
    n_sym = T.iscalar("n_sym")
    results, updates = theano.scan(lambda: {k: (k + 1)}, n_steps=n_sym)
    accumulator = theano.function([n_sym], [], updates=updates, allow_input_downcast=True)
    accumulator(5)
    first = k.get_value()
    accumulator(5)
    a = theano.shared(1)
    values, updates = theano.scan(lambda: {a: a + 1}, n_steps=10)
    b, c = a + 1, updates[a] + 1
    f = theano.function([], [b, c], updates=updates)
    b_val, c_val = f()
    return [first, k.get_value(), b_val, c_val, a.get_value()], [5, 10, 2, 12, 11]


def tut_random_inside_scan():
    X, W, b_sym = T.matrix("X"), T.matrix("W"), T.vector("b_sym")
    trng = RandomStreams(1234)
    d = trng.binomial(size=W[1].shape)
    results, updates = theano.scan(lambda v: T.tanh(T.dot(v, W) + b_sym) * d, sequences=X)
    compute_with_bnoise = theano.function(inputs=[X, W, b_sym], outputs=results, updates=updates,
                                          allow_input_downcast=True)
    x = np.eye(10, 2, dtype=floatX)
    w = np.ones((2, 2), dtype=floatX)
    b = np.ones(2, dtype=floatX)
    r1, r2 = compute_with_bnoise(x, w, b), compute_with_bnoise(x, w, b)
    clean = np.tanh(x.dot(w) + b)
    mask_ok = np.all((np.isclose(r1, clean) | (r1 == 0)))  # each row: the clean value times a fresh 0/1 mask
    return [mask_ok, (r1 != r2).any(), len(updates)], [True, True, 1]


def tut_until():
    def power_of_2(previous_power, max_value):
        return previous_power * 2, theano.scan_module.until(previous_power * 2 > max_value)

    max_value = T.scalar()
    values, _ = theano.scan(power_of_2, outputs_info=T.constant(1.), non_sequences=max_value, n_steps=1024)
    f = theano.function([max_value], values)
    return f(45), [2, 4, 8, 16, 32, 64]


TUTORIAL = [tut_power, tut_polynomial, tut_sum_arange, tut_elementwise_tanh, tut_sequence_with_reversed_input,
            tut_norms, tut_trace, tut_taps_recurrence, tut_jacobian, tut_jacobian_non_sequences, tut_shared_counter,
            tut_random_inside_scan, tut_until]


@pytest.mark.parametrize("program", TUTORIAL, ids=lambda f: f.__name__)
def test_tutorial_program(program):
    actual, expected = program()
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=1e-5,
                               atol=1e-6)


# -- forward semantics: (name, build(inputs) -> output, input values, NumPy reference) -----------------------------
def _cumsum(x):
    return theano.scan(lambda v, acc: acc + v, sequences=x, outputs_info=T.constant(0.0))[0]


def _map_square(x):
    return theano.map(lambda v: v ** 2, x)[0]


def _reduce_sum(x):
    return theano.reduce(lambda v, acc: acc + v, x, T.constant(0.0))[0]


def _foldr_digits(x):  # the order matters: acc * 10 + v from the last element
    return theano.foldr(lambda v, acc: acc * 10 + v, x, T.constant(0.0))[0]


def _foldl_digits(x):
    return theano.foldl(lambda v, acc: acc * 10 + v, x, T.constant(0.0))[0]


def _seq_taps(x):
    return theano.scan(lambda a, b, c: a * 100 + b * 10 + c, sequences=dict(input=x, taps=[-1, 0, 2]))[0]


def _backwards(x):
    return theano.scan(lambda v, acc: acc * 10 + v, sequences=x, outputs_info=T.constant(0.0),
                       go_backwards=True)[0]


def _two_outputs_one_nitsot(x):
    s, p, d = theano.scan(lambda v, s, p: [s + v, p * v, v * 2], sequences=x,
                          outputs_info=[T.constant(0.0), T.constant(1.0), None])[0]
    return T.stack([s, p, d])


def _n_steps_shorter(x):
    return theano.scan(lambda v: v + 1, sequences=x, n_steps=2)[0]


def _nested(m):
    return theano.scan(lambda row: _cumsum(row), sequences=m)[0]


def _matrix_state(x):
    return theano.scan(lambda v, h: T.dot(h, h) * 0 + h + v, sequences=x,
                       outputs_info=T.zeros((2, 2), dtype="float64"))[0]


def _digits(x, reverse=False):
    acc, out = 0.0, []
    for v in (x[::-1] if reverse else x):
        acc = acc * 10 + v
        out.append(acc)
    return np.array(out)


X5 = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
M23 = np.arange(6.0).reshape(2, 3)
FORWARD = [
    ("cumsum", _cumsum, [X5], lambda x: np.cumsum(x)),
    ("map", _map_square, [X5], lambda x: x ** 2),
    ("reduce", _reduce_sum, [X5], lambda x: x.sum()),
    ("foldl", _foldl_digits, [X5[:3]], lambda x: 123.0),
    ("foldr", _foldr_digits, [X5[:3]], lambda x: 321.0),
    ("sequence taps -1, 0, 2", _seq_taps, [X5 + 1], lambda x: x[:-3] * 100 + x[1:-2] * 10 + x[3:]),
    ("go_backwards", _backwards, [X5[:3]], lambda x: _digits(x, reverse=True)),
    ("several outputs and a nit-sot", _two_outputs_one_nitsot, [X5],
     lambda x: np.stack([np.cumsum(x), np.cumprod(x), x * 2])),
    ("n_steps shorter than the sequence", _n_steps_shorter, [X5], lambda x: x[:2] + 1),
    ("zero steps", lambda x: theano.scan(lambda h: h + 1, outputs_info=x, n_steps=0)[0], [X5],
     lambda x: np.zeros((0, 5))),
    ("nested scan", _nested, [M23], lambda m: np.cumsum(m, axis=1)),
    ("matrix state", _matrix_state, [np.ones((3, 2, 2))], lambda x: np.cumsum(x, axis=0)),
]


@pytest.mark.parametrize("name,build,values,reference", FORWARD, ids=[r[0] for r in FORWARD])
def test_forward(name, build, values, reference):
    inputs = [T.TensorType("float64", (None,) * np.ndim(v))(f"in{i}") for i, v in enumerate(values)]
    f = theano.function(inputs, build(*inputs))
    np.testing.assert_allclose(f(*values), reference(*values))


def test_static_shapes_and_updates_dict():
    x = T.TensorType("float64", (7, 3))("x")
    h, updates = theano.scan(lambda v, h: h + v, sequences=x, outputs_info=T.zeros((3,), dtype="float64"))
    assert h.type.shape == (7, 3) and isinstance(updates, OrderedDict) and not updates
    y, _ = theano.scan(lambda v: v.sum(), sequences=x, n_steps=4)
    assert y.type.shape == (4,)


def test_step_returning_outputs_updates_and_until_in_any_order():
    count = theano.shared(np.int64(0), name="count")

    def step(h):
        return {count: count + 1}, h * 2, theano.until(h * 2 >= 16)

    out, updates = theano.scan(step, outputs_info=T.constant(1.0), n_steps=100)
    f = theano.function([], out, updates=updates)
    np.testing.assert_array_equal(f(), [2, 4, 8, 16])
    assert count.get_value() == 4


def test_shared_variable_read_fresh_each_call():
    w = theano.shared(2.0, name="w")
    x = T.dvector("x")
    out, _ = theano.scan(lambda v: v * w, sequences=x)
    f = theano.function([x], out)
    np.testing.assert_array_equal(f([1.0, 2.0]), [2.0, 4.0])
    w.set_value(3.0)
    np.testing.assert_array_equal(f([1.0, 2.0]), [3.0, 6.0])


def test_random_draws_inside_the_step_advance_the_stream():
    srng = RandomStreams(3)
    u, updates = theano.scan(lambda h: h + srng.uniform(()), outputs_info=T.constant(0.0), n_steps=5)
    f = theano.function([], u, updates=updates)
    a, b = f(), f()
    assert np.all(np.diff(a) > 0) and not np.allclose(a, b)


def test_draws_inside_the_step_advance_without_updates_too():
    srng = RandomStreams(5)
    x = T.dvector("x")
    h, updates = theano.scan(lambda h: h + srng.uniform(h.shape), outputs_info=x, n_steps=3)
    f = theano.function([x], h)  # no updates=: the stream's default update is the loop's final state
    a, b = f(np.zeros(2)), f(np.zeros(2))
    assert a.shape == (3, 2) and not np.allclose(a, b)


def test_last_state_of_a_long_scan_compiles_the_step_once():
    x = T.dscalar("x")
    h, _ = theano.scan(lambda h: h * 0.5 + 1.0, outputs_info=x, n_steps=1000)
    f = theano.function([x], h[-1])
    assert float(f(0.0)) == pytest.approx(2.0)
    scans = [n for n in f.maker.fgraph.apply_nodes if isinstance(n.op, theano.scan_module.Scan)]
    assert len(scans) == 1 and len(scans[0].op.inner._compiled) == 1


# -- errors: (name, build, exception, message) ---------------------------------------------------------------------
def _dtype_upcast():
    return theano.scan(lambda h: h * T.constant(np.float64(2.0)), outputs_info=T.fvector("h0"), n_steps=3)


def _wrong_ndim():
    return theano.scan(lambda h: h.sum(), outputs_info=T.dvector("h0"), n_steps=3)


def _too_few_outputs():
    return theano.scan(lambda a, b: a, outputs_info=[T.dscalar(), T.dscalar()], n_steps=3)


def _wrong_arity():
    return theano.scan(lambda a: a, sequences=T.dvector(), outputs_info=T.dscalar())


def _no_steps():
    return theano.scan(lambda: T.constant(1.0), outputs_info=None)


def _negative_steps():
    return theano.scan(lambda h: h, outputs_info=T.dscalar(), n_steps=-2)


def _positive_output_tap():
    return theano.scan(lambda h: h, outputs_info=dict(initial=T.dvector(), taps=[1]), n_steps=2)


def _runtime_shape_change():
    h0 = T.dvector("h0")
    h, _ = theano.scan(lambda h: T.concatenate([h, h]), outputs_info=h0, n_steps=2)
    theano.function([h0], h)(np.ones(2))


def _strict_hidden_shared():
    w = theano.shared(2.0, name="w")
    return theano.scan(lambda h: h * w, outputs_info=T.dvector(), n_steps=2, strict=True)


def _negative_symbolic_steps():
    n, x = T.iscalar("n"), T.dvector("x")
    theano.function([x, n], theano.scan(lambda h: h + 1, outputs_info=x, n_steps=n)[0])(np.ones(2), -1)


ERRORS = [
    ("dtype upcast", _dtype_upcast, TypeError, r"step function '<lambda>'.*output 0 has dtype float64.*float32"),
    ("ndim", _wrong_ndim, TypeError, "output 0 has 0 dimensions"),
    ("output count", _too_few_outputs, ValueError, "returned 1 outputs but outputs_info describes 2"),
    ("arity", _wrong_arity, TypeError, r"called with 2 arguments \(1 sequence slices, 1 past outputs"),
    ("no steps", _no_steps, ValueError, "give n_steps or at least one sequence"),
    ("negative n_steps", _negative_steps, ValueError, "negative"),
    ("strict", _strict_hidden_shared, ValueError, r"strict=True but the step reads the shared variables \['w'\]"),
    ("negative symbolic n_steps", _negative_symbolic_steps, ValueError, r"negative number of steps \(-1\)"),
    ("positive output tap", _positive_output_tap, ValueError, "taps must be negative"),
    ("shape change at run time", _runtime_shape_change, ValueError, r"state 0 has shape \(4,\), expected \(2,\)"),
]


@pytest.mark.parametrize("name,build,exc,match", ERRORS, ids=[r[0] for r in ERRORS])
def test_errors(name, build, exc, match):
    with pytest.raises(exc, match=match):
        build()


# -- memory: a state read only at its last row keeps O(taps) rows (rewrite local_scan_keep_last_state) -------------
def _fib_last(y0):
    fib, _ = theano.scan(lambda a, b: a + b, outputs_info=dict(initial=y0, taps=[-2, -1]), n_steps=9)
    return fib


def _doubling_until(y0):
    return theano.scan(lambda h: (h * 2, theano.until(h.sum() > 20)), outputs_info=y0, n_steps=100)[0]


def _three_taps(y0):
    return theano.scan(lambda a, b: a + b, outputs_info=dict(initial=y0, taps=[-3, -1]), n_steps=7)[0]


LAST_STATE = [("fibonacci taps -2 -1", _fib_last, np.ones((2, 1))), ("until", _doubling_until, np.ones(2)),
              ("taps -3 -1", _three_taps, np.arange(6.0).reshape(3, 2))]


@pytest.mark.parametrize("name,build,value", LAST_STATE, ids=[r[0] for r in LAST_STATE])
def test_last_state_only_keeps_a_ring_of_rows(name, build, value):
    y0 = T.TensorType("float64", (None,) * value.ndim)("y0")
    out = build(y0)
    last = theano.function([y0], out[-1])
    full = theano.function([y0], out)
    np.testing.assert_allclose(last(value), full(value)[-1])
    ops = [n.op for n in last.maker.fgraph.apply_nodes if isinstance(n.op, theano.scan_module.Scan)]
    assert [op.last_only for op in ops] == [(True,)]
    assert not any(n.op.last_only[0] for n in full.maker.fgraph.apply_nodes
                   if isinstance(n.op, theano.scan_module.Scan))


def test_long_forward_scan_used_at_its_last_state_does_not_grow_memory():
    import tracemalloc

    x = T.dvector("x")
    h, _ = theano.scan(lambda h: h * 0.5 + 1.0, outputs_info=x, n_steps=100_000)   # the size
    f = theano.function([x], h[-1])
    f(np.zeros(1000))  # a first call builds the native tier (code generation allocates), when there is one
    tracemalloc.start()
    try:
        out = f(np.zeros(1000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    np.testing.assert_allclose(out, 2.0)
    assert peak < 2_000_000  # a full buffer would be 800 MB


def test_last_state_rewrite_keeps_other_outputs_and_updates():
    count = theano.shared(np.int64(0), name="count")
    x = T.dvector("x")
    (h, doubled), updates = theano.scan(lambda v, h: ([h + v, v * 2], {count: count + 1}), sequences=x,
                                        outputs_info=[T.constant(0.0), None])
    f = theano.function([x], [h[-1], doubled], updates=updates)
    last, d = f(np.arange(4.0))
    assert float(last) == 6.0 and d.tolist() == [0.0, 2.0, 4.0, 6.0] and count.get_value() == 4


@pytest.mark.parametrize("mode", ["FAST_RUN", "FAST_COMPILE"])
def test_the_last_state_of_zero_steps_raises_in_every_mode(mode):
    a, k = T.dvector("a"), T.iscalar("k")
    powers, _ = theano.scan(lambda prior, a: prior * a, outputs_info=T.ones_like(a), non_sequences=a, n_steps=k)
    last = theano.function([a, k], powers[-1], mode=mode)   # FAST_RUN keeps only the last rows of the state
    np.testing.assert_array_equal(last(np.array([2.0, 3.0]), 1), [2.0, 3.0])
    with pytest.raises(IndexError):
        last(np.array([2.0, 3.0]), 0)
