"""Static programs: a graph whose every shape is known, as one C function over raw pointers.

A scan step is compiled for the shapes it runs with (scan_module/op.py, ``compiled_for``), so every variable of its
graph has a fixed shape; its buffers can be planned once and the loop need not allocate. ``StaticProgram`` turns
such a graph into ``static void name(char *const *in, char *const *out, char *scr)``:

- program inputs are read at ``in[k]`` with the layout the caller promises (C-contiguous by default);
- each output is written C-contiguous at ``out[k]`` (a node whose result is an output writes there directly);
- intermediates live at fixed offsets of the scratch block ``scr`` (``scratch_bytes`` long, 64-byte aligned).

What each op becomes (a registry by op class, kept here rather than on the ops so that the C tier stays one package;
an op without an entry has no C form and the caller keeps the NumPy tier):

- values known before running (constants, shapes of static tensors, arithmetic on them) are computed now with the
  NumPy thunks and embedded;
- views (DimShuffle, Subtensor with constant indices, Reshape of contiguous data, SumToShape that changes nothing)
  are computed now too, by running the op's NumPy thunk on a buffer with the input's layout: only a pointer offset
  and strides remain;
- Elemwise (a fused group or one row) is a loop nest with constant bounds and strides over the table's C form;
- Dot is one CBLAS call (``?gemm``, ``?dot``) into the OpenBLAS NumPy loaded, operands copied to a contiguous
  block first only when BLAS cannot read them in place;
- Reduce (sum, prod, max, min over axes) and the summing form of SumToShape are loop nests (float32 sums accumulate
  in double); Join and Alloc are copies.
"""
import numpy as np

from ...tensor.basic import Alloc, Join
from ...tensor.elemwise import Elemwise, SumToShape
from ...tensor.linalg import Dot
from ...tensor.reduce import Reduce
from ...tensor.scalar import Composite
from ...tensor.shape import Reshape, Shape, Shape_i
from ..scalar_c import CTYPES, composite_lines
from .blas_c import blas_available

__all__ = ["StaticProgram", "NoCForm"]

_ALIGN = 64
_MAX_CONSTANT = 1 << 16


class NoCForm(Exception):
    """A node of the graph has no C form (the caller keeps the NumPy tier)."""


class Buffer:
    """Where a variable's values live: ``base`` (a C char* expression) + ``offset`` bytes, with ``shape`` and byte
    ``strides``."""

    def __init__(self, base, offset, shape, strides, dtype):
        self.base, self.offset = base, int(offset)
        self.shape, self.strides, self.dtype = tuple(int(s) for s in shape), tuple(int(s) for s in strides), dtype

    @property
    def ptr(self):
        return f"({self.base} + {self.offset})" if self.offset else self.base

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def itemsize(self):
        return np.dtype(self.dtype).itemsize

    def c_contiguous(self):
        expected = self.itemsize
        for s, st in zip(reversed(self.shape), reversed(self.strides)):
            if s != 1 and st != expected:
                return False
            expected *= s
        return True


def c_strides(shape, itemsize):
    strides, acc = [], itemsize
    for s in reversed(shape):
        strides.append(acc)
        acc *= max(int(s), 1)
    return tuple(reversed(strides))


def _static_shape(var):
    shape = getattr(var.type, "shape", None)
    if shape is None or None in shape or var.type.dtype not in CTYPES:
        raise NoCForm(f"{var} has no static shape or no C type ({var.type})")
    return tuple(int(s) for s in shape)


class StaticProgram:
    """The C function computing ``outputs`` from ``inputs`` over ``order`` (the nodes in topological order).

    ``input_strides``: per input, byte strides (None: C-contiguous). Raises NoCForm when a node has no C form.
    """

    def __init__(self, name, inputs, outputs, order, input_strides=None):
        self.name = name
        self.inputs, self.outputs = list(inputs), list(outputs)
        self.scratch_bytes = 0
        self._consts = []
        self._known = {}
        self._buf = {}
        self._body = []
        self.uses_blas = False
        input_strides = input_strides or [None] * len(self.inputs)
        for k, (v, strides) in enumerate(zip(self.inputs, input_strides)):
            shape = _static_shape(v)
            self._buf[v] = Buffer(f"in[{k}]", 0, shape, strides or c_strides(shape, np.dtype(v.dtype).itemsize),
                                  v.dtype)
        placed = self._placements()
        for node in order:
            self._node(node, placed)
        self._finish_outputs(placed)

    # -- planning -------------------------------------------------------------------------------------------------
    def _placements(self):
        """Outputs a compute node can write in place at out[k]: computed (not a view or an input), listed once."""
        placed = {}
        for k, v in enumerate(self.outputs):
            node = v.owner
            if node is None or v in placed or self.outputs.count(v) > 1:
                continue
            if node.op.view_map or isinstance(node.op, (Shape, Shape_i)):
                continue
            placed[v] = k
        return placed

    def _scratch(self, shape, dtype):
        nbytes = max(int(np.prod(shape, dtype=np.int64)) * np.dtype(dtype).itemsize, 1)
        offset = self.scratch_bytes
        self.scratch_bytes += (nbytes + _ALIGN - 1) // _ALIGN * _ALIGN
        return Buffer("scr", offset, shape, c_strides(shape, np.dtype(dtype).itemsize), dtype)

    def _fresh(self, var, placed):
        shape = _static_shape(var)
        if var in placed:
            return Buffer(f"out[{placed[var]}]", 0, shape, c_strides(shape, np.dtype(var.dtype).itemsize), var.dtype)
        return self._scratch(shape, var.dtype)

    def _constant(self, value, dtype):
        value = np.ascontiguousarray(np.asarray(value, dtype=dtype))
        if value.size > _MAX_CONSTANT or value.dtype.name not in CTYPES:
            raise NoCForm(f"a constant of {value.size} {value.dtype} values")
        name = f"{self.name}_c{len(self._consts)}"
        items = ", ".join(_c_literal(x, value.dtype) for x in value.ravel()) or "0"
        self._consts.append(f"static const {CTYPES[value.dtype.name]} {name}[{max(value.size, 1)}] "
                            f"__attribute__((aligned(64))) = {{{items}}};")
        return Buffer(f"(char *){name}", 0, value.shape, c_strides(value.shape, value.dtype.itemsize), value.dtype.name)

    def buffer(self, var):
        if var in self._buf:
            return self._buf[var]
        if var in self._known or getattr(var, "data", None) is not None:
            value = self._known.get(var, getattr(var, "data", None))
            buf = self._buf[var] = self._constant(value, var.dtype)
            return buf
        raise NoCForm(f"{var} is used before it is computed")

    # -- nodes ----------------------------------------------------------------------------------------------------
    def _node(self, node, placed):
        op = node.op
        if isinstance(op, (Shape, Shape_i)):
            shape = _static_shape(node.inputs[0])
            self._known[node.outputs[0]] = np.asarray(shape if isinstance(op, Shape) else shape[op.i], "int64")
            return
        if all(self._is_known(v) for v in node.inputs) and len(node.outputs) == 1 and node.outputs[0] not in placed:
            from .. import numpy_xp  # values known now: computed once with the NumPy tier's thunk

            value = op.make_thunk(node, numpy_xp)(*[self._value(v) for v in node.inputs])
            self._known[node.outputs[0]] = np.asarray(value)
            return
        if len(node.outputs) != 1:
            raise NoCForm(f"{op} has {len(node.outputs)} outputs")
        out = node.outputs[0]
        if op.view_map and self._view(node):
            return
        form = _FORMS.get(type(op))
        if form is None:
            raise NoCForm(f"{op} has no C form")
        dst = self._fresh(out, placed)
        self._body.append(f"    /* {op} */")
        form(self, node, dst)
        self._buf[out] = dst

    def _is_known(self, v):
        return v in self._known or (v.owner is None and getattr(v, "data", None) is not None)

    def _value(self, v):
        return self._known[v] if v in self._known else v.data

    def _view(self, node):
        """Record the output of a view op as offset and strides into its input, when its NumPy thunk returns a view
        for this layout (computed now on a scratch buffer of that layout)."""
        from .. import numpy_xp

        src = self.buffer(node.inputs[0])
        if not all(self._is_known(v) for v in node.inputs[1:]):
            return False
        lo = sum(min(0, (s - 1) * st) for s, st in zip(src.shape, src.strides))
        hi = sum(max(0, (s - 1) * st) for s, st in zip(src.shape, src.strides)) + src.itemsize
        raw = np.zeros(hi - lo + 64, np.uint8)
        start = -lo + (-(raw.ctypes.data - lo) % 64)
        arr = np.ndarray(src.shape, src.dtype, buffer=raw, offset=start, strides=src.strides)
        try:
            got = node.op.make_thunk(node, numpy_xp)(arr, *[self._value(v) for v in node.inputs[1:]])
        except Exception:
            return False
        got = np.asarray(got)
        base = raw.ctypes.data + start
        if got.dtype.name != node.outputs[0].dtype or not (raw.ctypes.data <= got.ctypes.data < raw.ctypes.data + raw.size
                                                            or got.size == 0) \
                or not np.may_share_memory(got, raw):
            return False
        if got.shape != _static_shape(node.outputs[0]):
            return False
        self._buf[node.outputs[0]] = Buffer(src.base, src.offset + got.ctypes.data - base, got.shape, got.strides,
                                            got.dtype.name)
        return True

    def _finish_outputs(self, placed):
        for k, v in enumerate(self.outputs):
            if placed.get(v) == k and self._buf.get(v) is not None and self._buf[v].base == f"out[{k}]":
                continue
            src = self.buffer(v)
            shape = _static_shape(v)
            dst = Buffer(f"out[{k}]", 0, shape, c_strides(shape, np.dtype(v.dtype).itemsize), v.dtype)
            self._body.append(f"    /* output {k} */")
            copy(self, src, dst)

    # -- source ---------------------------------------------------------------------------------------------------
    def source(self):
        # noinline: inlined into a caller's loop (the scan loop), gcc stops vectorising the program's loops
        return "\n".join(self._consts + [f"__attribute__((noinline)) static void {self.name}(char *const *in, "
                                         f"char *const *out, char *scr) {{",
                                         "    (void)in; (void)out; (void)scr;", *self._body, "}"]) + "\n"

    def emit(self, line):
        self._body.append(line)


def _c_literal(x, dtype):
    if dtype.kind == "b":
        return "1" if x else "0"
    if dtype.kind == "f":
        x = float(x)
        if x != x:
            return "NAN"
        if x in (float("inf"), float("-inf")):
            return "INFINITY" if x > 0 else "-INFINITY"
        return x.hex()
    return f"{int(x)}{'ULL' if dtype.kind == 'u' else 'LL'}"


# -- loop nests --------------------------------------------------------------------------------------------------
def _iteration(shape, operands):
    """(sizes, per-operand strides) of a loop over ``shape``: size-1 dimensions dropped, mergeable ones merged.
    ``operands`` are stride tuples aligned with ``shape`` (0 where broadcast)."""
    dims = [(s, [st[d] for st in operands]) for d, s in enumerate(shape) if s != 1]
    merged = []
    for s, sts in dims:
        if merged and all(prev == cur * s for prev, cur in zip(merged[-1][1], sts)):
            merged[-1] = (merged[-1][0] * s, sts)
        else:
            merged.append((s, sts))
    if not merged:
        merged = [(1, [0] * len(operands))]
    return [s for s, _ in merged], [[sts[k] for _, sts in merged] for k in range(len(operands))]


def _broadcast_strides(buf, shape):
    """``buf``'s byte strides over ``shape`` (NumPy broadcasting: leading and size-1 dimensions stride 0)."""
    pad = len(shape) - len(buf.shape)
    strides = []
    for d, s in enumerate(shape):
        if d < pad:
            strides.append(0)
        else:
            own = buf.shape[d - pad]
            if own == s:
                strides.append(buf.strides[d - pad] if s != 1 else 0)
            elif own == 1:
                strides.append(0)
            else:
                raise NoCForm(f"cannot broadcast {buf.shape} to {shape}")
    return tuple(strides)


def loop_nest(prog, shape, operands, ctypes, body, indent="    "):
    """Emit a loop over ``shape``: ``operands`` are Buffers (output first) read as ``i<k>`` (input k, k >= 0) by
    the C statements ``body``, which set ``r`` (the value stored at the output)."""
    strides = [_broadcast_strides(b, shape) for b in operands]
    sizes, per = _iteration(shape, strides)
    if 0 in shape:
        return
    n = len(sizes)
    lines = [f"{indent}{{"]
    idx = [f"q{d}" for d in range(n - 1)]
    depth = indent + "    "
    for d in range(n - 1):
        lines.append(f"{depth}for (intptr_t {idx[d]} = 0; {idx[d]} < {sizes[d]}; {idx[d]}++) {{")
        depth += "    "
    for k, b in enumerate(operands):
        offs = " + ".join([b.ptr] + [f"{idx[d]} * {per[k][d]}" for d in range(n - 1) if per[k][d]])
        qual = "" if k == 0 else "const "
        lines.append(f"{depth}{qual}char *p{k} = {offs};")
    inner = [st[-1] for st in per]
    for k in range(1, len(operands)):
        if inner[k] == 0:
            lines.append(f"{depth}const {ctypes[k]} v{k} = *(const {ctypes[k]} *)p{k};")
    lines.append(f"{depth}#pragma GCC ivdep")
    lines.append(f"{depth}for (intptr_t j = 0; j < {sizes[-1]}; j++) {{")
    for k in range(1, len(operands)):
        t = ctypes[k]
        if inner[k] == 0:
            load = f"v{k}"
        elif inner[k] == np.dtype(operands[k].dtype).itemsize:
            load = f"((const {t} *)p{k})[j]"
        else:
            load = f"*(const {t} *)(p{k} + j * {inner[k]})"
        lines.append(f"{depth}    const {t} i{k - 1} = {load};")
    lines += [f"{depth}    {line}" for line in body]
    if inner[0] == np.dtype(operands[0].dtype).itemsize:
        lines.append(f"{depth}    (({ctypes[0]} *)p0)[j] = r;")
    else:
        lines.append(f"{depth}    *({ctypes[0]} *)(p0 + j * {inner[0]}) = r;")
    lines.append(f"{depth}}}")
    for d in range(n - 1):
        depth = depth[:-4]
        lines.append(f"{depth}}}")
    lines.append(f"{indent}}}")
    for line in lines:
        prog.emit(line)


def copy(prog, src, dst):
    """dst[...] = src (broadcast, cast to dst's dtype)."""
    t_dst, t_src = CTYPES[dst.dtype], CTYPES[src.dtype]
    loop_nest(prog, dst.shape, [dst, src], [t_dst, t_src], [f"const {t_dst} r = ({t_dst})i0;"])


# -- C forms by op class ---------------------------------------------------------------------------------------
def _elemwise(prog, node, dst):
    scalar = node.op.scalar_op
    if isinstance(scalar, Composite):
        comp = scalar
    else:
        refs = tuple(("in", k) for k in range(len(node.inputs)))
        comp = Composite(((scalar, refs),), [v.dtype for v in node.inputs], (node.outputs[0].dtype,), (), (), ())
    lines = composite_lines(comp)
    if lines is None or list(comp.in_dtypes) != [v.dtype for v in node.inputs]:
        raise NoCForm(f"{node.op} has no C form for {comp.in_dtypes}")
    srcs = [prog.buffer(v) for v in node.inputs]
    ctypes = [CTYPES[dst.dtype]] + [CTYPES[v.dtype] for v in node.inputs]
    loop_nest(prog, dst.shape, [dst] + srcs, ctypes, lines + [f"const {ctypes[0]} r = s{len(comp.steps) - 1};"])


def _blas_operand(prog, buf, rows, cols):
    """(pointer, transposed, leading dimension) of ``buf`` read as a rows x cols matrix by BLAS (a vector is one row
    or one column), copied to a C-contiguous block first when BLAS cannot read its layout."""
    item = buf.itemsize
    s0, s1 = buf.strides if len(buf.shape) == 2 else ((0, buf.strides[0]) if rows == 1 else (buf.strides[0], 0))

    def leading(outer, inner, n_outer, n_inner):  # row-major with unit inner stride: the leading dimension
        if n_inner > 1 and inner != item:
            return None
        if n_outer == 1:
            return max(n_inner, 1)
        if outer % item or outer // item < max(n_inner, 1):
            return None
        return outer // item

    ld = leading(s0, s1, rows, cols)
    if ld is not None:
        return buf.ptr, False, ld
    ld = leading(s1, s0, cols, rows)
    if ld is not None:
        return buf.ptr, True, ld
    tmp = prog._scratch(buf.shape, buf.dtype)
    copy(prog, buf, tmp)
    return tmp.ptr, False, max(cols, 1)


def _dot(prog, node, dst):
    x, y = (prog.buffer(v) for v in node.inputs)
    dtype = dst.dtype
    if dtype not in ("float32", "float64") or x.dtype != dtype or y.dtype != dtype or not blas_available():
        raise NoCForm(f"Dot of {x.dtype} and {y.dtype} (BLAS covers float32 and float64)")
    letter = "s" if dtype == "float32" else "d"
    m = x.shape[0] if len(x.shape) == 2 else 1
    k = x.shape[-1]
    n = y.shape[1] if len(y.shape) == 2 else 1
    ctype = CTYPES[dtype]
    if m * n == 0:
        return
    if k == 0:
        prog.emit(f"    memset({dst.ptr}, 0, {m * n * dst.itemsize});")
        return
    prog.uses_blas = True
    if len(x.shape) == 1 and len(y.shape) == 1:
        xp, _, _ = _blas_operand(prog, x, 1, k)
        yp, _, _ = _blas_operand(prog, y, 1, k)
        prog.emit(f"    *({ctype} *){dst.ptr} = lk_{letter}dot({k}, (const {ctype} *){xp}, 1, "
                  f"(const {ctype} *){yp}, 1);")
        return
    ap, ta, lda = _blas_operand(prog, x, m, k)
    bp, tb, ldb = _blas_operand(prog, y, k, n)
    prog.emit(f"    lk_{letter}gemm(101, {112 if ta else 111}, {112 if tb else 111}, {m}, {n}, {k}, 1, "
              f"(const {ctype} *){ap}, {lda}, (const {ctype} *){bp}, {ldb}, 0, ({ctype} *){dst.ptr}, {n});")


_IDENTITY = {"sum": "0", "prod": "1"}


def _reduce_into(prog, src, dst, axes, kind):
    """dst (keepdims layout over ``src.shape``, or fewer dims) = reduction of src over ``axes``."""
    keep_shape = tuple(1 if d in axes else s for d, s in enumerate(src.shape))
    acc_dtype = "float64" if kind in ("sum", "prod") and dst.dtype == "float32" else dst.dtype
    t_acc, t_src = CTYPES[acc_dtype], CTYPES[src.dtype]
    acc = prog._scratch(keep_shape, acc_dtype) if acc_dtype != dst.dtype else \
        Buffer(dst.base, dst.offset, keep_shape, c_strides(keep_shape, dst.itemsize), dst.dtype)
    if 0 in src.shape and kind in ("max", "min"):
        raise NoCForm("max/min over an empty dimension")
    if kind in _IDENTITY:
        prog.emit(f"    for (intptr_t j = 0; j < {acc.size}; j++) (({t_acc} *){acc.ptr})[j] = {_IDENTITY[kind]};")
    else:  # max, min start from the first element along the reduced axes
        copy(prog, Buffer(src.base, src.offset, keep_shape, src.strides, src.dtype), acc)
    combine = {"sum": "a + b", "prod": "a * b", "max": "lk_max(a, b)", "min": "lk_min(a, b)"}[kind]
    # acc (broadcast along reduced axes) accumulates src element by element: a loop over src's shape whose output
    # operand is acc with stride 0 on the reduced axes.
    strides = _broadcast_strides(acc, src.shape)
    sizes, per = _iteration(src.shape, [strides, src.strides])
    if 0 not in src.shape:
        n = len(sizes)
        lines = ["    {"]
        depth = "        "
        for d in range(n - 1):
            lines.append(f"{depth}for (intptr_t q{d} = 0; q{d} < {sizes[d]}; q{d}++) {{")
            depth += "    "
        pa = " + ".join([acc.ptr] + [f"q{d} * {per[0][d]}" for d in range(n - 1) if per[0][d]])
        ps = " + ".join([src.ptr] + [f"q{d} * {per[1][d]}" for d in range(n - 1) if per[1][d]])
        lines += [f"{depth}char *pa = {pa};", f"{depth}const char *ps = {ps};"]
        sa, ss = per[0][-1], per[1][-1]
        load = f"(({t_acc})*(const {t_src} *)(ps + j * {ss}))"
        if sa == 0:  # the innermost axis is reduced: a running value
            pragma = f"#pragma omp simd reduction(+:a)" if kind == "sum" else \
                f"#pragma omp simd reduction(*:a)" if kind == "prod" else ""
            lines += [f"{depth}{t_acc} a = *({t_acc} *)pa;"]
            if pragma:
                lines.append(f"{depth}{pragma}")
            lines += [f"{depth}for (intptr_t j = 0; j < {sizes[-1]}; j++) {{",
                      f"{depth}    const {t_acc} b = {load};",
                      f"{depth}    a = {combine};", f"{depth}}}", f"{depth}*({t_acc} *)pa = a;"]
        else:
            lines += [f"{depth}#pragma GCC ivdep", f"{depth}for (intptr_t j = 0; j < {sizes[-1]}; j++) {{",
                      f"{depth}    {t_acc} *pj = ({t_acc} *)(pa + j * {sa});",
                      f"{depth}    const {t_acc} a = *pj, b = {load};", f"{depth}    *pj = {combine};", f"{depth}}}"]
        for d in range(n - 1):
            depth = depth[:-4]
            lines.append(f"{depth}}}")
        lines.append("    }")
        for line in lines:
            prog.emit(line)
    if acc_dtype != dst.dtype:
        copy(prog, acc, Buffer(dst.base, dst.offset, keep_shape, c_strides(keep_shape, dst.itemsize), dst.dtype))


def _reduce(prog, node, dst):
    op = node.op
    if op.kind not in ("sum", "prod", "max", "min") or not op.axes:
        raise NoCForm(f"{op} has no C form")
    src = prog.buffer(node.inputs[0])
    _reduce_into(prog, src, dst, tuple(a % len(src.shape) for a in op.axes), op.kind)


def _sum_to_shape(prog, node, dst):
    g = prog.buffer(node.inputs[0])
    axes = tuple(d for d, (a, b) in enumerate(zip(g.shape, dst.shape)) if a != b)
    if not axes:
        copy(prog, g, dst)
        return
    _reduce_into(prog, g, dst, axes, "sum")


def _join(prog, node, dst):
    axis = node.op.axis % len(dst.shape)
    start = 0
    for v in node.inputs:
        src = prog.buffer(v)
        part = Buffer(dst.base, dst.offset + start * dst.strides[axis], src.shape, dst.strides, dst.dtype)
        copy(prog, src, part)
        start += src.shape[axis]


def _alloc(prog, node, dst):
    copy(prog, prog.buffer(node.inputs[0]), dst)


def _reshape(prog, node, dst):  # not a view for this layout: NumPy copies in C order
    src = prog.buffer(node.inputs[0])
    tmp = src if src.c_contiguous() else prog._scratch(src.shape, src.dtype)
    if tmp is not src:
        copy(prog, src, tmp)
    prog.emit(f"    memcpy({dst.ptr}, {tmp.ptr}, {dst.size * dst.itemsize});")


# Views (DimShuffle, Subtensor...) need no entry: StaticProgram._view computes them.
_FORMS = {Elemwise: _elemwise, Dot: _dot, Reduce: _reduce, SumToShape: _sum_to_shape, Join: _join, Alloc: _alloc,
          Reshape: _reshape}
