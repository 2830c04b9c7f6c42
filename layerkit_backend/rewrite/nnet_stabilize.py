"""Stabilize for neural-network graphs: softmax, logsumexp and cross-entropy in the forms that keep precision.

Each rewrite names the overflow or underflow it avoids. They run in the stabilize phase, after merge has made the
softmax of the forward graph and the one its gradient recomputes the same variable.
"""
from ..tensor import math as tmath
from ..tensor.elemwise import Elemwise
from ..tensor.nnet.losses import CategoricalCrossentropy, CategoricalCrossentropyGrad, SoftmaxCrossEntropyWithLogits
from ..tensor.nnet.softmax import LogSoftmax, Softmax, SoftmaxGrad, logsumexp
from ..tensor.reduce import Reduce
from ..tensor.reduce import sum as reduce_sum
from .canonicalize import elemwise_name
from .engine import register_local

__all__ = ["local_log_softmax", "local_logsumexp", "local_softmax_crossentropy",
           "local_softmax_crossentropy_grad"]


def _op_of(var, op_class):
    """``var``'s op when it is an ``op_class``, else None."""
    return var.owner.op if var.owner is not None and isinstance(var.owner.op, op_class) else None


def _last_axis_softmax(var):
    """x when ``var`` is ``softmax(x)`` over its last axis, else None."""
    op = _op_of(var, Softmax)
    return var.owner.inputs[0] if op is not None and op.axis == var.ndim - 1 else None


def _shifted_by_own_max(y, depth=4):
    """Is ``y`` already ``a - f(max(a))`` (the inside of a logsumexp)? Rewriting it again would never end."""
    if elemwise_name(y) != "sub":
        return False
    a, frontier = y.owner.inputs
    frontier = [frontier]
    for _ in range(depth):
        nodes = [v.owner for v in frontier if v.owner is not None]
        if any(isinstance(n.op, Reduce) and n.op.kind == "max" and n.inputs[0] is a for n in nodes):
            return True
        frontier = [i for n in nodes for i in n.inputs]
    return False


@register_local("stabilize", Elemwise)
def local_log_softmax(fgraph, node):
    # log(softmax(x)) is log(0) = -inf wherever the softmax underflows; x - logsumexp(x) is finite there
    if elemwise_name(node) != "log":
        return None
    op = _op_of(node.inputs[0], Softmax)
    if op is None:
        return None
    return [LogSoftmax(op.axis)(node.inputs[0].owner.inputs[0])]


@register_local("stabilize", Elemwise)
def local_logsumexp(fgraph, node):
    # exp(x) overflows to inf for x > 709 (88 in float32); log(sum(exp(x - max))) + max does not
    if elemwise_name(node) != "log":
        return None
    s = node.inputs[0]
    op = _op_of(s, Reduce)
    if op is None or op.kind != "sum" or elemwise_name(s.owner.inputs[0]) != "exp":
        return None
    y = s.owner.inputs[0].owner.inputs[0]
    if op.dtype != y.dtype or _shifted_by_own_max(y) or not op.axes:
        return None
    new = logsumexp(y, axis=op.axes, keepdims=op.keepdims)
    return [new] if new.dtype == node.outputs[0].dtype else None


@register_local("stabilize", CategoricalCrossentropy)
def local_softmax_crossentropy(fgraph, node):
    # -sum(t * log(softmax(x))) takes log(0) = -inf where the softmax underflows; -sum(t * log_softmax(x)) does not
    coding, true = node.inputs
    x = _last_axis_softmax(coding)
    return None if x is None else [SoftmaxCrossEntropyWithLogits()(x, true)]


@register_local("stabilize", SoftmaxGrad)
def local_softmax_crossentropy_grad(fgraph, node):
    # the chain rule through -t / softmax and then softmax's gradient is 0 * inf = NaN where the softmax underflows;
    # the product simplifies to g * (softmax * sum(t) - t), which needs no division
    gc, sm = node.inputs
    if _op_of(gc, CategoricalCrossentropyGrad) is None or _last_axis_softmax(sm) is None:
        return None
    g, coding, true = gc.owner.inputs
    if coding is not sm or node.op.axis != sm.ndim - 1:
        return None
    g_e = g.dimshuffle(*range(g.ndim), "x")
    new = g_e * (sm * reduce_sum(true, axis=-1, keepdims=True) - true)
    return [new] if new.dtype == node.outputs[0].dtype else None
