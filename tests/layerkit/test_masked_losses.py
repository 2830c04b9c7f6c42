"""Masks reach the loss and the metrics: padded time steps change nothing; (samples, time) sample weights."""
import numpy as np
import pytest

from layerkit import layers
from layerkit.models import Sequential


def _tagger():
    """Embedding(mask_zero) -> LSTM(return_sequences) -> Dense: one prediction per (unpadded) step."""
    model = Sequential([layers.Input(shape=(5,), dtype="int32"), layers.Embedding(6, 4, mask_zero=True),
                        layers.LSTM(3, return_sequences=True), layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mae"])
    return model


TOKENS = np.array([[1, 2, 3, 0, 0], [4, 5, 0, 0, 0]], dtype="int32")      # post-padded with 0
TARGETS = np.array([[1, 2, 3, 0, 0], [4, 5, 0, 0, 0]], dtype="float32")[..., None] / 5


def _hand_loss(model, targets, weights=None):
    predicted = model.predict(TOKENS, verbose=0)
    mask = (TOKENS != 0)[..., None].astype("float32")
    errors = (predicted - targets) ** 2 * mask
    if weights is not None:
        errors = errors * weights[..., None]
    return errors.sum() / mask.sum(), (np.abs(predicted - targets) * mask).sum() / mask.sum()


@pytest.mark.parametrize("padding_value", [0.0, 1e3])
def test_padded_steps_do_not_count_in_loss_or_metrics(padding_value):
    model = _tagger()
    targets = TARGETS.copy()
    targets[TOKENS == 0] = padding_value           # whatever stands at padded steps is ignored
    loss, mae = model.evaluate(TOKENS, targets, verbose=0)
    want_loss, want_mae = _hand_loss(model, TARGETS)
    np.testing.assert_allclose([loss, mae], [want_loss, want_mae], rtol=1e-5)


def test_per_time_step_sample_weights():
    model = _tagger()
    weights = np.array([[1, 0, 2, 1, 1], [0.5, 1, 1, 1, 1]], dtype="float32")
    loss, _ = model.evaluate(TOKENS, TARGETS, sample_weight=weights, verbose=0)
    np.testing.assert_allclose(loss, _hand_loss(model, TARGETS, weights)[0], rtol=1e-5)
    history = model.fit(TOKENS, TARGETS, sample_weight=weights, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_per_time_step_weights_need_a_sequence_output():
    model = Sequential([layers.Input(shape=(3,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match=r"expected shape \(samples,\), received \(2, 3\)"):
        model.evaluate(np.ones((2, 3)), np.ones((2, 1)), sample_weight=np.ones((2, 3)), verbose=0)
