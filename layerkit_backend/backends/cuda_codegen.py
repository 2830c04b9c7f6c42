"""CUDA C source for fused elementwise subgraphs (``Composite``), for ``cupy.ElementwiseKernel``.

The statements come from the C column of the elementwise table (scalar_c.py, shared with the native CPU tier); a
Composite that the table cannot express (float16, complex, integer ``pow``...) gets no source and runs through the
array module.

This module is pure Python (no CuPy): the generated source is checked on machines without a GPU.
"""
import hashlib

from .scalar_c import CTYPES, composite_lines, cuda_preamble

__all__ = ["CTYPES", "PREAMBLE", "KernelSource", "kernel_source"]

# NumPy's semantics where C's differ, as device templates (the one definition lives in scalar_c.HELPERS)
PREAMBLE = cuda_preamble()


class KernelSource:
    """What ``cupy.ElementwiseKernel`` needs: ``in_params``, ``out_params``, ``operation``, ``name``."""

    def __init__(self, in_params, out_params, operation, name):
        self.in_params, self.out_params, self.operation, self.name = in_params, out_params, operation, name

    def key(self):
        return (self.in_params, self.out_params, self.operation)

    def __repr__(self):
        return f"KernelSource({self.in_params!r}, {self.out_params!r}, {self.operation!r})"


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
    lines = composite_lines(comp)
    if lines is None:
        return None
    lines.append(f"out = s{len(comp.steps) - 1};")
    operation = "\n".join(lines)
    in_params = ", ".join(f"{d} i{k}" for k, d in enumerate(comp.in_dtypes))
    out_params = f"{comp.step_dtypes[-1]} out"
    digest = hashlib.sha1((in_params + out_params + operation).encode()).hexdigest()[:12]
    return KernelSource(in_params, out_params, operation, f"lk_fused_{digest}")
