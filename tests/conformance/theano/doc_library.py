"""Programs in the spirit of Theano 1.0's library pages beyond ``tensor``'s basics: nnet (activations, softmax,
losses, conv, pool, neighbours, ctc), gradient, compile (function, In/Out, modes, copies), ops (as_op,
OpFromGraph), random streams (shared and MRG), graph objects and config. Written for this project."""
import numpy as np

from programs import program

G = "library"


def _rng(seed):
    return np.random.RandomState(seed)


# -- nnet ------------------------------------------------------------------------------------------------------------
@program(G)
def nnet_activations(lib):
    theano, T = lib.theano, lib.T
    nnet = lib.imp("tensor.nnet")
    x = T.dvector("x")
    outs = [nnet.sigmoid(x), nnet.hard_sigmoid(x), nnet.softplus(x), nnet.relu(x), nnet.relu(x, alpha=0.1),
            nnet.elu(x), nnet.softsign(x), T.nnet.sigmoid(x), nnet.ultra_fast_sigmoid(x)]
    f = theano.function([x], outs)
    g = theano.function([x], [T.grad(o.sum(), x) for o in outs[:7]])
    xv = [-40.0, -5.0, -2.4, -1.0, -0.25, 0.0, 0.3, 1.0, 1.7, 2.9, 3.1, 6.0, 40.0]
    ufs_grad = lib.outcome(lambda: T.grad(nnet.ultra_fast_sigmoid(x).sum(), x))
    return {"out": f(xv), "grads": g(xv), "ultra_fast_sigmoid_grad": ufs_grad}


@program(G)
def nnet_softmax_and_losses(lib):
    theano, T = lib.theano, lib.T
    nnet = lib.imp("tensor.nnet")
    x = T.dmatrix("x")
    y = T.lvector("y")
    t = T.dmatrix("t")
    b = T.dvector("b")
    r = _rng(7)
    sm = nnet.softmax(x)
    outs = [sm, nnet.logsoftmax(x), nnet.softmax_with_bias(x, b), nnet.categorical_crossentropy(sm, y),
            nnet.categorical_crossentropy(sm, t), nnet.binary_crossentropy(nnet.sigmoid(x), t),
            nnet.sigmoid_binary_crossentropy(x, t),
            nnet.crossentropy_softmax_1hot(x, y)[0], nnet.crossentropy_categorical_1hot(sm, y),
            T.log(sm), -T.log(sm)[T.arange(y.shape[0]), y].mean()]
    cost = outs[3].mean() + outs[5].mean()
    f = theano.function([x, y, t, b], outs + T.grad(cost, [x]))
    tv = np.eye(4)[[0, 3, 1]] * 0.8 + 0.05
    return {"out": f(r.randn(3, 4), [0, 3, 1], tv, r.randn(4))}


@program(G)
def nnet_conv2d(lib):
    theano, T = lib.theano, lib.T
    nnet = lib.imp("tensor.nnet")
    x = T.dtensor4("x")
    w = T.dtensor4("w")
    r = _rng(8)
    xv, wv = r.randn(2, 3, 7, 6), r.randn(4, 3, 3, 2)
    outs = [nnet.conv2d(x, w), nnet.conv2d(x, w, border_mode="full"), nnet.conv2d(x, w, border_mode="half"),
            nnet.conv2d(x, w, subsample=(2, 2)), nnet.conv2d(x, w, border_mode=(1, 2)),
            nnet.conv2d(x, w, filter_flip=False), nnet.conv2d(x, w, filter_dilation=(2, 1)),
            nnet.conv2d(x, w, input_shape=(2, 3, 7, 6), filter_shape=(4, 3, 3, 2))]
    cost = sum(o.sum() for o in outs[:5])
    f = theano.function([x, w], outs + T.grad(cost, [x, w]))
    return {"out": f(xv, wv)}


@program(G)
def nnet_pool(lib):
    theano, T = lib.theano, lib.T
    pool = lib.imp("tensor.signal.pool")
    x = T.dtensor4("x")
    r = _rng(9)
    xv = r.randn(2, 2, 7, 6)
    outs = [pool.pool_2d(x, (2, 2), ignore_border=True), pool.pool_2d(x, (2, 2), ignore_border=False),
            pool.pool_2d(x, (3, 2), stride=(1, 2), ignore_border=True),
            pool.pool_2d(x, (2, 2), ignore_border=True, mode="average_exc_pad"),
            pool.pool_2d(x, (2, 2), ignore_border=True, mode="average_inc_pad", pad=(1, 1)),
            pool.pool_2d(x, (2, 3), ignore_border=True, mode="sum"),
            pool.pool_2d(x, ws=(2, 2), ignore_border=True, pad=(1, 0))]
    cost = sum((o ** 2).sum() for o in outs)
    f = theano.function([x], outs + [T.grad(cost, x)])
    padded_exc = lib.outcome(lambda: theano.function([x], pool.pool_2d(x, (2, 2), ignore_border=True,
                                                                         mode="average_exc_pad", pad=(1, 1)))(xv))
    return {"out": f(xv), "average_exc_pad_with_padding": padded_exc}


@program(G)
def nnet_pool_3d_conv3d(lib):
    theano, T = lib.theano, lib.T
    pool = lib.imp("tensor.signal.pool")
    nnet = lib.imp("tensor.nnet")
    x = T.dtensor5("x")
    w = T.dtensor5("w")
    r = _rng(10)
    xv, wv = r.randn(2, 2, 5, 4, 6), r.randn(3, 2, 2, 3, 2)
    outs = [pool.pool_3d(x, (2, 2, 2), ignore_border=True), pool.pool_3d(x, (2, 2, 3), ignore_border=True,
                                                                        mode="average_exc_pad"),
            nnet.conv3d(x, w), nnet.conv3d(x, w, border_mode="half"), nnet.conv3d(x, w, subsample=(1, 2, 2))]
    cost = sum((o ** 2).sum() for o in outs)
    f = theano.function([x, w], outs + T.grad(cost, [x, w]))
    return {"out": f(xv, wv)}


@program(G, linker="py")
def nnet_neighbours(lib):
    theano, T = lib.theano, lib.T
    neighbours = lib.imp("tensor.nnet.neighbours")
    images = T.dtensor4("images")
    xv = np.arange(2 * 1 * 4 * 6, dtype="float64").reshape(2, 1, 4, 6)
    outs = [neighbours.images2neibs(images, neib_shape=(2, 2)),
            neighbours.images2neibs(images, neib_shape=(2, 3), neib_step=(1, 3)),
            neighbours.images2neibs(images, neib_shape=(3, 3), mode="wrap_centered"),
            neighbours.images2neibs(images, neib_shape=(3, 4), mode="ignore_borders")]
    neibs = outs[0]
    back = neighbours.neibs2images(neibs, (2, 2), images.shape)
    f = theano.function([images], outs + [back, T.grad((outs[1] ** 2).sum(), images)])
    return {"out": f(xv)}


@program(G)
def nnet_ctc(lib):
    theano, T = lib.theano, lib.T
    ctc = lib.imp("tensor.nnet.ctc")
    acts = T.dtensor3("acts")
    labels = T.imatrix("labels")
    lengths = T.ivector("lengths")
    av = _rng(11).randn(6, 2, 4)

    def run():
        cost = ctc.ctc(acts, labels, lengths)
        f = theano.function([acts, labels, lengths], [cost, T.grad(cost.sum(), acts)])
        return f(av, np.array([[1, 2], [3, 3]], dtype="int32"), np.array([6, 5], dtype="int32"))

    return {"out": lib.outcome(run)}


@program(G)
def nnet_batch_normalization(lib):
    theano, T = lib.theano, lib.T
    bn = lib.imp("tensor.nnet.bn")
    x = T.dmatrix("x")
    g = T.dvector("g")
    b = T.dvector("b")
    r = _rng(12)
    out, mean, invstd = bn.batch_normalization_train(x, g.dimshuffle("x", 0), b.dimshuffle("x", 0))[:3]
    test_out = bn.batch_normalization_test(x, g.dimshuffle("x", 0), b.dimshuffle("x", 0),
                                           mean, 1.0 / invstd ** 2)
    plain = bn.batch_normalization(x, g, b, x.mean(axis=0), x.std(axis=0) + 1e-3)
    f = theano.function([x, g, b], [out, mean, invstd, test_out, plain, T.grad((out ** 3).sum(), x)])
    return {"out": f(r.randn(5, 3), r.rand(3) + 0.5, r.randn(3))}


# -- gradient -------------------------------------------------------------------------------------------------------
@program(G)
def gradient_tools(lib):
    theano, T = lib.theano, lib.T
    gradient = lib.imp("gradient")
    x = T.dvector("x")
    w = T.dvector("w")
    h = T.tanh(x * w)
    cost = (h ** 2).sum()
    outs = [T.grad(cost, x), gradient.grad(cost, w, known_grads=None),
            T.grad(None, x, known_grads={h: T.ones_like(h)}), T.grad(gradient.zero_grad(h).sum() + h.sum(), x),
            T.grad(gradient.disconnected_grad(h).sum() + h.sum(), x), T.grad(gradient.grad_clip(h, -0.1, 0.1).sum(), x),
            T.grad(gradient.grad_scale(h, 3.0).sum(), x), T.grad(theano.gradient.consider_constant(h).sum() + x.sum(), x)]
    f = theano.function([x, w], outs)
    disc = lib.outcome(lambda: T.grad(x.sum(), w))
    disc_ok = T.grad(x.sum(), w, disconnected_inputs="ignore")
    unused = lib.outcome(lambda: theano.function([x, w], disc_ok))
    g = theano.function([x, w], disc_ok, on_unused_input="ignore")
    return {"out": f([0.5, -1.0], [2.0, 0.3]), "disconnected": disc, "ignored": g([0.5, -1.0], [2.0, 0.3]),
            "x_unused": unused}


@program(G)
def subgraph_grad(lib):
    theano, T = lib.theano, lib.T
    gradient = lib.imp("gradient")
    x = T.dvector("x")
    t = T.dvector("t")
    w1 = theano.shared(np.array([0.5, -0.3, 0.8]), name="w1")
    w2 = theano.shared(np.array([1.5, 0.2, -0.7]), name="w2")
    a1 = T.tanh(x * w1)
    a2 = T.tanh(a1 * w2)
    cost2 = ((a2 - t) ** 2).sum()
    cost1 = (a1 ** 2).sum()
    wrt = [w2, w1]
    costs = [cost2, cost1]
    params = [[w2], [w1]]
    next_grad = None
    grads = []
    for i in range(2):
        param_grad, next_grad = gradient.subgraph_grad(wrt=params[i], end=[a1] if i == 0 else wrt[:0] + [x],
                                                       start=next_grad, cost=costs[i])
        next_grad = dict(zip([a1] if i == 0 else [x], next_grad))
        grads.extend(param_grad)
    f = theano.function([x, t], grads)
    full = theano.function([x, t], T.grad(cost2 + cost1, [w2, w1]))
    return {"sub": f([1.0, 2.0, -1.0], [0.1, 0.2, 0.3]), "full": full([1.0, 2.0, -1.0], [0.1, 0.2, 0.3])}


@program(G)
def undefined_and_not_implemented_grads(lib):
    theano, T = lib.theano, lib.T
    gradient = lib.imp("gradient")
    x = T.dvector("x")
    u = gradient.undefined_grad(x)
    fwd = theano.function([x], u * 2)
    bad = lib.outcome(lambda: T.grad((u * 2).sum(), x))
    return {"forward": fwd([1.0, 2.0]), "grad_raises": bad,
            "has_grad_not_implemented": callable(gradient.grad_not_implemented),
            "has_grad_undefined": callable(gradient.grad_undefined)}


@program(G)
def verify_grad(lib):
    theano, T = lib.theano, lib.T
    rng = np.random.RandomState(42)
    ok = lib.outcome(lambda: T.verify_grad(lambda a: T.tanh(a).sum() * a, [np.array([0.2, -0.5, 1.0])], rng=rng))
    return {"ok": ok}


# -- compile -------------------------------------------------------------------------------------------------------
@program(G)
def in_with_update(lib):
    theano, T = lib.theano, lib.T
    x = T.dscalar("x")
    w = T.dscalar("w")
    f = theano.function([x, theano.In(w, value=1.0, update=w + x)], x * w)
    a = f(2.0)
    b = f(2.0)
    c = f(1.0)
    g = theano.function([x, ((w, w * x), 3.0)], x + w)
    return {"a": a, "b": b, "c": c, "g1": g(2.0), "g2": g(2.0), "g3": g(1.0)}


@program(G)
def function_attributes(lib):
    theano, T = lib.theano, lib.T
    x = T.dvector("x")
    y = T.dvector("y")
    z = T.exp(x) * y
    f = theano.function([x, y], z, name="myfun")
    return {"name": f.name, "n_inputs": len(f.maker.inputs), "input_names": [i.name for i in f.maker.inputs],
            "input_vars_are_x_y": [f.maker.inputs[0].variable is x, f.maker.inputs[1].variable is y],
            "op_name_is_str": isinstance(z.owner.op.name if hasattr(z.owner.op, "name") else None, str) or
            z.owner.op.name is None, "call": f([0.0, 1.0], [2.0, 3.0]), "free": f.free(),
            "kw": f(y=[1.0, 1.0], x=[1.0, 0.0])}


@program(G)
def graph_structure(lib):
    theano, T = lib.theano, lib.T
    x = T.dmatrix("x")
    y = T.dmatrix("y")
    z = x + y
    node = z.owner
    fn = theano.function([x, y], z)
    fgraph = fn.maker.fgraph
    fx = fgraph.inputs[0]
    return {"n_inputs": len(node.inputs), "inputs_are": [node.inputs[0] is x, node.inputs[1] is y],
            "owner_none": x.owner is None, "index": z.index, "out_is_z": node.outputs[0] is z,
            "clients_len": len(fx.clients), "client_is_node": isinstance(fx.clients[0][1], int),
            "type_str_has_float64": "float64" in str(x.type)}


@program(G)
def modes(lib):
    theano, T = lib.theano, lib.T
    x = T.dvector("x")
    y = T.log(1 + T.exp(x)).sum()
    outs = {}
    for name in ["FAST_RUN", "FAST_COMPILE"]:
        outs[name] = theano.function([x], y, mode=name)([1.0, 2.0])
    m = theano.Mode(linker="py", optimizer="fast_run")
    outs["mode_obj"] = theano.function([x], y, mode=m)([1.0, 2.0])
    outs["excluding"] = theano.function([x], y, mode=theano.compile.get_default_mode().excluding("fusion"))([3.0])
    return outs


@program(G)
def on_unused_input(lib):
    theano, T = lib.theano, lib.T
    x, y = T.dscalars("x", "y")
    return {"raise": lib.outcome(lambda: theano.function([x, y], x)),
            "ignore": theano.function([x, y], x, on_unused_input="ignore")(1.0, 2.0),
            "missing": lib.outcome(lambda: theano.function([x], x + y))}


@program(G)
def output_forms(lib):
    theano, T = lib.theano, lib.T
    x = T.dvector("x")
    single = theano.function([x], x * 2)([1.0])
    listed = theano.function([x], [x * 2])([1.0])
    empty = theano.function([x], [], on_unused_input="ignore")([1.0])
    return {"single": single, "listed": listed, "listed_type": type(listed).__name__, "empty": empty}


# -- ops --------------------------------------------------------------------------------------------------------------
@program(G)
def as_op_decorator(lib):
    theano, T = lib.theano, lib.T
    as_op = lib.imp("compile.ops").as_op

    @as_op(itypes=[T.dmatrix, T.dvector], otypes=[T.dvector])
    def numpy_dot(a, b):
        return np.dot(a, b)

    def infer(node, input_shapes):
        return [input_shapes[0][:1]]

    @as_op(itypes=[T.dmatrix], otypes=[T.dmatrix], infer_shape=lambda node, shapes: [shapes[0]])
    def numpy_square(a):
        return a ** 2

    x = T.dmatrix("x")
    v = T.dvector("v")
    out = numpy_dot(x, v)
    f = theano.function([x, v], [out, numpy_square(x), numpy_square(x).shape])
    grad_missing = lib.outcome(lambda: T.grad(out.sum(), x))
    return {"out": f(np.arange(6.0).reshape(2, 3), [1.0, 2.0, 3.0]), "grad": grad_missing}


@program(G)
def op_from_graph(lib):
    theano, T = lib.theano, lib.T
    OpFromGraph = theano.OpFromGraph if hasattr(theano, "OpFromGraph") else lib.imp("compile").OpFromGraph
    x, y, z = T.dscalars("x", "y", "z")
    e = x + y * z
    op = OpFromGraph([x, y, z], [e])
    e2 = op(x, y, z) + op(z, y, x)
    f = theano.function([x, y, z], [e2, T.grad(e2, x), T.grad(e2, y)])
    s = theano.shared(np.float64(2.0))
    op2 = OpFromGraph([x], [x * s])
    g = theano.function([x], op2(x) + 1)
    a, b = T.dmatrices("a", "b")
    op3 = OpFromGraph([a, b], [T.dot(a, b), a + b], inline=True)
    d, p = op3(a, b)
    h = theano.function([a, b], [d, p, T.grad((d * p).sum(), a)])
    r = _rng(13)
    return {"f": f(1.0, 2.0, 3.0), "g": g(4.0), "h": h(r.randn(2, 2), r.randn(2, 2))}


# -- random streams ------------------------------------------------------------------------------------------------
@program(G)
def shared_randomstreams_methods(lib):
    theano, T = lib.theano, lib.T
    RandomStreams = lib.T.shared_randomstreams.RandomStreams
    srng = RandomStreams(seed=777)
    draws = [srng.uniform((2, 3), low=-1.0, high=2.0), srng.normal((3,), avg=1.0, std=0.5),
             srng.binomial((4,), n=1, p=0.3), srng.binomial((2, 2), n=5, p=0.5),
             srng.random_integers((5,), low=1, high=6), srng.choice(size=(3,), a=5, replace=False),
             srng.permutation(n=6), srng.multinomial(size=(2,), n=3, pvals=[0.2, 0.3, 0.5]),
             srng.uniform((3,), dtype="float32")]
    f = theano.function([], draws)
    first, second = f(), f()
    return {"first": first, "second": second, "dtypes": [d.dtype for d in draws]}


@program(G)
def mrg_uniform_normal(lib):
    theano, T = lib.theano, lib.T
    MRG = lib.imp("sandbox.rng_mrg").MRG_RandomStreams
    srng = MRG(seed=12345)
    u = srng.uniform((3, 4))
    u32 = srng.uniform((2, 5), low=-2.0, high=3.0, dtype="float32")
    n = srng.normal((7,))
    n2 = srng.normal((2, 3), avg=1.0, std=2.0)
    big = srng.uniform((40, 3))
    f = theano.function([], [u, u32, n, n2, big])
    first, second = f(), f()
    return {"first": first, "second": second, "dtypes": [u.dtype, u32.dtype, n.dtype]}


@program(G, floatX="float32")
def mrg_float32_and_symbolic_size(lib):
    theano, T = lib.theano, lib.T
    MRG = lib.imp("sandbox.rng_mrg").MRG_RandomStreams
    srng = MRG(seed=4321)
    x = T.matrix("x")
    mask = srng.binomial(size=x.shape, p=0.7, dtype=x.dtype)
    noise = srng.normal(size=x.shape, std=0.1)
    u = srng.uniform(size=(x.shape[0], 2))
    f = theano.function([x], [x * mask, x + noise, u])
    xv = np.ones((3, 5), dtype="float32")
    return {"first": f(xv), "second": f(xv), "dtypes": [mask.dtype, noise.dtype, u.dtype]}


@program(G)
def mrg_multinomial_choice(lib):
    theano, T = lib.theano, lib.T
    MRG = lib.imp("sandbox.rng_mrg").MRG_RandomStreams
    srng = MRG(seed=99)
    p = T.dmatrix("p")
    m1 = srng.multinomial(pvals=p)
    m3 = srng.multinomial(pvals=p, n=3)
    c = srng.choice(size=2, p=p, replace=False)
    wo = srng.multinomial_wo_replacement(pvals=p, n=2)
    f = theano.function([p], [m1, m3, c, wo])
    pv = np.array([[0.1, 0.2, 0.3, 0.4], [0.5, 0.0, 0.25, 0.25], [0.25, 0.25, 0.25, 0.25]])
    return {"first": f(pv), "second": f(pv), "dtypes": [m1.dtype, c.dtype]}


@program(G)
def mrg_seed_and_state(lib):
    theano, T = lib.theano, lib.T
    MRG = lib.imp("sandbox.rng_mrg").MRG_RandomStreams
    srng = MRG(seed=2718)
    u = srng.uniform((5,))
    n = srng.normal((4,))
    f = theano.function([], [u, n])
    a = f()
    srng.seed(2718)
    b = f()
    srng.seed(31)
    c = f()
    other = MRG(seed=[1, 2, 3, 4, 5, 6])
    g = theano.function([], other.uniform((3,)))
    bad_seed = lib.outcome(lambda: MRG(seed=0))
    return {"a": a, "b_eq_a": [bool(np.array_equal(x, y)) for x, y in zip(a, b)], "c": c, "vec_seed": g(),
            "bad_seed": bad_seed, "updates": len(srng.updates()), "rstate": srng.rstate}


@program(G, linker="py")
def mrg_inside_scan(lib):
    theano, T = lib.theano, lib.T
    MRG = lib.imp("sandbox.rng_mrg").MRG_RandomStreams
    srng = MRG(seed=555)
    x = T.dmatrix("x")

    def step(row):
        return row * srng.binomial(size=(3,), p=0.5, dtype="float64")

    out, updates = theano.scan(step, sequences=x)
    f = theano.function([x], out, updates=updates)
    xv = np.arange(12.0).reshape(4, 3) + 1
    return {"first": f(xv), "second": f(xv)}


@program(G, linker="py")
def random_streams_inside_scan(lib):
    theano, T = lib.theano, lib.T
    RandomStreams = lib.imp("tensor.shared_randomstreams").RandomStreams
    srng = RandomStreams(seed=31)
    x = T.dmatrix("x")

    def step(row):
        return row + srng.normal(size=(3,))

    out, updates = theano.scan(step, sequences=x)
    f = theano.function([x], out, updates=updates)
    xv = np.zeros((3, 3))
    return {"first": f(xv), "second": f(xv)}


# -- config -----------------------------------------------------------------------------------------------------------
@program(G)
def config_warn_and_print_test_value(lib):
    theano, T = lib.theano, lib.T
    cfg = theano.config
    old_warn = cfg.warn.sum_div_dimshuffle_bug
    cfg.warn.sum_div_dimshuffle_bug = False
    restored = cfg.warn.sum_div_dimshuffle_bug
    cfg.warn.sum_div_dimshuffle_bug = old_warn
    old = cfg.compute_test_value
    cfg.compute_test_value = "warn"
    x = T.dvector("x")
    x.tag.test_value = np.array([1.0, 2.0])
    y = T.exp(x)
    cfg.compute_test_value = old
    return {"warn_flag": restored, "print_test_value": cfg.print_test_value, "test_value": y.tag.test_value}
