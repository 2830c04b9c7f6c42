"""Elementwise fusion: a tree of Elemwise nodes becomes one Elemwise(Composite) with a generated kernel.

Why it pays off with NumPy underneath: the kernel allocates one buffer and runs every further step in place in it
(``ufunc(a, b, out=buf)``), and for large arrays it walks the data in cache-sized blocks, so a chain of 20 ops
reads memory once instead of 20 times. On a GPU the group becomes one generated CUDA kernel instead
(backends/cuda_codegen.py, from the ``cuda`` column of the scalar op table), or runs this source on CuPy when a step
has no CUDA expression.

Which intermediate may be overwritten: a step whose inputs reach every non-scalar input of the group surely has the
full output shape (NumPy broadcasting), so a later step may write into it once nothing else reads it.
"""
import numpy as np

from ..bounded_cache import BoundedCache
from ..graph.basic import Apply, Constant
from ..tensor.elemwise import Elemwise, broadcast_shapes_static
from ..tensor.scalar import Composite
from ..tensor.type import TensorType
from .engine import _fit_type, register_global

__all__ = ["fuse_elemwise", "composite_source", "compile_composite", "BLOCK"]

# Elements per block in the blocked path. Measured on the 2-core Zen 5 box: 16K-element blocks lost to the ~1-2 us
# Python cost of each ufunc call; 128K (512 KB of float32, inside L2) beat both smaller blocks and no blocking.
BLOCK = 131072
_BLOCKED_MIN_SIZE = 4 * BLOCK


def _fusable(node):
    op = node.op
    return (isinstance(op, Elemwise) and not op.inplace_pattern and len(node.outputs) == 1
            and not isinstance(op.scalar_op, Composite))


def _embeddable(var):
    return isinstance(var, Constant) and var.data.size == 1 and all(s == 1 for s in var.type.shape)


@register_global("fusion")
def fuse_elemwise(fgraph):
    """Replace each maximal tree of single-client Elemwise nodes with one fused node."""
    outputs = set(fgraph.outputs)
    position = {node: i for i, node in enumerate(fgraph.toposort())}
    for root in sorted(position, key=position.get, reverse=True):
        if root not in fgraph.apply_nodes or not _fusable(root):
            continue
        group = _collect(fgraph, root, outputs)
        if len(group) < 2:
            continue
        steps, externals = _describe(sorted(group, key=position.get), group)
        if not externals:
            continue  # only constants: constant folding's job (or nothing's, if it is excluded)
        composite = _make_composite(steps, externals, root.outputs[0].ndim)
        shape = broadcast_shapes_static([v.type.shape for v in externals], "fusion")
        new = Apply(Elemwise(composite), externals, [TensorType(root.outputs[0].dtype, shape)()])
        new.tag.trace = root.tag.trace
        fgraph.replace(root.outputs[0], _fit_type(new.outputs[0], root.outputs[0], "fuse_elemwise"),
                       reason="fuse_elemwise")


def _collect(fgraph, root, outputs):
    """The nodes fusable into ``root``: Elemwise producers all of whose clients are already in the group."""
    group = {root}
    frontier = list(root.inputs)
    progress = True
    while progress:
        progress, retry = False, []
        for v in frontier:
            node = v.owner
            if node is None or node in group or not _fusable(node) or v in outputs:
                continue
            if all(client != "output" and client in group for client, _ in fgraph.clients.get(v, [])):
                group.add(node)
                retry.extend(node.inputs)
                progress = True
            else:
                retry.append(v)  # another client may join the group later
        frontier = retry
    return group


def _describe(nodes, group):
    """Steps as (scalar_op, refs) and the list of external input Variables, in first-use order."""
    index = {}
    externals = []
    steps = []
    for k, node in enumerate(nodes):
        refs = []
        for v in node.inputs:
            if v.owner in group:
                refs.append(("step", index[v.owner]))
            elif _embeddable(v):
                refs.append(("const", v.data.item(), v.dtype))
            else:
                if v not in externals:
                    externals.append(v)
                refs.append(("in", externals.index(v)))
        index[node] = k
        steps.append((node.op.scalar_op, tuple(refs)))
    return tuple(steps), externals


def _make_composite(steps, externals, ndim):
    if ndim == 0:  # array modules return 0-d results as scalars, which cannot be written into
        return Composite(steps, [v.dtype for v in externals], _step_dtypes(steps, externals), (), (), ())
    big = {k for k, v in enumerate(externals) if not all(s == 1 for s in v.type.shape)}
    reach = []
    for op, refs in steps:
        r = set()
        for ref in refs:
            if ref[0] == "in":
                r.add(ref[1])
            elif ref[0] == "step":
                r |= reach[ref[1]]
        reach.append(r & big)
    full = [k for k, r in enumerate(reach) if r == big]
    block_full = [k for k, r in enumerate(reach) if r]  # in the blocked path every big input has one shape
    return Composite(steps, [v.dtype for v in externals], _step_dtypes(steps, externals), full, block_full, big)


def _step_dtypes(steps, externals):
    dtypes = []
    for op, refs in steps:
        ins = [externals[r[1]].dtype if r[0] == "in" else dtypes[r[1]] if r[0] == "step" else r[2] for r in refs]
        dtypes.append(op.output_dtype(*ins))
    return tuple(dtypes)


# -- kernel generation --------------------------------------------------------------------------------------------
def composite_source(comp):
    """The Python source of ``comp``'s kernel (names f<k> are the steps' callables, k<k>_<j> embedded constants).

    With big inputs of one shape, all C-contiguous, and at least ``_BLOCKED_MIN_SIZE`` elements, the kernel runs
    ``_blocked``: the same steps over flat blocks of ``BLOCK`` elements, so the intermediates stay in cache.
    """
    nin = comp.nin
    args = ", ".join(f"i{k}" for k in range(nin))
    lines = []
    big = sorted(comp.big_inputs)
    if big:
        first = f"i{big[0]}"
        same = " and ".join(f"i{k}.shape == {first}.shape and i{k}.flags.c_contiguous" for k in big)
        lines.append(f"    if {first}.size >= {_BLOCKED_MIN_SIZE} and {same} and (out is None or "
                     f"out.flags.c_contiguous):")
        lines.append(f"        return _blocked({args}, out=out)")
    lines += _body(comp, "    ", None, {k: f"i{k}" for k in range(nin)}, blocked=False)
    source = f"def kernel({args}, out=None):\n" + "\n".join(lines) + "\n"
    if big:
        flat = [f"    b{k} = i{k}.reshape(-1)" if k in comp.big_inputs else f"    b{k} = i{k}.reshape(())"
                for k in range(nin)]
        names = {k: f"b{k}[a:a + BLOCK]" if k in comp.big_inputs else f"b{k}" for k in range(nin)}
        block = _body(comp, "        ", "r[a:a + BLOCK]", names, blocked=True)
        source += (f"\n\ndef _blocked({args}, out=None):\n"
                   f"    res = _empty({first}.shape, dtype=_out_dtype) if out is None else out\n"
                   f"    r = res.reshape(-1)\n" + "\n".join(flat) + "\n"
                   f"    for a in range(0, r.size, BLOCK):\n" + "\n".join(block) + "\n"
                   f"    return res\n")
    return source


def _body(comp, indent, out_expr, names, blocked):
    """Lines computing the steps; results go into dead full-shape buffers where possible.

    In the blocked path the last step writes into ``out_expr`` (a block of the result); otherwise the kernel
    returns the last step's buffer, or writes into ``out`` when the caller gave one.
    """
    full = comp.block_full_steps if blocked else comp.full_steps
    last_read = {}
    for k, (_, refs) in enumerate(comp.steps):
        for ref in refs:
            if ref[0] == "step":
                last_read[ref[1]] = k
    lines, buffer_of = [], {}
    last = len(comp.steps) - 1
    for k, (op, refs) in enumerate(comp.steps):
        args = [names[r[1]] if r[0] == "in" else buffer_of[r[1]] if r[0] == "step" else f"k{k}_{j}"
                for j, r in enumerate(refs)]
        call = f"f{k}({', '.join(args)}"
        if k == last and blocked:
            lines.append(f"{indent}{call}, out={out_expr})")
            break
        if k == last:
            lines.append(f"{indent}if out is not None:")
            lines.append(f"{indent}    return {call}, out=out)")
        target = None
        if k in full:
            dead = [r[1] for r in refs if r[0] == "step" and last_read.get(r[1]) == k]
            target = next((buffer_of[d] for d in dead if d in full
                           and comp.step_dtypes[d] == comp.step_dtypes[k]), None)
        if target is not None:
            lines.append(f"{indent}{call}, out={target})")
            buffer_of[k] = target
        else:
            lines.append(f"{indent}s{k} = {call})")
            buffer_of[k] = f"s{k}"
    if not blocked:
        lines.append(f"{indent}return {buffer_of[last]}")
    return lines


# Kernels by (composite, array module). Bounded: composites embed their constants, and a process that builds many
# models differing only in a constant (a LeakyReLU slope, a dropout rate) would otherwise grow without end.
KERNEL_CACHE_SIZE = 1024
_KERNELS = BoundedCache(KERNEL_CACHE_SIZE)


def compile_composite(comp, xp):
    """The kernel callable ``kernel(*inputs, out=None)`` for ``comp`` on the array namespace ``xp`` (cached)."""
    key = (comp, xp.name)
    kernel = _KERNELS.get(key)
    if kernel is not None:
        return kernel
    if xp.is_gpu:  # one generated CUDA kernel; None when a step has no CUDA expression (then: CuPy's ufuncs)
        from ..backends.cupy_backend import fused_kernel

        kernel = fused_kernel(comp)
        if kernel is not None:
            _KERNELS[key] = kernel
            return kernel
    ns = {"BLOCK": BLOCK, "_empty": xp.empty, "_out_dtype": np.dtype(comp.step_dtypes[-1])}
    for k, (op, refs) in enumerate(comp.steps):
        in_dtypes = [comp.in_dtypes[r[1]] if r[0] == "in" else comp.step_dtypes[r[1]] if r[0] == "step" else r[2]
                     for r in refs]
        ns[f"f{k}"] = op.make_call(xp, in_dtypes, comp.step_dtypes[k])
        for j, ref in enumerate(refs):
            if ref[0] == "const":
                ns[f"k{k}_{j}"] = np.dtype(ref[2]).type(ref[1])
    exec(compile(comp.source(), f"<fused kernel {comp.name}>", "exec"), ns)
    kernel = _KERNELS[key] = ns["kernel"]
    return kernel
