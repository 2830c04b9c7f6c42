"""C forms of the elementwise table (the ``cuda`` column of tensor/scalar.py), shared by the generated CUDA kernels
(cuda_codegen.py) and the native CPU tier (backends/native/).

A row's column is a C expression template (``"{0} + {1}"``), or a dict from dtype kind ('f', 'i', 'u', 'b') to
template where the expression depends on it. Operands are cast to the step's compute dtype first (its output dtype;
for comparisons and ``clip`` the common dtype of the operands), so C's promotion never differs from NumPy's. A
Composite with a step, operand or constant the table cannot express (float16, complex, integer ``pow``, a
non-finite constant...) gets no C form: it then runs through the array module.

The helpers the templates call (``lk_max``, ``lk_sigmoid``...) give NumPy's semantics where C's differ
(NaN-propagating max/min, Python's floor division and modulo, x // 0 == 0 for integers). Each is written once, in
``HELPERS``, and rendered as CUDA templates (``cuda_preamble``) or as one C function per type behind a C11
``_Generic`` name (``c_preamble``), so both languages read the same expression text.
"""
import math
import re

import numpy as np

from ..tensor.scalar import Cast, upcast

__all__ = ["CTYPES", "HELPERS", "cuda_preamble", "c_preamble", "composite_lines", "step_ctypes"]

CTYPES = {"bool": "bool", "int8": "signed char", "uint8": "unsigned char", "int16": "short",
          "uint16": "unsigned short", "int32": "int", "uint32": "unsigned int", "int64": "long long",
          "uint64": "unsigned long long", "float32": "float", "float64": "double"}
_SUFFIX = {d: d.replace("float", "f").replace("uint", "u").replace("int", "i") for d in CTYPES}
_T = re.compile(r"\bT\b")
_INTS = ("int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64")
_FLOATS = ("float32", "float64")

# (name, parameters, body, dtypes): the body is C (and CUDA) text over the type name T.
HELPERS = [
    ("lk_max", "T a, T b", "return (a > b || a != a) ? a : b;", tuple(CTYPES)),
    ("lk_min", "T a, T b", "return (a < b || a != a) ? a : b;", tuple(CTYPES)),
    ("lk_relu", "T x", "return (x > 0 || x != x) ? x : (T)0;", tuple(CTYPES)),
    ("lk_sign", "T x", "return x != x ? x : (T)((x > 0) - (x < 0));", _INTS + _FLOATS),
    # 1 / (1 + exp(-|x|)) in both tails: full relative precision, no overflow
    ("lk_sigmoid", "T x", "T e = exp(-fabs(x)); return (x >= 0 ? (T)1 : e) / ((T)1 + e);", _FLOATS),
    ("lk_softplus", "T x", "return (x > 0 ? x : (T)0) + log1p(exp(-fabs(x)));", _FLOATS),
    ("lk_softsign", "T x", "return x / ((T)1 + fabs(x));", _FLOATS),
    ("lk_round_away", "T x", "return x < 0 ? -floor(-x + (T)0.5) : floor(x + (T)0.5);", _FLOATS),
    # NumPy's float remainder and floor division (npy_divmod): the remainder takes the divisor's sign, and the
    # quotient is rounded from (a - mod) / b, so 1.0 // 0.1 is 9.0 as in Python (floor(1.0 / 0.1) would be 10.0)
    ("lk_fmod", "T a, T b",
     "T m = fmod(a, b); if (b == 0) return m; "
     "if (m != 0) { if ((b < 0) != (m < 0)) m += b; } else m = copysign((T)0, b); return m;", _FLOATS),
    ("lk_floordiv", "T a, T b",
     "if (b == 0) return a / b; T m = fmod(a, b); T d = (a - m) / b; "
     "if (m != 0 && ((b < 0) != (m < 0))) d -= (T)1; "
     "if (d == 0) return copysign((T)0, a / b); T f = floor(d); if (d - f > (T)0.5) f += (T)1; return f;",
     _FLOATS),
    # x // 0 and x % 0 are 0 (NumPy's result, with a warning); MIN // -1 wraps instead of trapping
    ("lk_imod", "T a, T b",
     "if (b == 0 || ((T)-1 < (T)0 && b == (T)-1)) return 0; T m = a % b; "
     "if (m != 0 && ((b < 0) != (m < 0))) m += b; return m;", _INTS),
    ("lk_ifloordiv", "T a, T b",
     "if (b == 0) return 0; if ((T)-1 < (T)0 && b == (T)-1) return (T)(0 - a); T q = a / b; "
     "if (a % b != 0 && ((a < 0) != (b < 0))) q -= 1; return q;", _INTS),
]


def cuda_preamble():
    """The helpers as CUDA device templates."""
    return "\n".join(f"template <typename T> __device__ T {name}({params}) {{ {body} }}"
                     for name, params, body, _ in HELPERS) + "\n"


def c_preamble():
    """The helpers as C: one static inline function per type, and a ``_Generic`` name choosing among them."""
    lines = []
    for name, params, body, dtypes in HELPERS:
        for d in dtypes:
            t = CTYPES[d]
            lines.append(f"static inline {t} {name}_{_SUFFIX[d]}({_T.sub(t, params)}) {{ {_T.sub(t, body)} }}")
        first = params.split(",")[0].split()[-1]
        args = ", ".join(p.split()[-1] for p in params.split(","))
        choices = ", ".join(f"{CTYPES[d]}: {name}_{_SUFFIX[d]}" for d in dtypes)
        lines.append(f"#define {name}({args}) _Generic(({first}), {choices})({args})")
    return "\n".join(lines) + "\n"


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


def step_ctypes(comp):
    """The C type of each input and step of ``comp``, or None when one has none (float16, complex...)."""
    if any(d not in CTYPES for d in comp.in_dtypes + comp.step_dtypes):
        return None
    return [CTYPES[d] for d in comp.in_dtypes], [CTYPES[d] for d in comp.step_dtypes]


def composite_lines(comp):
    """C statements ``const T s<k> = <expr>;`` computing the steps of ``comp`` (a ``Composite``) from the inputs
    ``i0, i1, ...``, or None when a step has no C form. The last step's value is ``s<len(steps) - 1>``."""
    if step_ctypes(comp) is None:
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
    return lines
