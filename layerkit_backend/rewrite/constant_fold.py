"""Constant folding: a node whose inputs are all constants is computed once, at compile time, on NumPy."""
import numpy as np

from ..backends import numpy_xp
from ..graph.basic import Constant
from ..tensor.type import TensorType
from ..tensor.variable import constant
from .engine import register_local

__all__ = ["local_constant_fold", "MAX_FOLDED_SIZE"]

# Larger results stay computed at run time: folding alloc(0, 1000, 1000) would put a 4 MB array in the graph.
MAX_FOLDED_SIZE = 10_000


@register_local("constant_fold")
def local_constant_fold(fgraph, node):
    """Replace a node of constant inputs by constants holding its outputs (equal by construction: it is the same
    thunk, run early). Ops with ``foldable = False``, nodes that overwrite inputs, and results over
    ``MAX_FOLDED_SIZE`` elements are left alone.

    Example:
        >>> import layerkit_backend as lb, layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> f = lb.function([x], x + T.exp(T.constant(0.0)))
        >>> [str(n.op) for n in f.maker.fgraph.toposort()]
        ['add']
    """
    op = node.op
    if not node.inputs or not getattr(op, "foldable", False) or op.destroy_map:
        return None
    if not all(isinstance(v, Constant) for v in node.inputs):
        return None
    if not all(isinstance(o.type, TensorType) for o in node.outputs):
        return None
    for out in node.outputs:  # refuse big results before computing them
        if None not in out.type.shape and _size(out.type.shape) > MAX_FOLDED_SIZE:
            return None
    try:
        with np.errstate(all="ignore"):
            result = op.make_thunk(node, numpy_xp)(*[v.data for v in node.inputs])
    except Exception:  # noqa: BLE001  (an error, e.g. a bad shape, is reported when the function runs)
        return None
    values = result if len(node.outputs) > 1 else (result,)
    replacements = []
    for out, value in zip(node.outputs, values):
        value = np.array(value, dtype=out.type.dtype, copy=True)  # own buffer: never a view of another constant
        if value.ndim != out.type.ndim or value.size > MAX_FOLDED_SIZE:
            return None
        if any(s is not None and s != v for s, v in zip(out.type.shape, value.shape)):
            return None  # the op broke its own static shape: leave the run-time error to the run
        replacements.append(constant(value, dtype=out.type.dtype))
    return replacements


def _size(shape):
    n = 1
    for s in shape:
        n *= s
    return n
