"""The run-time loop of a Scan: generated Python source specialised to one node's layout.

The inner step is compiled once; the loop calls its generated function directly, reads each step's inputs as
rows of preallocated buffers and writes each step's outputs into the next row, so a step costs the inner graph
plus a few indexing operations.

A loop's per-step matrix products are small (a batch of rows times a weight matrix), and OpenBLAS's worker threads
make such products several times slower on a busy machine (measured here: 32x128 @ 128x512 in 50 us with one
thread, 180 us with two under load). So unless ``config.blas_threads`` fixes the count, a CPU loop whose states
are small runs its steps with one BLAS thread and restores the count after; the batched products outside the loop
keep every thread.
"""
import numpy as np

from .. import config
from .native_loop import native_scan_loop

# A state row at most this many elements: the step's products are small enough to run best on one thread.
SMALL_STEP_ELEMENTS = 1 << 16

__all__ = ["make_loop", "make_shaped_loop"]

# At most this many run-time shape signatures get a step compiled for them; further ones run the generic step.
MAX_SHAPED_STEPS = 8


def make_shaped_loop(op, node, xp):
    """A thunk like ``make_loop``'s whose step is compiled for the run-time shapes of its inputs (a row of each
    sequence, each state's past values, each non-sequence; shared values keep their types), once per shape
    signature: the batch size a graph leaves unknown is known when the loop runs, and every step of one call
    sees the same shapes (the loop checks each state keeps its initial shape)."""
    n_seqs, n_states, n_shared = op.n_seqs, op.n_states, op.n_shared
    taps = [len(t) for t in op.state_taps]
    loops = {}

    def signature(inputs):
        shapes = [getattr(s, "shape", None) for s in inputs[:n_seqs]]
        shapes = [None if s is None or not s else s[1:] for s in shapes]
        for k in range(n_states):
            init = getattr(inputs[n_seqs + k], "shape", None)
            shapes += [None if not init else init[1:]] * taps[k]
        shapes += [None] * n_shared
        shapes += [getattr(c, "shape", None) for c in inputs[n_seqs + n_states + n_shared:]]
        return tuple(shapes)

    def shaped_loop(n_steps, *inputs):
        key = signature(inputs)
        loop = loops.get(key)
        if loop is None:
            if len(loops) < MAX_SHAPED_STEPS:
                step, compiled = op.inner.compiled_for(xp, op.mode, key)
            else:
                step, compiled = op.inner.compiled(xp, op.mode)
            loop = make_loop(op, node, step, xp)
            loop = loops[key] = native_scan_loop(op, node, compiled, loop, xp)  # the whole loop in C, when it can
        return loop(n_steps, *inputs)

    return shaped_loop


def make_loop(op, node, step, xp):
    """A thunk ``f(n_steps, *outer_inputs)`` running ``op``'s loop with the compiled ``step``."""
    where = f"scan {op.name or op.inner.fn_name!r}"
    ns = {"_step": step, "_empty": xp.empty, "_np": np, "_where": where, "_bad_shape": _bad_shape,
          "_bad_steps": _bad_steps, "_alloc_state": _alloc_state, "_copy": lambda v: xp.array(v, copy=True)}
    n_seqs, n_states, n_nitsot, n_shared = op.n_seqs, op.n_states, op.n_nitsot, op.n_shared
    seq_names = [f"s{k}" for k in range(n_seqs)]
    init_names = [f"i{k}" for k in range(n_states)]
    shared_names = [f"h{k}" for k in range(n_shared)]
    nonseq_names = [f"c{k}" for k in range(op.n_nonseqs)]
    lines = ["    n = int(n_steps)", "    if n < 0: _bad_steps(_where, n)"]
    # non-sequences are read at every step: a transposed weight is made C-contiguous once (faster GEMMs)
    ns["_contig"] = lambda c: c if getattr(c, "ndim", 0) < 2 or c.flags.c_contiguous else xp.ascontiguousarray(c)
    lines += [f"    {c} = _contig({c})" for c in nonseq_names]
    for k, s in enumerate(seq_names):
        lines.append(f"    if {s}.shape[0] < n: _bad_steps(_where, n, {k}, {s}.shape[0])")
    ring = op.last_only  # states kept in a ring of m rows: position p lives in row p % m
    for k, m in enumerate(op.mintaps):
        ns[f"_dt{k}"] = np.dtype(node.outputs[k].dtype)
        lines.append(f"    b{k} = _alloc_state(_empty, i{k}, {m}, 0 if {ring[k]} else n, _dt{k}, _where, {k})")
        lines.append(f"    _shp{k} = i{k}.shape[1:]")
    nit_out = node.outputs[n_states:n_states + n_nitsot]
    for j, out in enumerate(nit_out):
        ns[f"_ndt{j}"] = np.dtype(out.dtype)
        static = out.type.shape[1:]
        lines.append(f"    y{j} = None")
        if None not in static:  # known shape: allocate now (also serves zero-step loops)
            lines.append(f"    y{j} = _empty((n,) + {tuple(static)!r}, dtype=_ndt{j}); _yshp{j} = {tuple(static)!r}")
        else:
            lines.append(f"    if n == 0: _bad_steps(_where, 0)")
    # the step's argument list: sequence rows, state taps, shared values, non-sequences
    # A row of a 1-d buffer is read as ``b[t, ...]``: a 0-d array, which the step accepts as is (``b[t]`` would be
    # a NumPy scalar, sent through the step's slow input conversion).
    in_seqs, in_taps, _, _ = op.split_inner_inputs()
    args = [f"{s}[t, ...]" if v.ndim == 0 else f"{s}[t]" for s, v in zip(seq_names, in_seqs)]
    for k, (taps, m) in enumerate(zip(op.state_taps, op.mintaps)):
        args += [_row(k, m, m + tap, ring[k], in_taps[k][0].ndim == 0) for tap in taps]
    args += shared_names + nonseq_names
    outs = [f"o{k}" for k in range(len(op.inner.outputs))]
    body = [f"        {', '.join(outs)}, = _step({', '.join(args)})"]
    for k, m in enumerate(op.mintaps):
        body.append(f"        if o{k}.shape != _shp{k}: _bad_shape(_where, 'state', {k}, _shp{k}, o{k}.shape)")
        body.append(f"        {_row(k, m, m, ring[k])} = o{k}")
    for j in range(n_nitsot):
        o = f"o{n_states + j}"
        if None in nit_out[j].type.shape[1:]:
            body.append(f"        if y{j} is None: y{j} = _empty((n,) + {o}.shape, dtype=_ndt{j}); "
                        f"_yshp{j} = {o}.shape")
        body.append(f"        if {o}.shape != _yshp{j}: "
                    f"_bad_shape(_where, 'output', {n_states + j}, _yshp{j}, {o}.shape)")
        body.append(f"        y{j}[t] = {o}")
    for k in range(n_shared):
        body.append(f"        h{k} = o{n_states + n_nitsot + k}")
    lines.append("    done = n")
    if op.as_while:
        body += [f"        if o{len(outs) - 1}:", "            done = t + 1", "            break"]
    if not xp.is_gpu and config.blas_threads == "auto" and n_states > 0:
        from ..backends.blas import get_blas_threads, set_blas_threads

        ns.update(_get_threads=get_blas_threads, _set_threads=set_blas_threads, _small=SMALL_STEP_ELEMENTS)
        sizes = " + ".join(f"i{k}[0].size" for k in range(n_states))
        lines.append(f"    _threads = _get_threads() if n > 1 and {sizes} <= _small else None")
        lines.append("    if _threads is not None and _threads > 1: _set_threads(1)")
        lines.append("    try:")
        lines.append("        for t in range(n):")
        lines += ["    " + b for b in body]
        lines.append("    finally:")
        lines.append("        if _threads is not None and _threads > 1: _set_threads(_threads)")
    else:
        lines.append("    for t in range(n):")
        lines += body
    if op.as_while:
        for k, m in enumerate(op.mintaps):
            if not ring[k]:
                lines.append(f"    b{k} = b{k}[:{m} + done]")
        for j in range(n_nitsot):
            lines.append(f"    y{j} = y{j}[:done]")
    for k, m in enumerate(op.mintaps):
        if ring[k] and m > 1:  # oldest first, as the last m rows of the full buffer would be
            ns["_concat"] = xp.concatenate
            lines.append(f"    b{k} = _concat([b{k}[done % {m}:], b{k}[:done % {m}]])")
    if n_shared:
        lines.append("    if n == 0:")
        lines += [f"        h{k} = _copy(h{k})" for k in range(n_shared)]
    results = [f"b{k}" for k in range(n_states)] + [f"y{j}" for j in range(n_nitsot)] + shared_names
    if len(results) == 1:
        lines.append(f"    return {results[0]}")
    else:
        lines.append(f"    return ({', '.join(results)},)")
    params = ["n_steps"] + seq_names + init_names + shared_names + nonseq_names
    source = f"def scan_loop({', '.join(params)}):\n" + "\n".join(lines) + "\n"
    exec(compile(source, f"<{where} loop>", "exec"), ns)
    fn = ns["scan_loop"]
    fn.source = source
    return fn


def _row(k, m, offset, ring, scalar=False):
    """The source of state k's row at position t + offset (a ring buffer row, or a full-buffer row)."""
    row = f"t + {offset}" if not ring else "0" if m == 1 else f"(t + {offset}) % {m}"
    return f"b{k}[{row}, ...]" if scalar else f"b{k}[{row}]"


def _alloc_state(empty, init, m, n, dtype, where, k):
    if init.shape[0] != m:
        raise ValueError(f"{where}: initial state {k} must have {m} rows (one per past step its taps read), "
                         f"received shape {tuple(init.shape)}")
    buf = empty((m + n,) + tuple(init.shape[1:]), dtype=dtype)
    buf[:m] = init
    return buf


def _bad_shape(where, kind, k, expected, received):
    raise ValueError(f"{where}: step {kind} {k} has shape {tuple(received)}, expected {tuple(expected)} (the shape "
                     f"of its initial value or of the first step's result)")


def _bad_steps(where, n, seq=None, length=None):
    if seq is not None:
        raise ValueError(f"{where}: asked for {n} steps but sequence {seq} has only {length} rows")
    if n < 0:
        raise ValueError(f"{where}: asked to run a negative number of steps ({n}), which Theano's scan rejects "
                         f"as well; use go_backwards=True to loop in reverse")
    raise ValueError(f"{where}: zero steps, and an output's per-step shape is not known without running one "
                     f"step (give the output a static shape, or run at least one step)")
