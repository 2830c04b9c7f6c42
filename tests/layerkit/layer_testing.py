"""``run_layer_test``: the checks every layer goes through, as one function (Keras's ``layer_test`` idea).

For one layer configuration it checks, in a functional model: the static output shape, that ``count_params``
matches the weights, a JSON config round trip that computes the same output with the same weights, that a mask
reaches the layer without breaking it (3-d inputs), one training step that changes the trainable weights and gives
a finite loss, and a save / load through HDF5 that predicts identically.
"""
import json
import os
import tempfile

import numpy as np

from layerkit.layers import Input, Masking
from layerkit.models import Model, load_model
from layerkit.saving.model_config import layer_from_config

__all__ = ["run_layer_test"]


def _data(shapes, dtype, int_high, seed=0):
    rng = np.random.default_rng(seed)
    if dtype == "string":   # text: words, some of them sentences
        words = np.array(["the cat", "sat", "on the mat", "dog", "A Dog!"])
        return [rng.choice(words, size=s) for s in shapes]
    if int_high:
        return [rng.integers(1, int_high, size=s).astype(dtype) for s in shapes]
    return [rng.normal(size=s).astype(dtype) for s in shapes]


def _inputs(shapes, dtype, fixed_batch):
    return [Input(batch_shape=(s[0] if fixed_batch else None,) + tuple(s[1:]), dtype=dtype) for s in shapes]


def _call(layer, tensors):
    return layer(tensors if len(tensors) > 1 else tensors[0])


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _shape_matches(static, expected):
    return len(static) == len(expected) and all(e is None or s == e for s, e in zip(static, expected))


def run_layer_test(factory, shapes, expected_shape=None, dtype="float32", int_high=None, fixed_batch=False,
                   train=True, masking=True, custom_objects=None):
    """Runs every common check on ``factory()``, a new layer, called on inputs of ``shapes`` (batch included).

    Args:
        factory: builds the layer (called more than once).
        shapes: one shape per input, the first entry being the batch size of the test data.
        expected_shape: the static output shape (first output), None entries unchecked.
        dtype: the inputs' dtype; with ``int_high``, integer data in [1, int_high) (e.g. token ids).
        fixed_batch: give the Inputs a static batch size (stateful layers need it).
        train: run a training step (off for layers whose output does not depend on weights or inputs smoothly).
        masking: for 3-d float inputs, also run the layer after a ``Masking`` layer.
        custom_objects: what the config round trip and the reload need (a ``Lambda``'s function).

    Returns:
        The model's predictions on the test data (a list, one array per output).
    """
    data = _data(shapes, dtype, int_high)
    inputs = _inputs(shapes, dtype, fixed_batch)
    layer = factory()
    outputs = _as_list(_call(layer, inputs))
    where = f"{type(layer).__name__} {layer.name!r}"
    if expected_shape is not None:
        static = tuple(outputs[0].type.shape)
        assert _shape_matches(static, expected_shape), f"{where}: static output shape {static}, " \
                                                        f"expected {expected_shape}"
    model = Model(inputs, outputs)
    predicted = _as_list(model.predict(data if len(data) > 1 else data[0], batch_size=len(data[0]), verbose=0))
    for tensor, value in zip(outputs, predicted):
        static = tuple(tensor.type.shape)
        assert _shape_matches(static[1:], value.shape[1:]), f"{where}: computed {value.shape}, static {static}"
        assert value.dtype.kind not in "fc" or np.isfinite(value).all(), f"{where}: non-finite output"
    sizes = sum(int(np.prod(w.get_value().shape)) for w in layer.weights)
    assert layer.count_params() == sizes, f"{where}: count_params {layer.count_params()} != {sizes}"

    _check_eager_call(layer, data, predicted, where, fixed_batch)
    _check_config_round_trip(layer, shapes, dtype, fixed_batch, data, predicted, where, custom_objects)
    if masking and len(shapes) == 1 and len(shapes[0]) == 3 and not int_high:
        _check_masked_input(factory, shapes, dtype, fixed_batch, data, where)
    if train:
        _check_training_step(model, layer, data, predicted, where)
    _check_save_load(model, data, where, custom_objects)
    return predicted


def _check_config_round_trip(layer, shapes, dtype, fixed_batch, data, predicted, where, custom_objects):
    config = json.loads(json.dumps({"class_name": type(layer).__name__, "config": layer.get_config()}))
    config["config"]["name"] = layer.name + "_clone"
    clone = layer_from_config(config, custom_objects)
    inputs = _inputs(shapes, dtype, fixed_batch)
    model = Model(inputs, _as_list(_call(clone, inputs)))
    clone.set_weights(layer.get_weights())
    again = _as_list(model.predict(data if len(data) > 1 else data[0], batch_size=len(data[0]), verbose=0))
    for a, b in zip(predicted, again):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=f"{where}: config round trip differs")


def _check_eager_call(layer, data, predicted, where, fixed_batch):
    if getattr(layer, "stateful", False):
        return   # a stateful layer's second call starts from the first call's states
    eager = _as_list(_call(layer, data))
    assert all(isinstance(e, np.ndarray) for e in eager), f"{where}: an eager call returned {type(eager[0])}"
    for a, b in zip(predicted, eager):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6, err_msg=f"{where}: eager call differs from predict")


def _check_masked_input(factory, shapes, dtype, fixed_batch, data, where):
    inputs = _inputs(shapes, dtype, fixed_batch)
    masked = Masking(0.0)(inputs[0])
    outputs = _as_list(factory()(masked))
    x = data[0].copy()
    x[:, -1] = 0.0      # the last step of every sequence is padding
    for value in _as_list(Model(inputs, outputs).predict(x, batch_size=len(x), verbose=0)):
        assert np.isfinite(value).all(), f"{where}: non-finite output with a masked input"


def _check_training_step(model, layer, data, predicted, where):
    rng = np.random.default_rng(1)
    targets = [rng.normal(size=p.shape).astype("float32") for p in predicted]
    model.compile(optimizer="sgd", loss="mse")
    before = [w.get_value() for w in layer.trainable_weights]
    loss = model.train_on_batch(data if len(data) > 1 else data[0], targets if len(targets) > 1 else targets[0])
    loss = float(np.ravel(loss)[0])
    assert np.isfinite(loss), f"{where}: training loss {loss}"
    if before:
        changed = [not np.array_equal(b, w.get_value()) for b, w in zip(before, layer.trainable_weights)]
        assert any(changed), f"{where}: one SGD step changed none of the trainable weights"


def _check_save_load(model, data, where, custom_objects):
    x = data if len(data) > 1 else data[0]
    for name in ("model.h5", "model.keras"):
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, name)
            model.save(path)
            reloaded = load_model(path, compile=False, custom_objects=custom_objects)
            model.reset_states()        # stateful layers carry their state from call to call
            for a, b in zip(_as_list(model.predict(x, batch_size=len(data[0]), verbose=0)),
                            _as_list(reloaded.predict(x, batch_size=len(data[0]), verbose=0))):
                np.testing.assert_array_equal(a, b, err_msg=f"{where}: predictions differ after save / load "
                                                            f"({name})")
