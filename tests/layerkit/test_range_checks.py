"""Sparse labels and Embedding indices out of range raise a clear error in fit/evaluate/predict (on by default)."""
import numpy as np
import pytest

import layerkit
from layerkit import layers


def _classifier(loss="sparse_categorical_crossentropy"):
    model = layerkit.Sequential([layers.Input((4,)), layers.Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss=loss, metrics=["accuracy"])
    return model


def _embedder():
    model = layerkit.Sequential([layers.Input((5,), dtype="int32"), layers.Embedding(10, 2), layers.Flatten(),
                                 layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


X = np.ones((6, 4), "float32")
TOKENS = np.arange(30, dtype="int32").reshape(6, 5) % 10

# name -> (model factory, call, the words of the error)
ROWS = [
    ("label 7 of 3 classes in fit", _classifier, lambda m: m.fit(X, np.array([0, 1, 7, 2, 1, 0]), verbose=0),
     r"Output 'dense.*': sparse labels: found the value 7, expected class labels in \[0, 3\)"),
    ("label -1 in evaluate", _classifier, lambda m: m.evaluate(X, np.array([[0], [1], [-1], [2], [1], [0]]),
                                                               verbose=0), "found the value -1"),
    ("float label 3.0 in train_on_batch", _classifier, lambda m: m.train_on_batch(X, np.full(6, 3.0)),
     "found the value 3.0"),
    ("embedding index -1 in fit", _embedder, lambda m: m.fit(np.where(TOKENS == 4, -1, TOKENS), np.ones((6, 1)),
                                                             verbose=0),
     r"Embedding 'embedding.*' \(model input .*\): found the value -1, expected indices in \[0, 10\)"),
    ("embedding index 10 in predict", _embedder, lambda m: m.predict(TOKENS + 1, verbose=0), "found the value 10"),
]


@pytest.mark.parametrize("case, make, call, words", ROWS, ids=[r[0] for r in ROWS])
def test_out_of_range_indices_are_refused(case, make, call, words):
    model = make()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=words):
        call(model)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


def test_labels_equal_to_ignore_class_are_allowed():
    loss = layerkit.losses.SparseCategoricalCrossentropy(ignore_class=-1)
    model = _classifier(loss)
    model.fit(X, np.array([0, 1, -1, 2, 1, -1]), verbose=0)
    with pytest.raises(ValueError, match="or -1 \\(ignore_class\\)"):
        model.fit(X, np.array([0, 1, -2, 2, 1, -1]), verbose=0)


def test_the_checks_can_be_turned_off():
    layerkit.config.set_range_checks(False)
    try:
        predictions = _embedder().predict(np.full((6, 5), -1, "int32"), verbose=0)   # row -1: the last row
    finally:
        layerkit.config.set_range_checks(True)
    assert predictions.shape == (6, 1)
    assert layerkit.config.range_checks_enabled()
