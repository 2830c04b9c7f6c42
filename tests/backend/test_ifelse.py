"""ifelse: values (one row per branch pair, both conditions), laziness (a failing and a counting branch), several
outputs, gradients through both branches, and that switch stays eager."""
import numpy as np
import pytest

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit_backend.graph.basic import Apply, Op
from layerkit_backend.gradient import verify_grad
from layerkit_backend.ifelse import IfElse, ifelse

X = np.array([0.5, -1.5, 2.0])
Y = np.array([1.5, 0.25, -0.75])

# (id, then(x, y), else(x, y), numpy then, numpy else); lists give several outputs
BRANCHES = [
    ("elementwise", lambda x, y: x * y, lambda x, y: x - y, lambda x, y: x * y, lambda x, y: x - y),
    ("reductions", lambda x, y: T.exp(x).sum(), lambda x, y: (x * y).prod(), lambda x, y: np.exp(x).sum(),
     lambda x, y: (x * y).prod()),
    ("input_itself", lambda x, y: x, lambda x, y: T.tanh(y), lambda x, y: x, lambda x, y: np.tanh(y)),
    ("one_side_constant", lambda x, y: x ** 2, lambda x, y: 0.0 * x + 1.0, lambda x, y: x ** 2,
     lambda x, y: np.ones_like(x)),
    ("common_part", lambda x, y: T.sin(x * y) + x, lambda x, y: T.sin(x * y) * y,
     lambda x, y: np.sin(x * y) + x, lambda x, y: np.sin(x * y) * y),
    ("several", lambda x, y: [x + y, (x * y).sum()], lambda x, y: [x * 3, y.sum()],
     lambda x, y: [x + y, (x * y).sum()], lambda x, y: [x * 3, y.sum()]),
    ("duplicated_output", lambda x, y: [x * y, x * y], lambda x, y: [y, x],
     lambda x, y: [x * y, x * y], lambda x, y: [y, x]),
]


def _as_list(v):
    return v if isinstance(v, list) else [v]


@pytest.mark.parametrize("row", BRANCHES, ids=[r[0] for r in BRANCHES])
def test_values(row):
    _, then_fn, else_fn, then_ref, else_ref = row
    c, x, y = T.iscalar("c"), T.dvector("x"), T.dvector("y")
    out = ifelse(c, then_fn(x, y), else_fn(x, y))
    f = lb.function([c, x, y], out, on_unused_input="ignore")
    for cond, ref in ((1, then_ref), (0, else_ref), (-3, then_ref)):
        for got, want in zip(_as_list(f(cond, X, Y)), _as_list(ref(X, Y))):
            np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("row", [r for r in BRANCHES if r[0] != "one_side_constant"],
                         ids=[r[0] for r in BRANCHES if r[0] != "one_side_constant"])
@pytest.mark.parametrize("cond", [0, 1])
def test_gradients_through_both_branches(row, cond):
    _, then_fn, else_fn, _, _ = row

    def cost(x, y):
        outs = _as_list(ifelse(T.constant(cond, dtype="int8"), then_fn(x, y), else_fn(x, y)))
        return sum((o * (k + 1.0)).sum() for k, o in enumerate(outs))

    verify_grad(cost, [X, Y], rng=np.random.default_rng(0))


def test_gradient_is_zero_where_the_chosen_branch_ignores_the_input():
    c, x, y = T.iscalar("c"), T.dvector("x"), T.dvector("y")
    gx, gy = T.grad(ifelse(c, (x * 2).sum(), (y * 3).sum()), [x, y])
    f = lb.function([c, x, y], [gx, gy])
    for cond, want_x, want_y in ((1, 2.0, 0.0), (0, 0.0, 3.0)):
        got_x, got_y = f(cond, X, Y)
        np.testing.assert_array_equal(got_x, np.full(3, want_x))
        np.testing.assert_array_equal(got_y, np.full(3, want_y))


class Counting(Op):
    """Identity that counts its runs (to see which branch ran)."""

    calls = 0

    def make_node(self, x):
        return Apply(self, [x], [x.type()])

    def perform(self, xp, node, inputs):
        Counting.calls += 1
        return [inputs[0] * 1]


def test_only_the_chosen_branch_runs():
    c, x = T.iscalar("c"), T.dvector("x")
    f = lb.function([c, x], ifelse(c, Counting()(x * 2), x - 1))
    Counting.calls = 0
    f(0, X)
    f(0, X)
    assert Counting.calls == 0
    np.testing.assert_allclose(f(1, X), 2 * X)
    assert Counting.calls == 1


def test_switch_stays_eager():
    c, x = T.iscalar("c"), T.dvector("x")
    f = lb.function([c, x], T.switch(c, Counting()(x * 2), x - 1))
    Counting.calls = 0
    np.testing.assert_allclose(f(0, X), X - 1)
    assert Counting.calls == 1


def test_a_branch_that_would_raise_is_not_run():
    c, x = T.iscalar("c"), T.dvector("x")
    f = lb.function([c, x], ifelse(c, x.reshape((2, 2)).sum(), x.sum()))
    assert float(f(0, X)) == X.sum()
    with pytest.raises(ValueError, match="reshape"):
        f(1, X)


def test_shared_variables_and_random_draws_inside_branches():
    from layerkit_backend.tensor.shared_randomstreams import RandomStreams

    w = lb.shared(np.array([1.0, 2.0, 3.0]), name="w")
    c, x = T.iscalar("c"), T.dvector("x")
    noise = RandomStreams(0).uniform((3,), dtype="float64")
    f = lb.function([c, x], ifelse(c, x * w + noise * 0, x))
    np.testing.assert_allclose(f(1, X), X * [1, 2, 3])
    w.set_value(np.array([0.0, 0.0, 1.0]))
    np.testing.assert_allclose(f(1, X), X * [0, 0, 1])
    g = lb.function([c], ifelse(c, noise, T.zeros((3,), dtype="float64")))
    assert not np.array_equal(g(1), g(1))  # the stream's state still advances through the branch


def test_types():
    c, x = T.iscalar("c"), T.fvector("x")
    static = T.tensor("float32", shape=(3,), name="s")
    assert ifelse(c, x.sum(), 0.0).dtype == "float32"  # a Python number adopts the other branch's dtype
    assert ifelse(c, static, static * 2).type.shape == (3,)
    assert ifelse(c, static, x).type.shape == (None,)  # static sizes known in only one branch are dropped


# (id, call, error, message)
ERRORS = [
    ("dtypes", lambda c, x: ifelse(c, x, T.ivector("i")), TypeError, "same dtype"),
    ("ndims", lambda c, x: ifelse(c, x, T.fmatrix("m")), TypeError, "dimensions"),
    ("lengths", lambda c, x: ifelse(c, [x, x], [x]), ValueError, "same structure"),
    ("structure", lambda c, x: ifelse(c, [x], x), ValueError, "same structure"),
    ("condition", lambda c, x: ifelse(x, x, x), TypeError, "scalar condition"),
]


@pytest.mark.parametrize("row", ERRORS, ids=[r[0] for r in ERRORS])
def test_errors(row):
    _, call, error, message = row
    with pytest.raises(error, match=message):
        call(T.iscalar("c"), T.fvector("x"))


def test_merge_keeps_different_branches_apart_and_joins_one_used_twice():
    c, x = T.iscalar("c"), T.dvector("x")
    a, b = ifelse(c, x * 2, x), ifelse(c, x * 3, x)
    f = lb.function([c, x], [a, b, a + 0])
    got = f(1, X)
    np.testing.assert_allclose(got[0], 2 * X)
    np.testing.assert_allclose(got[1], 3 * X)
    assert sum(isinstance(n.op, IfElse) for n in f.maker.fgraph.toposort()) == 2
    assert a.owner.op != b.owner.op


def test_constant_inputs_fold():
    f = lb.function([], ifelse(T.constant(0), T.constant(np.array([1.0, 2.0])) * 2, T.constant(np.zeros(2))))
    np.testing.assert_array_equal(f(), [0.0, 0.0])
