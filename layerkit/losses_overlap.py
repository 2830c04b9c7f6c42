"""Overlap losses for segmentation, Keras 3's ``dice`` and ``tversky``: one minus a soft overlap ratio of the
targets and predictions, summed over ``axis`` (None: everything, batch included, giving one number).
Re-exported by ``layerkit.losses``.

Example:
    >>> import layerkit_backend.tensor as T
    >>> y, p = T.dmatrix('y'), T.dmatrix('p')
    >>> round(float(dice(y, p).eval({y: [[1.0, 0.0]], p: [[1.0, 0.0]]})), 4)
    0.0
"""
import layerkit_backend.tensor as T

from .losses import _eps, _pair

__all__ = ["dice", "tversky"]


def dice(y_true, y_pred, axis=None):
    """``1 - 2 sum(y p) / (sum(y) + sum(p) + eps)`` over ``axis``."""
    y_true, y_pred = _pair(y_true, y_pred)
    intersection = T.sum(y_true * y_pred, axis=axis)
    return 1.0 - 2.0 * intersection / (T.sum(y_true, axis=axis) + T.sum(y_pred, axis=axis) + _eps(y_pred.dtype))


def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """``1 - sum(y p) / (sum(y p) + alpha sum(y (1 - p)) + beta sum((1 - y) p) + eps)`` over ``axis`` (Keras's
    weighting: ``alpha`` weighs the missed targets, ``beta`` the false alarms)."""
    y_true, y_pred = _pair(y_true, y_pred)
    intersection = T.sum(y_true * y_pred, axis=axis)
    missed = T.sum((1.0 - y_pred) * y_true, axis=axis)
    false_alarms = T.sum(y_pred * (1.0 - y_true), axis=axis)
    return 1.0 - intersection / (intersection + alpha * missed + beta * false_alarms + _eps(y_pred.dtype))
