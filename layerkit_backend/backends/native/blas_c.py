"""CBLAS from generated C: the routines of the OpenBLAS NumPy already loaded, found through ctypes (backends/blas.py)
and handed to each library as function pointers at load time, so generated code links against nothing."""
import ctypes

from ..blas import cblas_address

__all__ = ["blas_available", "blas_declarations", "bind_blas", "ROUTINES"]

ROUTINES = ("sgemm", "dgemm", "sdot", "ddot")
_FOUND = []


def _addresses():
    if not _FOUND:
        found = [cblas_address(name) for name in ROUTINES]
        _FOUND.append(None if None in found or len({bits for _, bits in found}) != 1 else found)
    return _FOUND[0]


def blas_available():
    """True when every routine generated code may call was found."""
    return _addresses() is not None


def blas_declarations():
    """C typedefs, the pointer table ``lk_bind_blas`` fills, and the names ``lk_sgemm``... generated code calls."""
    found = _addresses()
    int_t = "int64_t" if found is None or found[0][1] == 64 else "int32_t"
    lines = [f"typedef {int_t} lk_blas_int;"]
    for letter, t in (("s", "float"), ("d", "double")):
        lines.append(f"typedef void (*lk_{letter}gemm_t)(int, int, int, lk_blas_int, lk_blas_int, lk_blas_int, {t}, "
                     f"const {t} *, lk_blas_int, const {t} *, lk_blas_int, {t}, {t} *, lk_blas_int);")
        lines.append(f"typedef {t} (*lk_{letter}dot_t)(lk_blas_int, const {t} *, lk_blas_int, const {t} *, "
                     f"lk_blas_int);")
    lines.append("static void *lk_blas_fns[%d];" % len(ROUTINES))
    lines.append("void lk_bind_blas(void **fns) { for (int k = 0; k < %d; k++) lk_blas_fns[k] = fns[k]; }"
                 % len(ROUTINES))
    for k, name in enumerate(ROUTINES):
        lines.append(f"#define lk_{name} ((lk_{name}_t)lk_blas_fns[{k}])")
    return "\n".join(lines) + "\n"



def bind_blas(cdll):
    """Give a library that calls BLAS the routines' addresses."""
    found = _addresses()
    if found is None:
        return
    fns = (ctypes.c_void_p * len(ROUTINES))(*[address for address, _ in found])
    bind = cdll.lk_bind_blas
    bind.restype = None
    bind.argtypes = [ctypes.c_void_p]
    bind(fns)
