"""Theano's API where it is more than an op: types as constructors, multi-name constructors, inputs with updates and
the tuple input forms, which inputs count as used, graph attributes (clients, op.name), printing's return values,
and pickling or deep-copying graphs, compiled functions and shared variables. (What Theano computes for these is
pinned by the recorded programs in tests/conformance/theano; these tests say what each feature is.)"""
import copy
import pickle

import numpy as np
import pytest

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit_backend import printing
from layerkit_backend.compile.function import UnusedInputError

# (id, expression, expected names, expected dtype, expected ndim)
MULTI_NAMES = [
    ("characters", lambda: T.dscalars("xyz"), ["x", "y", "z"], "float64", 0),
    ("separate", lambda: T.fmatrices("a", "b"), ["a", "b"], "float32", 2),
    ("count", lambda: T.ivectors(2), [None, None], "int32", 1),
    ("tensor7", lambda: T.ltensor7s("t", "u"), ["t", "u"], "int64", 7),
]


@pytest.mark.parametrize("make,names,dtype,ndim", [r[1:] for r in MULTI_NAMES], ids=[r[0] for r in MULTI_NAMES])
def test_multi_name_constructors(make, names, dtype, ndim):
    made = make()
    assert [v.name for v in made] == names
    assert all(v.dtype == dtype and v.ndim == ndim for v in made)


def test_a_single_name_gives_one_variable_as_in_theano():
    x = T.dscalars("x")
    assert x.name == "x" and x.ndim == 0


def test_named_constructors_are_tensor_types():
    x = T.dmatrix("x")
    assert isinstance(T.dmatrix, T.TensorType) and x.type == T.dmatrix
    assert T.TensorType("float64", (False, False)) == T.dmatrix
    assert T.frow.broadcastable == (True, False) and T.tensor6().ndim == 6 and T.btensor7.dtype == "int8"


def test_input_with_an_update_keeps_its_state():
    x, w = T.dscalars("x", "w")
    f = lb.function([x, lb.In(w, value=1.0, update=w + x)], x * w)
    assert [float(f(2.0)), float(f(2.0)), float(f(1.0))] == [2.0, 6.0, 5.0]
    assert float(f(1.0, 10.0)) == 10.0  # an explicit value is used for that call, then updated
    assert float(f(0.0)) == 0.0 and float(f(1.0)) == 11.0
    with pytest.raises(TypeError, match="needs value="):
        lb.In(w, update=w + 1)


def test_tuple_input_forms():
    x, w = T.dscalars("x", "w")
    g = lb.function([x, ((w, w * x), 3.0)], x + w)
    assert [float(g(2.0)), float(g(2.0)), float(g(1.0))] == [5.0, 8.0, 13.0]
    h = lb.function([x, (w, 4.0)], x - w)
    assert float(h(1.0)) == -3.0 and float(h(1.0, 1.0)) == 0.0


# An input counts as used when the graph the user wrote reads it, whatever build-time simplification removed.
USED = [
    ("consider_constant", lambda x, y, m: T.grad(x * y, x, consider_constant=[y])),
    ("grad_of_other_term", lambda x, y, m: T.grad(x ** 2 + y, y)),
    ("ones_like_scalar", lambda x, y, m: T.ones_like(x) + T.zeros_like(y)),
    ("static_shape", lambda x, y, m: (T.specify_shape(m, (2, 2)) ** 2).shape + T.cast(T.shape_padleft(x).shape[0]
                                                                                      * y, "int64")),
]


@pytest.mark.parametrize("build", [r[1] for r in USED], ids=[r[0] for r in USED])
def test_inputs_used_before_simplification_are_not_unused(build):
    x, y = T.dscalars("x", "y")
    m = T.dmatrix("m")
    out = build(x, y, m)
    inputs = [v for v in (x, y, m) if v in lb.graph.depends_on([out])]
    lb.function(inputs, out)  # no UnusedInputError


def test_an_input_the_graph_never_read_is_unused():
    x, y = T.dscalars("x", "y")
    with pytest.raises(UnusedInputError, match=r"input 1 \(y\)"):
        lb.function([x, y], x * 2)


def test_clients_op_name_and_debugprint_return():
    x, y = T.dmatrices("x", "y")
    z = x + y
    f = lb.function([x, y], z)
    fx = f.maker.fgraph.inputs[0]
    assert len(fx.clients) == 1 and isinstance(fx.clients[0][1], int)
    with pytest.raises(AttributeError, match="no clients"):
        x.clients  # noqa: B018  (a free variable belongs to no graph, as in Theano)
    assert z.owner.op.name is None
    assert printing.debugprint(z) is None
    assert isinstance(printing.debugprint(z, file="str"), str)


def test_pickled_function_and_shared_variable_stay_together():
    x = T.dvector("x")
    w = lb.shared(np.arange(3.0), name="w")
    f = lb.function([x], (x * w).sum(), updates=[(w, w + 1)])
    f2, w2 = pickle.loads(pickle.dumps((f, w), protocol=pickle.HIGHEST_PROTOCOL))
    assert float(f2([1.0, 1.0, 1.0])) == 3.0
    np.testing.assert_array_equal(w2.get_value(), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(w.get_value(), [0.0, 1.0, 2.0])
    g = copy.deepcopy(f)
    g([1.0, 1.0, 1.0])
    np.testing.assert_array_equal(w.get_value(), [0.0, 1.0, 2.0])  # the copy updates its own copy of w


def test_pickled_graph_evaluates():
    x = T.dvector("x")
    y = pickle.loads(pickle.dumps(T.tanh(x) * 2 + T.nnet.sigmoid(x).sum()))
    (loaded_x,) = [v for v in lb.graph.graph_inputs([y]) if v.name == "x"]
    np.testing.assert_allclose(y.eval({loaded_x: np.array([0.5])}), np.tanh(0.5) * 2 + 1 / (1 + np.exp(-0.5)))


def test_pickled_scan_and_random_functions_run():
    from layerkit_backend.tensor.shared_randomstreams import RandomStreams

    x = T.dvector("x")
    total, _ = lb.scan(lambda a, acc: acc + a, sequences=x, outputs_info=T.constant(0.0, dtype="float64"))
    f = pickle.loads(pickle.dumps(lb.function([x], total)))
    np.testing.assert_array_equal(f([1.0, 2.0, 3.0]), [1.0, 3.0, 6.0])
    g = lb.function([], RandomStreams(7).uniform((2,)))
    h = pickle.loads(pickle.dumps(g))
    np.testing.assert_array_equal(h(), g())  # the state was pickled with the function


# -- MRG_RandomStreams: Theano's numbers are pinned by tests/conformance; here, what they are ----------------------
def test_mrg_draws_are_reproducible_fresh_and_uniform():
    from layerkit_backend.sandbox.rng_mrg import MRG_RandomStreams

    def draws(seed):
        srng = MRG_RandomStreams(seed)
        f = lb.function([], [srng.uniform((4000,)), srng.normal((4000,)), srng.binomial((4000,), p=0.3)])
        return f(), f()

    (u, n, b), (u2, _, _) = draws(42)
    (same, _, _), _ = draws(42)
    np.testing.assert_array_equal(u, same)
    assert not np.array_equal(u, u2)
    assert 0 < u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.02 and abs(u.var() - 1 / 12) < 0.01
    assert abs(n.mean()) < 0.05 and abs(n.std() - 1) < 0.05
    assert abs(b.mean() - 0.3) < 0.03 and set(np.unique(b)) <= {0, 1}


def test_mrg_streams_work_inside_scan_and_reseed():
    from layerkit_backend.sandbox.rng_mrg import MRG_RandomStreams

    srng = MRG_RandomStreams(7)
    x = T.dmatrix("x")
    out, updates = lb.scan(lambda row: row * srng.binomial((3,), p=0.5, dtype="float64"), sequences=x)
    f = lb.function([x], out, updates=updates)
    first, second = f(np.ones((4, 3))), f(np.ones((4, 3)))
    assert not np.array_equal(first, second)
    srng.seed(7)
    np.testing.assert_array_equal(f(np.ones((4, 3))), first)


# (id, call, error, message)
MRG_ERRORS = [
    ("zero_seed", lambda m: m(0), ValueError, "seed should not be 0"),
    ("binomial_n", lambda m: m(1).binomial((2,), n=3), NotImplementedError, "only n=1"),
    ("choice_with_replacement", lambda m: m(1).choice(p=T.dmatrix()), NotImplementedError, "replace=False"),
    ("multinomial_without_pvals", lambda m: m(1).multinomial(), TypeError, "give pvals"),
    ("negative_size", lambda m: m(1).uniform((2, -1)), ValueError, "sizes must be positive"),
]


@pytest.mark.parametrize("call,error,message", [r[1:] for r in MRG_ERRORS], ids=[r[0] for r in MRG_ERRORS])
def test_mrg_errors(call, error, message):
    from layerkit_backend.sandbox.rng_mrg import MRG_RandomStreams

    with pytest.raises(error, match=message):
        call(MRG_RandomStreams)


# -- ops from Python functions and from graphs -------------------------------------------------------------------
def test_as_op_runs_the_function_and_has_no_gradient():
    from layerkit_backend.compile.ops import as_op
    from layerkit_backend.gradient import NullTypeGradError

    @as_op(itypes=[T.dmatrix, T.dvector], otypes=[T.dvector])
    def numpy_dot(a, b):
        return np.dot(a, b)

    x, v = T.dmatrix("x"), T.dvector("v")
    np.testing.assert_array_equal(numpy_dot(x, v).eval({x: np.eye(2) * 3, v: [1.0, 2.0]}), [3.0, 6.0])
    with pytest.raises(NullTypeGradError, match="as_op"):
        T.grad(numpy_dot(x, v).sum(), x)
    with pytest.raises(TypeError, match="expected Matrix"):
        numpy_dot(v, v)


def test_op_from_graph_computes_differentiates_and_reads_shared_values():
    x, y = T.dscalars("x", "y")
    s = lb.shared(np.float64(2.0))
    op = lb.OpFromGraph([x, y], [x * y * s])
    out = op(x, y) + op(y, x)
    f = lb.function([x, y], [out, T.grad(out, x)])
    assert [float(v) for v in f(3.0, 4.0)] == [48.0, 16.0]
    s.set_value(np.float64(1.0))
    assert float(f(3.0, 4.0)[0]) == 24.0
    inline = lb.OpFromGraph([x], [x + 1], inline=True)
    assert float(inline(y).eval({y: 1.0})) == 2.0


# -- modes, test values and flags ------------------------------------------------------------------------------------
def test_monitor_mode_sees_each_node():
    from layerkit_backend.compile.monitormode import MonitorMode

    seen = []
    x = T.dscalar("x")
    f = lb.function([x], T.log(x) * x, mode=MonitorMode(post_func=lambda i, node, fn: seen.append(
        (i, fn.outputs[0][0].copy()))))
    f(0.0)
    assert seen and np.isnan(seen[-1][1]) and [i for i, _ in seen] == sorted(i for i, _ in seen)
    with pytest.raises(NotImplementedError, match="pre_func"):
        MonitorMode(pre_func=print)


def test_nan_guard_mode_checks_what_it_is_asked_to():
    from layerkit_backend.compile.nanguardmode import NanGuardError, NanGuardMode

    x = T.dvector("x")
    y = T.log(x)
    with pytest.raises(NanGuardError, match="Inf"):
        lb.function([x], y, mode=NanGuardMode())([0.0])
    assert np.isinf(lb.function([x], y, mode=NanGuardMode(inf_is_error=False))([0.0])).all()


def test_test_values_are_computed_as_the_graph_is_built():
    before = lb.config.compute_test_value
    lb.config.compute_test_value = "raise"
    try:
        x, w = T.dmatrix("x"), T.dmatrix("w")
        x.tag.test_value = np.ones((3, 4))
        w.tag.test_value = np.ones((5, 6))
        with pytest.raises(ValueError):
            T.dot(x, w)
        w.tag.test_value = np.ones((4, 2))
        np.testing.assert_array_equal(T.dot(x, w).tag.test_value, np.full((3, 2), 4.0))
        with pytest.raises(ValueError, match="has no test value"):
            x + T.dmatrix("no_value")
    finally:
        lb.config.compute_test_value = before


def test_warn_flags_are_accepted_and_remembered():
    assert lb.config.warn.sum_div_dimshuffle_bug is False
    lb.config.warn.round = True
    assert lb.config.warn.round is True
    del lb.config.warn.round
    assert lb.config.print_test_value is False


# -- gradient tools ----------------------------------------------------------------------------------------------------
def test_subgraph_grads_add_up_to_the_whole():
    from layerkit_backend.gradient import subgraph_grad

    x = T.dvector("x")
    w1, w2 = lb.shared(np.array([0.5, -0.3]), name="w1"), lb.shared(np.array([1.5, 0.2]), name="w2")
    a1 = T.tanh(x * w1)
    cost2, cost1 = (T.tanh(a1 * w2) ** 2).sum(), (a1 ** 2).sum()
    (g2,), (g_a1,) = subgraph_grad([w2], [a1], cost=cost2)
    (g1,), _ = subgraph_grad([w1], [x], start={a1: g_a1}, cost=cost1)
    f = lb.function([x], [g2, g1, *T.grad(cost2 + cost1, [w2, w1])])
    sub2, sub1, full2, full1 = f([1.0, -2.0])
    np.testing.assert_allclose(sub2, full2)
    np.testing.assert_allclose(sub1, full1)


def test_undefined_grad_passes_values_and_refuses_gradients():
    from layerkit_backend.gradient import NullTypeGradError, undefined_grad

    x = T.dvector("x")
    u = undefined_grad(x) * 2
    np.testing.assert_array_equal(u.eval({x: [1.0]}), [2.0])
    with pytest.raises(NullTypeGradError, match="undefined_grad"):
        T.grad(u.sum(), x)
