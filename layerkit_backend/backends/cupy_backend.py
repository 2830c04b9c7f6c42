"""The CuPy backend: device detection, the ``xp`` namespace for NVIDIA GPUs, and the cache of generated kernels.

Importing this module never imports CuPy (so ``import layerkit_backend`` never touches CUDA): CuPy is imported when
a device is resolved or an ``xp`` is made. Fused elementwise subgraphs become ``cupy.ElementwiseKernel``s whose
source comes from backends/cuda_codegen.py; each distinct (operation, parameter dtypes) compiles once per process
(CuPy's own disk cache then skips nvcc/NVRTC on later runs).
"""
import types
import warnings

from ..bounded_cache import BoundedCache
from .cuda_codegen import PREAMBLE, kernel_source

__all__ = ["DeviceUnavailableError", "Float64OnGPUWarning", "cuda_available", "require_cuda", "make_cupy_xp",
           "fused_kernel", "elementwise_kernel", "warn_float64", "KERNEL_CACHE"]

INSTALL_HINT = ("install the GPU extra (pip install -e .[gpu-cuda12], or .[gpu-cuda13] for CUDA 13), check the "
                "NVIDIA driver with nvidia-smi, or use device='cpu' or device='auto'")


class DeviceUnavailableError(RuntimeError):
    """A CUDA device was asked for, and CuPy or a usable GPU is missing."""


class Float64OnGPUWarning(UserWarning):
    """A float64 value in a graph compiled for the GPU (about 30x slower than float32 on most NVIDIA GPUs)."""


def _import_cupy(where):
    try:
        import cupy
    except ImportError as err:
        raise DeviceUnavailableError(f"{where}: CuPy is not installed ({err}); {INSTALL_HINT}") from None
    return cupy


def cuda_available():
    """True when CuPy imports and ``cupy.is_available()`` (a working driver and GPU); never raises."""
    try:
        import cupy
    except ImportError:
        return False
    try:
        return bool(cupy.is_available())
    except Exception:  # a broken CUDA install must make 'auto' fall back, not crash
        return False


def require_cuda(index=0, where="device='cuda'"):
    """CuPy, after checking that GPU ``index`` can be used; raises DeviceUnavailableError naming the fix."""
    cupy = _import_cupy(where)
    if not cupy.is_available():
        raise DeviceUnavailableError(
            f"{where}: CuPy {getattr(cupy, '__version__', '?')} is installed but cupy.is_available() is False (no "
            f"usable NVIDIA GPU or driver, or a CuPy wheel built for another CUDA version); {INSTALL_HINT}")
    count = cupy.cuda.runtime.getDeviceCount()
    if index >= count:
        raise DeviceUnavailableError(f"{where}: expected a GPU index below {count} (this machine has {count} "
                                     f"GPU{'s' if count != 1 else ''}), received {index}")
    return cupy


def make_cupy_xp(index=0):
    """The array namespace for GPU ``index``: CuPy's functions plus the helpers of ``numpy_xp`` (same names).

    Host-only helpers NumPy has and CuPy lacks (dtype classes, ``finfo``, ``errstate``...) come from NumPy; array
    functions CuPy lacks are left out, so an op needing one fails with an AttributeError naming it.
    """
    cupy = require_cuda(index, f"device='cuda{index}'")
    import cupyx
    import cupyx.scipy.special

    from . import numpy_xp
    from .special import cupy_special

    ns = types.SimpleNamespace(**{k: getattr(cupy, k) for k in dir(cupy) if not k.startswith("_")})
    for k, v in vars(numpy_xp).items():
        if not hasattr(ns, k) and (isinstance(v, type) or not callable(v) or k in _HOST_HELPERS):
            setattr(ns, k, v)
    device = cupy.cuda.Device(index)

    def from_host(value):
        with device:
            return cupy.asarray(value)

    ns.name = "cuda"
    ns.is_gpu = True
    ns.device_index = index
    ns.device = device  # a context manager: compiled functions run inside it
    ns.scatter_add = cupyx.scatter_add
    ns.special = cupy_special(cupyx.scipy.special)
    ns.to_host = cupy.asnumpy
    ns.from_host = from_host
    return ns


_HOST_HELPERS = {"errstate", "finfo", "iinfo", "result_type", "can_cast", "promote_types", "dtype", "isscalar",
                 "broadcast_shapes", "ndindex", "prod"}

# (in_params, out_params, operation) -> cupy.ElementwiseKernel. The params carry the dtypes, so a key is the
# kernel's code and dtypes; a process compiles each once.
KERNEL_CACHE = BoundedCache(1024)   # by source: bounded as fusion's cache is (rewrite/fusion.py)


def elementwise_kernel(source):
    """The cached ``cupy.ElementwiseKernel`` for a ``KernelSource`` (built, and later compiled, once)."""
    key = source.key()
    kernel = KERNEL_CACHE.get(key)
    if kernel is None:
        import cupy

        kernel = KERNEL_CACHE[key] = cupy.ElementwiseKernel(source.in_params, source.out_params, source.operation,
                                                            source.name, preamble=PREAMBLE)
    return kernel


def fused_kernel(comp):
    """A callable ``kernel(*inputs, out=None)`` running the fused ``comp`` as one CUDA kernel, or None when a step
    has no CUDA expression (fusion then runs it through CuPy's ufuncs, step by step)."""
    source = kernel_source(comp)
    if source is None:
        return None
    kernel = elementwise_kernel(source)

    def run(*inputs, out=None):
        return kernel(*inputs) if out is None else kernel(*inputs, out)

    run.source = source
    return run


_reported = set()


def warn_float64(fgraph, where="function"):
    """Warn (once per process) that a graph compiled for the GPU computes in float64."""
    if _reported:
        return
    for var in list(fgraph.inputs) + [out for node in fgraph.toposort() for out in node.outputs]:
        if getattr(var.type, "dtype", None) == "float64":
            _reported.add(var)
            made_by = f"computed by {var.owner.op}" if var.owner is not None else "an input or shared variable"
            warnings.warn(Float64OnGPUWarning(
                f"{where}: {var} ({made_by}) is float64 in a graph compiled for the GPU; float64 is usually about "
                f"30x slower than float32 there. Use float32 inputs and shared values (config.floatX='float32'). "
                f"This warning is shown once per process."), stacklevel=3)
            return
