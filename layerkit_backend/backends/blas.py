"""What the CPU's matrix products run on, and how many threads they use.

NumPy's wheels bundle OpenBLAS. On a small machine shared with other work, OpenBLAS's worker threads can make a
matrix product ten times slower than one thread (measured on this project's 2-core machine under load: a
16x512 @ 512x512 product took 6.8 ms with 2 threads, 0.28 ms with 1). ``set_blas_threads`` changes the count at run
time through the library NumPy already loaded (no extra dependency); ``config.blas_threads`` sets it at import.
"""
import ctypes
import re

__all__ = ["blas_info", "set_blas_threads", "get_blas_threads"]

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
