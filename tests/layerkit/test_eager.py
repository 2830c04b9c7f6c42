"""Eager calls (Keras 3's calls on NumPy arrays) and the pieces under them: graphs compiled once per call
signature, variables, random numbers, and where eager ends and tracing begins. What the numbers are is checked
against Keras in the conformance groups ``ops`` and ``eager``; this file checks the machinery."""
import numpy as np
import pytest

import layerkit as lk
import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit import eager, layers, ops, tracing


def test_an_eager_op_compiles_once_per_signature():
    a = np.ones((3, 2), "float32")
    before = len(eager._FUNCTIONS)
    for _ in range(5):
        ops.logaddexp(a, a)
    assert len(eager._FUNCTIONS) == before + 1
    ops.logaddexp(np.ones((4, 2), "float32"), a[:1])                  # another shape: one more graph
    ops.logaddexp(a.astype("int64"), a)                                # another dtype: one more
    assert len(eager._FUNCTIONS) == before + 3


def test_a_layer_call_compiles_once_per_shape_and_training_flag():
    layer = layers.Dropout(0.5)
    x = np.ones((4, 3), "float32")
    for _ in range(3):
        layer(x)
    layer(x, training=True)
    layer(np.ones((2, 3), "float32"), training=True)
    assert len(layer._eager_calls) == 3
    np.testing.assert_array_equal(layer(x), x)                         # inference: no dropout
    assert set(np.unique(layer(x, training=True))) <= {0.0, 2.0}


@pytest.mark.parametrize("value, expected", [(np.ones(2, "float64"), "float32"), (np.ones(2, "int64"), "int64"),
                                             ([1.5, 2.0], "float32"), (np.float64(2.0), "float32")])
def test_numpy_float64_data_computes_in_floatx_as_keras_converts_it(value, expected):
    assert ops.multiply(value, 2).dtype == expected


def test_variables_are_concrete_outside_a_trace_and_symbolic_inside():
    v = lk.Variable(np.array([1.0, 2.0], "float32"), name="v")
    assert ops.sum(v).item() == 3.0
    with tracing.tracing():
        assert isinstance(ops.sum(v), lb.Variable)
    x = T.vector("x")
    assert isinstance(ops.add(x, v), lb.Variable)                      # a symbolic argument: symbolic


def test_variable_api_and_its_errors():
    v = lk.Variable("ones", shape=(2, 2), name="w", trainable=False)
    assert v.shape == (2, 2) and not v.trainable and v.path == "w" and v.dtype == "float32"
    v.assign(3.0)                                                      # broadcast, as Keras
    np.testing.assert_array_equal(v.numpy(), np.full((2, 2), 3.0))
    with pytest.raises(ValueError, match=r"expected a value of shape \(2, 2\), received shape \(3,\)"):
        v.assign(np.ones(3))
    with pytest.raises(ValueError, match="symbolic tensor"):
        v.assign(T.matrix("m"))
    with pytest.raises(ValueError, match="needs a shape"):
        lk.Variable("zeros")
    assert np.asarray(v).sum() == 12.0 and isinstance(np.ones(2) * v[0], lb.Variable)


def test_add_weight_takes_keras_3_keywords_and_names_itself():
    class Layer(layers.Layer):
        def build(self, input_shape):
            self.a = self.add_weight(shape=(input_shape[-1],), initializer="ones")
            self.b = self.add_weight(shape=(), initializer="zeros", trainable=False)

        def call(self, inputs):
            return inputs * self.a + self.b

    layer = Layer(name="mine")
    layer(np.ones((1, 3), "float32"))
    assert [w.path for w in layer.weights] == ["mine/variable", "mine/variable_1"]
    assert [isinstance(w, lk.Variable) for w in layer.weights] == [True, True]


def test_assign_inside_a_compiled_step_is_an_update():
    counter = lk.Variable(np.float32(0), name="counter")
    x = T.vector("x")
    with tracing.tracing(), tracing.collecting_assignments() as assignments:
        counter.assign_add(T.sum(x))
        counter.assign_add(1.0)                                          # builds on the first assignment
        seen = counter.value
    step = lb.function([x], seen, updates=assignments.pairs())
    assert float(step(np.ones(3, "float32"))) == 4.0 and float(counter.numpy()) == 4.0
    step(np.ones(3, "float32"))
    assert float(counter.numpy()) == 8.0


def test_random_seeds_mean_what_they_mean_in_keras():
    generator = lk.random.SeedGenerator(3)
    assert (lk.random.normal((3,), seed=generator) != lk.random.normal((3,), seed=generator)).all()
    np.testing.assert_array_equal(lk.random.uniform((3,), seed=5), lk.random.uniform((3,), seed=5))
    lk.utils.set_random_seed(1)
    first = lk.random.normal((3,))
    lk.utils.set_random_seed(1)
    np.testing.assert_array_equal(first, lk.random.normal((3,)))
    # inside a compiled graph: an int seed repeats its numbers at every call, a SeedGenerator advances
    fixed = lb.function([], _traced(lambda: lk.random.uniform((2,), seed=9)))
    np.testing.assert_array_equal(fixed(), fixed())
    moving = lb.function([], _traced(lambda: lk.random.uniform((2,), seed=generator)))
    assert (moving() != moving()).all()


def _traced(make):
    with tracing.tracing():
        return make()


def test_random_values_follow_their_distributions():
    draws = lk.random.normal((20000,), mean=2.0, stddev=0.5, seed=1)
    assert abs(draws.mean() - 2.0) < 0.02 and abs(draws.std() - 0.5) < 0.02
    counts = np.bincount(lk.random.categorical(np.log([[0.2, 0.8]]), 20000, seed=2).ravel(), minlength=2)
    assert abs(counts[1] / 20000 - 0.8) < 0.02
    kept = lk.random.dropout(np.ones((100, 100), "float32"), 0.25, seed=3)
    assert set(np.unique(kept)) == {0.0, np.float32(1 / 0.75)} and abs((kept == 0).mean() - 0.25) < 0.02
    np.testing.assert_array_equal(np.sort(lk.random.shuffle(np.arange(10), seed=4)), np.arange(10))


def test_eager_metric_and_loss_objects_return_numbers():
    metric = lk.metrics.Mean()
    assert metric.update_state(np.array([1.0, 3.0])) is None
    assert float(metric.result()) == 2.0 and float(metric(np.array([5.0]))) == 3.0
    loss = lk.losses.MeanSquaredError()
    assert float(loss(np.zeros((2, 2)), np.ones((2, 2)))) == 1.0


def test_convert_to_numpy_refuses_a_symbolic_tensor():
    with pytest.raises(ValueError, match="symbolic"):
        ops.convert_to_numpy(T.matrix("m"))


def test_a_direct_read_in_a_step_is_the_value_at_its_start():
    w = lk.Variable(np.float32(1.0), name="w")
    with tracing.tracing(), tracing.collecting_assignments() as assignments:
        w.assign(5.0)
        direct, through_value = w * 1.0, w.value * 1.0
    step = lb.function([], [direct, through_value], updates=assignments.pairs())
    assert [float(v) for v in step()] == [1.0, 5.0] and float(w.numpy()) == 5.0
