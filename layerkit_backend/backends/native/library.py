"""Building and loading native libraries: source -> compile cache -> compiler (on a miss) -> ctypes.

One library per compiled function (all its kernels in one translation unit: one compiler run). Libraries with the
same source are loaded once per process.
"""
import ctypes
import os
import threading
import weakref

from ...config import config
from .blas_c import bind_blas, blas_declarations
from .cache import CompileCache, cache_key
from .runtime import KERNEL_HEADER, RUNTIME, bind_library, check_layout, init_library
from .toolchain import find_toolchain

__all__ = ["Library", "build_library", "full_source", "LayoutError", "THREAD_WORK"]

# A loop is split over threads when (elements x estimated cost per element) reaches this: below it, creating and
# joining a thread (~20-40 us here) costs more than it saves. Measured on the 2-core machine: see
# benchmarks/README.md, "native tier".
THREAD_WORK = 400_000.0


class LayoutError(RuntimeError):
    """The library does not read NumPy arrays the way this interpreter lays them out."""


class Library:
    """A loaded library: ``source`` (C), ``path``, and its entry points by name.

    The library is unloaded (dlclose) when the object is collected, so a process that builds model after model does
    not keep every library it ever loaded: whatever calls into it (a thunk, a scan loop) holds the Library itself,
    not just an entry point.
    """

    def __init__(self, cdll, source, path, unload=True):
        self.cdll, self.source, self.path = cdll, source, path
        self._functions = {}
        if unload:
            weakref.finalize(self, _dlclose, cdll._handle).atexit = False  # at exit the process unmaps it anyway

    def function(self, name, nargs):
        """The entry point ``int name(lk_array *, ...)`` taking ``nargs`` arrays."""
        fn = self._functions.get(name)
        if fn is None:
            fn = getattr(self.cdll, name)
            fn.restype = ctypes.c_int
            fn.argtypes = [ctypes.py_object] * nargs
            self._functions[name] = fn
        return fn

    def symbol(self, name):
        return getattr(self.cdll, name)


def _dlclose(handle):
    import _ctypes

    _ctypes.dlclose(handle)


_LOCK = threading.Lock()
_LOADED = weakref.WeakValueDictionary()  # source -> Library, while something uses it
_RUNTIME = []
_CACHE = []


def _cache():
    if not _CACHE:
        _CACHE.append(CompileCache(config.native_cache, float(config.native_cache_mb) * 2 ** 20))
    return _CACHE[0]


def _threads():
    if config.native_threads != "auto":
        return int(config.native_threads)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return os.cpu_count() or 1


def full_source(body):
    """The translation unit for generated ``body`` (kernels): vector-math declarations, kernel header, body."""
    return find_toolchain().declarations() + KERNEL_HEADER + blas_declarations() + "\n" + body


def _load(source):
    """The ctypes handle of ``source`` built by the toolchain: from the cache, or compiled now (under _LOCK)."""
    toolchain = find_toolchain()
    key = cache_key(source, toolchain.identity)
    cache = _cache()
    path = cache.lookup(key)
    if path is None:
        def build(work, library_path):
            src = os.path.join(work, "lib.c")
            with open(src, "w") as f:
                f.write(source)
            toolchain.compile(src, library_path)

        path = cache.store(key, build)
    return ctypes.CDLL(path), path


def _runtime():
    """The runtime library, built and checked once per process."""
    if not _RUNTIME:
        cdll, path = _load(RUNTIME)
        if not check_layout(cdll):
            raise LayoutError("the native runtime reads NumPy's array struct at other offsets than this "
                              "interpreter uses")
        init_library(cdll, _threads(), THREAD_WORK)
        _RUNTIME.append(Library(cdll, RUNTIME, path, unload=False))  # kernel libraries point into it
    return _RUNTIME[0]


def build_library(body):
    """The loaded Library for the kernels in ``body``: from this process, from the cache, or compiled now.

    Raises NoCompilerError, CompileError, LayoutError or OSError; callers fall back to the NumPy tier.
    """
    source = full_source(body)
    with _LOCK:
        lib = _LOADED.get(source)
        if lib is not None:
            return lib
        runtime = _runtime()
        cdll, path = _load(source)
        bind_library(cdll, runtime.cdll)
        bind_blas(cdll)
        lib = _LOADED[source] = Library(cdll, source, path)
        return lib


def reset():
    """Forget loaded libraries and the cache object (tests change config.native_cache)."""
    with _LOCK:
        _LOADED.clear()
        _RUNTIME.clear()
        _CACHE.clear()

