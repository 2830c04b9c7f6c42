"""Array modules the compiled code runs on: NumPy on the CPU, CuPy on NVIDIA GPUs.

Ops never import numpy to compute: they receive ``xp``, a namespace holding the array module's functions plus the
few helpers whose spelling differs between NumPy and CuPy (``scatter_add``, ``special``, ``to_host``). So every op runs
on every backend, and a backend is one small module.
"""
import re
import types

import numpy as np

from ..config import config

__all__ = ["array_module_of", "get_xp", "numpy_xp", "resolve_device", "on_device", "to_host",
           "to_device_of"]


class _LazySpecial:
    """``xp.special`` on the CPU, built on first use (importing SciPy takes a while; most programs never need it)."""

    def __getattr__(self, name):
        from .special import numpy_special

        ns = numpy_special()
        self.__dict__.update(vars(ns))
        return getattr(ns, name)


def _make_numpy_xp():
    ns = types.SimpleNamespace(**{k: getattr(np, k) for k in dir(np) if not k.startswith("_")})
    ns.name = "numpy"
    ns.is_gpu = False
    ns.scatter_add = np.add.at
    ns.special = _LazySpecial()  # erf, erfinv, gamma, psi... (backends/special.py)
    ns.to_host = lambda a: a
    ns.from_host = np.asarray
    return ns


numpy_xp = _make_numpy_xp()
if config.allocator == "tuned":
    from .allocator import tune_allocator

    tune_allocator()
if config.blas_threads != "auto":
    from .blas import set_blas_threads

    set_blas_threads(int(config.blas_threads))
_XPS = {"cpu": numpy_xp}
_CUDA_NAME = re.compile(r"cuda(\d*)")


def resolve_device(device=None):
    """'cpu' or 'cuda<index>' for a device name ('cpu', 'cuda', 'cuda0', 'cuda1', 'auto'; None: config.device).

    'auto' is 'cuda0' when CuPy imports and ``cupy.is_available()``, else 'cpu'. Only a GPU name or 'auto'
    imports CuPy.

    Example:
        >>> resolve_device('cpu')
        'cpu'
    """
    device = device or config.device
    if device == "cpu":
        return "cpu"
    if device == "auto":
        from .cupy_backend import cuda_available

        return "cuda0" if cuda_available() else "cpu"
    match = _CUDA_NAME.fullmatch(str(device))
    if match is None:
        raise ValueError(f"unknown device {device!r}; expected 'cpu', 'cuda', 'cuda<index>' or 'auto'")
    return f"cuda{match.group(1) or 0}"


def get_xp(device=None):
    """The array namespace for ``device`` (default ``config.device``): numpy's, or CuPy's for a GPU.

    Asking for a GPU without CuPy or a usable GPU raises ``DeviceUnavailableError`` naming the fix.
    """
    device = resolve_device(device)
    xp = _XPS.get(device)
    if xp is None:
        from .cupy_backend import make_cupy_xp

        xp = _XPS[device] = make_cupy_xp(int(device[len("cuda"):]))
    return xp


def on_device(value):
    """True for a CuPy array."""
    return type(value).__module__.startswith("cupy")


def to_host(value):
    """``value`` as NumPy: CuPy arrays are copied from the device; anything else is returned unchanged."""
    if on_device(value):
        import cupy

        return cupy.asnumpy(value)
    return value


def to_device_of(value, like):
    """``value`` copied to the GPU that holds the CuPy array ``like``."""
    import cupy

    with like.device:
        return cupy.asarray(value)


def array_module_of(value):
    """numpy, or cupy when ``value`` is a CuPy array."""
    if type(value).__module__.startswith("cupy"):
        import cupy

        return cupy
    return np
