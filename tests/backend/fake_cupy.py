"""A stand-in ``cupy`` backed by NumPy, for testing the GPU paths on machines without a GPU.

``install(monkeypatch, available=True, devices=1)`` puts modules ``cupy``, ``cupyx`` and ``cupyx.scipy.special`` in
``sys.modules`` and returns the fake ``cupy``. Its ``ndarray`` is a NumPy subclass whose class says it comes from
``cupy``; its functions refuse plain NumPy arrays (as CuPy does), so a hidden host array in a GPU graph fails the
test. ``transfers`` counts host-to-device and device-to-host copies; ``kernels_built`` lists every
``ElementwiseKernel`` made. A kernel runs its generated operation for real: the CUDA C body is compiled as C++ by
g++ into a small shared library and called through ctypes (``__device__`` is defined away).
"""
import ctypes
import hashlib
import os
import subprocess
import sys
import tempfile
import types

import numpy as np

_CTYPES = {"bool": "bool", "int8": "signed char", "uint8": "unsigned char", "int16": "short",
           "uint16": "unsigned short", "int32": "int", "uint32": "unsigned int", "int64": "long long",
           "uint64": "unsigned long long", "float32": "float", "float64": "double"}
_LIBS = {}
_BUILD_DIR = tempfile.mkdtemp(prefix="fake_cupy_")


class ndarray(np.ndarray):
    """A 'device' array: results of reductions stay 0-d arrays, as in CuPy."""

    __module__ = "cupy"

    def __array_wrap__(self, arr, context=None, return_scalar=False):
        return np.asarray(arr).view(ndarray)

    @property
    def device(self):
        return Device(0)

    def get(self):
        return asnumpy(self)


class Device:
    """``cupy.cuda.Device``: a context manager recording which device is current."""

    current = [0]

    def __init__(self, id=0):
        self.id = id

    def __enter__(self):
        self.current.append(self.id)
        return self

    def __exit__(self, *exc):
        self.current.pop()

    def use(self):
        self.current[-1] = self.id


transfers = {"to_device": 0, "to_host": 0}
kernels_built = []


def _on_device(value):
    if isinstance(value, ndarray):
        return value
    if isinstance(value, np.generic):
        return np.asarray(value).view(ndarray)
    if isinstance(value, np.ndarray):
        return value.view(ndarray)
    if isinstance(value, tuple):
        return tuple(_on_device(v) for v in value)
    if isinstance(value, list):
        return [_on_device(v) for v in value]
    return value


def _refuse_host(name, values):
    for v in values:
        if isinstance(v, (list, tuple)):
            _refuse_host(name, v)
        elif isinstance(v, np.ndarray) and not isinstance(v, ndarray):
            raise TypeError(f"fake cupy.{name}: received a NumPy array (CuPy refuses host arrays)")


def _wrap(name, fn):
    def call(*args, **kwargs):
        _refuse_host(name, args)
        _refuse_host(name, kwargs.values())
        return _on_device(fn(*args, **kwargs))

    call.__name__ = name
    return call


def asarray(value, dtype=None, order=None):
    if not isinstance(value, ndarray):
        transfers["to_device"] += 1
        return np.array(value, dtype=dtype, order=order or "K", copy=True).view(ndarray)
    return value if dtype is None or value.dtype == dtype else value.astype(dtype)


def array(value, dtype=None, copy=True, order="K", ndmin=0):
    if not isinstance(value, ndarray):
        transfers["to_device"] += 1
    return np.array(value, dtype=dtype, copy=copy, order=order, ndmin=ndmin).view(ndarray)


def asnumpy(value):
    if isinstance(value, ndarray):
        transfers["to_host"] += 1
        return np.array(value.view(np.ndarray), copy=True)
    return np.asarray(value)


class ElementwiseKernel:
    """Records its source; calling it compiles the operation with g++ (once per source) and runs it."""

    def __init__(self, in_params, out_params, operation, name="kernel", preamble="", **kwargs):
        self.in_params, self.out_params, self.operation = in_params, out_params, operation
        self.name, self.preamble = name, preamble
        kernels_built.append(self)

    def _params(self, text):
        return [tuple(p.split()) for p in text.split(",")]

    def __call__(self, *args):
        ins, outs = self._params(self.in_params), self._params(self.out_params)
        arrays = [np.asarray(a.view(np.ndarray) if isinstance(a, ndarray) else a, dtype=d)
                  for a, (d, _) in zip(args, ins)]
        shape = np.broadcast_shapes(*[a.shape for a in arrays])
        flat = [np.ascontiguousarray(np.broadcast_to(a, shape)) for a in arrays]
        result = np.empty(shape, dtype=outs[0][0])
        fn = self._library(ins, outs)
        pointers = [a.ctypes.data_as(ctypes.c_void_p) for a in flat]
        fn(ctypes.c_longlong(result.size), *pointers, result.ctypes.data_as(ctypes.c_void_p))
        if len(args) > len(ins):
            out = args[len(ins)]
            out[...] = result
            return out
        return result.view(ndarray)

    def _library(self, ins, outs):
        params = [f"const {_CTYPES[d]}* __restrict p_{n}" for d, n in ins]
        params.append(f"{_CTYPES[outs[0][0]]}* p_{outs[0][1]}")
        loads = "".join(f"        const {_CTYPES[d]} {n} = p_{n}[j];\n" for d, n in ins)
        source = (f"#include <cmath>\nusing namespace std;\n#define __device__\n{self.preamble}\n"
                  f'extern "C" void run(long long n, {", ".join(params)}) {{\n'
                  f"    for (long long j = 0; j < n; ++j) {{\n{loads}"
                  f"        {_CTYPES[outs[0][0]]}& {outs[0][1]} = p_{outs[0][1]}[j];\n"
                  f"        {self.operation}\n    }}\n}}\n")
        digest = hashlib.sha1(source.encode()).hexdigest()[:16]
        if digest not in _LIBS:
            base = os.path.join(_BUILD_DIR, digest)
            with open(base + ".cpp", "w") as fh:
                fh.write(source)
            subprocess.run(["g++", "-O1", "-shared", "-fPIC", "-o", base + ".so", base + ".cpp"], check=True,
                           capture_output=True)
            _LIBS[digest] = ctypes.CDLL(base + ".so").run
        return _LIBS[digest]


def _make_cupy(available, devices):
    cupy = types.ModuleType("cupy")
    for name in dir(np):
        if name.startswith("_") or name in ("ndarray", "asarray", "array"):
            continue
        value = getattr(np, name)
        if isinstance(value, type) or not callable(value):
            setattr(cupy, name, value)
        else:
            setattr(cupy, name, _wrap(name, value))
    for sub in ("linalg", "fft"):
        module = types.ModuleType(f"cupy.{sub}")
        source = getattr(np, sub)
        for name in dir(source):
            if not name.startswith("_") and callable(getattr(source, name)):
                setattr(module, name, _wrap(f"{sub}.{name}", getattr(source, name)))
        setattr(cupy, sub, module)
    cupy.__version__ = "14.0.0-fake"
    cupy.ndarray, cupy.asarray, cupy.array, cupy.asnumpy = ndarray, asarray, array, asnumpy
    cupy.ascontiguousarray = lambda a, dtype=None: asarray(np.ascontiguousarray(a, dtype=dtype))
    cupy.get_array_module = lambda *args: cupy
    cupy.is_available = lambda: available
    cupy.ElementwiseKernel = ElementwiseKernel
    cupy.transfers, cupy.kernels_built = transfers, kernels_built
    runtime = types.SimpleNamespace(getDeviceCount=lambda: devices if available else 0)
    cupy.cuda = types.SimpleNamespace(Device=Device, runtime=runtime)
    return cupy


def _make_cupyx():
    from scipy import special

    cupyx = types.ModuleType("cupyx")
    cupyx.scatter_add = lambda a, slices, value: np.add.at(a, slices, value)
    cupyx.scipy = types.ModuleType("cupyx.scipy")
    cupyx.scipy.special = types.ModuleType("cupyx.scipy.special")
    cupyx.scipy.special.erf = _wrap("erf", special.erf)
    return cupyx


def install(monkeypatch, available=True, devices=1):
    """Install the stand-in into ``sys.modules`` (undone by ``monkeypatch``) and forget cached GPU namespaces."""
    from layerkit_backend import backends
    from layerkit_backend.backends import cupy_backend

    cupy, cupyx = _make_cupy(available, devices), _make_cupyx()
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    monkeypatch.setitem(sys.modules, "cupyx", cupyx)
    monkeypatch.setitem(sys.modules, "cupyx.scipy", cupyx.scipy)
    monkeypatch.setitem(sys.modules, "cupyx.scipy.special", cupyx.scipy.special)
    monkeypatch.setattr(backends, "_XPS", {"cpu": backends.numpy_xp})
    monkeypatch.setattr(cupy_backend, "KERNEL_CACHE", {})
    monkeypatch.setattr(cupy_backend, "_reported", set())
    from layerkit_backend.rewrite import fusion

    monkeypatch.setattr(fusion, "_KERNELS", {})
    transfers.update(to_device=0, to_host=0)
    kernels_built.clear()
    return cupy
