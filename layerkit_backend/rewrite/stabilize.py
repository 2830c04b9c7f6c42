"""Stabilize: rewrite formulas that lose precision in floating point into forms that keep it.

Each rewrite names the cancellation or overflow it avoids. They match the plain formulas users write
(``log(1 + x)``, ``exp(x) - 1``, ``log(sigmoid(x))``), after canonicalize has removed no-ops.
"""
from ..tensor import math as tmath
from ..tensor.elemwise import Elemwise
from ..tensor.type import FLOAT_DTYPES
from .canonicalize import broadcasts_into, elemwise_name, same_type_or_finer, scalar_constant
from .engine import register_local

__all__ = ["local_sigmoid_of_exp", "local_one_minus_sigmoid", "local_log_sigmoid", "local_log_one_minus_sigmoid", "local_log1p", "local_expm1"]


def _operand_beside(node, value, positions=(0, 1)):
    """For a binary node, the operand next to a constant ``value`` (at one of ``positions``) that broadcasts
    into it; else None."""
    for k in positions:
        c, x = node.inputs[k], node.inputs[1 - k]
        if broadcasts_into(c, x) and scalar_constant(c) == value:
            return x
    return None


def _one_minus(var):
    """x when ``var`` is ``1 - x`` (with 1 broadcast into x), else None."""
    return _operand_beside(var.owner, 1, (0,)) if elemwise_name(var) == "sub" else None


def _replacement(node, x, build):
    """``[build()]`` when it can stand for the node's output. Only for float ``x``: on integers the rewritten
    forms would wrap around (``-x``, ``1 + x``) at other points than the original."""
    if x.dtype not in FLOAT_DTYPES:
        return None
    out, new = node.outputs[0], build()
    return [new] if new.dtype == out.dtype and same_type_or_finer(out, new) else None


@register_local("stabilize", Elemwise)
def local_sigmoid_of_exp(fgraph, node):
    # 1 / (1 + exp(-x)) is sigmoid(x) (and 1 / (1 + exp(z)) is sigmoid(-z)): exp(-x) overflows to inf for x < -88 (float32); naming it lets the log
    # rewrites below see log(sigmoid(x)) and log(1 - sigmoid(x)), as in Theano's tutorial logistic regression.
    name = elemwise_name(node)
    if name == "true_div":
        denominator = _operand_beside_numerator(node)
    elif name == "reciprocal":
        denominator = node.inputs[0]
    else:
        return None
    if denominator is None or elemwise_name(denominator) != "add":
        return None
    e = _operand_beside(denominator.owner, 1)
    if e is None or elemwise_name(e) != "exp":
        return None
    z = e.owner.inputs[0]  # 1 / (1 + exp(z)) = sigmoid(-z)
    x = z.owner.inputs[0] if elemwise_name(z) == "neg" else None
    return _replacement(node, z, lambda: tmath.sigmoid(x if x is not None else tmath.neg(z)))


def _operand_beside_numerator(node):
    """d when ``node`` is ``1 / d`` (with 1 broadcast into d), else None."""
    c, d = node.inputs
    return d if broadcasts_into(c, d) and scalar_constant(c) == 1 else None


@register_local("stabilize", Elemwise)
def local_one_minus_sigmoid(fgraph, node):
    # 1 - sigmoid(x) = sigmoid(-x): the subtraction cancels to 0 once sigmoid(x) rounds to 1 (x > 17 in float32),
    # and gradients of log(1 - p) divide by it.
    s = _one_minus(node.outputs[0]) if elemwise_name(node) == "sub" else None
    if s is None or elemwise_name(s) != "sigmoid":
        return None
    x = s.owner.inputs[0]
    return _replacement(node, x, lambda: tmath.sigmoid(tmath.neg(x)))


@register_local("stabilize", Elemwise)
def local_log_sigmoid(fgraph, node):
    # log(sigmoid(x)) = -log(1 + exp(-x)) = -softplus(-x): sigmoid rounds to 0 for x < -745 and log(0) is -inf
    if elemwise_name(node) != "log" or elemwise_name(node.inputs[0]) != "sigmoid":
        return None
    x = node.inputs[0].owner.inputs[0]
    return _replacement(node, x, lambda: tmath.neg(tmath.softplus(tmath.neg(x))))


@register_local("stabilize", Elemwise)
def local_log_one_minus_sigmoid(fgraph, node):
    # log(1 - sigmoid(x)) = log(sigmoid(-x)) = -softplus(x): 1 - sigmoid(x) cancels to 0 for x > 37 (float64)
    if elemwise_name(node) != "log":
        return None
    s = _one_minus(node.inputs[0])
    if s is None or elemwise_name(s) != "sigmoid":
        return None
    x = s.owner.inputs[0]
    return _replacement(node, x, lambda: tmath.neg(tmath.softplus(x)))


@register_local("stabilize", Elemwise)
def local_log1p(fgraph, node):
    # log(1 + x) rounds 1 + x and loses x below the float epsilon; log1p(x) keeps it (and log(1 - x) likewise)
    if elemwise_name(node) != "log":
        return None
    arg = node.inputs[0]
    if elemwise_name(arg) == "add":
        x = _operand_beside(arg.owner, 1)
        return None if x is None else _replacement(node, x, lambda: tmath.log1p(x))
    x = _one_minus(arg)
    return None if x is None else _replacement(node, x, lambda: tmath.log1p(tmath.neg(x)))


@register_local("stabilize", Elemwise)
def local_expm1(fgraph, node):
    # exp(x) - 1 cancels catastrophically for small x; expm1(x) is accurate there
    name = elemwise_name(node)
    if name == "sub":
        e = _operand_beside(node, 1, (1,))
    elif name == "add":
        e = _operand_beside(node, -1)
    else:
        return None
    if e is None or elemwise_name(e) != "exp":
        return None
    x = e.owner.inputs[0]
    return _replacement(node, x, lambda: tmath.expm1(x))
