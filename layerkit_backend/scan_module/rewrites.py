"""Rewrites of Scan nodes (registered with the rewrite engine when ``scan_module`` is imported).

``local_scan_keep_last_state``: a state whose stacked values are read only at their last row (``h[-1]``, as a
forward-only RNN or ``reduce`` does) needs no buffer of n_steps rows: the loop keeps a ring of as many rows as the
state's taps reach back, so memory is O(taps) instead of O(n_steps).
"""
from ..rewrite.engine import register_global
from ..tensor.basic import NotScalarConstantError, get_scalar_constant_value
from ..tensor.subtensor import Subtensor
from .op import Scan

__all__ = ["local_scan_keep_last_state"]


def _constant(v):
    try:
        return get_scalar_constant_value(v)
    except NotScalarConstantError:
        return None


def _last_row_reads(fgraph, var, skip_rows):
    """The variables computing ``var[-1]`` (directly, or through ``var[skip_rows:]``), or None if ``var`` is read
    any other way."""
    found = []
    for client, _ in fgraph.clients.get(var, []):
        if client == "output" or not isinstance(client.op, Subtensor):
            return None
        idx, index = client.op.idx_list, client.inputs[1:]
        if idx == ("int",) and _constant(index[0]) == -1:
            found.append(client.outputs[0])
        elif skip_rows is not None and idx == (("slice", True, False, False),) \
                and _constant(index[0]) == skip_rows:
            inner = _last_row_reads(fgraph, client.outputs[0], None)
            if inner is None:
                return None
            found += inner
        else:
            return None
    return found


@register_global("specialize")
def local_scan_keep_last_state(fgraph):
    # h[-1] of the full buffer equals row -1 of a buffer that keeps the last m rows: the same value, less memory.
    for node in [n for n in fgraph.toposort() if isinstance(n.op, Scan)]:
        op = node.op
        reads = [None if op.last_only[k] else _last_row_reads(fgraph, node.outputs[k], op.mintaps[k])
                 for k in range(op.n_states)]
        keep_last = [op.last_only[k] or bool(r) for k, r in enumerate(reads)]
        if keep_last == list(op.last_only):
            continue
        new_op = Scan(op.inner, op.n_seqs, op.state_taps, op.n_nitsot, op.n_shared, op.n_nonseqs, op.as_while,
                      op.truncate_gradient, op.name, op.mode, last_only=keep_last)
        new_outs = new_op.make_node(*node.inputs).outputs
        for k, (old, new) in enumerate(zip(node.outputs, new_outs)):
            if k < op.n_states and keep_last[k] and not op.last_only[k]:
                for var in reads[k]:
                    fgraph.replace(var, new[-1], reason="local_scan_keep_last_state")
            elif fgraph.clients.get(old):
                fgraph.replace(old, new, reason="local_scan_keep_last_state")
