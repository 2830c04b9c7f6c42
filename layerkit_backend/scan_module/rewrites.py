"""Rewrites of Scan nodes (registered with the rewrite engine when ``scan_module`` is imported).

``local_scan_keep_last_state``: a state whose stacked values are read only at their last row (``h[-1]``, as a
forward-only RNN or ``reduce`` does) needs no buffer of n_steps rows: the loop keeps a ring of as many rows as the
state's taps reach back, so memory is O(taps) instead of O(n_steps).

``local_scan_merge_extended``: the forward Scan a gradient rebuilt with extra outputs (the values its backward loop
reads, see ``backward_plan.py``) replaces the original node, so the forward loop runs once.

``local_sum_of_slice_grads_to_join``: the gradient of a step that slices its pre-activation into gates (an LSTM's
``a[:, :H]``, ``a[:, H:2H]``...) is a sum of zero buffers each holding one slice's gradient; when the slices tile
the axis it is the join of those gradients: one buffer instead of one zero buffer, copy and addition per gate.

``local_scan_shape_only_sequences``: a sequence the step reads only for its shape (the ``like`` of a gradient's
SumToShape check) need not be computed over all steps: one zero row of its row shape, read at every step, will do
(a sequence the step does not read at all is dropped).

``local_elemwise_of_slices``: one unary elementwise op applied to several constant slices of one tensor (an LSTM's
sigmoid gates) runs once over the slices' span, a contiguous block, instead of once per strided slice.
"""
import functools

import numpy as np

from ..graph.basic import Constant
from ..graph.traversal import clone_replace, io_toposort
from ..rewrite.engine import register_global, register_local
from ..tensor.basic import Alloc, NotScalarConstantError, get_scalar_constant_value, join, zeros
from ..tensor.elemwise import DimShuffle, Elemwise, SumToShape
from ..tensor.linalg import Dot, dot
from ..tensor.math import gt, maximum, switch
from ..tensor.variable import constant
from ..tensor.shape import Shape, Shape_i, shape_i, specify_shape
from ..tensor.subtensor import IncSubtensor, Subtensor
from .op import Scan, ScanInner

__all__ = ["local_scan_keep_last_state", "local_scan_merge_extended", "local_sum_of_slice_grads_to_join",
           "local_scan_pushout", "local_scan_drop_unused_outputs", "local_scan_shape_only_sequences", "local_elemwise_of_slices"]


def _constant(v):
    try:
        return get_scalar_constant_value(v)
    except NotScalarConstantError:
        return None


def _last_row_reads(fgraph, var, skip_rows):
    """``(variable, through_steps)`` for each variable computing ``var[-1]`` directly (False) or as
    ``var[skip_rows:][-1]``, the last of the steps' rows (True); None if ``var`` is read any other way."""
    found = []
    for client, _ in fgraph.clients.get(var, []):
        if client == "output" or not isinstance(client.op, Subtensor):
            return None
        idx, index = client.op.idx_list, client.inputs[1:]
        if idx == ("int",) and _constant(index[0]) == -1:
            found.append((client.outputs[0], skip_rows is None))
        elif skip_rows is not None and idx == (("slice", True, False, False),) \
                and _constant(index[0]) == skip_rows:
            inner = _last_row_reads(fgraph, client.outputs[0], None)
            if inner is None:
                return None
            found += inner
        else:
            return None
    return found


def _last_step_row(ring, n_steps, rows):
    """Row -1 of the ring, or, after 0 steps, an index past its ``rows`` rows: ``h[m:][-1]`` of zero steps raises
    IndexError in the graph as written, so the rewritten graph must raise too (a rewrite never changes meaning)."""
    return ring[switch(gt(n_steps, 0), -1, rows)]


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
                for var, through_steps in reads[k]:
                    row = _last_step_row(new, node.inputs[0], op.mintaps[k]) if through_steps else new[-1]
                    fgraph.replace(var, row, reason="local_scan_keep_last_state")
            elif fgraph.clients.get(old):
                fgraph.replace(old, new, reason="local_scan_keep_last_state")


@register_global("merge")
def local_scan_merge_extended(fgraph):
    # A gradient builds the forward Scan again with extra nit-sot outputs (the values its backward loop reads);
    # both nodes run the same steps on the same inputs, so the original's outputs are the extended one's.
    scans = [n for n in fgraph.toposort() if isinstance(n.op, Scan)]
    by_inputs = {}
    for node in scans:
        by_inputs.setdefault(tuple(map(id, node.inputs)), []).append(node)
    for group in by_inputs.values():
        for base in group:
            ext = next((n for n in group if n.op.inner.extends is base.op.inner and n.op.last_only == base.op.last_only
                        and n.op.truncate_gradient == base.op.truncate_gradient), None)
            if ext is None:
                continue
            op, extra = base.op, ext.op.n_nitsot - base.op.n_nitsot
            n_out = op.n_states + op.n_nitsot
            for j, old in enumerate(base.outputs):
                if fgraph.clients.get(old):
                    fgraph.replace(old, ext.outputs[j if j < n_out else j + extra],
                                   reason="local_scan_merge_extended")


_FULL = ("slice", False, False, False)


def _is_dim(d, x, k):
    """Whether ``d`` is x.shape[k] (symbolically, or as the constant x's static shape says)."""
    if d.owner is not None and isinstance(d.owner.op, Shape_i):
        return d.owner.inputs[0] is x and d.owner.op.i == k
    return x.type.shape[k] is not None and _constant(d) == x.type.shape[k]


def _slice_of(fgraph, v):
    """(x, axis, start, stop, y) when ``v`` is ``inc_subtensor(zeros_like(x)[..., start:stop], y)`` where ``y``
    has the shape of ``x[..., start:stop]`` (the gradient of a slice), else None. ``stop`` None: to the end."""
    inc = v.owner
    if inc is None or type(inc.op) is not IncSubtensor or inc.op.set_instead_of_inc:
        return None
    zeros, y = inc.inputs[0].owner, inc.inputs[1]
    if isinstance(inc.inputs[0], Constant) and not inc.inputs[0].data.any():  # a small zero buffer, folded
        dims = [constant(np.int64(d)) for d in inc.inputs[0].data.shape]
    elif zeros is None or not isinstance(zeros.op, Alloc) or _constant(zeros.inputs[0]) != 0:
        return None
    else:
        dims = zeros.inputs[1:]
    idx = inc.op.idx_list
    axes = [k for k, e in enumerate(idx) if e != _FULL]
    if len(idx) != len(dims) or len(axes) != 1 or idx[axes[0]][0] != "slice" or idx[axes[0]][3]:
        return None
    entry, bounds = idx[axes[0]], iter(inc.inputs[2:])
    start = _constant(next(bounds)) if entry[1] else 0
    stop = _constant(next(bounds)) if entry[2] else None
    if start is None or (entry[2] and stop is None):
        return None
    start, stop = int(start), None if stop is None else int(stop)
    ref = y.owner.inputs[1].owner if y.owner is not None and isinstance(y.owner.op, SumToShape) else None
    if ref is not None and isinstance(ref.op, Subtensor) and ref.op.idx_list == idx \
            and list(ref.inputs[1:]) == list(inc.inputs[2:]):
        x = ref.inputs[0]  # y's shape is the slice's, as its SumToShape says
        if all(_is_dim(d, x, k) for k, d in enumerate(dims)):
            return x, axes[0], start, stop, y
        return None
    # with static sizes (a loop step compiled for its run-time shapes) the SumToShape is gone: the sizes tell
    sizes = [_constant(d) for d in dims]
    if None in sizes or start < 0 or stop is not None and not 0 <= start <= stop:
        return None
    sizes = [int(d) for d in sizes]
    sizes[axes[0]] = max(0, min(sizes[axes[0]], sizes[axes[0]] if stop is None else stop) - start)
    if tuple(sizes) != y.type.shape:
        return None
    return ("zeros", tuple(int(_constant(d)) for d in dims)), axes[0], start, stop, y  # equal zero buffers


def _add_terms(fgraph, node):
    """The terms of a chain of additions (the gradient sums one term at a time), through single-client adds."""
    terms = []
    for v in node.inputs:
        inner = v.owner
        if inner is not None and isinstance(inner.op, Elemwise) and inner.op.scalar_op.name == "add" \
                and len(fgraph.clients.get(v, [])) == 1:
            terms += _add_terms(fgraph, inner)
        else:
            terms.append(v)
    return terms


@register_local("specialize", Elemwise)
def local_sum_of_slice_grads_to_join(fgraph, node):
    # slices [0:a], [a:b], ..., [z:] of x's axis tile it: the sum of zero buffers each holding one slice is the join
    if node.op.scalar_op.name != "add":
        return None
    parts = [_slice_of(fgraph, v) for v in _add_terms(fgraph, node)]
    if any(p is None for p in parts) or len({(p[0], p[1]) for p in parts}) != 1:
        return None
    parts.sort(key=lambda p: p[2])
    at = 0
    for p in parts:
        if p[2] != at or p[3] is not None and p[3] <= at:
            return None
        at = p[3]
    if at is not None or node.outputs[0].dtype != parts[0][4].dtype:
        return None  # the last slice must run to the end of the axis
    return [join(parts[0][1], *[p[4] for p in parts])]


def _rebuild(node, op, inner_inputs, inner_outputs, n_seqs, n_nitsot, n_nonseqs, outer_inputs):
    """A Scan node like ``node`` with a new inner graph and layout (the rest of the props kept)."""
    inner = ScanInner(inner_inputs, inner_outputs, op.inner.fn_name)
    new_op = Scan(inner, n_seqs, op.state_taps, n_nitsot, op.n_shared, n_nonseqs, op.as_while,
                  op.truncate_gradient, op.name, op.mode, last_only=op.last_only)
    return new_op.make_node(*outer_inputs)


def _pushable(node, kind, seq_set):
    """Whether the inner ``node`` may run outside the loop: once (``kind`` 'inv', it reads only non-sequences) or
    over all steps at once (``kind`` 'seq': an elementwise op or ``dot(x_t, W)`` whose per-step sequence inputs
    have the output's rank, so the stacked outer version broadcasts the same way)."""
    if kind == "inv":
        return node.op.__class__.__name__ not in ("RandomVariable",)
    out = node.outputs[0]
    if isinstance(node.op, Elemwise):
        return all(x.ndim == out.ndim for x in node.inputs if x in seq_set)
    if isinstance(node.op, Dot):
        x, w = node.inputs
        return x in seq_set and w not in seq_set and x.ndim == 2 and w.ndim == 2
    return False


@register_global("specialize")
def local_scan_pushout(fgraph):
    # A value computed from non-sequences only is the same at every step: compute it once, before the loop. A
    # value computed elementwise (or as x_t . W) from sequences and non-sequences is, for all steps at once, the
    # same operation on the stacked sequences: one batched operation (one GEMM for x_t . W) instead of one per step.
    for node in [n for n in fgraph.toposort() if isinstance(n.op, Scan)]:
        op = node.op
        in_seqs, in_taps, in_shared, in_nonseqs = op.split_inner_inputs()
        _, seqs, inits, shared, nonseqs = op.split_outer(node.inputs)
        # sequences may be longer than the loop: the batched version reads only the rows the loop reads
        rows = [s[:node.inputs[0]] for s in seqs]
        outer_of = dict(zip(list(in_seqs) + list(in_nonseqs), rows + list(nonseqs)))
        kind = {v: "seq" for v in in_seqs}
        kind.update({v: "inv" for v in in_nonseqs})
        order = io_toposort(op.inner.inputs, op.inner.outputs)
        pushed, batched = set(), set()
        for n in order:
            kinds = {kind.get(x, "const" if isinstance(x, Constant) else "rec") for x in n.inputs}
            if "rec" in kinds or kinds <= {"const"} or len(n.outputs) != 1:
                continue
            k = "seq" if "seq" in kinds else "inv"
            if _pushable(n, k, {v for v, c in kind.items() if c == "seq"}):
                kind[n.outputs[0]] = k
                pushed.add(n.outputs[0])
                if isinstance(n.op, Dot) or any(x in batched for x in n.inputs):
                    batched.add(n.outputs[0])
        # push the values the loop still reads (the frontier), with everything they need. Elementwise work on
        # sequence rows alone (no batched product in it) that the loop reads stays there: it fuses with the
        # loop's own elementwise work, where batched it would be one more stacked temporary to allocate, write
        # and read back (a product that needs it computes it again, outside).
        readers = [n for n in order if not (n.outputs[0] in pushed if len(n.outputs) == 1 else False)]
        frontier = []
        for v in [x for n in readers for x in n.inputs]:
            if v in pushed and v not in frontier and not _only_adds_axes(v) \
                    and (kind[v] == "inv" or v in batched):
                frontier.append(v)
        for v in op.inner.outputs:
            if v in pushed and v not in frontier and not _only_adds_axes(v):
                frontier.append(v)
        if not frontier:
            continue
        outer_vals = _lift(frontier, outer_of)
        new_seq = [v for v in frontier if kind[v] == "seq"]
        new_inv = [v for v in frontier if kind[v] == "inv"]
        holders = {v: v.type.make_variable(f"{v.name or 'pushed'}_out") for v in frontier}
        outer_new = dict(zip(frontier, outer_vals))
        inner_outputs = clone_replace(list(op.inner.outputs), holders)
        inner_inputs = (list(in_seqs) + [holders[v] for v in new_seq] + [p for ps in in_taps for p in ps]
                        + list(in_shared) + list(in_nonseqs) + [holders[v] for v in new_inv])
        outer = ([node.inputs[0]] + list(seqs) + [outer_new[v] for v in new_seq] + list(inits) + list(shared)
                 + list(nonseqs) + [outer_new[v] for v in new_inv])
        new = _rebuild(node, op, inner_inputs, inner_outputs, op.n_seqs + len(new_seq), op.n_nitsot,
                       op.n_nonseqs + len(new_inv), outer)
        for j, (old, rep) in enumerate(zip(node.outputs, new.outputs)):
            v = op.inner.outputs[j] if j < len(op.inner.outputs) else None
            if op.n_states <= j < op.n_states + op.n_nitsot and v in new_seq and not op.as_while \
                    and old.type.is_super(outer_new[v].type):
                rep = outer_new[v]  # a per-step output that is now a batched value: no per-step copy
            if fgraph.clients.get(old):
                fgraph.replace(old, rep, reason="local_scan_pushout")


def _lift(outputs, memo):
    """``outputs`` rebuilt on the outer values in ``memo`` ({inner input: outer value}); ops re-infer their types
    (a sequence row becomes the stacked sequence)."""
    memo = dict(memo)
    for n in io_toposort(list(memo), outputs):
        inputs = [memo.get(x, x) for x in n.inputs]
        if isinstance(n.op, Dot):  # the Dot op takes matrices; dot() spells the stacked (steps, rows, k) product
            memo[n.outputs[0]] = dot(*inputs)
            continue
        new = n.clone_with_new_inputs(inputs, strict=False)
        memo.update(zip(n.outputs, new.outputs))
    return [memo[v] for v in outputs]


def _only_adds_axes(v):
    # adding broadcast dimensions costs nothing in the loop: pushing it out would only add an input. A transpose
    # is pushed out: the loop makes its non-sequences C-contiguous once, and a GEMM with a contiguous W.T is
    # faster than with a transposed view (50 against 74 us for 32x512 . 512x128 here).
    if v.owner is None or not isinstance(v.owner.op, DimShuffle):
        return False
    kept = [d for d in v.owner.op.new_order if d != "x"]
    return kept == sorted(kept)


def _shape_only(v, clients, outputs):
    """Whether the inner variable ``v`` is read only for its shape: as SumToShape's ``like``, by Shape/Shape_i,
    or through views (slices, shuffles) that are themselves read only for their shape."""
    if v in outputs:
        return False
    for n, i in clients.get(v, ()):
        if isinstance(n.op, SumToShape) and i == 1 or isinstance(n.op, (Shape, Shape_i)):
            continue
        if isinstance(n.op, (Subtensor, DimShuffle)) and i == 0 \
                and all(_shape_only(o, clients, outputs) for o in n.outputs):
            continue
        return False
    return True


def _size_of(v, d, depth=0):
    """``v.shape[d]`` read from the values that decide it (a constant, or sizes of the inputs of elementwise ops
    and slices that keep the dimension), so ``v`` itself need not be computed; None when only ``v`` tells."""
    if v.type.shape[d] is not None:
        return int(v.type.shape[d])
    node = v.owner
    if node is None or depth > 32:
        return None if depth == 0 else shape_i(v, d)
    if isinstance(node.op, Elemwise):  # broadcasting: the output has the largest input size
        sizes = [_size_of(x, d, depth + 1) for x in node.inputs if x.type.shape[d] != 1]
        if sizes and all(s is not None for s in sizes):
            return functools.reduce(maximum, sizes)
    elif isinstance(node.op, Subtensor) and all(isinstance(e, tuple) for e in node.op.idx_list) \
            and (d >= len(node.op.idx_list) or node.op.idx_list[d] == _FULL):
        return _size_of(node.inputs[0], d, depth + 1)
    elif isinstance(node.op, DimShuffle) and node.op.new_order[d] != "x":
        return _size_of(node.inputs[0], node.op.new_order[d], depth + 1)
    return None if depth == 0 else shape_i(v, d)


@register_global("specialize")
def local_scan_shape_only_sequences(fgraph):
    # Only the shape of such a sequence's row is read, and every row has the same shape: a zero row of that shape
    # (a non-sequence) answers every shape question the same way, and the stacked sequence need not be computed.
    for node in [n for n in fgraph.apply_nodes if isinstance(n.op, Scan)]:  # no graph walk without a Scan
        if node not in fgraph.apply_nodes:
            continue
        op = node.op
        in_seqs, in_taps, in_shared, in_nonseqs = op.split_inner_inputs()
        _, seqs, inits, shared, nonseqs = op.split_outer(node.inputs)
        clients = {}
        for n in io_toposort(op.inner.inputs, op.inner.outputs):
            for i, x in enumerate(n.inputs):
                clients.setdefault(x, []).append((n, i))
        outputs = set(op.inner.outputs)
        moved = {}
        for v, outer in zip(in_seqs, seqs):
            if v not in clients and v not in outputs:
                moved[v] = None  # not read at all: dropped
                continue
            if not _shape_only(v, clients, outputs):
                continue
            sizes = [_size_of(outer, d) for d in range(1, outer.ndim)]
            if all(s is not None for s in sizes):
                moved[v] = zeros(sizes, dtype=outer.dtype)
        if not moved:
            continue
        kept = [k for k, v in enumerate(in_seqs) if v not in moved]
        rows = {v: z for v, z in moved.items() if z is not None}
        inner_inputs = ([in_seqs[k] for k in kept] + [p for ps in in_taps for p in ps] + list(in_shared)
                        + list(in_nonseqs) + list(rows))
        outer = ([node.inputs[0]] + [seqs[k] for k in kept] + list(inits) + list(shared) + list(nonseqs)
                 + list(rows.values()))
        new = _rebuild(node, op, inner_inputs, op.inner.outputs, len(kept), op.n_nitsot,
                       op.n_nonseqs + len(rows), outer)
        for old, rep in zip(node.outputs, new.outputs):
            if fgraph.clients.get(old):
                fgraph.replace(old, rep, reason="local_scan_shape_only_sequences")


@register_global("specialize")
def local_scan_drop_unused_outputs(fgraph):
    # A nit-sot output nobody reads (the gradient of an input that is not differentiated, say) need not be
    # computed at all: the new inner graph without it drops its per-step work.
    for node in [n for n in fgraph.toposort() if isinstance(n.op, Scan)]:
        op = node.op
        ns, nn = op.n_states, op.n_nitsot
        unused = [j for j in range(nn) if not fgraph.clients.get(node.outputs[ns + j])]
        if not unused or op.as_while and len(unused) == nn and ns == 0:
            continue
        keep = [j for j in range(len(op.inner.outputs)) if j - ns not in unused or j < ns]
        new = _rebuild(node, op, op.inner.inputs, [op.inner.outputs[j] for j in keep], op.n_seqs, nn - len(unused),
                       op.n_nonseqs, node.inputs)
        kept_outer = [j for j in range(len(node.outputs)) if not (ns <= j < ns + nn and j - ns in unused)]
        for j, rep in zip(kept_outer, new.outputs):
            if fgraph.clients.get(node.outputs[j]):
                fgraph.replace(node.outputs[j], rep, reason="local_scan_drop_unused_outputs")


def _const_slice(node):
    """(axis, start, stop) when ``node`` is a Subtensor taking one constant slice (step 1) along one axis."""
    if type(node.op) is not Subtensor:
        return None
    idx = node.op.idx_list
    axes = [k for k, e in enumerate(idx) if e != _FULL]
    if len(axes) != 1 or not isinstance(idx[axes[0]], tuple) or idx[axes[0]][3]:
        return None
    entry, bounds = idx[axes[0]], iter(node.inputs[1:])
    start = _constant(next(bounds)) if entry[1] else 0
    stop = _constant(next(bounds)) if entry[2] else node.inputs[0].type.shape[axes[0]]
    if start is None or stop is None or not 0 <= int(start) <= int(stop):
        return None
    return axes[0], int(start), int(stop)


@register_global("specialize")
def local_elemwise_of_slices(fgraph):
    # f(a[:, s1]), f(a[:, s2]), ... for one unary elementwise f (an LSTM's sigmoid gates) equal the slices of
    # f(a[:, lo:hi]) over the span: one contiguous pass instead of one per strided slice, when the span wastes
    # little (at most a third more elements than the slices hold)
    groups = {}
    for node in fgraph.apply_nodes:
        if not isinstance(node.op, Elemwise) or len(node.inputs) != 1 or node.inputs[0].owner is None:
            continue
        sl = _const_slice(node.inputs[0].owner)
        if sl is not None and sl[1] < sl[2]:
            groups.setdefault((node.inputs[0].owner.inputs[0], node.op, sl[0]), []).append((sl[1], sl[2], node))
    for (a, op, axis), parts in groups.items():
        if len(parts) < 2 or not all(n in fgraph.apply_nodes for _, _, n in parts):
            continue
        lo, hi = min(p[0] for p in parts), max(p[1] for p in parts)
        if 3 * (hi - lo) > 4 * sum(p[1] - p[0] for p in parts):
            continue
        index = [slice(None)] * a.ndim
        index[axis] = slice(lo, hi)
        whole = op(a if lo == 0 and hi == a.type.shape[axis] else a[tuple(index)])
        for start, stop, node in sorted(parts, key=lambda p: p[0]):
            index[axis] = slice(start - lo, stop - lo)
            rep = whole[tuple(index)]
            if rep.type != node.outputs[0].type:
                if not node.outputs[0].type.is_super(rep.type):
                    rep = specify_shape(rep, node.outputs[0].type.shape)
            fgraph.replace(node.outputs[0], rep, reason="local_elemwise_of_slices")
