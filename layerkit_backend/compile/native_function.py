"""Whole functions in C: one ctypes call computes every output and update of a call.

When every node of a function's rewritten graph has a C form (backends/native/program.py), the graph becomes one
static program per input-shape signature: the first call's (the shapes a training loop keeps from batch to batch),
then each new one (a last, smaller batch), each built before the first call with its shapes is computed
(compile/tiers.py keeps up to ``MAX_PROGRAMS``, the least recently used rebuilt from the compile cache when their
shapes come back). The call path is then: the usual input checks, one C call (which checks every operand's type,
dtype, shape and layout before it writes anything, and whether an in-place update's buffer overlaps another
input), the updates, the return. A call with another layout (a transposed input) runs the per-node tier, and so
does one a program declines at run time (an index out of bounds: the per-node tier raises the error). The path a
call takes therefore depends only on its shapes and layouts, never on the calls before it: a model restored from
a file computes bit for bit what the original computes. Nodes that overwrite a shared variable in place
(``GemmUpdate``) run last inside the program, after every output was taken, as the linker orders them.
"""
import hashlib

import numpy as np

from ..backends.native import NoCForm, StaticProgram, build_library
from ..backends.native.runtime import DTYPE_CODES
from ..backends.scalar_c import CTYPES
from ..tensor.type import TensorType
from .interrupts import enter_commit, exit_commit
from .linker import _destroyed, _input_check, alias_root, return_line

__all__ = ["whole_function", "MAX_PROGRAMS"]

MAX_PROGRAMS = 8
# A program replaces per-node dispatch (~1-3 us a node) at the price of one compile (~70-100 ms of gcc with an empty
# cache): below this many computing nodes the per-node tier is kept (it is C for those nodes already), which spares
# small functions (a model's metric, a gradient check) a compile that would take longer than they run.
MIN_NODES = 8

_C_CONTIGUOUS, _WRITEABLE = 0x0001, 0x0400


def whole_function(function, input_shapes, general, other):
    """The call path running ``function`` as one C call for ``input_shapes`` (user inputs, then shared values).
    A call the program was not built for goes to ``other(program, *inputs)`` (which may know a program for its
    shapes), a call it declines at run time (an index out of bounds) to ``general`` (the per-node tier, which
    raises the error). Raises NoCForm when a node has no C form."""
    fgraph = function.maker.fgraph
    if function._xp.is_gpu or any(not isinstance(v.type, TensorType) or v.type.dtype not in CTYPES
                                  for v in list(fgraph.inputs) + list(fgraph.outputs)):
        raise NoCForm("an input or output is not a tensor with a C type", structural=True)
    order = function._order
    if sum(1 for n in order if not n.op.view_map) < MIN_NODES:
        raise NoCForm(f"fewer than {MIN_NODES} computing nodes: the per-node tier serves them", structural=True)
    memo = {}
    inputs = set(fgraph.inputs)
    final = sum(1 for n in order if any(alias_root(n.inputs[i], memo) in inputs for i in _destroyed(n)))
    program = StaticProgram("LK_PROG", fgraph.inputs, fgraph.outputs, order, input_shapes=input_shapes,
                            final=final)
    n_out = len(fgraph.outputs) - len(function._update_shared)
    if any(k < n_out or j < function._n_inputs for k, j in program.aliases.items()):
        raise NoCForm("an output is a buffer updated in place, or a caller's array is")
    out_shapes = [program.shape(v) for v in fgraph.outputs]
    source = _entry_source(program, fgraph, input_shapes, out_shapes)
    name = "lk_f" + hashlib.sha1(source.encode()).hexdigest()[:16]
    source = source.replace("LK_PROG", name + "_body").replace("LK_ENTRY", name)
    library = build_library(source)
    n_args = len(fgraph.outputs) - len(program.aliases) + len(fgraph.inputs)
    kernel = library.function(name, n_args)
    return _call_path(function, program, out_shapes, n_out, kernel, library, general, other), source


def _entry_source(program, fgraph, input_shapes, out_shapes):
    """``int LK_ENTRY(outputs not updated in place..., inputs...)``: checks, then the program."""
    aliases = program.aliases
    outs = [k for k in range(len(fgraph.outputs)) if k not in aliases]
    params = [f"lk_array *o{k}" for k in outs] + [f"lk_array *a{j}" for j in range(len(fgraph.inputs))]
    lines = [program.source(), f"int LK_ENTRY({', '.join(params)}) {{"]
    operands = [(f"o{k}", fgraph.outputs[k].dtype, out_shapes[k], True) for k in outs]
    destroyed = set(aliases.values())
    operands += [(f"a{j}", v.dtype, tuple(input_shapes[j]), j in destroyed) for j, v in enumerate(fgraph.inputs)]
    for name, dtype, shape, written in operands:
        cond = [f"!lk_rt.check({name}, {DTYPE_CODES[dtype]}, {len(shape)})", f"!({name}->flags & {_C_CONTIGUOUS})"]
        cond += [f"{name}->dims[{d}] != {s}" for d, s in enumerate(shape)]
        if written:
            cond.append(f"!({name}->flags & {_WRITEABLE})")
        lines.append(f"    if ({' || '.join(cond)}) return 1;")
    # an input updated in place must not share memory with another input (the caller passed the shared array)
    nbytes = [int(np.prod(s, dtype=np.int64)) * np.dtype(v.dtype).itemsize
              for s, v in zip(input_shapes, fgraph.inputs)]
    for d in sorted(destroyed):
        for j in range(len(fgraph.inputs)):
            if j != d and nbytes[j] and nbytes[d]:
                lines.append(f"    if (a{j}->data < a{d}->data + {nbytes[d]} && a{d}->data < a{j}->data + {nbytes[j]}) "
                             f"return 1;")
    n_in, n_out = len(fgraph.inputs), len(fgraph.outputs)
    lines.append(f"    char *in[{max(n_in, 1)}], *out[{max(n_out, 1)}];")
    lines += [f"    in[{j}] = a{j}->data;" for j in range(n_in)]
    lines += [f"    out[{k}] = o{k}->data;" for k in outs]
    lines += [f"    out[{k}] = a{j}->data;" for k, j in aliases.items()]
    total = program.scratch_bytes
    lines.append(f"    char *scr = {f'(char *)aligned_alloc(64, {total})' if total else '0'};")
    if total:
        lines.append("    if (!scr) return 1;")
    lines.append("    int failed = LK_PROG(in, out, scr);")
    if total:
        lines.append("    free(scr);")
    lines += ["    return failed ? 2 : 0;", "}"]
    return "#include <stdlib.h>\n" + "\n".join(lines) + "\n"


def _call_path(function, program, out_shapes, n_out, kernel, library, general, other):
    """The generated Python call path around the C call (input checks and updates as the linker writes them)."""
    fgraph = function.maker.fgraph
    n_inputs = function._n_inputs
    aliases = program.aliases
    ns = {"_ndarray": np.ndarray, "_empty": np.empty, "_contiguous": np.ascontiguousarray, "_kernel": kernel,
          "_library": library, "_general": general, "_other": other, "_enter_commit": enter_commit,
          "_exit_commit": exit_commit}
    args = [f"i{k}" for k in range(n_inputs)]
    lines = []
    for k, var in enumerate(fgraph.inputs[:n_inputs]):
        ns[f"_filter{k}"] = function._specs[k].make_filter(function._xp)
        ns[f"_dt{k}"] = np.dtype(var.type.dtype)
        lines.append(_input_check(k, var))
        if var.type.ndim:  # any layout gets this program (and its bits), not only C order
            lines.append(f"    if not i{k}.flags.c_contiguous: i{k} = _contiguous(i{k})")
    shared = [f"s{k}" for k in range(len(fgraph.inputs) - n_inputs)]
    for k, cont in enumerate(function._shared_containers):
        ns[f"_c{k}"] = cont
        lines.append(f"    s{k} = _c{k}.value")
    outs = []
    for k, var in enumerate(fgraph.outputs):
        if k in aliases:
            continue
        ns[f"_odt{k}"] = np.dtype(var.type.dtype)
        lines.append(f"    o{k} = _empty({tuple(out_shapes[k])!r}, _odt{k})")
        outs.append(f"o{k}")
    call = f"_kernel({', '.join(outs + args + shared)})"
    fallback = [
        "    if failed:  # 1: other shapes or layouts (another program may fit); 2: a run-time error (nothing written)",
        f"        return _other(_program, {', '.join(args)}) if failed == 1 else _general({', '.join(args)})"]
    update_containers = function._link_args[4]
    if update_containers:
        # the C call already writes the in-place updates: it is part of the commit, so that a Ctrl-C arriving
        # between its return and the other updates waits for their end (compile/interrupts.py)
        lines += ["    _enter_commit()", "    try:", f"        failed = {call}", "        if not failed:"]
        for u, cont in enumerate(update_containers):
            ns[f"_u{u}"] = cont
            k = n_out + u
            value = f"s{aliases[k] - n_inputs}" if k in aliases else f"o{k}"
            lines.append(f"            _u{u}.value = {value}")
        lines += ["    finally:", "        _exit_commit()"] + fallback
    else:
        lines += [f"    failed = {call}"] + fallback
    lines.append(return_line([f"o{k}" for k in range(n_out)], function._output_format, ns))
    source = f"def native_function({', '.join(args)}):\n" + "\n".join(lines) + "\n"
    exec(compile(source, "<layerkit_backend native function>", "exec"), ns)
    fn = ns["_program"] = ns["native_function"]
    fn.python_source = source
    return fn
