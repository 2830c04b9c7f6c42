"""Native elementwise kernels: one C loop per Elemwise node (a fused group or a single table row).

The loop body is the group's steps as C statements (scalar_c.composite_lines, the same table rows as the CUDA
kernels). Each row of the broadcast iteration runs one of two inner loops: when the output and every input that is
not statically of size 1 are contiguous along the row (the common case), a plain indexed loop that gcc vectorises
(``#pragma GCC ivdep``: an in-place output is exactly one of the inputs, read before it is written at the same
index); otherwise a strided loop. Inputs statically of size 1 (scalars, a learning rate) are read once per row.

The Python side of a kernel (``ElemwiseKernel.thunk``) allocates the output like the NumPy tier would (or takes
the input it overwrites in place), calls the C function and, when C declines the operands (return 1: an
unexpected dtype object, a broadcast the output guess did not cover, a non-array), runs the NumPy thunk instead.
"""
import hashlib

import numpy as np

from ...tensor.elemwise import Elemwise
from ...tensor.scalar import Composite
from ..scalar_c import composite_lines, step_ctypes
from .runtime import DTYPE_CODES, MAX_DIMS, MAX_OPERANDS

__all__ = ["ElemwiseKernel", "elemwise_kernel"]

# Rough cost per element of a step, in units of one add (for the threading threshold only).
_TRANSCENDENTAL = {"exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sin", "cos", "tan", "arcsin", "arccos",
                   "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "erf", "erfc", "sigmoid",
                   "softplus", "pow", "arctan2"}
_DIVISION = {"true_div", "int_div", "mod", "sqrt", "reciprocal"}


def _step_cost(op):
    return 8.0 if op.name in _TRANSCENDENTAL else 2.0 if op.name in _DIVISION else 1.0


def as_composite(node):
    """The node's scalar op as a Composite (a single row becomes a one-step group)."""
    scalar = node.op.scalar_op
    if isinstance(scalar, Composite):
        return scalar
    in_dtypes = [v.dtype for v in node.inputs]
    refs = tuple(("in", k) for k in range(len(node.inputs)))
    return Composite(((scalar, refs),), in_dtypes, (node.outputs[0].dtype,), (), (), ())


class ElemwiseKernel:
    """The C source of one node's kernel (``source``, entry point ``name``) and how Python calls it."""

    def __init__(self, node, name, source, cost):
        self.node, self.name, self.source, self.cost = node, name, source, cost

    def thunk(self, library, fallback):
        """The node's thunk on ``library``: the C kernel, or ``fallback`` (the NumPy thunk) where C declines."""
        node = self.node
        out = node.outputs[0]
        n = len(node.inputs)
        kernel = library.function(self.name, n + 1)
        args = ", ".join(f"i{k}" for k in range(n))
        ns = {"_kernel": kernel, "_library": library, "_fallback": fallback, "_empty": np.empty, "_ndarray": np.ndarray,
              "_asarray": np.asarray, "_dt": np.dtype(out.dtype)}
        lines = [f"    if i{k}.__class__ is not _ndarray: i{k} = _asarray(i{k})"
                 for k, v in enumerate(node.inputs) if v.ndim == 0]
        inplace = dict(node.op.inplace_pattern)
        if inplace:
            lines.append(f"    o = i{inplace[0]}")
        elif None not in out.type.shape:
            lines.append(f"    o = _empty({tuple(out.type.shape)!r}, _dt)")
        else:
            lines.append(f"    o = _empty(i{_shape_source(node)}.shape, _dt)")
        lines += [f"    if _kernel(o, {args}):", f"        return _fallback({args})", "    return o"]
        source = f"def native_elemwise({args}):\n" + "\n".join(lines) + "\n"
        exec(compile(source, f"<native kernel {self.name}>", "exec"), ns)
        return ns["native_elemwise"]


def _shape_source(node):
    """The input whose run-time shape the output most likely has: the one with the fewest static 1s."""
    def score(k):
        shape = node.inputs[k].type.shape
        return sum(1 for s in shape if s != 1), -k

    return max(range(len(node.inputs)), key=score)


def elemwise_kernel(node):
    """The ElemwiseKernel of an Elemwise ``node``, or None without a C form. Its C name is a hash of its code, so
    equal kernels of different functions are one symbol (and equal functions one library)."""
    if not isinstance(node.op, Elemwise) or len(node.outputs) != 1:
        return None
    nin = len(node.inputs)
    out = node.outputs[0]
    if out.ndim == 0:
        return None  # one number: a NumPy scalar operation costs about what a ctypes call does
    if out.ndim > MAX_DIMS or nin + 1 > MAX_OPERANDS or not all(hasattr(v.type, "ndim") for v in node.inputs):
        return None
    comp = as_composite(node)
    lines = composite_lines(comp)
    if lines is None or out.dtype != comp.step_dtypes[-1] or [v.dtype for v in node.inputs] != list(comp.in_dtypes):
        return None
    in_ctypes, step_types = step_ctypes(comp)
    out_ctype = step_types[-1]
    small = [all(s == 1 for s in v.type.shape) for v in node.inputs]
    cost = sum(_step_cost(op) for op, _ in comp.steps)
    name = "LK_NAME"
    types = ", ".join(str(DTYPE_CODES[d]) for d in [out.dtype] + [v.dtype for v in node.inputs])
    body = ["            " + line for line in lines]
    hoisted = [f"    const {t} v{k} = *(const {t} *)p[{k + 1}];" for k, t in enumerate(in_ctypes) if small[k]]
    fast_cond = " && ".join([f"st[0] == sizeof({out_ctype})"] +
                            [f"st[{k + 1}] == sizeof({t})" for k, t in enumerate(in_ctypes) if not small[k]])
    fast_ptrs = [f"        {out_ctype} *o = ({out_ctype} *)p[0];"]
    fast_ptrs += [f"        const {t} *a{k} = (const {t} *)p[{k + 1}];" for k, t in enumerate(in_ctypes) if not small[k]]
    fast_loads = [f"            const {t} i{k} = {'v%d' % k if small[k] else 'a%d[j]' % k};"
                  for k, t in enumerate(in_ctypes)]
    slow_loads = [f"            const {t} i{k} = {'v%d' % k if small[k] else f'*(const {t} *)(p[{k + 1}] + j * st[{k + 1}])'};"
                  for k, t in enumerate(in_ctypes)]
    last = f"s{len(comp.steps) - 1}"
    params = ", ".join(["lk_array *o"] + [f"lk_array *x{k}" for k in range(nin)])
    source = "\n".join([
        f"static void {name}_row(char **p, const intptr_t *st, intptr_t n) {{",
        *hoisted,
        f"    if ({fast_cond}) {{",
        *fast_ptrs,
        "        #pragma GCC ivdep",
        "        for (intptr_t j = 0; j < n; j++) {",
        *fast_loads, *body,
        f"            o[j] = {last};",
        "        }",
        "    } else {",
        "        for (intptr_t j = 0; j < n; j++) {",
        *slow_loads, *body,
        f"            *({out_ctype} *)(p[0] + j * st[0]) = {last};",
        "        }",
        "    }",
        "}",
        f"int {name}({params}) {{",
        f"    static const int types[{nin + 1}] = {{{types}}};",
        f"    lk_array *ops[{nin + 1}] = {{{', '.join(['o'] + [f'x{k}' for k in range(nin)])}}};",
        "    lk_iter it;",
        f"    if (lk_rt.prepare(&it, ops, {nin + 1}, types, {name}_row)) return 1;",
        f"    lk_rt.run(&it, {cost!r});",
        "    return 0;",
        "}",
    ]) + "\n"
    name = "lk_e" + hashlib.sha1(source.encode()).hexdigest()[:16]
    return ElemwiseKernel(node, name, source.replace("LK_NAME", name), cost)
