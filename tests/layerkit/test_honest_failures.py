"""Wrong arguments and damaged files get one clear error naming what was wrong, and change nothing."""
import json

import h5py
import numpy as np
import pytest

import layerkit
from layerkit import layers, saving


def _deferred_model():
    """A Sequential without an input shape: the first data builds it."""
    model = layerkit.Sequential([layers.Dense(4, activation="relu"), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def _built_model():
    model = layerkit.Sequential([layers.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


X, Y = np.ones((8, 3), "float32"), np.ones((8, 1), "float32")

# name -> (call on a compiled model, the words the error must contain)
BAD_CALLS = [
    ("fit batch_size=0", lambda m: m.fit(X, Y, batch_size=0, verbose=0), "batch_size must be a positive integer"),
    ("fit batch_size=-4", lambda m: m.fit(X, Y, batch_size=-4, verbose=0), "received -4"),
    ("fit batch_size=2.5", lambda m: m.fit(X, Y, batch_size=2.5, verbose=0), "received 2.5"),
    ("fit batch_size=True", lambda m: m.fit(X, Y, batch_size=True, verbose=0), "received True"),
    ("fit validation_batch_size=0", lambda m: m.fit(X, Y, validation_split=0.25, validation_batch_size=0,
                                                    verbose=0), "validation_batch_size"),
    ("fit epochs=-1", lambda m: m.fit(X, Y, epochs=-1, verbose=0), "epochs must be a non-negative integer"),
    ("predict batch_size=0", lambda m: m.predict(X, batch_size=0), "predict: batch_size"),
    ("evaluate batch_size=-1", lambda m: m.evaluate(X, Y, batch_size=-1, verbose=0), "evaluate: batch_size"),
    ("fit x=None", lambda m: m.fit(None, Y, verbose=0), "received None"),
    ("predict x=None", lambda m: m.predict(None), "received None"),
    ("fit y=None", lambda m: m.fit(X, None, verbose=0), "targets y are needed"),
    ("fit string x", lambda m: m.fit(np.array([["a", "b", "c"]] * 8), Y, verbose=0), "dtype <U1"),
    ("fit string y", lambda m: m.fit(X, np.array([["a"]] * 8), verbose=0), "target"),
    ("fit ragged x", lambda m: m.fit([[1.0, 2.0, 3.0], [1.0, 2.0]] * 4, Y, verbose=0), "unequal lengths"),
    ("predict object x", lambda m: m.predict(np.array([object()] * 3, dtype=object)), "dtype object"),
    ("fit 8 x rows, 5 y rows", lambda m: m.fit(X, Y[:5], verbose=0), "disagree on the number of samples"),
]


@pytest.mark.parametrize("model_kind", ["built", "deferred"])
@pytest.mark.parametrize("case, call, words", BAD_CALLS, ids=[row[0] for row in BAD_CALLS])
def test_a_bad_argument_gets_a_clear_error_and_changes_nothing(case, call, words, model_kind):
    model = _built_model() if model_kind == "built" else _deferred_model()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=words):
        call(model)
    assert [np.array_equal(a, b) for a, b in zip(before, model.get_weights())] == [True] * len(before)
    if model_kind == "deferred":
        assert model.inputs is None and not any(layer.built for layer in model.layers)
    history = model.fit(X, Y, batch_size=4, verbose=0)   # the model still trains on good data
    assert np.isfinite(history.history["loss"][0])


def test_a_failed_first_fit_leaves_the_model_unbuilt_for_the_next_shape():
    model = _deferred_model()
    with pytest.raises(ValueError, match="disagree"):
        model.fit(np.ones((8, 5), "float32"), Y[:5], verbose=0)   # wrong rows: the 5 features must not stick
    assert model.inputs is None and model.layers[0].weights == []
    model.fit(X, Y, verbose=0)
    assert model.layers[0].get_weights()[0].shape == (3, 4)


def test_a_layer_refusing_the_first_data_leaves_the_model_unbuilt():
    model = layerkit.Sequential([layers.Dense(2), layers.Conv1D(2, 3)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError):
        model.fit(X, Y, verbose=0)   # Conv1D needs 3-d inputs
    assert model.inputs is None and not any(layer.built for layer in model.layers)
    model.fit(np.ones((4, 5, 3), "float32"), np.ones((4, 3, 2), "float32"), verbose=0)


# ----------------------------------------------------------------------------------------------- damaged files
def _saved(tmp_path):
    path = tmp_path / "m.h5"
    _built_model().save(path)
    return path


def _set_attr(path, name, value):
    with h5py.File(path, "a") as f:
        f.attrs[name] = value


DAMAGED = [
    ("model_config not JSON", lambda p: _set_attr(p, "model_config", b"{not json"), "model_config' is not valid JSON"),
    ("model_config a list of numbers", lambda p: _set_attr(p, "model_config", b"[1, 2]"),
     "expected a JSON object, received a JSON list"),
    ("model_config a string", lambda p: _set_attr(p, "model_config", b'"hello"'), "received a JSON str"),
    ("training_config not JSON", lambda p: _set_attr(p, "training_config", b"nope"), "training_config"),
]


@pytest.mark.parametrize("case, damage, words", DAMAGED, ids=[row[0] for row in DAMAGED])
def test_a_damaged_file_gets_an_error_naming_the_file_and_attribute(tmp_path, case, damage, words):
    path = _saved(tmp_path)
    damage(path)
    with pytest.raises(ValueError, match=words) as caught:
        saving.load_model(path)
    assert "m.h5" in str(caught.value)


@pytest.mark.parametrize("text, words", [("{bad", "expected a JSON string"), (json.dumps(3), "received int"),
                                         (None, "received NoneType")])
def test_model_from_json_refuses_what_is_not_a_model(text, words):
    with pytest.raises(ValueError, match=words):
        saving.model_from_json(text)
