"""Max pooling commutes with what never decreases: ``pool_max(f(x))`` -> ``f(pool_max(x))``.

``f`` is a chain of elementwise steps, each non-decreasing in the pooled operand with every other operand constant
over each pooling window (broadcast over the two pooled axes): ``+ b``, ``- b``, ``maximum(., c)`` and ``relu``
(the table row, or ``switch(v > 0, v, 0)``). Then ``max_i f(x_i) = f(max_i x_i)`` exactly, in floating point too: rounding is
non-decreasing as well. Padding and clipped border windows are filled with -inf, and no window is made of filling
alone (the padding is smaller than the window), so they change no maximum. Windows must be disjoint (stride >= ws):
``f`` then runs on at most a quarter of the elements for 2x2 pools instead of all of them.

Gradients. The rewrite fires only where ``f(x)`` and every step of the chain have the pooling as their one client,
as in a function that only predicts. In a training graph the gradient, already built from the user's form, reads
``f(x)`` (``PoolGrad`` and the steps' own gradients), which keeps it alive: rewriting would save nothing, and the
gradients stay exactly those of the user's form. The two forms' gradients are not always equal, so the backward graph
is never rewritten: the gradient of a max goes to every element equal to its window's max (Theano's rule), and ``f``
can merge distinct values into ties (relu's flat part, ``x + b`` rounding two neighbours to one float) or keep
ties in ``x``; a bias then receives the window's gradient once per tied element in ``pool_max(relu(x + b))`` but once
in ``relu(pool_max(x) + b)``. The gradients with respect to ``x`` agree (tests/backend/test_pool_commute.py).
"""
from ..tensor import math as tmath
from ..tensor.elemwise import Elemwise
from ..tensor.signal.pool import Pool
from .canonicalize import elemwise_name, scalar_constant
from .engine import register_local

__all__ = ["local_pool_max_commute"]


def _window_constant(var, ndim):
    """True when ``var`` (an Elemwise input of ``ndim`` dims) is broadcast over the last two axes."""
    return var.ndim == ndim and tuple(var.type.shape[-2:]) == (1, 1)


def _relu_input(node):
    """v when ``node`` is ``relu(v)`` (``nnet.relu``, a table row) or ``switch(gt(v, 0), v, 0)``, else None."""
    if elemwise_name(node) == "relu":
        return node.inputs[0]
    if elemwise_name(node) != "switch":
        return None
    cond, then, other = node.inputs
    if elemwise_name(cond) != "gt" or cond.owner.inputs[0] is not then or scalar_constant(other) != 0 \
            or scalar_constant(cond.owner.inputs[1]) != 0:
        return None
    return then


def _step(node):
    """(index of the pooled operand, rebuild(new operand) -> variable) when ``node`` is a step of ``f``, else
    None."""
    ndim = node.outputs[0].ndim
    relu_of = _relu_input(node)
    if relu_of is not None and elemwise_name(node) == "relu":
        return 0, tmath.relu
    if relu_of is not None:
        zero = node.inputs[2]
        return 1, lambda v: tmath.switch(tmath.gt(v, 0), v, zero)
    name = elemwise_name(node)
    if name not in ("add", "sub", "maximum"):
        return None
    varying = [k for k, v in enumerate(node.inputs) if not _window_constant(v, ndim)]
    if len(varying) != 1 or (name == "sub" and varying[0] != 0):  # b - x decreases in x
        return None
    k = varying[0]
    return k, lambda v: node.op(*[v if j == k else inp for j, inp in enumerate(node.inputs)])


def _read_only_by(fgraph, var, node):
    """True when ``node`` is all that reads ``var`` (relu's comparison, read only by ``node``, counts as part of
    it)."""
    def read_by(v, allowed):
        clients = fgraph.clients.get(v, [])
        return bool(clients) and all(c[0] in allowed for c in clients)

    if elemwise_name(node) == "switch" and _relu_input(node) is not None and read_by(node.inputs[0], {node}):
        return read_by(var, {node, node.inputs[0].owner})
    return read_by(var, {node})


@register_local("specialize", Pool)
def local_pool_max_commute(fgraph, node):
    # max_i f(x_i) == f(max_i x_i) for f non-decreasing and constant over the window but for x: f runs on the pooled
    # (4x smaller for 2x2) tensor; see the module docstring for padding, ties and why only single-client chains
    op = node.op
    if op.mode != "max" or op.stride[0] < op.ws[0] or op.stride[1] < op.ws[1]:
        return None
    rebuilds = []
    var, consumer = node.inputs[0], node
    while var.owner is not None and _read_only_by(fgraph, var, consumer):
        step = _step(var.owner)
        if step is None:
            break
        k, rebuild = step
        rebuilds.append(rebuild)
        consumer, var = var.owner, var.owner.inputs[k]
    if not rebuilds or var.ndim != node.inputs[0].ndim:
        return None
    out = op(var)
    for rebuild in reversed(rebuilds):
        out = rebuild(out)
    return [out] if out.dtype == node.outputs[0].dtype else None
