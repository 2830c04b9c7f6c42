"""Random streams: one table row per kind of draw (shape, dtype, value check), plus the stream semantics
(reproducible per seed, fresh per call, no_default_updates, seed(), one draw read twice) and dropout."""
import numpy as np
import pytest

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit_backend.graph.basic import Constant
from layerkit_backend.tensor.random import RandomGeneratorType, RandomVariable, dropout, uniform
from layerkit_backend.tensor.shared_randomstreams import RandomStreams

SEED = 1234


def _in_unit(v):
    return v.min() >= 0 and v.max() < 1


# (id, draw(srng), static shape, dtype, value check)
DRAWS = [
    ("uniform", lambda s: s.uniform((2, 3)), (2, 3), "float32", _in_unit),
    ("uniform_bounds", lambda s: s.uniform((400,), low=-2.0, high=-1.0, dtype="float64"), (400,), "float64",
     lambda v: v.min() >= -2 and v.max() < -1 and abs(v.mean() + 1.5) < 0.05),
    ("uniform_param_shape", lambda s: s.uniform(low=np.zeros(4), high=np.arange(1.0, 5.0)), (4,), "float64",
     lambda v: np.all((v >= 0) & (v < np.arange(1, 5)))),
    ("normal", lambda s: s.normal((4000,), avg=3.0, std=0.5), (4000,), "float32",
     lambda v: abs(v.mean() - 3) < 0.05 and abs(v.std() - 0.5) < 0.05),
    ("binomial", lambda s: s.binomial((2000,), p=0.3), (2000,), "int64",
     lambda v: set(np.unique(v)) <= {0, 1} and abs(v.mean() - 0.3) < 0.05),
    ("binomial_float_n", lambda s: s.binomial((2000,), n=4, p=0.5, dtype="float32"), (2000,), "float32",
     lambda v: set(np.unique(v)) <= {0, 1, 2, 3, 4} and abs(v.mean() - 2) < 0.15),
    ("random_integers", lambda s: s.random_integers((500,), low=1, high=3), (500,), "int64",
     lambda v: set(np.unique(v)) == {1, 2, 3}),
    ("integers", lambda s: s.integers(0, 5, size=(500,)), (500,), "int64", lambda v: set(np.unique(v)) == set(range(5))),
    ("integers_one_bound", lambda s: s.integers(3, size=(2, 50), dtype="int32"), (2, 50), "int32",
     lambda v: set(np.unique(v)) == {0, 1, 2}),
    ("choice_no_replace", lambda s: s.choice((5,), a=5, replace=False), (5,), "int64",
     lambda v: sorted(v) == list(range(5))),
    ("choice_vector_p", lambda s: s.choice((3, 2), a=np.array([0.5, 1.5, 2.5]), p=[0.0, 0.0, 1.0]), (3, 2),
     "float64", lambda v: np.all(v == 2.5)),
    ("permutation", lambda s: s.permutation(n=6), (6,), "int64", lambda v: sorted(v) == list(range(6))),
    ("permutations", lambda s: s.permutation((3,), n=4), (3, 4), "int64",
     lambda v: np.all(np.sort(v, axis=1) == np.arange(4))),
    ("empty", lambda s: s.uniform((0, 3)), (0, 3), "float32", lambda v: v.size == 0),
]


@pytest.mark.parametrize("row", DRAWS, ids=[r[0] for r in DRAWS])
def test_draw(row):
    _, draw, shape, dtype, check = row
    out = draw(RandomStreams(SEED))
    assert out.type.shape == shape and out.dtype == dtype
    value = lb.function([], out)()
    assert value.shape == shape and value.dtype == dtype
    assert check(value)
    again = lb.function([], draw(RandomStreams(SEED)))()  # the same seed gives the same numbers
    np.testing.assert_array_equal(value, again)


def test_calls_draw_fresh_numbers_and_no_default_updates_keeps_them():
    srng = RandomStreams(SEED)
    u = srng.uniform((5,))
    f = lb.function([], u)
    a, b = f(), f()
    assert not np.array_equal(a, b)
    frozen = lb.function([], u, no_default_updates=True)
    c, d = frozen(), frozen()
    np.testing.assert_array_equal(c, d)
    frozen_one = lb.function([], u, no_default_updates=[u.rng])  # the list form names the states to keep
    np.testing.assert_array_equal(frozen_one(), c)
    np.testing.assert_array_equal(f(), c)  # f draws from the state the frozen functions left alone...
    assert not np.array_equal(f(), c)  # ...and advances it


def test_seed_resets_every_stream():
    srng = RandomStreams(SEED)
    f = lb.function([], [srng.uniform((3,)), srng.normal((2,))])
    first = f()
    f()
    srng.seed(SEED)
    np.testing.assert_array_equal(f()[0], first[0])
    srng.seed(99)
    fresh = RandomStreams(99)
    expected = lb.function([], [fresh.uniform((3,)), fresh.normal((2,))])()
    for got, want in zip(f(), expected):
        np.testing.assert_array_equal(got, want)


def test_one_draw_read_twice_is_the_same_two_draws_differ():
    srng = RandomStreams(SEED)
    u, v = srng.uniform((4,)), srng.uniform((4,))  # equal ops and sizes: merge must keep them apart
    a, a2, a3, b = lb.function([], [u, u + 0, u * 2, v])()
    np.testing.assert_array_equal(a, a2)
    np.testing.assert_allclose(a3, 2 * a)
    assert not np.array_equal(a, b)


def test_draws_are_not_constant_folded():
    srng = RandomStreams(SEED)
    f = lb.function([], srng.normal((3,)) * 2)
    assert any(isinstance(n.op, RandomVariable) for n in f.maker.fgraph.toposort())
    assert not isinstance(f.maker.fgraph.outputs[0], Constant)


# (id, size argument builder from (n, m) symbolic int scalars, inputs, static shape, run-time shape)
SIZES = [
    ("scalars", lambda n, m, vec: (n, m), (None, None), (2, 3)),
    ("mixed", lambda n, m, vec: (n, 3), (None, 3), (2, 3)),
    ("one_scalar", lambda n, m, vec: n, (None,), (2,)),
    ("vector", lambda n, m, vec: vec, (None, None), (2, 3)),
    ("shape_of", lambda n, m, vec: T.zeros((n, 4)).shape, (None, 4), (2, 4)),
]


@pytest.mark.parametrize("row", SIZES, ids=[r[0] for r in SIZES])
def test_symbolic_sizes(row):
    _, size, static, runtime = row
    n, m, vec = T.lscalar("n"), T.lscalar("m"), T.lvector("vec")
    u = RandomStreams(SEED).uniform(size(n, m, vec), ndim=len(static))
    assert u.type.shape == static
    f = lb.function([n, m, vec], u, on_unused_input="ignore")
    assert f(2, 3, [2, 3]).shape == runtime


def test_raw_functions_and_purity():
    rng = RandomGeneratorType()("rng")
    new_rng, x = uniform(rng, size=(3,))
    f = lb.function([rng], [new_rng, x])
    g = np.random.default_rng(0)
    state = g.bit_generator.state
    g2, a = f(g)
    assert g.bit_generator.state == state  # the op drew from a copy
    assert g2.bit_generator.state != state
    np.testing.assert_array_equal(f(g)[1], a)
    np.testing.assert_array_equal(f(g2)[1], lb.function([rng], x)(g2))


def test_gradients_do_not_flow_into_draws():
    low = T.dvector("low")
    u = RandomStreams(SEED).uniform(low=low, high=low + 1)
    g = lb.function([low], T.grad((u * 2).sum() + low.sum(), low))([0.0, 1.0])
    np.testing.assert_array_equal(g, [1.0, 1.0])


def test_state_value_round_trip():
    srng = RandomStreams(SEED)
    u = srng.uniform((3,))
    f = lb.function([], u)
    saved = srng[u].get_state()  # a NumPy RandomState, as in Theano
    a = f()
    srng[u] = np.random.RandomState()
    srng[u].set_state(saved)
    np.testing.assert_array_equal(f(), a)
    u.rng.set_value(np.random.default_rng(0))  # a Generator state draws too, with its own methods
    assert f().shape == (3,)
    with pytest.raises(TypeError, match="numpy.random.RandomState or Generator"):
        u.rng.set_value(3)


# (id, call, error, message)
ERRORS = [
    ("int_uniform", lambda s: s.uniform((2,), dtype="int32"), TypeError, "float dtype"),
    ("vector_size_no_ndim", lambda s: s.uniform(T.lvector("v")), ValueError, "ndim"),
    ("float_size", lambda s: s.uniform((T.dscalar("n"),)), TypeError, "integer scalar"),
    ("ndim_mismatch", lambda s: s.normal((2, 3), ndim=1), ValueError, "ndim=1"),
]


@pytest.mark.parametrize("row", ERRORS, ids=[r[0] for r in ERRORS])
def test_errors(row):
    _, call, error, message = row
    with pytest.raises(error, match=message):
        call(RandomStreams(SEED))


# (id, dtype, rate)
DROPOUT = [("float32", "float32", 0.25), ("float64", "float64", 0.5), ("symbolic_rate", "float64", None)]


@pytest.mark.parametrize("row", DROPOUT, ids=[r[0] for r in DROPOUT])
def test_dropout_scales_kept_units(row):
    _, dtype, rate = row
    x = T.matrix("x", dtype=dtype)
    r = T.dscalar("r")
    y = dropout(x, rate if rate is not None else r, RandomStreams(SEED))
    assert y.dtype == dtype
    f = lb.function([x] + ([r] if rate is None else []), y)
    rate = rate if rate is not None else 0.4
    out = f(*([np.full((200, 50), 2.0, dtype)] + ([0.4] if row[2] is None else [])))
    kept = out != 0
    np.testing.assert_allclose(out[kept], 2.0 / (1 - rate), rtol=1e-6)
    assert abs(1 - kept.mean() - rate) < 0.02
    assert abs(out.mean() - 2.0) < 0.1  # inverted dropout keeps the expected value


def test_dropout_off():
    x = T.dmatrix("x")
    srng = RandomStreams(SEED)
    assert dropout(x, 0.0, srng) is x and dropout(x, 0.5, srng, training=False) is x
    with pytest.raises(ValueError, match="rate"):
        dropout(x, 1.0, srng)
