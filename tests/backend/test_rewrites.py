"""Graph rewrites (merge, canonicalize, constant folding, stabilize, specialize): each fires where it should,
leaves values as they were (or, for stabilize, makes them right), does not fire where it would be wrong, and can
be turned off by name."""
import numpy as np
import pytest

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit_backend.graph.fgraph import FunctionGraph
from layerkit_backend.rewrite import PHASES, REGISTRY
from layerkit_backend.tensor.scalar import Cast

# Fusion and inplace rewrite nodes into kernels; counting ops is about the phases before them.
LATE = ["fusion", "inplace"]
MERGE = ["merge_common_subexpressions", "merge_common_subexpressions_again"]

RNG = np.random.RandomState(42)
VEC = RNG.uniform(0.5, 2.0, size=5)
MAT = RNG.uniform(0.5, 2.0, size=(4, 3))
IVEC = np.array([3, -1, 7, 0], dtype="int32")


def _label(node):
    op = node.op
    return op.scalar_op.name if isinstance(op, T.Elemwise) else type(op).__name__


def _count(f, label):
    return sum(_label(n) == label for n in f.maker.fgraph.toposort())


def _vec():
    x = T.dvector("x")
    return x


def _mat3():
    return T.tensor("float64", shape=(None, 3), name="m")


def _grad_tanh_sqr():
    x = _mat3()
    return [x], lb.grad((T.tanh(x) ** 2).sum(), x)


def _sum_alloc(axis):
    def build():
        s, k = T.dscalar("s"), T.iscalar("k")
        return [s, k], T.alloc(s, 3, k).sum(axis=axis)

    return build


def _unary(fn, make=_vec):
    def build():
        x = make()
        return [x], fn(x)

    return build


def _binary(fn):
    def build():
        x, y = T.dvector("x"), T.dvector("y")
        return [x, y], fn(x, y)

    return build


def _shape_i(i, fn, make=_vec):
    return _unary(lambda x: T.cast(T.Shape_i(i)(fn(x)), "float64"), make)


def _ivec():
    return T.ivector("i")


CASES = [
    # (id, rewrite names to exclude, build() -> (inputs, output), input values, op label, count with the rewrite,
    #  NumPy reference)
    ("add_zero", ["local_add_zero"], _unary(lambda x: T.exp(x) + 0), [VEC], "add", 0, np.exp),
    ("sub_zero", ["local_sub_zero"], _unary(lambda x: T.exp(x) - 0), [VEC], "sub", 0, np.exp),
    ("mul_one", ["local_mul_one"], _unary(lambda x: 1 * T.exp(x)), [VEC], "mul", 0, np.exp),
    ("div_one", ["local_div_one"], _unary(lambda x: T.exp(x) / 1), [VEC], "true_div", 0, np.exp),
    ("pow_one", ["local_pow_one"], _unary(lambda x: T.exp(x) ** 1), [VEC], "pow", 0, np.exp),
    ("neg_neg", ["local_neg_neg"], _unary(lambda x: -(-T.exp(x))), [VEC], "neg", 0, np.exp),
    ("mul_zero_int", ["local_mul_zero_int"], _unary(lambda i: i * 0, _ivec), [IVEC], "mul", 0, lambda i: i * 0),
    ("pow_two", ["local_pow_specialize"], _unary(lambda x: x ** 2), [VEC], "pow", 0, np.square),
    ("pow_half", ["local_pow_specialize"], _unary(lambda x: x ** 0.5), [VEC], "pow", 0, np.sqrt),
    ("pow_minus_one", ["local_pow_specialize"], _unary(lambda x: x ** -1), [VEC], "pow", 0, np.reciprocal),
    ("pow_grad_exponent", ["local_pow_one"], _grad_tanh_sqr, [MAT], "pow", 0,
     lambda m: 2 * np.tanh(m) * (1 - np.tanh(m) ** 2)),
    ("useless_identity", ["local_useless_identity"], _unary(lambda x: T.exp(x).copy() * 2), [VEC], "identity", 0,
     lambda x: 2 * np.exp(x)),
    ("useless_cast", ["local_useless_cast"], _unary(lambda x: T.Elemwise(Cast("float64"))(T.exp(x))), [VEC],
     "cast_float64", 0, np.exp),
    ("cast_cast", ["local_cast_cast"], _unary(lambda i: T.cast(T.cast(i, "float64"), "float32"), _ivec), [IVEC],
     "cast_float64", 0, lambda i: i.astype("float32")),
    ("elemwise_alloc", ["local_elemwise_alloc"], _binary(lambda x, s: T.fill(x, s.sum()) + x), [VEC, VEC],
     "Alloc", 0, lambda x, s: x + s.sum()),
    ("alloc_sink", ["local_alloc_sink"], _binary(lambda x, s: T.fill(x, s.sum()) * 2 + x), [VEC, VEC],
     "Alloc", 0, lambda x, s: x + 2 * s.sum()),
    ("sum_alloc", ["local_sum_alloc"], _sum_alloc(None), [2.5, 4], "Reduce", 0, lambda s, k: s * 3 * k),
    ("sum_alloc_axis", ["local_sum_alloc"], _sum_alloc(0), [2.5, 4], "Reduce", 0, lambda s, k: np.full(k, 3 * s)),
    ("useless_dimshuffle", ["local_useless_dimshuffle"], _unary(lambda x: T.DimShuffle(1, (0,))(T.exp(x))), [VEC],
     "DimShuffle", 0, np.exp),
    ("dimshuffle_dimshuffle", ["local_dimshuffle_dimshuffle"], _unary(lambda x: T.exp(x).dimshuffle(0, "x").T),
     [VEC], "DimShuffle", 1, lambda x: np.exp(x)[None, :]),
    ("useless_sum_to_shape", ["local_useless_sum_to_shape"], _grad_tanh_sqr, [MAT], "SumToShape", 0,
     lambda m: 2 * np.tanh(m) * (1 - np.tanh(m) ** 2)),
    ("useless_reshape", ["local_useless_reshape"], _unary(lambda m: T.exp(m).reshape((-1, 3)), _mat3), [MAT],
     "Reshape", 0, np.exp),
    ("useless_specify_shape", ["local_useless_specify_shape"],
     _unary(lambda m: T.specify_shape(T.exp(m), (None, 3)), _mat3), [MAT], "SpecifyShape", 0, np.exp),
    ("shape_i_static", ["local_shape_i_static"], _shape_i(1, T.exp, _mat3), [MAT], "Shape_i", 0, lambda m: 3.0),
    ("shape_i_lift", ["local_shape_i_lift"], _shape_i(0, lambda x: T.exp(x) * 2), [VEC], "exp", 0,
     lambda x: float(len(x))),
    ("merge", MERGE, _unary(lambda x: T.exp(x) + T.exp(x)), [VEC], "exp", 1, lambda x: 2 * np.exp(x)),
    ("merge_constants", MERGE, _unary(lambda x: x * 2.5 + x * 2.5), [VEC], "mul", 1, lambda x: 5 * x),
    ("merge_commutative", MERGE, _binary(lambda x, y: x * y - y * x), [VEC, VEC], "mul", 1, lambda x, y: 0 * x),
    ("constant_fold", ["local_constant_fold"], _unary(lambda x: x + T.exp(T.constant(np.float64(1.0)))), [VEC],
     "exp", 0, lambda x: x + np.e),
]


@pytest.mark.parametrize("exclude, build, values, label, n_after, ref", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_rewrite_fires_keeps_values_and_can_be_excluded(exclude, build, values, label, n_after, ref):
    inputs, out = build()
    f = lb.function(inputs, out, mode=lb.Mode(excluding=LATE))
    plain = lb.function(inputs, out, mode=lb.Mode(optimizer=None))
    without = lb.function(inputs, out, mode=lb.Mode(excluding=LATE + exclude))
    assert _count(f, label) == n_after
    assert _count(without, label) != n_after, f"excluding {exclude} did not keep the {label} node"
    got = f(*values)
    assert got.dtype == plain(*values).dtype and got.shape == plain(*values).shape
    np.testing.assert_allclose(got, plain(*values), rtol=1e-12)
    np.testing.assert_allclose(got, ref(*values), rtol=1e-12)
    np.testing.assert_allclose(lb.function(inputs, out)(*values), ref(*values), rtol=1e-12)  # with fusion too


STABLE_CASES = [
    # (id, rewrite, expression of x, x, op label that goes away, exact reference)
    ("log1p", "local_log1p", lambda x: T.log(1 + x), [1e-10, 1e-3, 2.0], "log", np.log1p),
    ("log_one_minus", "local_log1p", lambda x: T.log(1 - x), [1e-10, 0.5], "log", lambda x: np.log1p(-x)),
    ("expm1", "local_expm1", lambda x: T.exp(x) - 1, [1e-10, -1e-12, 3.0], "exp", np.expm1),
    ("log_sigmoid", "local_log_sigmoid", lambda x: T.log(T.sigmoid(x)), [-800.0, 0.0, 3.0], "sigmoid",
     lambda x: -np.logaddexp(0, -x)),
    ("log_one_minus_sigmoid", ("local_log_one_minus_sigmoid", "local_one_minus_sigmoid"),
     lambda x: T.log(1 - T.sigmoid(x)), [800.0, 0.0, -3.0],
     "sigmoid", lambda x: -np.logaddexp(0, x)),
    ("one_minus_sigmoid", "local_one_minus_sigmoid", lambda x: 1 - T.sigmoid(x), [40.0, 0.0, -3.0], "sub",
     lambda x: 1 / (1 + np.exp(x))),
    ("sigmoid_of_exp", "local_sigmoid_of_exp", lambda x: T.log(1 - 1 / (1 + T.exp(-x))), [800.0, 0.0, -3.0],
     "exp", lambda x: -np.logaddexp(0, x)),
]


@pytest.mark.parametrize("name, expr, x, label, ref", [c[1:] for c in STABLE_CASES], ids=[c[0] for c in STABLE_CASES])
def test_stabilize_makes_values_right(name, expr, x, label, ref):
    v = T.dvector("x")
    out = expr(v)
    x = np.array(x)
    f = lb.function([v], out, mode=lb.Mode(excluding=LATE))
    names = [name] if isinstance(name, str) else list(name)  # every rewrite that would stabilize it
    without = lb.function([v], out, mode=lb.Mode(excluding=LATE + names))
    assert _count(f, label) == 0 and _count(without, label) == 1
    with np.errstate(all="ignore"):
        assert not np.allclose(without(x), ref(x), rtol=1e-12, atol=0)  # the plain formula is wrong here
    np.testing.assert_allclose(f(x), ref(x), rtol=1e-12, atol=0)
    np.testing.assert_allclose(lb.function([v], out)(x), ref(x), rtol=1e-12, atol=0)


def _grad_of_broadcast():
    x, y = T.dvector("x"), T.dvector("y")
    return [x, y], lb.grad((x * y).sum(), y)


SAFE_CASES = [
    # (id, build, input values, op label, count that must remain, NumPy reference): rewrites must not fire here
    ("lossy_cast_chain", _unary(lambda x: T.cast(T.cast(x, "float32"), "float64")), [VEC + 1e-9], "cast_float32", 1,
     lambda x: x.astype("float32").astype("float64")),
    ("int64_to_float64_not_exact", _unary(lambda i: T.cast(T.cast(i, "float64"), "int64"), lambda: T.lvector("l")),
     [np.array([2 ** 53 + 1])], "cast_float64", 1, lambda i: i.astype("float64").astype("int64")),
    ("float_times_zero", _unary(lambda x: T.exp(x) * 0), [np.array([1.0, np.inf])], "mul", 1,
     lambda x: np.exp(x) * 0),
    ("mul_one_that_broadcasts", _unary(lambda x: x * T.ones((3, 1), dtype="float64")), [VEC], "mul", 1,
     lambda x: np.ones((3, 1)) * x),
    ("int_plus_zero_float", _unary(lambda i: i + 0.0, _ivec), [IVEC], "add", 1, lambda i: i + np.float32(0)),
    ("sum_to_shape_of_broadcast", _grad_of_broadcast, [np.array([1.0, 2.0, 3.0]), np.array([2.0])], "SumToShape",
     1, lambda x, y: np.array([x.sum()])),
    ("shape_of_broadcast", _binary(lambda x, y: T.cast(T.Shape_i(0)(x + y), "float64")),
     [np.array([1.0]), np.ones(3)], "add", 1, lambda x, y: 3.0),
    ("identity_output", _unary(lambda x: T.exp(x).copy()), [VEC], "identity", 1, np.exp),
    ("reshape_other_shape", _unary(lambda m: m.reshape((3, -1)), _mat3), [np.ones((3, 3))], "Reshape", 1,
     lambda m: m),
    ("log1p_of_int", _unary(lambda i: T.log(1 + i), _ivec), [np.array([0, 1, 5], dtype="int32")], "log", 1,
     lambda i: np.log(1 + i).astype("float32")),
]


@pytest.mark.parametrize("build, values, label, n_left, ref", [c[1:] for c in SAFE_CASES],
                         ids=[c[0] for c in SAFE_CASES])
def test_rewrite_does_not_fire_where_unsound(build, values, label, n_left, ref):
    inputs, out = build()
    f = lb.function(inputs, out, mode=lb.Mode(excluding=LATE))
    assert _count(f, label) == n_left
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(f(*values), ref(*values), rtol=1e-6)
        np.testing.assert_allclose(lb.function(inputs, out)(*values), ref(*values), rtol=1e-6)


def test_every_rewrite_is_registered_under_its_phase():
    by_name = REGISTRY.names
    for name, phase in [("merge_common_subexpressions", "merge"), ("merge_common_subexpressions_again",
                        "merge_again"), ("local_constant_fold", "constant_fold"), ("local_mul_one", "canonicalize"),
                        ("local_log1p", "stabilize"), ("local_pow_specialize", "specialize")]:
        assert by_name[name].phase == phase
    assert {r.phase for r in by_name.values()} <= set(PHASES)


def test_constant_fold_makes_constants_and_skips_big_results():
    x = T.dvector("x")
    small = T.exp(T.constant(np.arange(3.0))) + 1
    big = T.zeros((200, 200), dtype="float64")
    f = lb.function([x], [x + small, big], mode=lb.Mode(excluding=LATE))
    labels = [_label(n) for n in f.maker.fgraph.toposort()]
    assert "exp" not in labels and "Alloc" in labels  # 40,000 zeros stay an Alloc, computed at run time
    folded = [v for n in f.maker.fgraph.toposort() for v in n.inputs if isinstance(v, lb.Constant)]
    assert any(np.allclose(c.data, np.exp(np.arange(3.0)) + 1) for c in folded)
    a, b = f(np.zeros(3))
    np.testing.assert_allclose(a, np.exp(np.arange(3.0)) + 1)
    assert b.shape == (200, 200) and not b.any()


def test_merge_counts_nodes_on_a_repeated_expression():
    x, y = T.dmatrix("x"), T.dmatrix("y")

    def block():
        return T.tanh(T.dot(x, y) + 1.5).sum(axis=0)

    f = lb.function([x, y], [block() * block(), block()], mode=lb.Mode(excluding=LATE))
    labels = [_label(n) for n in f.maker.fgraph.toposort()]
    assert labels.count("Dot") == 1 and labels.count("tanh") == 1 and labels.count("Reduce") == 1
    a, b = RNG.rand(2, 3), RNG.rand(3, 2)
    r1, r2 = f(a, b)
    np.testing.assert_allclose(r1, r2 ** 2)
    assert r1 is not r2


def test_rewriting_a_long_chain_takes_few_passes(monkeypatch):
    x = T.dvector("x")
    y = x
    for _ in range(70):  # 210 nodes, each link rewritten by canonicalize
        y = T.tanh(y) * 1 + 0
    calls = []
    real = FunctionGraph.toposort
    monkeypatch.setattr(FunctionGraph, "toposort", lambda self: calls.append(1) or real(self))
    f = lb.function([x], y, mode=lb.Mode(excluding=LATE))
    monkeypatch.undo()
    labels = [_label(n) for n in f.maker.fgraph.toposort()]
    assert labels == ["tanh"] * 70
    assert len(calls) <= 12, f"{len(calls)} graph walks for one compile"
    v = np.linspace(-1, 1, 4)
    expected = v
    for _ in range(70):
        expected = np.tanh(expected)
    np.testing.assert_allclose(f(v), expected)


def test_training_graph_keeps_values():
    rng = np.random.RandomState(0)
    x, y = T.matrix("x"), T.matrix("y")
    params, h, n_in = [], x, 6
    for _ in range(2):
        w = lb.shared(rng.randn(n_in, 4).astype("float32"))
        b = lb.shared(np.zeros(4, "float32"))
        params += [w, b]
        h, n_in = T.tanh(T.dot(h, w) + b), 4
    o = T.sigmoid(h)
    loss = -T.mean(y * T.log(o) + (1 - y) * T.log(1 - o)) + 1e-3 * (params[0] ** 2).sum()
    grads = lb.grad(loss, params)
    xv, yv = rng.rand(5, 6).astype("float32"), (rng.rand(5, 4) > 0.5).astype("float32")
    f = lb.function([x, y], [loss] + grads)
    plain = lb.function([x, y], [loss] + grads, mode=lb.Mode(optimizer=None))
    for a, b in zip(f(xv, yv), plain(xv, yv)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert len(f.maker.fgraph.toposort()) < len(plain.maker.fgraph.toposort()) // 2 + 10
