"""The native scan loop: the whole loop of a Scan in C, for one shape signature of its step.

When the step compiled for the loop's shapes (op.py, ``compiled_for``) has a C form for every node
(backends/native/program.py), the loop becomes one C function: per step it points the step's inputs at the rows of
the sequences and of the state buffers, runs the step program, and writes the new states and per-step outputs
into their rows; the step's intermediates live in one scratch block allocated once per call. The Python side
allocates the outer buffers as the NumPy loop does (loop.py), calls C once, and falls back to the NumPy loop for
anything the C loop was not built for (other dtypes or shapes, too few rows: the NumPy loop then raises its usual
errors). Loops with shared-variable states (random streams) or a stopping condition stay in Python.

In ``linker=auto`` the C loop compiles on the background compile thread (compile/tiers.py) while the NumPy loop
serves calls, and takes over between two calls.
"""
import hashlib

import numpy as np

from .. import config
from ..backends.native import NoCForm, StaticProgram, build_library
from ..backends.native.runtime import DTYPE_CODES
from ..backends.scalar_c import CTYPES

__all__ = ["native_scan_loop"]

_C_CONTIGUOUS, _WRITEABLE = 0x0001, 0x0400


def native_scan_loop(op, node, step_function, numpy_loop, xp):
    """A thunk for ``op``'s loop that the native tier takes over when its C is loaded; ``numpy_loop`` until then
    (and for calls the C loop was not built for)."""
    if config.linker == "numpy" or xp.is_gpu or op.as_while or op.n_shared or step_function._nan_guard:
        return numpy_loop
    from ..compile.tiers import STATS, schedule

    current = [numpy_loop]

    def work():
        loop = _build(op, node, step_function, numpy_loop)
        current[0] = loop
        STATS["native"] += 1

    schedule(lambda: f"scan {op.name or op.inner.fn_name!r}", work)

    def tiered_loop(n_steps, *inputs):
        return current[0](n_steps, *inputs)

    tiered_loop.current = current
    return tiered_loop


def _shape(v):
    shape = getattr(v.type, "shape", None)
    if shape is None or None in shape or v.type.dtype not in CTYPES:
        raise NoCForm(f"step input {v} has no static shape ({v.type})")
    return tuple(int(s) for s in shape)


def _build(op, node, step_function, numpy_loop):
    fgraph = step_function.maker.fgraph
    inner_in = fgraph.inputs
    if len(inner_in) != len(op.inner.inputs):
        raise NoCForm("the step reads shared variables")
    n_seqs, n_states, n_nitsot = op.n_seqs, op.n_states, op.n_nitsot
    taps = [len(t) for t in op.state_taps]
    program = StaticProgram("LK_STEP", inner_in, fgraph.outputs, step_function._order)
    in_shapes = [_shape(v) for v in inner_in]
    out_shapes = [_shape(v) for v in fgraph.outputs]
    # outer operands: sequences, state buffers, nit-sot buffers, non-sequences (one shape per step row)
    seq_rows = in_shapes[:n_seqs]
    tap_start = [n_seqs + sum(taps[:k]) for k in range(n_states)]
    state_rows = [in_shapes[tap_start[k]] for k in range(n_states)]
    for k in range(n_states):
        if out_shapes[k] != state_rows[k] or fgraph.outputs[k].dtype != node.outputs[k].dtype:
            raise NoCForm(f"state {k} changes shape or dtype")
    nit_rows = out_shapes[n_states:n_states + n_nitsot]
    nonseq_shapes = in_shapes[n_seqs + sum(taps):]
    dtypes = ([v.dtype for v in inner_in[:n_seqs]] + [node.outputs[k].dtype for k in range(n_states)] +
              [node.outputs[n_states + j].dtype for j in range(n_nitsot)] +
              [v.dtype for v in inner_in[n_seqs + sum(taps):]])
    rows = [(True,) + r for r in seq_rows] + [(True,) + r for r in state_rows] + [(True,) + r for r in nit_rows] + \
        [(False,) + s for s in nonseq_shapes]
    source = _loop_source(op, program, rows, dtypes, tap_start, taps)
    name = "lk_s" + hashlib.sha1(source.encode()).hexdigest()[:16]
    source = source.replace("LK_STEP", name + "_step").replace("LK_LOOP", name)
    lib = build_library(source)
    kernel = lib.function(name, 0)
    import ctypes

    kernel.argtypes = [ctypes.c_ssize_t] + [ctypes.py_object] * len(rows)
    return _python_loop(op, kernel, seq_rows, state_rows, nit_rows, nonseq_shapes, dtypes, numpy_loop, source, lib)


def _loop_source(op, program, rows, dtypes, tap_start, taps):
    n_seqs, n_states, n_nitsot = op.n_seqs, op.n_states, op.n_nitsot
    ring = op.last_only
    nops = len(rows)
    lines = [program.source(), f"int LK_LOOP(intptr_t n, {', '.join(f'lk_array *a{k}' for k in range(nops))}) {{",
             f"    lk_array *ops[{nops}] = {{{', '.join(f'a{k}' for k in range(nops))}}};"]
    # every operand: an ndarray of the expected dtype, C-contiguous, of the expected shape (leading rows: at least
    # what the loop reads or writes)
    for k, (per_step, *shape) in enumerate(rows):
        nd = len(shape) + (1 if per_step else 0)
        dims = [f"ops[{k}]->dims[{d + (1 if per_step else 0)}] != {s}" for d, s in enumerate(shape)]
        cond = [f"!lk_rt.check(ops[{k}], {DTYPE_CODES[dtypes[k]]}, {nd})", f"!(ops[{k}]->flags & {_C_CONTIGUOUS})"]
        lines.append(f"    if ({' || '.join(cond + dims)}) return 1;")
    first_out = n_seqs
    last_out = n_seqs + n_states + n_nitsot
    for k in range(first_out, last_out):
        lines.append(f"    if (!(ops[{k}]->flags & {_WRITEABLE})) return 1;")
    row_bytes = [int(np.prod(shape, dtype=np.int64)) * np.dtype(dtypes[k]).itemsize for k, (_, *shape) in
                 enumerate(rows)]
    m = op.mintaps
    for k in range(n_seqs):
        lines.append(f"    if (ops[{k}]->dims[0] < n) return 1;")
    for k in range(n_states):
        need = f"{m[k]}" if ring[k] else f"{m[k]} + n"
        lines.append(f"    if (ops[{n_seqs + k}]->dims[0] != {need}) return 1;")
    for j in range(n_nitsot):
        lines.append(f"    if (ops[{n_seqs + n_states + j}]->dims[0] != n) return 1;")
    n_in, n_out = len(program.inputs), len(program.outputs)
    lines.append(f"    char *in[{max(n_in, 1)}], *out[{max(n_out, 1)}];")
    stage = sum((row_bytes[n_seqs + k] + 63) // 64 * 64 for k in range(n_states) if ring[k])
    total = program.scratch_bytes + stage
    lines.append(f"    char *scr = {f'(char *)aligned_alloc(64, {total})' if total else '0'};")
    if total:
        lines.append("    if (!scr) return 1;")
    # non-sequences: fixed pointers
    for j in range(len(rows) - last_out):
        lines.append(f"    in[{n_in - (len(rows) - last_out) + j}] = ops[{last_out + j}]->data;")
    lines.append("    for (intptr_t t = 0; t < n; t++) {")
    for k in range(n_seqs):
        lines.append(f"        in[{k}] = ops[{k}]->data + t * {row_bytes[k]};")
    stage_off = program.scratch_bytes
    stage_of = {}
    for k in range(n_states):
        b = n_seqs + k
        for j, tap in enumerate(op.state_taps[k]):
            pos = f"t + {m[k] + tap}"
            row = f"({pos}) % {m[k]}" if ring[k] and m[k] > 1 else "0" if ring[k] else pos
            lines.append(f"        in[{tap_start[k] + j}] = ops[{b}]->data + ({row}) * {row_bytes[b]};")
        if ring[k]:
            stage_of[k] = stage_off
            lines.append(f"        out[{k}] = scr + {stage_off};")
            stage_off += (row_bytes[b] + 63) // 64 * 64
        else:
            lines.append(f"        out[{k}] = ops[{b}]->data + (t + {m[k]}) * {row_bytes[b]};")
    for j in range(n_nitsot):
        b = n_seqs + n_states + j
        lines.append(f"        out[{n_states + j}] = ops[{b}]->data + t * {row_bytes[b]};")
    lines.append("        LK_STEP(in, out, scr);")
    for k, off in stage_of.items():  # after the step has read its taps: the new row replaces the oldest
        b = n_seqs + k
        row = f"(t + {m[k]}) % {m[k]}" if m[k] > 1 else "0"
        lines.append(f"        memcpy(ops[{b}]->data + ({row}) * {row_bytes[b]}, scr + {off}, {row_bytes[b]});")
    lines.append("    }")
    if total:
        lines.append("    free(scr);")
    lines += ["    return 0;", "}"]
    return "#include <stdlib.h>\n" + "\n".join(lines) + "\n"


def _python_loop(op, kernel, seq_rows, state_rows, nit_rows, nonseq_shapes, dtypes, numpy_loop, source, library):
    """The Python side of the C loop: the outer buffers as loop.py makes them, one C call, the NumPy loop for
    anything else."""
    from ..backends.blas import get_blas_threads, set_blas_threads
    from .loop import SMALL_STEP_ELEMENTS

    n_seqs, n_states, n_nitsot = op.n_seqs, op.n_states, op.n_nitsot
    m, ring = op.mintaps, op.last_only
    state_dt = [np.dtype(d) for d in dtypes[n_seqs:n_seqs + n_states]]
    nit_dt = [np.dtype(d) for d in dtypes[n_seqs + n_states:n_seqs + n_states + n_nitsot]]
    small = config.blas_threads == "auto" and sum(int(np.prod(r)) for r in state_rows) <= SMALL_STEP_ELEMENTS
    contiguous = np.ascontiguousarray

    def c_loop(n_steps, *inputs):
        n = int(n_steps)
        seqs = inputs[:n_seqs]
        inits = inputs[n_seqs:n_seqs + n_states]
        nonseqs = inputs[n_seqs + n_states:]
        if n < 1 or any(getattr(s, "shape", ())[:1] < (n,) for s in seqs) or \
                any(getattr(i, "shape", None) != (m[k],) + state_rows[k] for k, i in enumerate(inits)):
            return numpy_loop(n_steps, *inputs)
        bufs = []
        for k, init in enumerate(inits):
            b = np.empty((m[k] + (0 if ring[k] else n),) + state_rows[k], dtype=state_dt[k])
            b[:m[k]] = init
            bufs.append(b)
        ys = [np.empty((n,) + nit_rows[j], dtype=nit_dt[j]) for j in range(n_nitsot)]
        arrays = [contiguous(s) for s in seqs] + bufs + ys + [contiguous(c) for c in nonseqs]
        threads = get_blas_threads() if small and n > 1 else None
        if threads is not None and threads > 1:
            set_blas_threads(1)
        try:
            failed = kernel(n, *arrays)
        finally:
            if threads is not None and threads > 1:
                set_blas_threads(threads)
        if failed:
            return numpy_loop(n_steps, *inputs)
        for k in range(n_states):
            if ring[k] and m[k] > 1:  # oldest first, as the last m rows of the full buffer would be
                bufs[k] = np.concatenate([bufs[k][n % m[k]:], bufs[k][:n % m[k]]])
        results = bufs + ys
        return results[0] if len(results) == 1 else tuple(results)

    c_loop.source = source
    c_loop.library = library  # loaded while the loop lives
    return c_loop
