"""Keep large NumPy buffers in the C heap instead of fresh ``mmap``s (glibc only; ``config.allocator``).

glibc serves allocations above a threshold (128 KB, rising dynamically up to 32 MB) with a new ``mmap`` and gives
the pages back on ``free``. A training step allocates and frees the same multi-megabyte temporaries every call,
so each step touches fresh pages: measured on W6 ``conv_train``, 1,300 to 3,900 page faults per step at ~4 us each,
5 to 15 ms of a ~19 ms step, varying with allocation order from run to run. Raising the mmap threshold and the trim
threshold once per process makes freed buffers reusable: zero faults per step. The cost is that up to
``TRIM_BYTES`` of freed heap stays with the process instead of returning to the OS, as a caching allocator would.
Set ``LAYERKIT_FLAGS=allocator=system`` to leave malloc alone.
"""
import ctypes
import ctypes.util
import sys

__all__ = ["tune_allocator", "MMAP_THRESHOLD_BYTES", "TRIM_BYTES"]

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3   # glibc's mallopt parameter numbers
MMAP_THRESHOLD_BYTES = 256 << 20
TRIM_BYTES = 1 << 30


def tune_allocator():
    """Raise glibc's mmap and trim thresholds; returns True when applied (False elsewhere: macOS, musl, Windows)."""
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_BYTES))
