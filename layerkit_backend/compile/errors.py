"""Turning an exception raised inside a compiled function into a message that names the op, its inputs and the
user's line that created the node. Runs only after a failure, so the fast path pays nothing for it."""
import numpy as np

__all__ = ["explain_failure", "describe_node"]


def describe_node(node, values=None):
    """One paragraph: the op, the input shapes and dtypes, and where the user created the node."""
    parts = [f"op {node.op}"]
    if values is not None:
        shapes = [tuple(getattr(v, "shape", ())) for v in values]
        dtypes = [str(getattr(v, "dtype", type(v).__name__)) for v in values]
        parts.append(f"input shapes {shapes}, dtypes {dtypes}")
    names = [str(i) for i in node.inputs]
    parts.append(f"inputs {names}")
    trace = getattr(node.tag, "trace", None)
    if trace:
        parts.append(f"created at {trace[0]}:{trace[1]} (in {trace[2]})")
    return "; ".join(parts)


def explain_failure(fn, err, args):
    """Re-run ``fn``'s graph node by node on ``args`` to find the node that raised; return a new exception."""
    specs = fn._specs
    try:
        values = [spec.make_filter(fn._xp)(a) for spec, a in zip(specs, args)]
    except Exception:  # the input check itself failed: its message already names the input
        return err
    fgraph = fn.maker.fgraph
    env = dict(zip(fgraph.inputs, values + [c.value for c in fn._shared_containers]))
    for node in fn._order:
        ins = [env[i] if i in env else i.data for i in node.inputs]
        # in-place thunks would overwrite intermediates we may still print; run the plain op instead
        try:
            thunk = node.op.make_thunk(node, fn._xp) if not node.op.destroy_map else _plain_thunk(node, fn._xp)
            outs = thunk(*ins)
        except Exception as inner:
            msg = (f"{fn._label()} failed: {type(inner).__name__}: {inner}\n  while computing "
                   f"{describe_node(node, ins)}")
            try:
                new = type(inner)(msg)
            except Exception:
                new = RuntimeError(msg)
            return new
        outs = outs if len(node.outputs) > 1 else (outs,)
        env.update(zip(node.outputs, outs))
    return err


def _plain_thunk(node, xp):
    """The node's computation without writing into any input (an in-place op's out-of-place twin)."""
    op = node.op
    if hasattr(op, "without_inplace"):
        return op.without_inplace().make_thunk(node, xp)
    if hasattr(op, "scalar_op"):
        from ..tensor.elemwise import Elemwise

        return Elemwise(op.scalar_op).make_thunk(node, xp)
    raise AssertionError(f"{op} overwrites an input but has no out-of-place form")
