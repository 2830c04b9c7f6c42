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
