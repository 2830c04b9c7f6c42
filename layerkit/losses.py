"""Keras's losses: per-sample functions ``f(y_true, y_pred)`` and configurable classes that reduce them.

A function returns one loss per sample, averaged over the last axis as Keras does: shape (batch,) for (batch, k)
inputs, (batch, t) for sequences (batch, t, k). Targets one rank below the predictions (``(n,)`` for an ``(n, 1)``
output, ``(n, t)`` for ``(n, t, 1)``) are expanded or squeezed first (``squeeze_or_expand_to_same_rank``, Keras's
rule). A class instance is called as ``loss(y_true, y_pred, sample_weight=None)`` and returns a scalar
(``reduction='sum_over_batch_size'`` or ``'mean'``), a sum (``'sum'``), a sum over the weights
(``'mean_with_sample_weight'``) or the weighted per-sample losses (``'none'``); ``compile`` honours the reduction.

Probabilities are clipped to ``[eps, 1 - eps]`` (``eps = backend.epsilon()``) as Keras does, but a prediction
that is a softmax or sigmoid output is read back as its logits, so the loss and its gradient stay finite for any
logits (Keras does the same on TensorFlow).

Example:
    >>> import layerkit_backend.tensor as T
    >>> from layerkit import losses
    >>> y, p = T.matrix('y'), T.matrix('p')
    >>> losses.get('mse')(y, p).type.shape, losses.MeanSquaredError()(y, p).type.shape
    ((None,), ())
"""
import layerkit_backend.tensor as T
from layerkit_backend.tensor import nnet

from . import backend as K
from .eager import eager_function
from .layers.base import get_registered_object

__all__ = ["mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
           "mean_squared_logarithmic_error", "hinge", "squared_hinge", "categorical_hinge", "log_cosh", "huber",
           "categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy", "kl_divergence",
           "poisson", "cosine_similarity", "mse", "mae", "mape", "msle", "logcosh", "kld", "kullback_leibler_divergence",
           "huber_loss", "Loss", "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError",
           "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "Hinge", "SquaredHinge", "CategoricalHinge",
           "LogCosh", "Huber", "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "BinaryCrossentropy",
           "KLDivergence", "Poisson", "CosineSimilarity", "binary_focal_crossentropy",
           "categorical_focal_crossentropy", "dice", "tversky", "ctc", "BinaryFocalCrossentropy",
           "CategoricalFocalCrossentropy", "Dice", "Tversky", "CTC", "REDUCTIONS", "squeeze_or_expand_to_same_rank",
           "reduce_weighted_values", "is_builtin", "serialize", "deserialize", "get"]

REDUCTIONS = ("sum_over_batch_size", "sum", "none", "mean", "mean_with_sample_weight", "auto", None)


def _last_is_one(x):
    return x.ndim > 0 and x.type.shape[-1] == 1


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """``x1``, ``x2`` brought to the same rank when they differ by one and the longer one ends in an axis of 1
    (Keras's rule): a rank-1 partner is expanded (``(n,)`` with ``(n, 1)`` gives two ``(n, 1)``), otherwise the
    axis of 1 is squeezed (``(n, t)`` with ``(n, t, 1)`` gives two ``(n, t)``). Static shapes decide.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> y, p = T.vector('y'), T.tensor('float32', shape=(None, 1))
        >>> [v.type.shape for v in squeeze_or_expand_to_same_rank(y, p)]
        [(None, 1), (None, 1)]
    """
    if x1.ndim == x2.ndim + 1 and _last_is_one(x1):
        if x2.ndim == 1 and expand_rank_1:
            x2 = T.shape_padright(x2)
        else:
            x1 = T.squeeze(x1, axis=-1)
    elif x2.ndim == x1.ndim + 1 and _last_is_one(x2):
        if x1.ndim == 1 and expand_rank_1:
            x1 = T.shape_padright(x1)
        else:
            x2 = T.squeeze(x2, axis=-1)
    return x1, x2


def _pair(y_true, y_pred):
    """Both as tensors of one rank (``squeeze_or_expand_to_same_rank``); y_true takes y_pred's float dtype (Keras
    casts targets to the prediction's dtype). Every built-in function starts here, so a target one rank below the
    output means the same as one with the trailing axis of 1, for losses and metrics alike."""
    y_pred = T.as_tensor_variable(y_pred)
    if y_pred.dtype not in ("float16", "float32", "float64"):
        y_pred = T.cast(y_pred, K.floatx())
    y_true = T.as_tensor_variable(y_true)
    y_true, y_pred = squeeze_or_expand_to_same_rank(T.cast(y_true, y_pred.dtype), y_pred)
    return y_true, y_pred


def _eps(dtype):
    return T.constant(K.epsilon(), dtype=dtype)


def mean_squared_error(y_true, y_pred):
    """``mean(square(y_pred - y_true), axis=-1)``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> y, p = T.dmatrix('y'), T.dmatrix('p')
        >>> mean_squared_error(y, p).eval({y: [[0.0, 0.0]], p: [[1.0, 3.0]]}).tolist()
        [5.0]
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return T.mean(T.square(y_pred - y_true), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """``mean(abs(y_pred - y_true), axis=-1)``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> y, p = T.dmatrix('y'), T.dmatrix('p')
        >>> mean_absolute_error(y, p).eval({y: [[0.0, 0.0]], p: [[1.0, -3.0]]}).tolist()
        [2.0]
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return T.mean(T.abs(y_pred - y_true), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(abs((y_true - y_pred) / max(abs(y_true), eps)), axis=-1)``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> y, p = T.dmatrix('y'), T.dmatrix('p')
        >>> mean_absolute_percentage_error(y, p).eval({y: [[2.0, 4.0]], p: [[1.0, 4.0]]}).tolist()
        [25.0]
    """
    y_true, y_pred = _pair(y_true, y_pred)
    diff = T.abs((y_true - y_pred) / T.maximum(T.abs(y_true), _eps(y_pred.dtype)))
    return 100.0 * T.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> y, p = T.dmatrix('y'), T.dmatrix('p')
        >>> round(float(mean_squared_logarithmic_error(y, p).eval({y: [[0.0]], p: [[1.718281828]]})[0]), 4)
        1.0
    """
    y_true, y_pred = _pair(y_true, y_pred)
    eps = _eps(y_pred.dtype)
    first = T.log(T.maximum(y_pred, eps) + 1.0)
    second = T.log(T.maximum(y_true, eps) + 1.0)
    return T.mean(T.square(first - second), axis=-1)


def _signed_labels(y_true):
    """Keras's hinge losses accept 0/1 labels and map them to -1/1; labels already in {-1, 1} stay."""
    is_binary = T.all(T.or_(T.eq(y_true, 0), T.eq(y_true, 1)))
    return T.switch(is_binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true, y_pred):
    """``mean(max(1 - y_true * y_pred, 0), axis=-1)`` with labels in {-1, 1} (0/1 labels are converted).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> y, p = T.dmatrix('y'), T.dmatrix('p')
        >>> hinge(y, p).eval({y: [[1.0, -1.0]], p: [[0.5, 0.5]]}).tolist()
        [1.0]
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return T.mean(T.maximum(1.0 - _signed_labels(y_true) * y_pred, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """``mean(square(max(1 - y_true * y_pred, 0)), axis=-1)`` (0/1 labels are converted to -1/1).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> y, p = T.dmatrix('y'), T.dmatrix('p')
        >>> squared_hinge(y, p).eval({y: [[1.0, -1.0]], p: [[0.5, 0.5]]}).tolist()
        [1.25]
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return T.mean(T.square(T.maximum(1.0 - _signed_labels(y_true) * y_pred, 0.0)), axis=-1)


def categorical_hinge(y_true, y_pred):
    """``max(0, max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1)`` over the last axis.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> y, p = T.dmatrix('y'), T.dmatrix('p')
        >>> categorical_hinge(y, p).eval({y: [[0.0, 1.0]], p: [[0.3, 0.7]]}).round(4).tolist()
        [0.6]
    """
    y_true, y_pred = _pair(y_true, y_pred)
    pos = T.sum(y_true * y_pred, axis=-1)
    neg = T.max((1.0 - y_true) * y_pred, axis=-1)
    return T.maximum(neg - pos + 1.0, 0.0)


def log_cosh(y_true, y_pred):
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed as ``x + softplus(-2x) - log(2)`` (no overflow).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> y, p = T.dmatrix('y'), T.dmatrix('p')
        >>> log_cosh(y, p).eval({y: [[0.0]], p: [[1000.0]]}).round(4).tolist()
        [999.3069]
    """
    y_true, y_pred = _pair(y_true, y_pred)
    x = y_pred - y_true
    return T.mean(x + nnet.softplus(-2.0 * x) - 0.6931471805599453, axis=-1)


def huber(y_true, y_pred, delta=1.0):
    """``0.5 * e**2`` where ``|e| <= delta``, else ``delta * |e| - 0.5 * delta**2``, averaged over the last axis.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> y, p = T.dmatrix('y'), T.dmatrix('p')
        >>> huber(y, p).eval({y: [[0.0, 0.0]], p: [[0.5, 3.0]]}).tolist()
        [1.3125]
    """
    y_true, y_pred = _pair(y_true, y_pred)
    err = T.abs(y_pred - y_true)
    quadratic = T.minimum(err, delta)  # Keras's form: no switch, so both branches have finite gradients
    linear = err - quadratic
    return T.mean(0.5 * T.square(quadratic) + delta * linear, axis=-1)


def _softmax_logits(y_pred, axis):
    """The logits of a softmax output along ``axis``, or None when ``y_pred`` is no such output."""
    owner = y_pred.owner
    if owner is not None and isinstance(owner.op, nnet.Softmax) and owner.op.axis == axis % y_pred.ndim:
        return owner.inputs[0]
    return None


def _sigmoid_logits(y_pred):
    """The logits of a sigmoid output (also one whose axis of 1 was squeezed), or None."""
    owner = y_pred.owner
    if owner is not None and isinstance(owner.op, T.DimShuffle):
        inner = _sigmoid_logits(owner.inputs[0])
        return None if inner is None else owner.op(inner)
    if (owner is not None and isinstance(owner.op, T.Elemwise)
            and getattr(owner.op.scalar_op, "name", None) == "sigmoid"):
        return owner.inputs[0]
    return None


def _check_not_sparse(y_true, y_pred, where):
    """Static shapes that show sparse labels given to a categorical loss get a message naming the fix."""
    true_shape, pred_shape = y_true.type.shape, y_pred.type.shape
    sparse = (y_true.ndim == y_pred.ndim - 1) or (
        y_true.ndim == y_pred.ndim and true_shape[-1] == 1 and pred_shape[-1] not in (None, 1))
    if sparse:
        raise ValueError(f"{where}: expected one-hot targets of shape {pred_shape} like the predictions, received "
                         f"targets of shape {true_shape} ({y_true.dtype}); these look like integer class labels: "
                         f"use sparse_categorical_crossentropy, or one-hot encode them with to_categorical")
    if y_true.ndim != y_pred.ndim:
        raise ValueError(f"{where}: expected targets of rank {y_pred.ndim} like the predictions {pred_shape}, "
                         f"received shape {true_shape}")


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Cross-entropy between one-hot targets and predicted class probabilities (or logits).

    Args:
        y_true: one-hot (or soft) targets, the shape of ``y_pred``.
        y_pred: probabilities (normalised over ``axis`` then clipped to [eps, 1 - eps]), or logits if
            ``from_logits``. A softmax output is read back as its logits (stable).
        label_smoothing: mixes the targets with the uniform distribution: ``y * (1 - s) + s / classes``.
        axis: the class axis.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> y, x = T.dmatrix('y'), T.dmatrix('x')
        >>> categorical_crossentropy(y, x, from_logits=True).eval({y: [[0.0, 1.0]], x: [[1000.0, 0.0]]}).tolist()
        [1000.0]
    """
    y_true, y_pred = _pair(y_true, y_pred)
    _check_not_sparse(y_true, y_pred, "categorical_crossentropy")
    if label_smoothing:
        classes = T.cast(T.shape(y_pred)[axis], y_pred.dtype)
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / classes
    logits = y_pred if from_logits else _softmax_logits(y_pred, axis)
    if logits is not None:
        if axis % y_pred.ndim == y_pred.ndim - 1:
            return nnet.softmax_crossentropy_with_logits(logits, y_true)
        return -T.sum(y_true * nnet.log_softmax(logits, axis=axis), axis=axis)
    probs = y_pred / T.sum(y_pred, axis=axis, keepdims=True)
    eps = _eps(y_pred.dtype)
    probs = T.clip(probs, eps, 1.0 - eps)
    return -T.sum(y_true * T.log(probs), axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, axis=-1, ignore_class=None):
    """Cross-entropy between integer class labels and predicted probabilities (or logits).

    Args:
        y_true: class indices of shape ``y_pred.shape[:-1]`` (e.g. (batch,) or (batch, t)), or with a trailing
            axis of 1 (e.g. (batch, 1)). Float labels are cast to integers.
        y_pred: probabilities over the last axis (normalised, then clipped to [eps, 1 - eps]) or logits if
            ``from_logits``.
        ignore_class: a label whose samples get loss 0 (e.g. padding); the result carries the kept positions as
            its ``_keras_mask``, so a ``Loss`` (and ``compile``) averages over those only.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> y, p = T.lvector('y'), T.dmatrix('p')
        >>> sparse_categorical_crossentropy(y, p).eval({y: [1], p: [[0.5, 0.5]]}).round(4).tolist()
        [0.6931]
    """
    y_pred = T.as_tensor_variable(y_pred)
    if y_pred.dtype not in ("float16", "float32", "float64"):
        y_pred = T.cast(y_pred, K.floatx())
    if axis % y_pred.ndim != y_pred.ndim - 1:
        raise ValueError(f"sparse_categorical_crossentropy: only the last axis holds classes here, received "
                         f"axis={axis} for predictions of rank {y_pred.ndim}")
    labels = _sparse_labels(y_true, y_pred, "sparse_categorical_crossentropy")
    logits = y_pred if from_logits else _softmax_logits(y_pred, -1)
    if logits is not None:
        loss = nnet.softmax_crossentropy_with_logits(logits, labels)
    else:
        eps = _eps(y_pred.dtype)
        one_hot = T.eq(T.shape_padright(labels), T.arange(T.shape(y_pred)[-1], dtype="int64"))
        probs = y_pred / T.sum(y_pred, axis=-1, keepdims=True)   # normalised first, as Keras (and the dense loss)
        loss = -T.sum(T.cast(one_hot, y_pred.dtype) * T.log(T.clip(probs, eps, 1.0 - eps)), axis=-1)
    if ignore_class is not None:
        keep = T.neq(labels, ignore_class)
        loss = loss * T.cast(keep, loss.dtype)
        loss._keras_mask = keep   # a Loss averages over the kept positions only (Keras's rule)
    return loss


def _sparse_labels(y_true, y_pred, where):
    """Integer labels of rank ``y_pred.ndim - 1``: a trailing axis of 1 is dropped, floats are cast."""
    y_true = T.as_tensor_variable(y_true)
    if y_true.ndim == y_pred.ndim:
        if y_true.type.shape[-1] not in (None, 1):
            raise ValueError(f"{where}: expected integer labels of shape {y_pred.type.shape[:-1]} (or with a "
                             f"trailing 1), received shape {y_true.type.shape}; for one-hot targets use "
                             f"categorical_crossentropy")
        y_true = T.reshape(y_true, T.shape(y_true)[:-1], ndim=y_true.ndim - 1) if y_true.type.shape[-1] is None \
            else T.squeeze(y_true, axis=-1)
    if y_true.ndim != y_pred.ndim - 1:
        raise ValueError(f"{where}: expected labels of rank {y_pred.ndim - 1} for predictions of shape "
                         f"{y_pred.type.shape}, received shape {y_true.type.shape}")
    return y_true if y_true.dtype == "int64" else T.cast(y_true, "int64")


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Elementwise binary cross-entropy, averaged over ``axis``.

    ``y_pred`` holds probabilities (clipped to [eps, 1 - eps]) or logits if ``from_logits``; a sigmoid output is
    read back as its logits. ``label_smoothing`` squeezes targets towards 0.5: ``y * (1 - s) + 0.5 * s``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> y, x = T.dmatrix('y'), T.dmatrix('x')
        >>> binary_crossentropy(y, x, from_logits=True).eval({y: [[1.0, 0.0]], x: [[0.0, -1000.0]]}).round(4).tolist()
        [0.3466]
    """
    y_true, y_pred = _pair(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return T.mean(elementwise_binary_crossentropy(y_true, y_pred, from_logits), axis=axis)


def elementwise_binary_crossentropy(y_true, y_pred, from_logits=False):
    """Binary cross-entropy of each entry (``K.binary_crossentropy``; ``binary_crossentropy`` averages it)."""
    y_true, y_pred = _pair(y_true, y_pred)
    logits = y_pred if from_logits else _sigmoid_logits(y_pred)
    if logits is not None:
        return nnet.sigmoid_binary_crossentropy(logits, y_true)
    eps = _eps(y_pred.dtype)
    p = T.clip(y_pred, eps, 1.0 - eps)
    return -(y_true * T.log(p) + (1.0 - y_true) * T.log(1.0 - p))


def kl_divergence(y_true, y_pred):
    """``sum(y_true * log(y_true / y_pred), axis=-1)`` with both clipped to [eps, 1].

    Example:
        >>> import layerkit_backend.tensor as T
        >>> y, p = T.dmatrix('y'), T.dmatrix('p')
        >>> kl_divergence(y, p).eval({y: [[0.5, 0.5]], p: [[0.5, 0.5]]}).tolist()
        [0.0]
    """
    y_true, y_pred = _pair(y_true, y_pred)
    eps = _eps(y_pred.dtype)
    y_true, y_pred = T.clip(y_true, eps, 1.0), T.clip(y_pred, eps, 1.0)
    return T.sum(y_true * T.log(y_true / y_pred), axis=-1)


def poisson(y_true, y_pred):
    """``mean(y_pred - y_true * log(y_pred + eps), axis=-1)``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> y, p = T.dmatrix('y'), T.dmatrix('p')
        >>> poisson(y, p).eval({y: [[0.0]], p: [[2.0]]}).tolist()
        [2.0]
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return T.mean(y_pred - y_true * T.log(y_pred + _eps(y_pred.dtype)), axis=-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    """Negative cosine similarity along ``axis`` (-1 for parallel vectors; 0 if either is zero), as Keras's loss.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> y, p = T.dmatrix('y'), T.dmatrix('p')
        >>> cosine_similarity(y, p).eval({y: [[1.0, 0.0]], p: [[2.0, 0.0]]}).tolist()
        [-1.0]
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return -T.sum(K.l2_normalize(y_true, axis) * K.l2_normalize(y_pred, axis), axis=axis)


# Keras's short names (public aliases).
mse, mae, mape, msle = (mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
                        mean_squared_logarithmic_error)
logcosh, kld, kullback_leibler_divergence, huber_loss = log_cosh, kl_divergence, kl_divergence, huber


# ---------------------------------------------------------------------------------------------------- classes
def apply_sample_weight(losses, sample_weight):
    """``losses * sample_weight`` with the weight's rank matched to the losses' (Keras's rule): a (batch,)
    weight on (batch, t) losses gets trailing axes; a (batch, 1) weight on (batch,) losses is squeezed."""
    if sample_weight is None:
        return losses
    w = T.cast(T.as_tensor_variable(sample_weight), losses.dtype)
    if w.ndim == losses.ndim + 1 and w.type.shape[-1] == 1:
        w = T.squeeze(w, axis=-1)
    while w.ndim < losses.ndim:
        w = T.shape_padright(w)
    return losses * w


def _mask_weights(mask, reduction, dtype):
    """A mask as sample weights: with a mean reduction the kept entries weigh ``size / kept`` so that dividing
    by the size averages over the kept ones only (Keras's ``apply_mask``)."""
    mask = T.cast(mask, dtype)
    if reduction in ("sum_over_batch_size", "mean", "auto"):
        kept = T.sum(mask)
        size = T.cast(T.prod(T.shape(mask)), dtype)
        return mask * T.switch(T.gt(kept, 0), size / T.maximum(kept, 1e-12), T.zeros_like(kept))
    return mask


def reduce_weighted_values(values, sample_weight=None, mask=None, reduction="sum_over_batch_size"):
    """Keras's reduction of per-sample losses ``values``: weighted by ``sample_weight`` and ``mask`` (either may
    be None), then summed (``'sum'``), divided by their number (``'sum_over_batch_size'``, ``'mean'``) or by
    the weights' sum (``'mean_with_sample_weight'``), or left as they are (``'none'``/None, and scalars).

    Example:
        >>> import numpy as np, layerkit_backend.tensor as T
        >>> v = T.vector('v')
        >>> float(reduce_weighted_values(v, reduction='sum').eval({v: np.float32([1, 2, 3])}))
        6.0
    """
    dtype = values.dtype
    if mask is not None:
        weights = _mask_weights(mask, reduction, dtype)
        sample_weight = weights if sample_weight is None else apply_sample_weight(weights, sample_weight)
    if sample_weight is not None:
        values = apply_sample_weight(values, sample_weight)
    if reduction in (None, "none") or values.ndim == 0:
        return values
    total = T.sum(values)
    if reduction == "sum":
        return total
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        return total / T.sum(apply_sample_weight(T.ones_like(values), sample_weight))
    return total / T.cast(T.prod(T.shape(values)), dtype)


class Loss:
    """Base class: ``__call__(y_true, y_pred, sample_weight=None)`` reduces ``self.call``'s per-sample losses.

    Subclass and implement ``call(y_true, y_pred)`` for a custom loss (it receives the targets as given; the
    built-in losses bring both to one rank first). A mask on the predictions (``_keras_mask``, e.g. from
    ``Masking``) or on the losses (``ignore_class``) keeps the masked entries out of the average.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> class Zero(Loss):
        ...     def call(self, y_true, y_pred):
        ...         return T.sum(y_pred * 0, axis=-1)
        >>> Zero()(T.matrix('y'), T.matrix('p')).ndim
        0
    """

    def __init__(self, reduction="sum_over_batch_size", name=None):
        if reduction not in REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: unknown reduction '{reduction}', expected one of "
                             f"{list(REDUCTIONS)}")
        self.reduction = reduction
        self.name = name or _snake(type(self).__name__)

    def call(self, y_true, y_pred):
        raise NotImplementedError(f"{type(self).__name__}: subclasses of Loss implement call(y_true, y_pred)")

    @eager_function   # on NumPy arrays: the loss now, as a NumPy value (Keras 3's eager call)
    def __call__(self, y_true, y_pred, sample_weight=None):
        in_mask = getattr(y_pred, "_keras_mask", None)
        losses = self.call(y_true, y_pred)
        out_mask = getattr(losses, "_keras_mask", None)
        mask = in_mask if out_mask is None else out_mask if in_mask is None else T.and_(in_mask, out_mask)
        for what, weights in (("the output's mask", mask), ("sample_weight", sample_weight)):
            if weights is not None and losses.ndim and T.as_tensor_variable(weights).ndim > losses.ndim:
                raise ValueError(f"Loss '{self.name}': {what} has one entry per time step, but the loss gives one "
                                 f"value per sample (shape {losses.type.shape}); give targets with the output's "
                                 f"rank (e.g. (samples, time, 1) for a (samples, time, 1) output)")
        return reduce_weighted_values(losses, sample_weight, mask, self.reduction)

    def get_config(self):
        return {"reduction": self.reduction, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class LossFunctionWrapper(Loss):
    """A ``Loss`` around a per-sample function and its keyword arguments."""

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, **kwargs):
        super().__init__(reduction=reduction, name=name or fn.__name__)
        self._fn_kwargs = kwargs
        self._function = fn

    def call(self, y_true, y_pred):
        y_pred = T.as_tensor_variable(y_pred)
        y_true, y_pred = squeeze_or_expand_to_same_rank(T.as_tensor_variable(y_true), y_pred)
        return self._function(y_true, y_pred, **self._fn_kwargs)

    def get_config(self):
        return {**super().get_config(), **self._fn_kwargs}


def _wrapper_class(class_name, function, keras_name, **defaults):
    """A LossFunctionWrapper subclass whose constructor takes ``defaults``' keywords (and reduction, name)."""

    def __init__(self, reduction="sum_over_batch_size", name=keras_name, **kwargs):
        unknown = set(kwargs) - set(defaults)
        if unknown:
            raise TypeError(f"{class_name}: unexpected arguments {sorted(unknown)}; accepted: "
                            f"{['reduction', 'name', *defaults]}")
        LossFunctionWrapper.__init__(self, function, reduction=reduction, name=name, **{**defaults, **kwargs})

    doc = (f"Keras's ``{class_name}``: ``{function.__name__}`` reduced over the batch.\n\n"
           f"    Keyword arguments: reduction, name{''.join(', ' + k for k in defaults)}.")
    return type(class_name, (LossFunctionWrapper,), {"__init__": __init__, "__doc__": doc, "__module__": __name__})


MeanSquaredError = _wrapper_class("MeanSquaredError", mean_squared_error, "mean_squared_error")
MeanAbsoluteError = _wrapper_class("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error")
MeanAbsolutePercentageError = _wrapper_class("MeanAbsolutePercentageError", mean_absolute_percentage_error,
                                             "mean_absolute_percentage_error")
MeanSquaredLogarithmicError = _wrapper_class("MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
                                             "mean_squared_logarithmic_error")
Hinge = _wrapper_class("Hinge", hinge, "hinge")
SquaredHinge = _wrapper_class("SquaredHinge", squared_hinge, "squared_hinge")
CategoricalHinge = _wrapper_class("CategoricalHinge", categorical_hinge, "categorical_hinge")
LogCosh = _wrapper_class("LogCosh", log_cosh, "log_cosh")
Huber = _wrapper_class("Huber", huber, "huber_loss", delta=1.0)
CategoricalCrossentropy = _wrapper_class("CategoricalCrossentropy", categorical_crossentropy,
                                         "categorical_crossentropy", from_logits=False, label_smoothing=0.0,
                                         axis=-1)
SparseCategoricalCrossentropy = _wrapper_class("SparseCategoricalCrossentropy", sparse_categorical_crossentropy,
                                               "sparse_categorical_crossentropy", from_logits=False, axis=-1,
                                               ignore_class=None)
BinaryCrossentropy = _wrapper_class("BinaryCrossentropy", binary_crossentropy, "binary_crossentropy",
                                    from_logits=False, label_smoothing=0.0, axis=-1)
KLDivergence = _wrapper_class("KLDivergence", kl_divergence, "kl_divergence")
Poisson = _wrapper_class("Poisson", poisson, "poisson")
CosineSimilarity = _wrapper_class("CosineSimilarity", cosine_similarity, "cosine_similarity", axis=-1)

# Keras 3's further losses live in modules of their own (imported here, after what they use is defined)
from .losses_ctc import ctc  # noqa: E402
from .losses_focal import binary_focal_crossentropy, categorical_focal_crossentropy  # noqa: E402
from .losses_overlap import dice, tversky  # noqa: E402

BinaryFocalCrossentropy = _wrapper_class("BinaryFocalCrossentropy", binary_focal_crossentropy,
                                         "binary_focal_crossentropy", apply_class_balancing=False, alpha=0.25,
                                         gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1)
CategoricalFocalCrossentropy = _wrapper_class("CategoricalFocalCrossentropy", categorical_focal_crossentropy,
                                              "categorical_focal_crossentropy", alpha=0.25, gamma=2.0,
                                              from_logits=False, label_smoothing=0.0, axis=-1)
Dice = _wrapper_class("Dice", dice, "dice", axis=None)
Tversky = _wrapper_class("Tversky", tversky, "tversky", alpha=0.5, beta=0.5, axis=None)
CTC = _wrapper_class("CTC", ctc, "ctc")

_CLASSES = {c.__name__: c for c in (Loss, LossFunctionWrapper, MeanSquaredError, MeanAbsoluteError,
                                    MeanAbsolutePercentageError, MeanSquaredLogarithmicError, Hinge, SquaredHinge,
                                    CategoricalHinge, LogCosh, Huber, CategoricalCrossentropy,
                                    SparseCategoricalCrossentropy, BinaryCrossentropy, KLDivergence, Poisson,
                                    CosineSimilarity, BinaryFocalCrossentropy, CategoricalFocalCrossentropy, Dice,
                                    Tversky, CTC)}
_FUNCTIONS = {f.__name__: f for f in (mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
                                      mean_squared_logarithmic_error, hinge, squared_hinge, categorical_hinge,
                                      log_cosh, huber, categorical_crossentropy, sparse_categorical_crossentropy,
                                      binary_crossentropy, kl_divergence, poisson, cosine_similarity,
                                      binary_focal_crossentropy, categorical_focal_crossentropy, dice, tversky,
                                      ctc)}
_FUNCTIONS.update(mse=mse, mae=mae, mape=mape, msle=msle, logcosh=log_cosh, kld=kl_divergence,
                  kullback_leibler_divergence=kl_divergence, huber_loss=huber, cosine_proximity=cosine_similarity,
                  bce=binary_crossentropy, cce=categorical_crossentropy)


def is_builtin(loss):
    """True for a Loss of this module, or one wrapping a function of this module."""
    if isinstance(loss, LossFunctionWrapper):
        return loss._function in _FUNCTIONS.values()
    return type(loss) in _CLASSES.values()


def _snake(name):
    from .layers.base import to_snake_case
    return to_snake_case(name)


def serialize(loss):
    """A function -> its name (``'mean_squared_error'``); a Loss -> ``{"class_name", "config"}``.

    Example:
        >>> serialize(mse), serialize(MeanSquaredError())['class_name']
        ('mean_squared_error', 'MeanSquaredError')
    """
    if isinstance(loss, Loss):
        return {"class_name": getattr(type(loss), "_registered_name", type(loss).__name__),
                "config": loss.get_config()}
    if isinstance(loss, str):
        return loss
    return loss.__name__


def deserialize(identifier, custom_objects=None):
    """A loss function or Loss instance from a name, a ``{"class_name", "config"}`` dict, or a callable.

    Example:
        >>> deserialize('mse') is mean_squared_error, type(deserialize('MeanSquaredError')).__name__
        (True, 'MeanSquaredError')
    """
    return deserialize_function_or_class(identifier, custom_objects, _FUNCTIONS, _CLASSES, "losses", "loss")


def deserialize_function_or_class(identifier, custom_objects, functions, classes, where, kind, names=()):
    """A function or a class instance from a name (a class is instantiated with no arguments), a
    ``{"class_name", "config"}`` dict or a callable: losses' and metrics' ``deserialize``."""
    if isinstance(identifier, dict):
        name = identifier.get("class_name")
        cls = get_registered_object(name, custom_objects, classes)
        if cls is None:
            raise ValueError(f"{where}: unknown {kind} class '{name}'; expected one of {sorted(classes)}")
        return cls.from_config(dict(identifier.get("config") or {}))
    if isinstance(identifier, str):
        found = get_registered_object(identifier, custom_objects, {**functions, **classes})
        if found is None:
            raise ValueError(f"{where}: unknown {kind} '{identifier}'; expected one of "
                             f"{list(names) + sorted(functions) + sorted(classes)} or a name in custom_objects")
        return found() if isinstance(found, type) else found
    if callable(identifier):
        return identifier
    raise TypeError(f"{where}: expected a name, a config dict, a {kind.capitalize()} or a function, received "
                    f"{identifier!r}")


def get(identifier):
    """Keras's ``losses.get``: None passes through; otherwise ``deserialize``.

    Example:
        >>> get('categorical_crossentropy') is categorical_crossentropy
        True
    """
    return None if identifier is None else deserialize(identifier)
