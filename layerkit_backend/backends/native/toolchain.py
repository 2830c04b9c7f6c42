"""The system C compiler: finding it, what identifies a build (for the cache key), and running it.

Flags: ``-O3 -march=native`` (the library is built for this CPU; the CPU is part of the cache key), no errno from
math functions and no trapping math (both let loops vectorise; NaN, infinity and signed-zero semantics are kept,
unlike ``-ffast-math``), ``-fwrapv`` (integer overflow wraps, as in NumPy), and ``-fopenmp-simd`` so the vector
variants glibc's libmvec provides for exp, log, sin, tanh... are called from vectorised loops (declared with
``#pragma omp declare simd`` for the functions this libmvec has; on other systems the loops stay scalar calls).
"""
import ctypes
import hashlib
import platform
import shlex
import shutil
import subprocess

from ...config import config

__all__ = ["Toolchain", "find_toolchain", "CompileError", "NoCompilerError"]

FLAGS = ("-O3", "-march=native", "-fPIC", "-shared", "-fno-math-errno", "-fno-trapping-math", "-fwrapv",
         "-fopenmp-simd", "-pthread", "-w")
COMPILE_TIMEOUT_S = 120
# libm functions whose vector forms libmvec may have (name, arity)
_VECTOR_MATH = [("exp", 1), ("exp2", 1), ("expm1", 1), ("log", 1), ("log2", 1), ("log10", 1), ("log1p", 1),
                ("sin", 1), ("cos", 1), ("tan", 1), ("asin", 1), ("acos", 1), ("atan", 1), ("sinh", 1), ("cosh", 1),
                ("tanh", 1), ("asinh", 1), ("acosh", 1), ("atanh", 1), ("erf", 1), ("erfc", 1), ("pow", 2),
                ("atan2", 2)]


class NoCompilerError(RuntimeError):
    """No usable C compiler: the native tier is off for this process."""


class CompileError(RuntimeError):
    """The compiler rejected generated source (a bug in the generator) or failed."""


class Toolchain:
    """A C compiler command, its flags and the identity of a build (compiler version, flags, CPU)."""

    def __init__(self, command, version, flags, libs, vector_math):
        self.command, self.version, self.flags, self.libs = list(command), version, tuple(flags), tuple(libs)
        self.vector_math = tuple(vector_math)
        self.identity = hashlib.sha256("\n".join([" ".join(self.command), version, " ".join(self.flags),
                                                  " ".join(self.libs), _cpu_signature()]).encode()).hexdigest()

    def declarations(self):
        """C declarations giving libm functions their libmvec vector forms."""
        lines = []
        for name, arity in self.vector_math:
            for ctype, suffix in (("float", "f"), ("double", "")):
                params = ", ".join([ctype] * arity)
                lines += ["#pragma omp declare simd notinbranch", f"{ctype} {name}{suffix}({params});"]
        return "\n".join(lines) + "\n"

    def compile(self, source_path, library_path):
        """Build ``source_path`` into the shared library ``library_path``; CompileError with the compiler's
        message on failure."""
        cmd = self.command + list(self.flags) + ["-o", library_path, source_path] + list(self.libs)
        try:
            done = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  timeout=COMPILE_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired) as err:
            raise CompileError(f"{' '.join(cmd)}: {err}") from err
        if done.returncode != 0:
            raise CompileError(f"{' '.join(cmd)} exited with {done.returncode}: {done.stderr.strip()[:2000]}")


def _cpu_signature():
    """What -march=native depends on: the CPU model and feature flags."""
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
        keep = [line for line in text.split("\n\n")[0].splitlines()
                if line.split(":")[0].strip() in ("vendor_id", "model name", "flags", "Features", "CPU part")]
        return "\n".join(keep)
    except OSError:
        return platform.machine() + " " + platform.processor()


def _vector_math():
    """The libm functions this system's libmvec vectorises (x86-64 glibc only)."""
    if platform.machine() not in ("x86_64", "AMD64"):
        return [], []
    try:
        lib = ctypes.CDLL("libmvec.so.1")
    except OSError:
        return [], []
    found = [(name, arity) for name, arity in _VECTOR_MATH
             if hasattr(lib, f"_ZGVbN4{'v' * arity}_{name}f") and hasattr(lib, f"_ZGVbN2{'v' * arity}_{name}")]
    return found, (["-lmvec"] if found else [])


_FOUND = []


def find_toolchain():
    """The Toolchain for ``config.cc`` (looked up once per process); NoCompilerError when there is none."""
    if not _FOUND:
        try:
            _FOUND.append(_probe(config.cc))
        except NoCompilerError as err:
            _FOUND.append(err)
    found = _FOUND[0]
    if isinstance(found, NoCompilerError):
        raise found
    return found


def _probe(cc):
    command = shlex.split(cc)
    if not command or shutil.which(command[0]) is None:
        raise NoCompilerError(f"no C compiler: {cc!r} (config.cc) is not on PATH")
    try:
        done = subprocess.run(command + ["--version"], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=30)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise NoCompilerError(f"C compiler {cc!r} does not run: {err}") from err
    if done.returncode != 0:
        raise NoCompilerError(f"C compiler {cc!r} --version exited with {done.returncode}")
    vector_math, libs = _vector_math()
    return Toolchain(command, done.stdout.strip(), FLAGS + tuple(shlex.split(config.native_cflags)), ["-lm"] + libs,
                     vector_math)


def reset():
    """Forget the compiler found (after config.cc changes; used by tests)."""
    _FOUND.clear()

