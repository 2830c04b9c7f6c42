"""CUDA C source for fused elementwise subgraphs (``Composite``), for ``cupy.ElementwiseKernel``.

Each scalar op row in tensor/scalar.py carries a ``cuda`` column: a C expression template (``"{0} + {1}"``), or a
dict from dtype kind ('f', 'i', 'u', 'b') to template where the expression depends on it. Operands are cast to
the step's compute dtype first (its output dtype; for comparisons and ``clip`` the common dtype of the operands), so
C's promotion never differs from NumPy's. A Composite with a step, operand or constant the table cannot express
(float16, complex, integer ``pow``, a non-finite constant...) gets no source: it then runs through the array module.

This module is pure Python (no CuPy): the generated source is checked on machines without a GPU.
"""
import hashlib
import math

import numpy as np

from ..tensor.scalar import Cast, upcast

__all__ = ["CTYPES", "PREAMBLE", "KernelSource", "kernel_source"]

CTYPES = {"bool": "bool", "int8": "signed char", "uint8": "unsigned char", "int16": "short",
          "uint16": "unsigned short", "int32": "int", "uint32": "unsigned int", "int64": "long long",
          "uint64": "unsigned long long", "float32": "float", "float64": "double"}

# Helpers whose NumPy semantics C lacks: NaN-propagating max/min (np.maximum), the overflow-free sigmoid and
# softplus of scalar.py, Python's floor division and modulo (x // 0 and x % 0 are 0 for integers, as in NumPy).
PREAMBLE = r"""
template <typename T> __device__ T lk_max(T a, T b) { return (a > b || a != a) ? a : b; }
template <typename T> __device__ T lk_relu(T x) { return (x > 0 || x != x) ? x : (T)0; }
template <typename T> __device__ T lk_min(T a, T b) { return (a < b || a != a) ? a : b; }
template <typename T> __device__ T lk_sign(T x) { return x != x ? x : (T)((x > 0) - (x < 0)); }
template <typename T> __device__ T lk_sigmoid(T x) {
    T e = exp(-fabs(x));
    return (x >= 0 ? (T)1 : e) / ((T)1 + e);
}
template <typename T> __device__ T lk_softplus(T x) { return lk_max(x, (T)0) + log1p(exp(-fabs(x))); }
template <typename T> __device__ T lk_softsign(T x) { return x / ((T)1 + fabs(x)); }
template <typename T> __device__ T lk_round_away(T x) { return x < 0 ? -floor(-x + (T)0.5) : floor(x + (T)0.5); }
template <typename T> __device__ T lk_fmod(T a, T b) {
    T m = fmod(a, b);
    if (m != 0 && ((b < 0) != (m < 0))) m += b;
    return m;
}
template <typename T> __device__ T lk_imod(T a, T b) {
    if (b == 0) return 0;
    T m = a % b;
    if (m != 0 && ((b < 0) != (m < 0))) m += b;
    return m;
}
template <typename T> __device__ T lk_ifloordiv(T a, T b) {
    if (b == 0) return 0;
    T q = a / b;
    if (a % b != 0 && ((a < 0) != (b < 0))) q -= 1;
    return q;
}
"""


class KernelSource:
    """What ``cupy.ElementwiseKernel`` needs: ``in_params``, ``out_params``, ``operation``, ``name``."""

    def __init__(self, in_params, out_params, operation, name):
        self.in_params, self.out_params, self.operation, self.name = in_params, out_params, operation, name

    def key(self):
        return (self.in_params, self.out_params, self.operation)

    def __repr__(self):
        return f"KernelSource({self.in_params!r}, {self.out_params!r}, {self.operation!r})"


def _template(op, compute_dtype):
    """The C template of ``op`` for operands of ``compute_dtype``, or None."""
    if isinstance(op, Cast):
        return "{0}"
    column = getattr(op, "cuda", None)
    if column is None or isinstance(column, str):
        return column
    return column.get(np.dtype(compute_dtype).kind)


def _literal(value, dtype):
    ctype = CTYPES.get(np.dtype(dtype).name)
    if ctype is None:
        return None
    if np.dtype(dtype).kind == "b":
        return "true" if value else "false"
    if np.dtype(dtype).kind == "f":
        if not math.isfinite(value):
            return None
        return f"(({ctype}){float(value)!r})"
    return f"(({ctype}){int(value)}{'ULL' if np.dtype(dtype).kind == 'u' else 'LL'})"


def _compute_dtypes(op, ref_dtypes, out_dtype):
    """The dtype each operand is cast to before the C expression is applied."""
    if op.dtype_rule == "switch":
        return ["bool", out_dtype, out_dtype]
    if op.dtype_rule in ("bool", "first") and not isinstance(op, Cast):
        common = upcast(*ref_dtypes)
        return [common] * len(ref_dtypes)
    return [out_dtype] * len(ref_dtypes)


def kernel_source(comp):
    """The ElementwiseKernel source of the fused ``comp`` (a ``Composite``), or None when a step has no CUDA form.

    Example:
        >>> import layerkit_backend as lb, layerkit_backend.tensor as T
        >>> x = T.fvector('x')
        >>> f = lb.function([x], T.exp(x * 2) + 1)
        >>> node = f.maker.fgraph.outputs[0].owner
        >>> print(kernel_source(node.op.scalar_op).operation)
        const float s0 = i0 * ((float)2.0);
        const float s1 = exp(s0);
        const float s2 = s1 + ((float)1.0);
        out = s2;
    """
    if any(d not in CTYPES for d in comp.in_dtypes + comp.step_dtypes):
        return None
    lines = []
    for k, (op, refs) in enumerate(comp.steps):
        out_dtype = comp.step_dtypes[k]
        ref_dtypes = [comp.in_dtypes[r[1]] if r[0] == "in" else comp.step_dtypes[r[1]] if r[0] == "step" else r[2]
                      for r in refs]
        computes = _compute_dtypes(op, ref_dtypes, out_dtype)
        operands = []
        for ref, ref_dtype, compute in zip(refs, ref_dtypes, computes):
            if compute not in CTYPES:
                return None
            if ref[0] == "const":
                text = _literal(ref[1], compute)
                if text is None:
                    return None
            else:
                text = f"i{ref[1]}" if ref[0] == "in" else f"s{ref[1]}"
                if ref_dtype != compute:
                    text = f"(({CTYPES[compute]}){text})"
            operands.append(text)
        template = _template(op, computes[-1] if op.dtype_rule != "switch" else out_dtype)
        if template is None:
            return None
        lines.append(f"const {CTYPES[out_dtype]} s{k} = {template.format(*operands)};")
    lines.append(f"out = s{len(comp.steps) - 1};")
    operation = "\n".join(lines)
    in_params = ", ".join(f"{d} i{k}" for k, d in enumerate(comp.in_dtypes))
    out_params = f"{comp.step_dtypes[-1]} out"
    digest = hashlib.sha1((in_params + out_params + operation).encode()).hexdigest()[:12]
    return KernelSource(in_params, out_params, operation, f"lk_fused_{digest}")
