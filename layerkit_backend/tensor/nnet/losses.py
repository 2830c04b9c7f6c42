"""Losses: categorical and binary cross-entropy, and softmax followed by cross-entropy fused into one stable op.

``categorical_crossentropy`` is an op of its own (not a composite) so that the stabilize phase can recognise it on
a softmax and fuse the two (rewrite/nnet_stabilize.py); its gradient is an op for the same reason. The fused
``SoftmaxCrossEntropyWithLogits`` never takes the log of a softmax: its loss is ``logsumexp(x) - x[label]`` and its
gradient ``softmax(x) - onehot``, both finite for any finite logits.
"""
from ...config import config
from ...graph.basic import Apply, Op
from .. import math as tmath
from ..basic import arange, cast
from ..reduce import sum as reduce_sum
from ..shape import shape_i
from ..type import FLOAT_DTYPES, INT_DTYPES, TensorType
from ..variable import as_tensor_variable
from .softmax import LogSoftmax, Softmax

__all__ = ["CategoricalCrossentropy", "CategoricalCrossentropyGrad", "SoftmaxCrossEntropyWithLogits",
           "categorical_crossentropy", "binary_crossentropy", "sigmoid_binary_crossentropy",
           "softmax_crossentropy_with_logits", "crossentropy_categorical_1hot", "crossentropy_softmax_1hot",
           "crossentropy_softmax_1hot_with_bias", "crossentropy_softmax_argmax_1hot_with_bias"]


def _last_axis_pair(op, dist, target):
    """Check a (distribution, one-hot target) pair of equal rank; the per-example output type drops the last
    axis, keeping whichever static size either input knows."""
    if dist.ndim == 0 or dist.ndim != target.ndim:
        raise ValueError(f"{op}: expected a distribution and a target of the same rank >= 1, received {dist.type} "
                         f"and {target.type}")
    shape = tuple(a if a is not None else b for a, b in zip(dist.type.shape, target.type.shape))
    return TensorType(dist.dtype, shape[:-1])()


def _expand_last(v):
    return v.dimshuffle(*range(v.ndim), "x")


class CategoricalCrossentropy(Op):
    """``-sum(true * log(coding), axis=-1)`` per example, with ``0 * log(0)`` taken as 0."""

    def make_node(self, coding, true):
        coding, true = as_tensor_variable(coding), as_tensor_variable(true)
        return Apply(self, [coding, true], [_last_axis_pair("categorical_crossentropy", coding, true)])

    def make_thunk(self, node, xp):
        dtype = node.outputs[0].dtype

        def crossentropy(coding, true):
            # log(1) = 0 where true is 0: 0 * log(0) counts as 0, and no spurious warning
            terms = true * xp.log(xp.where(true == 0, 1, coding))
            return (0 - terms.sum(axis=-1)).astype(dtype, copy=False)

        return crossentropy

    def grad(self, inputs, output_grads):
        (coding, true), (g,) = inputs, output_grads
        g_true = -_expand_last(g) * tmath.log(coding) if true.dtype in FLOAT_DTYPES else None
        return [CategoricalCrossentropyGrad()(g, coding, true), g_true]


class CategoricalCrossentropyGrad(Op):
    """The gradient of CategoricalCrossentropy with respect to ``coding``: ``-g * true / coding`` (0 where
    ``true`` is 0)."""

    def make_node(self, g, coding, true):
        g, coding, true = (as_tensor_variable(v) for v in (g, coding, true))
        return Apply(self, [g, coding, true], [TensorType(coding.dtype, coding.type.shape)()])

    def make_thunk(self, node, xp):
        dtype = node.outputs[0].dtype

        def crossentropy_grad(g, coding, true):
            r = -g[..., None] * true / xp.where(true == 0, 1, coding)
            return r.astype(dtype, copy=False)

        return crossentropy_grad

    def grad(self, inputs, output_grads):
        (g, coding, true), (h,) = inputs, output_grads
        ratio = true / coding
        g_e = _expand_last(g)
        return [-reduce_sum(h * ratio, axis=-1), h * g_e * ratio / coding,
                -h * g_e / coding if true.dtype in FLOAT_DTYPES else None]


class SoftmaxCrossEntropyWithLogits(Op):
    """``categorical_crossentropy(softmax(logits), true)`` along the last axis, computed as
    ``-sum(true * log_softmax(logits))``; the gradient in ``logits`` is ``softmax(logits) * sum(true) - true``
    (``softmax - onehot`` for one-hot targets)."""

    def make_node(self, logits, true):
        logits, true = as_tensor_variable(logits), as_tensor_variable(true)
        if logits.dtype not in FLOAT_DTYPES:
            raise TypeError(f"softmax_crossentropy_with_logits: expected float logits, received {logits.type}")
        return Apply(self, [logits, true], [_last_axis_pair("softmax_crossentropy_with_logits", logits, true)])

    def make_thunk(self, node, xp):
        dtype = node.outputs[0].dtype

        def softmax_crossentropy(x, true):
            if x.shape[-1] == 0:
                return xp.zeros(x.shape[:-1], dtype=dtype)
            s = x - x.max(axis=-1, keepdims=True)
            s -= xp.log(xp.exp(s).sum(axis=-1, keepdims=True))  # s is now log_softmax(x): finite
            return (0 - (true * s).sum(axis=-1)).astype(dtype, copy=False)

        return softmax_crossentropy

    def grad(self, inputs, output_grads):
        (x, true), (g,) = inputs, output_grads
        g_e = _expand_last(g)
        sm = Softmax(x.ndim - 1)(x)
        g_x = g_e * (sm * reduce_sum(true, axis=-1, keepdims=True) - true)
        g_true = -g_e * LogSoftmax(x.ndim - 1)(x) if true.dtype in FLOAT_DTYPES else None
        return [g_x, g_true]


def _one_hot_like(dist, true, where):
    """``true`` as a distribution over ``dist``'s last axis: one-hot from integer labels of rank ``dist.ndim - 1``,
    or cast to ``dist``'s dtype when it already has ``dist``'s rank."""
    dist, true = as_tensor_variable(dist), as_tensor_variable(true)
    if dist.ndim == 0:
        raise ValueError(f"{where}: expected a distribution with at least one dimension, received {dist.type}")
    if dist.dtype not in FLOAT_DTYPES:
        dist = cast(dist, config.floatX)
    if true.ndim == dist.ndim - 1 and true.dtype in INT_DTYPES:
        classes = arange(shape_i(dist, -1), dtype="int64")
        true = tmath.eq(_expand_last(true), classes)
    elif true.ndim != dist.ndim:
        raise ValueError(f"{where}: expected a one-hot target of rank {dist.ndim} or integer labels of rank "
                         f"{dist.ndim - 1}, received {true.type} for a distribution {dist.type}")
    return dist, (true if true.dtype == dist.dtype else cast(true, dist.dtype))


def categorical_crossentropy(coding_dist, true_dist):
    """Per-example cross-entropy ``-sum(true_dist * log(coding_dist), axis=-1)`` (Theano's definition).

    After ``softmax`` it is rewritten into ``softmax_crossentropy_with_logits``, whose value and gradient stay
    finite for any logits.

    Args:
        coding_dist: predicted probabilities, classes on the last axis (e.g. (batch, classes)).
        true_dist: a one-hot (or any) target distribution of the same shape, or integer class labels with one
            dimension fewer.

    Returns:
        The losses, of shape ``coding_dist.shape[:-1]``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> p, y = T.dmatrix('p'), T.lvector('y')
        >>> categorical_crossentropy(p, y).eval({p: [[0.5, 0.5], [0.0, 1.0]], y: [0, 1]}).round(4).tolist()
        [0.6931, 0.0]
    """
    coding_dist, true_dist = _one_hot_like(coding_dist, true_dist, "categorical_crossentropy")
    return CategoricalCrossentropy()(coding_dist, true_dist)


def softmax_crossentropy_with_logits(logits, labels):
    """``categorical_crossentropy(softmax(logits), labels)`` fused, stable in value and gradient.

    Args:
        logits: unnormalised scores, classes on the last axis.
        labels: integer class labels (one dimension fewer) or a one-hot target of the same shape.

    Returns:
        The per-example losses, of shape ``logits.shape[:-1]``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x, y = T.dmatrix('x'), T.lvector('y')
        >>> softmax_crossentropy_with_logits(x, y).eval({x: [[1000.0, 0.0]], y: [1]}).tolist()
        [1000.0]
    """
    logits, labels = _one_hot_like(logits, labels, "softmax_crossentropy_with_logits")
    return SoftmaxCrossEntropyWithLogits()(logits, labels)


def binary_crossentropy(output, target):
    """Elementwise ``-(target * log(output) + (1 - target) * log(1 - output))`` for probabilities ``output``.

    On ``sigmoid(x)`` the stabilize phase rewrites the logs into softplus forms, so the value stays finite; for
    a stable gradient too, use ``sigmoid_binary_crossentropy`` on the logits.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> p, t = T.dvector('p'), T.dvector('t')
        >>> binary_crossentropy(p, t).eval({p: [0.5, 0.9], t: [1.0, 1.0]}).round(4).tolist()
        [0.6931, 0.1054]
    """
    output, target = as_tensor_variable(output), as_tensor_variable(target)
    return -(target * tmath.log(output) + (1.0 - target) * tmath.log(1.0 - output))


def sigmoid_binary_crossentropy(logits, target):
    """``binary_crossentropy(sigmoid(logits), target)`` computed from the logits without overflow.

    It is ``softplus(x) - x * t``, i.e. ``max(x, 0) - x * t + log1p(exp(-|x|))``; its gradient is
    ``sigmoid(x) - t``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x, t = T.dvector('x'), T.dvector('t')
        >>> sigmoid_binary_crossentropy(x, t).eval({x: [0.0, -1000.0], t: [1.0, 1.0]}).round(4).tolist()
        [0.6931, 1000.0]
    """
    logits = as_tensor_variable(logits)
    return tmath.softplus(logits) - logits * target


# Theano's older names for the same computations, kept so that Theano-era code runs unchanged.
def crossentropy_categorical_1hot(coding_dist, true_one_of_n):
    """Theano's name for ``categorical_crossentropy`` with integer labels: ``-log(coding_dist[i, y[i]])``."""
    return categorical_crossentropy(coding_dist, true_one_of_n)


def crossentropy_softmax_1hot_with_bias(x, b, y_idx):
    """``(nll, softmax(x + b))`` for integer labels ``y_idx``; the loss is computed stably from the logits.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x, b, y = T.dmatrix('x'), T.dvector('b'), T.lvector('y')
        >>> nll, sm = crossentropy_softmax_1hot_with_bias(x, b, y)
        >>> nll.eval({x: [[0.0, 0.0]], b: [0.0, 0.0], y: [1]}).round(4).tolist()
        [0.6931]
    """
    logits = as_tensor_variable(x) + b
    return softmax_crossentropy_with_logits(logits, y_idx), Softmax(logits.ndim - 1)(logits)


def crossentropy_softmax_1hot(x, y_idx):
    """``(nll, softmax(x))`` for integer labels ``y_idx`` (Theano's name), stable for any finite logits."""
    x = as_tensor_variable(x)
    return softmax_crossentropy_with_logits(x, y_idx), Softmax(x.ndim - 1)(x)


def crossentropy_softmax_argmax_1hot_with_bias(x, b, y_idx):
    """``(nll, softmax(x + b), argmax(x + b))``: Theano's loss, probabilities and predicted class at once."""
    from ..reduce import argmax

    nll, sm = crossentropy_softmax_1hot_with_bias(x, b, y_idx)
    return nll, sm, argmax(as_tensor_variable(x) + b, axis=-1)
