"""What the CPU's matrix products run on, and how many threads they use.

NumPy's wheels bundle OpenBLAS. On a small machine shared with other work, OpenBLAS's worker threads can make a
matrix product ten times slower than one thread (measured on this project's 2-core machine under load: a
16x512 @ 512x512 product took 6.8 ms with 2 threads, 0.28 ms with 1). ``set_blas_threads`` changes the count at run
time through the library NumPy already loaded (no extra dependency); ``config.blas_threads`` sets it at import.
"""
import ctypes
import re

__all__ = ["blas_info", "set_blas_threads", "get_blas_threads", "cblas_address"]

_PREFIXES = ("scipy_openblas_", "openblas_")
_SUFFIXES = ("64_", "")


_FOUND = []


def _openblas():
    """(ctypes library, symbol prefix, suffix) of the OpenBLAS in this process, or None (looked up once)."""
    if not _FOUND:
        _FOUND.append(_find_openblas())
    return _FOUND[0]


def _find_openblas():
    import numpy  # noqa: F401  (loads the BLAS)

    try:
        maps = open("/proc/self/maps").read()
    except OSError:
        return None
    for path in sorted(set(re.findall(r"(/\S*openblas\S*\.so\S*)", maps))):
        lib = ctypes.CDLL(path)
        for prefix in _PREFIXES:
            for suffix in _SUFFIXES:
                if hasattr(lib, f"{prefix}set_num_threads{suffix}"):
                    return lib, prefix, suffix
    return None


def _call(name, restype=ctypes.c_int, *args):
    found = _openblas()
    if found is None:
        return None
    lib, prefix, suffix = found
    fn = getattr(lib, f"{prefix}{name}{suffix}", None)
    if fn is None:
        return None
    fn.restype = restype
    return fn(*args)


def set_blas_threads(n):
    """Use ``n`` threads for BLAS calls (OpenBLAS only); returns False when no OpenBLAS was found."""
    n = int(n)
    if n < 1:
        raise ValueError(f"set_blas_threads: expected a positive thread count, received {n}")
    if _openblas() is None:
        return False
    _call("set_num_threads", None, ctypes.c_int(n))
    return True


def get_blas_threads():
    """The BLAS thread count, or None when the BLAS is not OpenBLAS."""
    return _call("get_num_threads")


def blas_info():
    """A dict describing the BLAS: library, kernel family chosen for this CPU, threads."""
    found = _openblas()
    if found is None:
        return {"library": "unknown (not OpenBLAS)"}
    core = _call("get_corename", ctypes.c_char_p)
    config = _call("get_config", ctypes.c_char_p)
    return {"library": "OpenBLAS", "kernels": core.decode() if core else None,
            "config": config.decode() if config else None, "threads": get_blas_threads()}


_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_GEMM = {}


def _cblas_gemm(dtype):
    """The CBLAS ``?gemm`` of the loaded OpenBLAS for float32/float64 (with its integer type), or None."""
    if dtype not in _GEMM:
        found = _openblas()
        fn = None
        if found is not None:
            lib, prefix, suffix = found
            letter = {"float32": "s", "float64": "d"}.get(dtype)
            cprefix = prefix.replace("openblas_", "cblas_")
            fn = getattr(lib, f"{cprefix}{letter}gemm{suffix}", None) if letter else None
            if fn is not None:
                int_t = ctypes.c_int64 if suffix.startswith("64") else ctypes.c_int
                real = ctypes.c_float if dtype == "float32" else ctypes.c_double
                fn.restype = None
                fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, int_t, int_t, int_t, real, ctypes.c_void_p,
                               int_t, ctypes.c_void_p, int_t, real, ctypes.c_void_p, int_t]
        _GEMM[dtype] = fn
    return _GEMM[dtype]


def cblas_address(name):
    """(address, integer bits) of the CBLAS routine ``cblas_<name>`` (e.g. 'sgemm') in the OpenBLAS NumPy loaded,
    or None: the native tier calls it from generated C."""
    found = _openblas()
    if found is None:
        return None
    lib, prefix, suffix = found
    fn = getattr(lib, f"{prefix.replace('openblas_', 'cblas_')}{name}{suffix}", None)
    if fn is None:
        return None
    return ctypes.cast(fn, ctypes.c_void_p).value, 64 if suffix.startswith("64") else 32


def _operand(m):
    """(transpose flag, leading dimension) for a matrix BLAS can read in place, or None."""
    if m.flags.c_contiguous:
        return _NO_TRANS, max(m.shape[1], 1)
    if m.flags.f_contiguous:
        return _TRANS, max(m.shape[0], 1)
    return None


def gemm_inplace(c, alpha, a, b):
    """``c += alpha * (a @ b)``, written into ``c`` (NumPy arrays; c C-contiguous; shapes already checked).

    One BLAS call when OpenBLAS is loaded and ``a``/``b`` are contiguous in either order, so ``c`` is read and
    written once; otherwise NumPy computes the product and adds it in place.
    """
    gemm = _cblas_gemm(c.dtype.name) if c.flags.c_contiguous and a.dtype == b.dtype == c.dtype else None
    ops = (_operand(a), _operand(b)) if gemm is not None else (None, None)
    if gemm is None or None in ops or 0 in c.shape or a.shape[1] == 0:
        c += alpha * (a @ b)
        return c
    (ta, lda), (tb, ldb) = ops
    m, n, k = c.shape[0], c.shape[1], a.shape[1]
    gemm(_ROW_MAJOR, ta, tb, m, n, k, alpha, a.ctypes.data, lda, b.ctypes.data, ldb, 1.0, c.ctypes.data, n)
    return c
