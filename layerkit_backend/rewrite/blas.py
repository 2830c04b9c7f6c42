"""BLAS-style updates: the update ``W - lr * dot(a, b)`` of a shared matrix becomes one in-place GEMM.

Without it, the product is written to a new buffer and a second pass reads it and ``W`` to write the new value
(about a quarter of a W1 b16 training step). ``GemmUpdate`` accumulates the product into ``W``'s own buffer.
"""
from ..tensor.elemwise import Elemwise
from ..tensor.linalg import Dot, GemmUpdate
from ..tensor.variable import constant
from .canonicalize import elemwise_name, scalar_constant
from .engine import register_global

__all__ = ["local_gemm_update"]


def _single_client(fgraph, var, node):
    return [c for c, _ in fgraph.clients.get(var, [])] == [node]


def _scaled_dot(fgraph, var, consumer):
    """(scale, Dot node) when ``var`` is ``scale * dot(a, b)``, ``dot(a, b) * scale`` or ``dot(a, b)``, read by
    ``consumer`` alone; else None."""
    if not _single_client(fgraph, var, consumer) or var.owner is None:
        return None
    if isinstance(var.owner.op, Dot):
        return 1.0, var.owner
    if elemwise_name(var) != "mul":
        return None
    for k in (0, 1):
        scale, d = var.owner.inputs[k], var.owner.inputs[1 - k]
        if d.owner is not None and isinstance(d.owner.op, Dot) and _single_client(fgraph, d, var.owner) \
                and all(s == 1 for s in scale.type.shape):
            value = scalar_constant(scale)
            # a constant learning rate, or a symbolic one (an optimizer's shared learning rate, a schedule)
            return (float(value) if value is not None else scale), d.owner
    return None


@register_global("specialize")
def local_gemm_update(fgraph):
    # W - c * dot(a, b) equals W + (-c) * dot(a, b): the same sum, accumulated by BLAS into W's buffer.
    for out_index, in_index in fgraph.update_mapping.items():
        w, new = fgraph.inputs[in_index], fgraph.outputs[out_index]
        node = new.owner
        if node is None or not isinstance(node.op, Elemwise) or node.inputs[0] is not w or w.ndim != 2 \
                or w.dtype not in ("float32", "float64") or not _single_client(fgraph, new, "output"):
            continue
        sign = {"sub": -1.0, "add": 1.0}.get(elemwise_name(new))
        found = _scaled_dot(fgraph, node.inputs[1], node) if sign is not None else None
        if found is None:
            continue
        scale, dot_node = found
        a, b = dot_node.inputs
        if a.ndim != 2 or b.ndim != 2 or dot_node.outputs[0].dtype != w.dtype or not new.type.is_super(w.type):
            continue  # (GemmUpdate's result has W's type: it may stand only for an update no more specific)
        if isinstance(scale, float):
            alpha = constant(sign * scale, dtype=w.dtype)
        else:
            if scale.dtype != w.dtype:
                continue
            alpha = scale.dimshuffle() * sign if sign != 1.0 else scale.dimshuffle()   # (1, 1) -> ()
        fgraph.replace(new, GemmUpdate()(w, alpha, a, b), reason="local_gemm_update")
