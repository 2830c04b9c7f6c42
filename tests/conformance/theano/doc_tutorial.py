"""Programs in the spirit of Theano 1.0's tutorial pages (written for this project, not copied): algebra, more
examples, random numbers, derivatives, conditions, loops, shape information, broadcasting, aliasing, printing,
pickling, configuration and debugging. Each takes ``lib`` (oracle.Lib) and returns named results."""
import copy
import pickle

import numpy as np

from programs import program

G = "tutorial"


# -- baby steps: algebra ------------------------------------------------------------------------------------------
@program(G)
def adding_scalars(lib):
    theano, T = lib.theano, lib.T
    x = T.dscalar("x")
    y = T.dscalar("y")
    z = x + y
    f = theano.function([x, y], z)
    return {"f": f(2, 3), "f2": f(16.3, 12.1), "eval": z.eval({x: 16.3, y: 12.1}), "type": str(x.type.dtype),
            "is_dscalar": x.type == T.dscalar, "name": x.name}


@program(G)
def adding_matrices(lib):
    theano, T = lib.theano, lib.T
    x, y = T.dmatrix("x"), T.dmatrix("y")
    f = theano.function([x, y], x + y)
    return {"lists": f([[1, 2], [3, 4]], [[10, 20], [30, 40]]),
            "arrays": f(np.array([[1, 2], [3, 4]]), np.array([[10, 20], [30, 40]])),
            "vec_plus_scalar": theano.function([y], y + 2.5)(np.arange(6.0).reshape(2, 3))}


@program(G)
def exercise_a_squared_plus_b(lib):
    theano, T = lib.theano, lib.T
    a, b = T.vector(), T.vector()
    out = a ** 2 + b ** 2 + 2 * a * b
    f = theano.function([a, b], out)
    return {"out": f([0, 1, 2], [1, 2, 3]), "dtype": out.dtype}


@program(G, floatX="float32")
def exercise_float32_vectors(lib):
    theano, T = lib.theano, lib.T
    a, b = T.vector("a"), T.vector("b")
    out = a ** 2 + b ** 2 + 2 * a * b
    f = theano.function([a, b], out)
    return {"out": f([0, 1, 2], [1, 2, 3]), "dtype": out.dtype}


@program(G)
def multi_name_constructors(lib):
    T = lib.T
    x, y, s = T.scalars("xys")
    a, b = T.dscalars("ab")
    u, v = T.dmatrices("u", "v")
    three = T.fvectors(3)
    return {"names": [x.name, y.name, s.name], "dnames": [a.name, b.name, a.dtype], "mat": [u.name, v.ndim],
            "count": [len(three), three[0].dtype, three[0].name is None]}


# -- more examples ------------------------------------------------------------------------------------------------
@program(G)
def logistic_function(lib):
    theano, T = lib.theano, lib.T
    x = T.dmatrix("x")
    s = 1 / (1 + T.exp(-x))
    s2 = (1 + T.tanh(x / 2)) / 2
    m = [[0, 1], [-1, -2]]
    return {"s": theano.function([x], s)(m), "s2": theano.function([x], s2)(m)}


@program(G)
def several_outputs(lib):
    theano, T = lib.theano, lib.T
    a, b = T.dmatrices("a", "b")
    diff = a - b
    f = theano.function([a, b], [diff, abs(diff), diff ** 2])
    return {"out": f([[1, 1], [1, 1]], [[0, 1], [2, 3]])}


@program(G)
def default_values(lib):
    theano, T = lib.theano, lib.T
    In = theano.In
    x, y, w = T.dscalars("x", "y", "w")
    z = (x + y) * w
    f = theano.function([x, In(y, value=1), In(w, value=2, name="w_by_name")], z)
    return {"a": f(33), "b": f(33, 2), "c": f(33, 0, 1), "d": f(33, w_by_name=1), "e": f(33, w_by_name=1, y=0)}


@program(G)
def shared_accumulator(lib):
    theano, T = lib.theano, lib.T
    state = theano.shared(0)
    inc = T.iscalar("inc")
    accumulator = theano.function([inc], state, updates=[(state, state + inc)])
    out = {"first": accumulator(1), "after_first": state.get_value()}
    accumulator(300)
    out["after_300"] = state.get_value()
    state.set_value(-1)
    accumulator(3)
    out["after_reset"] = state.get_value()
    decrementor = theano.function([inc], state, updates=[(state, state - inc)])
    out["dec"] = decrementor(2)
    out["after_dec"] = state.get_value()
    out["dtype"] = state.dtype
    return out


@program(G)
def givens_replace_shared(lib):
    theano, T = lib.theano, lib.T
    state = theano.shared(0)
    inc = T.iscalar("inc")
    fn_of_state = state * 2 + inc
    foo = T.scalar(dtype=state.dtype)
    skip_shared = theano.function([inc, foo], fn_of_state, givens=[(state, foo)])
    return {"out": skip_shared(1, 3), "state": state.get_value()}


@program(G)
def copy_with_swap(lib):
    theano, T = lib.theano, lib.T
    state = theano.shared(0)
    inc = T.iscalar("inc")
    accumulator = theano.function([inc], state, updates=[(state, state + inc)], name="acc")
    accumulator(10)
    new_state = theano.shared(0)
    new_accumulator = accumulator.copy(swap={state: new_state})
    out = {"call": new_accumulator(100), "new_state": new_state.get_value(), "state": state.get_value()}
    null_accumulator = accumulator.copy(delete_updates=True)
    out["null_call"] = null_accumulator(9000)
    out["state_after_null"] = state.get_value()
    return out


@program(G)
def random_streams_basics(lib):
    theano = lib.theano
    RandomStreams = lib.imp("tensor.shared_randomstreams").RandomStreams
    srng = RandomStreams(seed=234)
    rv_u = srng.uniform((2, 2))
    rv_n = srng.normal((2, 2))
    f = theano.function([], rv_u)
    g = theano.function([], rv_n, no_default_updates=True)
    nearly_zeros = theano.function([], rv_u + rv_u - 2 * rv_u)
    return {"f1": f(), "f2": f(), "g1": g(), "g2": g(), "zeros": nearly_zeros()}


@program(G)
def random_streams_seeding(lib):
    theano = lib.theano
    RandomStreams = lib.imp("tensor.shared_randomstreams").RandomStreams
    srng = RandomStreams(seed=234)
    rv_u = srng.uniform((2, 2))
    rv_n = srng.normal((2, 2))
    f = theano.function([], rv_u)
    g = theano.function([], rv_n)
    first = [f(), g()]
    rng_val = rv_u.rng.get_value(borrow=True)
    rng_val.seed(89234)
    rv_u.rng.set_value(rng_val, borrow=True)
    reseeded = f()
    srng.seed(902340)
    after_seed = [f(), g()]
    return {"first": first, "reseeded": reseeded, "after_seed": after_seed}


@program(G)
def random_state_sharing(lib):
    theano = lib.theano
    RandomStreams = lib.imp("tensor.shared_randomstreams").RandomStreams
    srng = RandomStreams(seed=234)
    rv_u = srng.uniform((2, 2))
    f = theano.function([], rv_u)
    state_after_v0 = rv_u.rng.get_value().get_state()
    v0 = f()
    v1 = f()
    rng = rv_u.rng.get_value(borrow=True)
    rng.set_state(state_after_v0)
    rv_u.rng.set_value(rng, borrow=True)
    v2 = f()
    v3 = f()
    return {"v0": v0, "v1": v1, "v2_eq_v0": bool(np.array_equal(v2, v0)), "v3_eq_v1": bool(np.array_equal(v3, v1))}


@program(G)
def copying_random_state_between_graphs(lib):
    theano, T = lib.theano, lib.T
    RandomStreams = lib.imp("tensor.shared_randomstreams").RandomStreams

    class Graph:
        def __init__(self, seed=123):
            self.rng = RandomStreams(seed)
            self.y = self.rng.uniform(size=(1,))

    g1, g2 = Graph(seed=123), Graph(seed=987)
    f1, f2 = theano.function([], g1.y), theano.function([], g2.y)
    before = [f1(), f2()]

    def copy_random_state(g1, g2):
        if isinstance(g1.rng, lib.imp("sandbox.rng_mrg").MRG_RandomStreams):
            g2.rng.rstate = g1.rng.rstate
        for (su1, su2) in zip(g1.rng.state_updates, g2.rng.state_updates):
            su2[0].set_value(su1[0].get_value())

    copy_random_state(g1, g2)
    return {"before": before, "after": [f1(), f2()]}


@program(G)
def logistic_regression(lib):
    theano, T = lib.theano, lib.T
    rng = np.random.RandomState(42)
    N, feats = 40, 7
    D = (rng.randn(N, feats), rng.randint(size=N, low=0, high=2))
    training_steps = 50
    x, y = T.dmatrix("x"), T.dvector("y")
    w = theano.shared(rng.randn(feats), name="w")
    b = theano.shared(0.0, name="b")
    p_1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    prediction = p_1 > 0.5
    xent = -y * T.log(p_1) - (1 - y) * T.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    gw, gb = T.grad(cost, [w, b])
    train = theano.function([x, y], [prediction, xent], updates=((w, w - 0.1 * gw), (b, b - 0.1 * gb)))
    predict = theano.function([x], prediction)
    costs = []
    for _ in range(training_steps):
        pred, err = train(D[0], D[1])
        costs.append(err.mean())
    return {"w": w.get_value(), "b": b.get_value(), "costs": np.array(costs), "pred": predict(D[0]),
            "b_dtype": b.dtype}


# -- derivatives ----------------------------------------------------------------------------------------------------
@program(G)
def derivatives(lib):
    theano, T = lib.theano, lib.T
    x = T.dscalar("x")
    y = x ** 2
    gy = T.grad(y, x)
    f = theano.function([x], gy)
    m = T.dmatrix("m")
    s = T.sum(1 / (1 + T.exp(-m)))
    gs = T.grad(s, m)
    dlogistic = theano.function([m], gs)
    return {"f4": f(4), "f94": f(94.2), "dlogistic": dlogistic([[0, 1], [-1, -2]])}


@program(G, linker="py")
def jacobian_by_scan_and_helper(lib):
    theano, T = lib.theano, lib.T
    x = T.dvector("x")
    y = x ** 2
    J, updates = theano.scan(lambda i, y, x: T.grad(y[i], x), sequences=T.arange(y.shape[0]),
                             non_sequences=[y, x])
    f = theano.function([x], J, updates=updates)
    jac = theano.gradient.jacobian(y, x)
    return {"scan": f([4, 4]), "helper": theano.function([x], jac)([1.0, 3.0])}


@program(G, linker="py")
def hessian(lib):
    theano, T = lib.theano, lib.T
    x = T.dvector("x")
    y = x ** 2
    cost = y.sum()
    gy = T.grad(cost, x)
    H, updates = theano.scan(lambda i, gy, x: T.grad(gy[i], x), sequences=T.arange(gy.shape[0]),
                             non_sequences=[gy, x])
    f = theano.function([x], H, updates=updates)
    h2 = theano.function([x], theano.gradient.hessian((x ** 3).sum(), x))
    return {"scan": f([4, 4]), "helper": h2([1.0, 2.0, 3.0])}


@program(G)
def rop_lop(lib):
    theano, T = lib.theano, lib.T
    W = T.dmatrix("W")
    V = T.dmatrix("V")
    x = T.dvector("x")
    y = T.dot(x, W)
    JV = T.Rop(y, W, V)
    f = theano.function([W, V, x], JV)
    v = T.dvector("v")
    VJ = T.Lop(y, W, v)
    g = theano.function([v, x], VJ)
    return {"rop": f([[1, 1], [1, 1]], [[2, 2], [2, 2]], [0, 1]), "lop": g([2, 2], [0, 1])}


@program(G)
def hessian_times_vector(lib):
    theano, T = lib.theano, lib.T
    x = T.dvector("x")
    v = T.dvector("v")
    y = T.sum(x ** 2)
    gy = T.grad(y, x)
    vH = T.grad(T.sum(gy * v), x)
    f = theano.function([x, v], vH)
    Hv = T.Rop(gy, x, v)
    g = theano.function([x, v], Hv)
    return {"vH": f([4, 4], [2, 2]), "Hv": g([4, 4], [2, 2])}


@program(G)
def grad_consider_constant(lib):
    theano, T = lib.theano, lib.T
    x, y = T.dscalars("x", "y")
    f = theano.function([x, y], T.grad(x * y, x, consider_constant=[y]))
    g = theano.function([x, y], T.grad(x * y + y ** 2, y, consider_constant=[x]))
    return {"f": f(2.0, 3.0), "g": g(2.0, 3.0)}


@program(G)
def used_inputs_before_rewrites(lib):
    theano, T = lib.theano, lib.T
    s = T.dscalar("s")
    m = T.dmatrix("m")
    x, y = T.dscalars("x", "y")
    f = theano.function([s], T.ones_like(s))
    g = theano.function([m], (T.specify_shape(m, (2, 2)) ** 2).shape)
    h = theano.function([x, y], T.grad(x ** 2 + y, y))
    unused = lib.outcome(lambda: theano.function([x, y], x * 2))
    return {"ones_like": f(3.0), "shape": g(np.ones((2, 2))), "grad_const": h(1.0, 2.0),
            "unused_raises": unused}


# -- conditions -----------------------------------------------------------------------------------------------------
@program(G)
def ifelse_vs_switch(lib):
    theano, T = lib.theano, lib.T
    ifelse = lib.imp("ifelse").ifelse
    a, b = T.scalars("a", "b")
    x, y = T.matrices("x", "y")
    z_switch = T.switch(T.lt(a, b), T.mean(x), T.mean(y))
    z_lazy = ifelse(T.lt(a, b), T.mean(x), T.mean(y))
    f_switch = theano.function([a, b, x, y], z_switch)
    f_lazy = theano.function([a, b, x, y], z_lazy)
    val1, val2 = 0.0, 1.0
    big1 = np.ones((50, 50)) * 2
    big2 = np.ones((50, 50)) * 3
    return {"switch": f_switch(val1, val2, big1, big2), "lazy": f_lazy(val1, val2, big1, big2),
            "lazy_else": f_lazy(val2, val1, big1, big2)}


# -- loops ----------------------------------------------------------------------------------------------------------
@program(G, linker="py")
def scan_power(lib):
    theano, T = lib.theano, lib.T
    k = T.iscalar("k")
    A = T.vector("A")
    result, updates = theano.scan(fn=lambda prior_result, A: prior_result * A, outputs_info=T.ones_like(A),
                                  non_sequences=A, n_steps=k)
    final = result[-1]
    power = theano.function(inputs=[A, k], outputs=final, updates=updates)
    return {"p2": power(np.arange(10.0), 2), "p3": power(np.arange(4.0), 3), "len": len(updates)}


@program(G, linker="py")
def scan_polynomial(lib):
    theano, T = lib.theano, lib.T
    coefficients = T.vector("coefficients")
    x = T.scalar("x")
    max_coefficients_supported = 10000
    components, updates = theano.scan(fn=lambda coefficient, power, free_variable:
                                      coefficient * (free_variable ** power),
                                      outputs_info=None,
                                      sequences=[coefficients, T.arange(max_coefficients_supported)],
                                      non_sequences=x)
    polynomial = components.sum()
    f = theano.function(inputs=[coefficients, x], outputs=polynomial)
    return {"p": f(np.asarray([1, 0, 2], dtype=lib.config.floatX), 3)}


@program(G, linker="py")
def scan_tanh_loop(lib):
    theano, T = lib.theano, lib.T
    X = T.matrix("X")
    W = T.matrix("W")
    b_sym = T.vector("b_sym")
    results, updates = theano.scan(lambda v: T.tanh(T.dot(v, W) + b_sym), sequences=X)
    f = theano.function(inputs=[X, W, b_sym], outputs=results)
    x = np.eye(2)
    w = np.ones((2, 2))
    b = np.ones(2)
    b[1] = 2
    return {"out": f(x, w, b), "ref_shape": list(np.tanh(x.dot(w) + b).shape)}


@program(G, linker="py")
def scan_recurrence_with_taps(lib):
    theano, T = lib.theano, lib.T
    X = T.matrix("X")
    W = T.matrix("W")
    b_sym = T.vector("b_sym")
    U, Y, V, P = T.matrices("U", "Y", "V", "P")
    results, updates = theano.scan(lambda y, p, x_tm2, x_tm1: T.tanh(T.dot(x_tm1, W) + T.dot(y, U) +
                                                                      T.dot(p, V)),
                                   sequences=[Y, P[::-1]], outputs_info=[dict(initial=X, taps=[-2, -1])])
    f = theano.function(inputs=[X, W, b_sym, U, Y, V, P], outputs=results, on_unused_input="ignore")
    x = np.zeros((2, 2))
    x[1, 1] = 1
    w = 0.5 * np.ones((2, 2))
    u = 0.5 * (np.ones((2, 2)) - np.eye(2))
    v = 0.5 * np.ones((2, 2))
    n = 10
    b = np.ones(2)
    y = np.ones((n, 2))
    p = np.ones((n, 2))
    y[:, 0] = np.arange(n) * 0.1
    p[:, 1] = np.arange(n)[::-1] * 0.01
    return {"out": f(x, w, b, u, y, v, p)}


@program(G, linker="py")
def scan_accumulate_shared(lib):
    theano, T = lib.theano, lib.T
    k = theano.shared(0)
    n_sym = T.iscalar("n_sym")
    results, updates = theano.scan(lambda: {k: (k + 1)}, n_steps=n_sym)
    accumulator = theano.function([n_sym], [], updates=updates, allow_input_downcast=True)
    before = k.get_value()
    accumulator(5)
    return {"before": before, "after": k.get_value()}


@program(G, linker="py")
def scan_sum_of_rows_and_trace(lib):
    theano, T = lib.theano, lib.T
    X = T.matrix("X")
    results, _ = theano.scan(lambda x_i: T.sum(x_i), sequences=X)
    row_sums = theano.function([X], results)
    floatX = lib.config.floatX
    x = np.arange(12, dtype=floatX).reshape(3, 4)
    trace_parts, _ = theano.scan(lambda i, j, t_f: T.cast(X[i, j] + t_f, floatX),
                                 sequences=[T.arange(X.shape[0]), T.arange(X.shape[1])],
                                 outputs_info=np.asarray(0.0, dtype=floatX))
    trace = theano.function([X], trace_parts[-1])
    return {"rows": row_sums(x), "trace": trace(np.eye(5, dtype=floatX) * 3)}


@program(G, linker="py")
def scan_fibonacci_until(lib):
    theano, T = lib.theano, lib.T
    until = lib.imp("scan_module").until

    def power_of_2(previous_power, max_value):
        return previous_power * 2, until(previous_power * 2 > max_value)

    max_value = T.scalar()
    values, _ = theano.scan(power_of_2, outputs_info=T.constant(1.0), non_sequences=max_value, n_steps=1024)
    f = theano.function([max_value], values)
    fib_init = T.vector("fib_init")
    fib, _ = theano.scan(lambda a, b: a + b, outputs_info=[dict(initial=fib_init, taps=[-2, -1])], n_steps=8)
    g = theano.function([fib_init], fib)
    return {"powers": f(45), "fib": g([0.0, 1.0])}


@program(G, linker="py")
def scan_map_reduce_fold(lib):
    theano, T = lib.theano, lib.T
    v = T.dvector("v")
    squares, _ = theano.map(lambda x: x ** 2, v)
    total, _ = theano.reduce(lambda x, acc: acc + x, v, T.constant(0.0, dtype="float64"))
    left, _ = theano.foldl(lambda x, acc: acc * 2 + x, v, T.constant(0.0, dtype="float64"))
    right, _ = theano.foldr(lambda x, acc: acc * 2 + x, v, T.constant(0.0, dtype="float64"))
    f = theano.function([v], [squares, total, left, right])
    return {"out": f([1.0, 2.0, 3.0])}


@program(G, linker="py")
def scan_gradient(lib):
    theano, T = lib.theano, lib.T
    W = T.dmatrix("W")
    x0 = T.dvector("x0")
    h, _ = theano.scan(lambda h_tm1, W: T.tanh(T.dot(h_tm1, W)), outputs_info=x0, non_sequences=W, n_steps=4)
    cost = (h[-1] ** 2).sum()
    gW, gx = T.grad(cost, [W, x0])
    f = theano.function([W, x0], [cost, gW, gx])
    rng = np.random.RandomState(3)
    return {"out": f(rng.randn(3, 3) * 0.5, rng.randn(3))}


# -- shape information, broadcasting ------------------------------------------------------------------------------
@program(G)
def shape_inference(lib):
    theano, T = lib.theano, lib.T
    x = T.matrix("x")
    f = theano.function([x], (x ** 2).shape)
    x2 = T.matrix("x2")
    y = T.matrix("y")
    z = T.join(0, x2, y)
    g = theano.function([x2, y], z.shape)
    xv = np.random.RandomState(0).rand(5, 4)
    yv = np.random.RandomState(1).rand(3, 3)
    x3 = T.matrix()
    x_specify = T.specify_shape(x3, (2, 2))
    h = theano.function([x3], x_specify ** 2)
    return {"f": f(np.ones((3, 4))), "join_shape_mismatch": lib.outcome(lambda: g(xv, yv)),
            "specify_ok": h(np.ones((2, 2))), "specify_bad": lib.outcome(lambda: h(np.ones((3, 3))))}


@program(G)
def broadcasting(lib):
    theano, T = lib.theano, lib.T
    r = T.row()
    m = T.matrix()
    f = theano.function([r, m], r + m)
    c = T.col()
    g = theano.function([c, m], c * m)
    return {"row_bcast": r.broadcastable, "row_plus": f(np.ones((1, 3)), np.arange(6.0).reshape(2, 3)),
            "col_times": g(np.array([[1.0], [2.0]]), np.arange(6.0).reshape(2, 3)),
            "mismatch": lib.outcome(lambda: f(np.ones((2, 3)), np.ones((2, 3)))),
            "bcast_pattern": (T.TensorType("float64", (False, True))()).broadcastable}


# -- aliasing, pickling, printing, configuration -------------------------------------------------------------------
@program(G)
def borrow_and_return_internal(lib):
    theano, T = lib.theano, lib.T
    np_array = np.ones(2, dtype="float32")
    s_default = theano.shared(np_array)
    s_false = theano.shared(np_array, borrow=False)
    np_array += 1
    x = T.matrix("x")
    f = theano.function([theano.In(x, borrow=True)], theano.Out(T.sin(x), borrow=True))
    return {"default": s_default.get_value(), "false": s_false.get_value(),
            "value_copy": s_default.get_value(borrow=False), "out": f(np.ones((2, 2), dtype=lib.config.floatX))}


@program(G)
def pickle_function_and_shared(lib):
    theano, T = lib.theano, lib.T
    x = T.dvector("x")
    w = theano.shared(np.arange(3.0), name="w")
    f = theano.function([x], (x * w).sum(), updates=[(w, w + 1)])
    f([1.0, 1.0, 1.0])
    blob = pickle.dumps((f, w), protocol=pickle.HIGHEST_PROTOCOL)
    f2, w2 = pickle.loads(blob)
    out = {"loaded_call": f2([1.0, 2.0, 3.0]), "w2": w2.get_value(), "w_untouched": w.get_value()}
    graph = pickle.loads(pickle.dumps(T.tanh(x) * 2))
    inp = graph.owner.inputs[0].owner.inputs[0]
    out["graph_eval"] = graph.eval({inp: np.array([0.5, -1.0])})
    g = copy.deepcopy(f)
    out["deepcopy_call"] = g([1.0, 0.0, 0.0])
    out["w_after_deepcopy_call"] = w.get_value()
    return out


@program(G)
def printing_returns(lib):
    theano, T = lib.theano, lib.T
    x = T.dscalar("x")
    y = x ** 2
    gy = T.grad(y, x)
    f = theano.function([x], gy)
    dp, text = lib.captured(lambda: theano.printing.debugprint(f))
    dp_str = theano.printing.debugprint(y, file="str")
    pp = theano.pp(y)
    return {"debugprint_returns": dp, "printed_something": len(text) > 0, "str_is_str": isinstance(dp_str, str),
            "pp_is_str": isinstance(pp, str), "f": f(4.0)}


@program(G)
def print_op(lib):
    theano, T = lib.theano, lib.T
    x = T.dvector("x")
    printed = theano.printing.Print("this is a very important value")(x)
    f = theano.function([x], printed * 5)
    value, text = lib.captured(lambda: f([1.0, 2.0, 3.0]))
    return {"value": value, "printed_message": "this is a very important value" in text}


@program(G)
def config_flags(lib):
    theano, T = lib.theano, lib.T
    cfg = theano.config
    before = cfg.floatX
    cfg.floatX = "float32"
    v32 = T.vector().dtype
    cfg.floatX = before
    return {"floatX_default_here": before, "vector_f32": v32, "vector_now": T.vector().dtype,
            "on_unused_input": cfg.on_unused_input, "compute_test_value": cfg.compute_test_value}


@program(G)
def test_values(lib):
    theano, T = lib.theano, lib.T
    cfg = theano.config
    old = cfg.compute_test_value
    cfg.compute_test_value = "raise"
    try:
        x = T.dmatrix("x")
        x.tag.test_value = np.ones((3, 4))
        W = T.dmatrix("W")
        W.tag.test_value = np.ones((5, 6))
        bad = lib.outcome(lambda: T.dot(x, W))
        W2 = T.dmatrix("W2")
        W2.tag.test_value = np.ones((4, 2))
        good = T.dot(x, W2)
        good_value = good.tag.test_value
    finally:
        cfg.compute_test_value = old
    return {"bad": bad, "good_shape": np.asarray(good_value.shape), "good": good_value}


@program(G)
def nan_guard_mode(lib):
    theano, T = lib.theano, lib.T
    NanGuardMode = lib.imp("compile.nanguardmode").NanGuardMode
    x = T.matrix()
    w = theano.shared(np.random.RandomState(0).randn(5, 7).astype(lib.config.floatX))
    y = T.dot(x, w)
    fun = theano.function([x], y, mode=NanGuardMode(nan_is_error=True, inf_is_error=True, big_is_error=True))
    good = fun(np.ones((3, 5), dtype=lib.config.floatX))
    infa = np.tile((np.asarray(100.0) ** 1000000).astype(lib.config.floatX), (3, 5))
    return {"good": good, "bad": lib.outcome(lambda: fun(infa))}


@program(G)
def monitor_mode(lib):
    theano, T = lib.theano, lib.T
    MonitorMode = lib.imp("compile.monitormode").MonitorMode
    seen = []

    def detect_nan(i, node, fn):
        for output in fn.outputs:
            if not isinstance(output[0], np.random.RandomState) and np.isnan(output[0]).any():
                seen.append(True)

    x = T.dscalar("x")
    f = theano.function([x], [T.log(x) * x], mode=MonitorMode(post_func=detect_nan))
    value = f(0)
    return {"value": value, "nan_seen": bool(seen)}
