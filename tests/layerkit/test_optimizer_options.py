"""``use_ema`` and ``gradient_accumulation_steps`` (every optimizer; the numbers are compared with Keras 3 in the
conformance group optimizers_k3): what they promise beyond the recorded runs."""
import numpy as np
import pytest

import layerkit
import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit import optimizers


def _steps(optimizer, gradients):
    w = lb.shared(np.float32([1.0, -1.0]), name="w")
    g = T.vector("g")
    step = lb.function([g], [], updates=optimizer.apply_gradients([(g, w)]))
    for value in gradients:
        step(np.float32(value))
    return w


def test_accumulation_applies_the_mean_gradient_every_n_steps():
    w = _steps(optimizers.SGD(0.5, gradient_accumulation_steps=2), [[1, 0], [3, 2], [10, 10]])
    np.testing.assert_allclose(w.get_value(), [1.0 - 0.5 * 2.0, -1.0 - 0.5 * 1.0])   # the third is pending


def test_accumulation_counts_updates_in_iterations():
    optimizer = optimizers.Adam(0.1, gradient_accumulation_steps=3)
    _steps(optimizer, [[1, 1]] * 7)
    assert int(optimizer.iterations.get_value()) == 2 and int(optimizer.variables()[0].get_value()) == 7


def test_ema_finalize_sets_the_averages():
    optimizer = optimizers.SGD(1.0, use_ema=True, ema_momentum=0.5)
    w = _steps(optimizer, [[1, 1], [1, 1]])
    np.testing.assert_allclose(w.get_value(), [-1.0, -3.0])
    optimizer.finalize_variable_values()
    np.testing.assert_allclose(w.get_value(), [-0.5, -2.5])   # first step: the value; then 0.5 * avg + 0.5 * new


def test_fit_ends_with_the_moving_averages():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 2)).astype("float32"), rng.normal(size=(16, 1)).astype("float32")
    model = layerkit.Sequential([layerkit.layers.Input((2,)), layerkit.layers.Dense(1)])
    model.compile(optimizer=optimizers.SGD(0.1, use_ema=True), loss="mse")
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    averages = [a.get_value() for a in model.optimizer._averages]
    for weight, average in zip(model.get_weights(), averages):
        np.testing.assert_array_equal(weight, average)


@pytest.mark.parametrize("kwargs, match", [({"gradient_accumulation_steps": 0}, "gradient_accumulation_steps"),
                                           ({"ema_momentum": 1.5}, "ema_momentum"),
                                           ({"loss_scale_factor": 2.0}, "loss_scale_factor")])
def test_bad_options_get_a_clear_error(kwargs, match):
    with pytest.raises(ValueError, match=match):
        optimizers.Adam(**kwargs)


@pytest.mark.parametrize("name", ["ftrl", "adafactor", "lamb"])
def test_new_optimizers_round_trip_their_config(name):
    optimizer = optimizers.get(name)
    again = optimizers.deserialize(optimizers.serialize(optimizer))
    assert again.get_config() == optimizer.get_config()
