"""Softmax along an axis, its logarithm, and ``logsumexp``.

``Softmax`` and ``LogSoftmax`` are primitives because the composite forms lose precision: ``exp(x) / sum(exp(x))``
overflows for large ``x``, and ``log(softmax(x))`` is ``log(0) = -inf`` wherever the softmax underflows. Both shift
by the maximum before exponentiating, and their gradients are written in terms of their outputs. ``logsumexp`` is a
composite (max-shifted) and needs no gradient code.
"""
from ...config import config
from ...gradient import disconnected_grad
from ...graph.basic import Apply, Op
from .. import math as tmath
from ..basic import cast
from ..reduce import max as reduce_max
from ..reduce import normalize_axis
from ..reduce import sum as reduce_sum
from ..type import FLOAT_DTYPES, TensorType
from ..variable import as_tensor_variable

__all__ = ["Softmax", "LogSoftmax", "SoftmaxGrad", "softmax", "log_softmax", "logsumexp", "softmax_with_bias"]


def _float_input(x, where):
    x = as_tensor_variable(x)
    if x.ndim == 0:
        raise ValueError(f"{where}: expected a tensor with at least one dimension, received a 0-d {x.type}")
    return x if x.dtype in FLOAT_DTYPES else cast(x, config.floatX)


def _shifted(xp, x, axis):
    """``x - max(x, axis)``: exp of it is at most 1, so nothing overflows."""
    return x - x.max(axis=axis, keepdims=True)


class _AlongAxis(Op):
    """An op of one float tensor, computed along ``axis``, whose output has the input's type."""

    __props__ = ("axis",)

    def __init__(self, axis):
        self.axis = int(axis)

    def make_node(self, x):
        x = _float_input(x, type(self).__name__)
        if not 0 <= self.axis < x.ndim:
            raise ValueError(f"{type(self).__name__}: axis {self.axis} is out of range for {x.type}")
        return Apply(self, [x], [TensorType(x.dtype, x.type.shape)()])


class Softmax(_AlongAxis):
    """``exp(x) / sum(exp(x), axis)``, computed on ``x - max(x, axis)``."""

    def make_thunk(self, node, xp):
        axis = self.axis

        def softmax(x):
            if x.shape[axis] == 0:
                return x.copy()
            e = xp.exp(_shifted(xp, x, axis))
            e /= e.sum(axis=axis, keepdims=True)
            return e

        return softmax

    def grad(self, inputs, output_grads):
        (x,), (g,) = inputs, output_grads
        return [SoftmaxGrad(self.axis)(g, self(x))]


class LogSoftmax(_AlongAxis):
    """``x - logsumexp(x, axis)``, finite wherever ``x`` is."""

    def make_thunk(self, node, xp):
        axis = self.axis

        def log_softmax(x):
            if x.shape[axis] == 0:
                return x.copy()
            s = _shifted(xp, x, axis)
            s -= xp.log(xp.exp(s).sum(axis=axis, keepdims=True))
            return s

        return log_softmax

    def grad(self, inputs, output_grads):
        (x,), (g,) = inputs, output_grads
        # d log_softmax_i / d x_j = [i == j] - softmax_j; exp(out) is the softmax, computed stably
        return [g - tmath.exp(self(x)) * reduce_sum(g, axis=self.axis, keepdims=True)]


class SoftmaxGrad(Op):
    """The gradient of Softmax: ``(g - sum(g * sm, axis)) * sm`` for the output gradient ``g`` and the softmax
    ``sm``. An op of its own so that the stabilize phase can recognise softmax followed by cross-entropy in a
    gradient graph (rewrite/nnet_stabilize.py)."""

    __props__ = ("axis",)

    def __init__(self, axis):
        self.axis = int(axis)

    def make_node(self, g, sm):
        g, sm = as_tensor_variable(g), as_tensor_variable(sm)
        if g.ndim != sm.ndim:
            raise ValueError(f"SoftmaxGrad: gradient {g.type} and softmax {sm.type} differ in rank")
        return Apply(self, [g, sm], [TensorType(sm.dtype, sm.type.shape)()])

    def make_thunk(self, node, xp):
        axis, dtype = self.axis, node.outputs[0].dtype

        def softmax_grad(g, sm):
            r = g * sm
            r -= sm * r.sum(axis=axis, keepdims=True)
            return r.astype(dtype, copy=False)

        return softmax_grad

    def grad(self, inputs, output_grads):
        (g, sm), (h,) = inputs, output_grads
        # The map g -> (g - sum(g sm)) sm is self-adjoint; in sm: h (g - sum(g sm)) - g sum(h sm)
        g_sum = reduce_sum(g * sm, axis=self.axis, keepdims=True)
        h_sum = reduce_sum(h * sm, axis=self.axis, keepdims=True)
        return [SoftmaxGrad(self.axis)(h, sm), h * (g - g_sum) - g * h_sum]


def _theano_rows(x, axis, where):
    """Theano's softmax has no axis: it takes a float vector or matrix, works on the rows of a matrix, and makes a
    vector a row (1, n) first. With an axis, any rank and integers (as floatX) are accepted."""
    if axis is None:
        x = as_tensor_variable(x)
        if x.ndim not in (1, 2) or x.dtype not in FLOAT_DTYPES:
            raise TypeError(f"{where}: expected a float vector or matrix (or give axis=), received {x.type}")
        return (x.dimshuffle("x", 0) if x.ndim == 1 else x), -1
    return _float_input(x, where), axis


def softmax(x, axis=None):
    """The softmax of ``x`` along ``axis``.

    Args:
        x: a tensor with at least one dimension (integers become floatX).
        axis: the axis whose entries sum to 1. None (Theano's call, which has no axis) means the last axis, and
            a vector becomes a ``(1, n)`` row first, as in Theano (code written for it indexes ``s[0]``).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dmatrix('x')
        >>> softmax(x).eval({x: [[0.0, 0.0], [1000.0, 0.0]]}).tolist()
        [[0.5, 0.5], [1.0, 0.0]]
    """
    x, axis = _theano_rows(x, axis, "softmax")
    (axis,) = normalize_axis(axis, x.ndim, "softmax")
    return Softmax(axis)(x)


def log_softmax(x, axis=None):
    """``log(softmax(x, axis))``, computed as ``x - logsumexp(x, axis)`` so it stays finite where the softmax
    underflows to 0. ``axis=None`` as for ``softmax``: the last axis, and a vector becomes a ``(1, n)`` row.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> log_softmax(x, axis=-1).eval({x: [1000.0, 0.0]}).tolist()
        [0.0, -1000.0]
    """
    x, axis = _theano_rows(x, axis, "log_softmax")
    (axis,) = normalize_axis(axis, x.ndim, "log_softmax")
    return LogSoftmax(axis)(x)


def softmax_with_bias(x, b):
    """``softmax(x + b)`` row-wise, for a matrix ``x`` and a bias vector ``b`` (Theano's name).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x, b = T.dmatrix('x'), T.dvector('b')
        >>> softmax_with_bias(x, b).eval({x: [[0.0, 0.0]], b: [0.0, 0.0]}).tolist()
        [[0.5, 0.5]]
    """
    return softmax(as_tensor_variable(x) + b, axis=-1)


def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x), axis))`` without overflow: the maximum is subtracted first and added back.

    Args:
        x: a float tensor.
        axis: an int, a tuple of ints, or None (all axes). Reduced axes must not be empty.
        keepdims: keep the reduced axes with size 1.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dmatrix('x')
        >>> logsumexp(x, axis=1).eval({x: [[1000.0, 1000.0]]}).round(4).tolist()
        [1000.6931]
    """
    x = as_tensor_variable(x)
    x = x if x.dtype in FLOAT_DTYPES else cast(x, config.floatX)
    axes = normalize_axis(axis, x.ndim, "logsumexp")
    m = reduce_max(x, axis=axes, keepdims=True)
    # An all -inf (or +inf) slice would make x - m NaN; shifting by 0 there gives log(0) = -inf (or inf).
    # The result does not depend on the shift, so no gradient flows through it.
    m = disconnected_grad(tmath.switch(tmath.isinf(m), 0, m))
    out = tmath.log(reduce_sum(tmath.exp(x - m), axis=axes, keepdims=True)) + m
    if keepdims or not axes:
        return out
    return out.dimshuffle(*[i for i in range(x.ndim) if i not in axes])
