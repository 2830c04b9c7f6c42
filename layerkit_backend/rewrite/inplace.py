"""In-place reuse: an Elemwise writes its result into the buffer of an input that nobody reads afterwards.

Safe when the input is an intermediate (never a function input, a shared value or a constant), is read by this
node alone, is not a view of another buffer, has the output's dtype, and is not statically smaller than the output
(if it turns out smaller at run time, the thunk computes out of place instead).
"""
from ..compile.linker import alias_root
from ..graph.basic import Apply, Constant
from ..tensor.elemwise import Elemwise
from .engine import register_global

__all__ = ["inplace_elemwise"]


def _destroyable(fgraph, var, node, out, memo, protected):
    owner = var.owner
    if owner is None or isinstance(var, Constant) or var in fgraph.outputs:
        return False
    if owner.op.view_map.get(var.index):
        return False
    if any(client is not node for client, _ in fgraph.clients.get(var, ())):
        return False
    if var.type.dtype != out.type.dtype or var.type.ndim != out.type.ndim:
        return False
    if any(vs == 1 and os != 1 for vs, os in zip(var.type.shape, out.type.shape)):
        return False  # statically broadcast: its buffer is smaller than the output
    root = alias_root(var, memo)
    return root not in protected and not isinstance(root, Constant)


@register_global("inplace")
def inplace_elemwise(fgraph):
    """Turn Elemwise nodes into their in-place form where an input buffer is free to overwrite."""
    memo = {}
    protected = set(fgraph.inputs)
    for node in fgraph.toposort():
        op = node.op
        if not isinstance(op, Elemwise) or op.inplace_pattern or len(node.outputs) != 1 \
                or node.outputs[0].ndim == 0:  # 0-d results are scalars, not writable buffers
            continue
        out = node.outputs[0]
        for i, var in enumerate(node.inputs):
            if _destroyable(fgraph, var, node, out, memo, protected):
                new = Apply(Elemwise(op.scalar_op, ((0, i),)), list(node.inputs), [out.type()])
                new.tag = node.tag
                fgraph.replace(out, new.outputs[0], reason="inplace_elemwise")
                break
