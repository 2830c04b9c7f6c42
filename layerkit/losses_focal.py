"""Focal cross-entropies (Lin et al., 2017), Keras 3's ``binary_focal_crossentropy`` and
``categorical_focal_crossentropy``: the cross-entropy of each entry scaled by ``(1 - p_t) ** gamma`` so that
confident, correct predictions weigh little. Re-exported by ``layerkit.losses``.

As for the plain cross-entropies, a sigmoid output is read back as its logits so the loss stays exact (the
``saturated-crossentropy`` rule of docs/keras_compatibility.md); unsaturated outputs give Keras's numbers.

Example:
    >>> import layerkit_backend.tensor as T
    >>> y, p = T.dmatrix('y'), T.dmatrix('p')
    >>> round(float(binary_focal_crossentropy(y, p, gamma=0.0).eval({y: [[1.0]], p: [[0.5]]})[0]), 4)
    0.6931
"""
import layerkit_backend.tensor as T
from layerkit_backend.tensor import nnet

from .losses import _eps, _pair, _sigmoid_logits, elementwise_binary_crossentropy

__all__ = ["binary_focal_crossentropy", "categorical_focal_crossentropy"]


def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25, gamma=2.0,
                              from_logits=False, label_smoothing=0.0, axis=-1):
    """``mean((1 - p_t) ** gamma * bce, axis)`` with ``p_t = y p + (1 - y)(1 - p)``; with
    ``apply_class_balancing`` each entry is also weighted ``alpha`` (positives) or ``1 - alpha`` (negatives)."""
    y_true, y_pred = _pair(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    logits = y_pred if from_logits else _sigmoid_logits(y_pred)
    if logits is not None:
        probabilities = nnet.sigmoid(logits)
        bce = elementwise_binary_crossentropy(y_true, logits, from_logits=True)
    else:
        probabilities = y_pred
        bce = elementwise_binary_crossentropy(y_true, y_pred)
    p_t = y_true * probabilities + (1.0 - y_true) * (1.0 - probabilities)
    focal = T.pow(1.0 - p_t, gamma) * bce
    if apply_class_balancing:
        focal = focal * (y_true * alpha + (1.0 - y_true) * (1.0 - alpha))
    return T.mean(focal, axis=axis)


def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0,
                                   axis=-1):
    """``sum(alpha * (1 - p) ** gamma * -y log p, axis)`` over the classes, ``p`` the normalised and clipped
    probabilities (softmax of the logits with ``from_logits``)."""
    y_true, y_pred = _pair(y_true, y_pred)
    if label_smoothing:
        classes = T.cast(T.shape(y_true)[axis], y_pred.dtype)
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / classes
    if from_logits:
        y_pred = nnet.softmax(y_pred, axis=axis % y_pred.ndim)
    eps = _eps(y_pred.dtype)
    probabilities = T.clip(y_pred / T.sum(y_pred, axis=axis, keepdims=True), eps, 1.0 - eps)
    focal = alpha * T.pow(1.0 - probabilities, gamma) * (-y_true * T.log(probabilities))
    return T.sum(focal, axis=axis)
