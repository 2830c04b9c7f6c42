"""Canonicalize: remove work that changes nothing (x * 1, casts to the same dtype, useless shuffles and shapes).

Each rewrite is a small function keyed by the op it matches, with one line saying why the result is equal. A
replacement always keeps the dtype and rank of what it replaces, and a static shape at least as specific.

Two helpers are shared with other rewrite modules: ``scalar_constant`` (the one value a constant-like tensor
holds) and ``size_source`` (what decides a dimension's size at run time, so that two sizes can be proved equal).
"""

import numpy as np

from ..backends import numpy_xp
from ..graph.basic import Constant
from ..tensor import math as tmath
from ..tensor.basic import Alloc, alloc, cast
from ..tensor.elemwise import DimShuffle, Elemwise, SumToShape
from ..tensor.linalg import Dot
from ..tensor.reduce import Reduce
from ..tensor.scalar import Cast
from ..tensor.shape import Reshape, Shape, Shape_i, SpecifyShape, shape_tuple
from ..tensor.type import INT_DTYPES
from ..tensor.variable import constant
from .engine import register_local

__all__ = ["scalar_constant", "size_source", "broadcasts_into", "elemwise_name", "same_type_or_finer"]


# -- helpers ------------------------------------------------------------------------------------------------------
def elemwise_name(var_or_node):
    """The scalar op name of an out-of-place Elemwise node (or of a variable's owner), else None."""
    node = getattr(var_or_node, "owner", var_or_node)
    if node is None or not isinstance(node.op, Elemwise) or node.op.inplace_pattern:
        return None
    return node.op.scalar_op.name


def scalar_constant(var, depth=4):
    """The single value every element of ``var`` holds, when the graph tells it (a constant, possibly broadcast,
    shuffled or combined elementwise with other such values); else None.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> scalar_constant(T.constant(2.0) - 1), scalar_constant(T.dvector())
        (1.0, None)
    """
    if isinstance(var, Constant):
        data = np.asarray(var.data)
        if data.size == 1:
            return data.item()
        if 1 < data.size <= 10_000:
            flat = data.ravel()
            if (flat == flat[0]).all():
                return flat[0].item()
        return None
    node = var.owner
    if node is None or depth == 0:
        return None
    if isinstance(node.op, (DimShuffle, SpecifyShape, Alloc)):
        return scalar_constant(node.inputs[0], depth - 1)
    if elemwise_name(node) is None or len(node.outputs) != 1:
        return None
    values = [scalar_constant(v, depth - 1) for v in node.inputs]
    if any(v is None for v in values):
        return None
    call = node.op.scalar_op.make_call(numpy_xp, [v.dtype for v in node.inputs], var.dtype)
    try:
        with np.errstate(all="ignore"):
            return np.asarray(call(*[np.asarray(v, dtype=i.dtype) for v, i in zip(values, node.inputs)]),
                              dtype=var.dtype).item()
    except (TypeError, ValueError, OverflowError):
        return None


def broadcasts_into(c, x):
    """Broadcasting ``c`` against ``x`` leaves x's shape as it is: every size of c is 1 or x's static size."""
    if c.ndim > x.ndim:
        return False
    return all(cs == 1 or (cs is not None and cs == xs) for cs, xs in zip(c.type.shape[::-1], x.type.shape[::-1]))


def same_type_or_finer(old, new):
    """``new`` may replace ``old``: same dtype and rank, a static shape at least as specific."""
    return old.type == new.type or old.type.is_super(new.type)


def _keep(node, new):
    return [new] if same_type_or_finer(node.outputs[0], new) else None


def size_source(fgraph, var, dim):
    """What decides ``var.shape[dim]`` at run time: ``('static', n)``, or a ``(variable, dim)`` pair reached by
    following ops that keep a size (elementwise ops, shuffles, alloc of shape_i, dot, reductions). Two dimensions
    with equal sources have equal sizes in every run.

    Example: for ``y = exp(x) * 2``, ``size_source(fg, y, 0)`` is ``(x, 0)``.
    """
    memo = fgraph.facts.setdefault("size_source", {})   # {(var, dim): source}: facts about values never go stale
    fresh = set()

    def known(key):
        if key in fresh:
            return True
        src = memo.get(key)
        return src is not None and (src[0] == "static" or src[0] in fgraph.variables)

    stack = [(var, dim)]
    while stack:
        key = stack[-1]
        if known(key):
            stack.pop()
            continue
        deps = _size_deps(*key)
        pending = [k for k in deps or () if not known(k)]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        v, d = key
        if v.type.shape[d] is not None:
            memo[key] = ("static", v.type.shape[d])
        else:
            srcs = {memo[k] for k in deps or ()}
            memo[key] = srcs.pop() if len(srcs) == 1 else key
        fresh.add(key)
    return memo[(var, dim)]


def _size_deps(var, d):
    """The (variable, dim) pairs whose common size is ``var.shape[d]``; None when nothing tells."""
    node = var.owner
    if node is None or var.type.shape[d] is not None:
        return None
    op = node.op
    if isinstance(op, Elemwise):
        return [(v, d) for v in node.inputs if v.type.shape[d] != 1] or None
    if isinstance(op, DimShuffle):
        k = op.new_order[d]
        return None if k == "x" else [(node.inputs[0], k)]
    if isinstance(op, (SumToShape, SpecifyShape)):
        return [(node.inputs[-1], d)]  # SumToShape's output has the shape of its second input, ``like``
    if isinstance(op, Alloc):
        size = node.inputs[1 + d]
        return [(size.owner.inputs[0], size.owner.op.i)] if size.owner and isinstance(size.owner.op, Shape_i) \
            else None
    if isinstance(op, Dot):
        x, y = node.inputs
        return [(x, 0)] if d == 0 and x.ndim == 2 else [(y, 1)]
    if isinstance(op, Reduce):
        if op.keepdims:
            return None if d in op.axes else [(node.inputs[0], d)]
        kept = [i for i in range(node.inputs[0].ndim) if i not in op.axes]
        return [(node.inputs[0], kept[d])]
    return None


# -- elementwise identities ---------------------------------------------------------------------------------------
def _drop_constant(node, value, positions):
    """The operand at the other position when the one at ``positions`` is ``value`` broadcast into it."""
    out = node.outputs[0]
    for k in positions:
        c, x = node.inputs[k], node.inputs[1 - k]
        if x.dtype == out.dtype and same_type_or_finer(out, x) and broadcasts_into(c, x) \
                and scalar_constant(c) == value:
            return [x]
    return None


@register_local("canonicalize", Elemwise)
def local_add_zero(fgraph, node):
    # x + 0 == x (up to the sign of a zero: -0.0 + 0 is +0.0)
    return _drop_constant(node, 0, (0, 1)) if elemwise_name(node) == "add" else None


@register_local("canonicalize", Elemwise)
def local_sub_zero(fgraph, node):
    # x - 0 == x exactly
    return _drop_constant(node, 0, (1,)) if elemwise_name(node) == "sub" else None


@register_local("canonicalize", Elemwise)
def local_mul_one(fgraph, node):
    # x * 1 == x exactly
    return _drop_constant(node, 1, (0, 1)) if elemwise_name(node) == "mul" else None


@register_local("canonicalize", Elemwise)
def local_div_one(fgraph, node):
    # x / 1 == x exactly (the dtype check keeps int / 1, which is a float)
    return _drop_constant(node, 1, (1,)) if elemwise_name(node) == "true_div" else None


@register_local("canonicalize", Elemwise)
def local_pow_one(fgraph, node):
    # x ** 1 == x exactly
    return _drop_constant(node, 1, (1,)) if elemwise_name(node) == "pow" else None


@register_local("canonicalize", Elemwise)
def local_mul_zero_int(fgraph, node):
    # x * 0 == 0 for integers (for floats it is not: inf * 0 and nan * 0 are nan)
    out = node.outputs[0]
    if elemwise_name(node) != "mul" or out.dtype not in INT_DTYPES + ("bool",):
        return None
    for k in (0, 1):
        c, x = node.inputs[k], node.inputs[1 - k]
        if broadcasts_into(c, x) and scalar_constant(c) == 0:
            return _keep(node, alloc(constant(0, dtype=out.dtype), *shape_tuple(x)))
    return None


@register_local("canonicalize", Elemwise)
def local_neg_neg(fgraph, node):
    # -(-x) == x exactly
    if elemwise_name(node) != "neg" or elemwise_name(node.inputs[0]) != "neg":
        return None
    return _keep(node, node.inputs[0].owner.inputs[0])


@register_local("canonicalize", Elemwise)
def local_useless_identity(fgraph, node):
    # identity only copies; a copy nobody returns is the same value (outputs keep it: callers own their arrays)
    if elemwise_name(node) != "identity":
        return None
    if any(client == "output" for client, _ in fgraph.clients.get(node.outputs[0], ())):
        return None
    return _keep(node, node.inputs[0])


@register_local("canonicalize", Elemwise)
def local_useless_cast(fgraph, node):
    # a cast to the dtype the tensor already has changes nothing
    op = node.op
    if op.inplace_pattern or not isinstance(op.scalar_op, Cast) or node.inputs[0].dtype != op.scalar_op.dtype:
        return None
    return _keep(node, node.inputs[0])


@register_local("canonicalize", Elemwise)
def local_cast_cast(fgraph, node):
    # cast(cast(x, a), b) == cast(x, b) when x -> a is exact: the second cast sees x's own values
    op, inner = node.op, node.inputs[0].owner
    if op.inplace_pattern or not isinstance(op.scalar_op, Cast) or elemwise_name(inner) is None \
            or not isinstance(inner.op.scalar_op, Cast):
        return None
    x = inner.inputs[0]
    if not _lossless(x.dtype, inner.op.scalar_op.dtype):
        return None
    return _keep(node, cast(x, op.scalar_op.dtype))


def _lossless(src, dst):
    """Every value of dtype ``src`` is exactly representable in ``dst``."""
    a, b = np.dtype(src), np.dtype(dst)
    if not np.can_cast(a, b, "safe"):
        return False
    if a.kind in "iu" and b.kind in "fc":  # NumPy calls int64 -> float64 safe, but 2**53 + 1 does not survive
        return np.iinfo(a).bits - (a.kind == "i") <= np.finfo(b).nmant + 1
    return True


@register_local("canonicalize", Elemwise)
def local_elemwise_alloc(fgraph, node):
    # f(alloc(v, shape), y) == f(v, y) when y already gives the output every size of ``shape``
    if node.op.inplace_pattern or len(node.inputs) < 2:
        return None
    for k, inp in enumerate(node.inputs):
        if inp.owner is None or not isinstance(inp.owner.op, Alloc):
            continue
        others = node.inputs[:k] + node.inputs[k + 1:]
        if all(inp.type.shape[d] == 1 or _size_given(fgraph, inp, d, others) for d in range(inp.ndim)):
            new_inputs = list(node.inputs)
            new_inputs[k] = inp.owner.inputs[0]
            new = node.op(*new_inputs)
            if new.dtype == node.outputs[0].dtype and same_type_or_finer(node.outputs[0], new):
                return [new]
    return None


@register_local("canonicalize", Elemwise)
def local_alloc_sink(fgraph, node):
    # f(alloc(v, shape), c) == alloc(f(v, c), shape) when every other operand c has only size-1 dimensions:
    # f then runs on one value instead of a full array, and the alloc can meet an operand that makes it useless
    if node.op.inplace_pattern:
        return None
    for k, inp in enumerate(node.inputs):
        if inp.owner is None or not isinstance(inp.owner.op, Alloc):
            continue
        others = node.inputs[:k] + node.inputs[k + 1:]
        if all(s == 1 for o in others for s in o.type.shape):
            value, sizes = inp.owner.inputs[0], inp.owner.inputs[1:]
            new = alloc(node.op(*(node.inputs[:k] + [value] + node.inputs[k + 1:])), *sizes)
            return [new] if new.dtype == node.outputs[0].dtype and same_type_or_finer(node.outputs[0], new) \
                else None
        return None
    return None


def _size_given(fgraph, var, d, others):
    src = size_source(fgraph, var, d)
    return any(size_source(fgraph, o, d) == src for o in others if o.type.shape[d] != 1)


# -- shuffles, shapes and sums ------------------------------------------------------------------------------------
@register_local("canonicalize", DimShuffle)
def local_useless_dimshuffle(fgraph, node):
    # dimshuffle(0, 1, ..., n-1) keeps every dimension in place
    if node.op.new_order != tuple(range(node.op.input_ndim)):
        return None
    return _keep(node, node.inputs[0])


@register_local("canonicalize", DimShuffle)
def local_dimshuffle_dimshuffle(fgraph, node):
    # two shuffles compose into one: output dim j of the outer is dim order[j] of the inner's input
    inner = node.inputs[0].owner
    if inner is None or not isinstance(inner.op, DimShuffle):
        return None
    first = inner.op.new_order
    order = tuple("x" if d == "x" else first[d] for d in node.op.new_order)
    x = inner.inputs[0]
    if order == tuple(range(x.ndim)):
        return _keep(node, x)
    try:
        return _keep(node, DimShuffle(x.ndim, order)(x))
    except ValueError:  # a dropped dimension is statically not 1 (the graph fails at run time as written)
        return None


@register_local("canonicalize", SumToShape)
def local_useless_sum_to_shape(fgraph, node):
    # summing g to the shape of ``like`` does nothing when every size of g is 1 or provably like's size
    g, like = node.inputs
    if not same_type_or_finer(node.outputs[0], g):
        return None
    for d in range(g.ndim):
        if g.type.shape[d] != 1 and size_source(fgraph, g, d) != size_source(fgraph, like, d):
            return None
    return [g]


@register_local("canonicalize", Reshape)
def local_useless_reshape(fgraph, node):
    # reshaping x to its own shape changes nothing: shape(x), or every size but at most one -1 known equal
    x, shp = node.inputs
    out = node.outputs[0]
    if out.ndim != x.ndim or not same_type_or_finer(out, x):
        return None
    if shp.owner is not None and isinstance(shp.owner.op, Shape) and shp.owner.inputs[0] is x:
        return [x]
    if not isinstance(shp, Constant):
        return None
    unknown = [s for s, xs in zip(shp.data.tolist(), x.type.shape) if s != xs]
    return [x] if not unknown or unknown == [-1] else None


@register_local("canonicalize", SpecifyShape)
def local_useless_specify_shape(fgraph, node):
    # asserting a shape the static type already guarantees checks nothing
    x = node.inputs[0]
    if any(w is not None and w != s for w, s in zip(node.op.shape, x.type.shape)):
        return None
    return _keep(node, x)


@register_local("canonicalize", Shape_i)
def local_shape_i_static(fgraph, node):
    # a size the static type knows is a constant
    size = node.inputs[0].type.shape[node.op.i]
    return None if size is None else [constant(np.int64(size))]


@register_local("canonicalize", Shape_i)
def local_shape_i_lift(fgraph, node):
    # exp(x).shape[i] == x.shape[i]: read the size from the earliest tensor that decides it
    x, i = node.inputs[0], node.op.i
    if x.type.shape[i] is not None:
        return None  # local_shape_i_static's case
    src = size_source(fgraph, x, i)
    if src[0] == "static":
        return [constant(np.int64(src[1]))]
    if src == (x, i):
        return None
    return [Shape_i(src[1])(src[0])]


@register_local("canonicalize", Reduce)
def local_sum_alloc(fgraph, node):
    # the sum of n copies of v is v * n
    op, a = node.op, node.inputs[0].owner
    if op.kind != "sum" or not op.axes or a is None or not isinstance(a.op, Alloc):
        return None
    value, sizes = a.inputs[0], a.inputs[1:]
    if any(s != 1 for s in value.type.shape):
        return None  # v varies along some dimension: not one number repeated
    out = node.outputs[0]
    if value.ndim:
        value = DimShuffle(value.ndim, ())(value)
    count = sizes[op.axes[0]]
    for ax in op.axes[1:]:
        count = tmath.mul(count, sizes[ax])
    total = tmath.mul(cast(value, out.dtype), cast(count, out.dtype))
    if op.keepdims:
        rest = [constant(np.int64(1)) if d in op.axes else s for d, s in enumerate(sizes)]
    else:
        rest = [s for d, s in enumerate(sizes) if d not in op.axes]
    return _keep(node, alloc(total, *rest) if rest else total)


# -- specializations (run after constant folding, which turns gradients' ``y - 1`` exponents into constants) ------
_POW_SPECIAL = {2: tmath.sqr, 0.5: tmath.sqrt, -1: tmath.reciprocal}


@register_local("specialize", Elemwise)
def local_pow_specialize(fgraph, node):
    # x ** 2 == sqr(x), x ** 0.5 == sqrt(x), x ** -1 == 1 / x: one cheap op each, equal up to rounding
    if elemwise_name(node) != "pow":
        return None
    (x, y), out = node.inputs, node.outputs[0]
    if not broadcasts_into(y, x):
        return None
    fn = _POW_SPECIAL.get(scalar_constant(y))
    if fn is None or (fn is not tmath.sqr and out.dtype not in ("float16", "float32", "float64")):
        return None
    new = fn(cast(x, out.dtype))
    return [new] if new.dtype == out.dtype and same_type_or_finer(out, new) else None
