"""The native tier: C generated from the rewritten graph, compiled by the system C compiler, loaded with ctypes.

- ``scalar_c`` (in backends/): the C form of each elementwise table row, shared with the CUDA kernels;
- ``runtime``: the C every library carries (reading NumPy arrays, broadcast iteration, threads);
- ``elemwise``: one C loop per Elemwise node (shapes known only when it runs);
- ``program``: a graph with static shapes as one C function (scan steps); ``blas_c``: CBLAS from generated C;
- ``toolchain``: the compiler, its flags and identity; ``cache``: the per-user compile cache and its safety rules;
- ``library``: source -> cache -> compiler -> loaded library.

compile/tiers.py decides which functions get a native tier and when it takes over from the NumPy one; this package
knows nothing about functions (imports flow compile -> backends -> tensor).
"""
from .cache import CompileCache, UnsafeCacheError
from .elemwise import ElemwiseKernel, elemwise_kernel
from .library import Library, LayoutError, build_library
from .program import NoCForm, StaticProgram
from .toolchain import CompileError, NoCompilerError, find_toolchain

__all__ = ["CompileCache", "UnsafeCacheError", "ElemwiseKernel", "elemwise_kernel", "Library", "LayoutError",
           "build_library", "NoCForm", "StaticProgram", "CompileError", "NoCompilerError", "find_toolchain"]
