"""Theano as the oracle: running one program in either library, encoding its results, comparing two results.

A program is a function of one argument, ``lib`` (a ``Lib``), written once: ``lib.theano`` is ``theano`` or
``layerkit_backend``, ``lib.T`` its ``tensor`` module and ``lib.imp('tensor.nnet')`` imports a submodule the way
``from theano.tensor import nnet`` would. It returns a dict of named results (arrays, numbers, strings, lists,
dicts, or ``lib.outcome(...)`` markers for calls expected to raise).

This module runs under both interpreters: Theano's (Python 3.11, NumPy 1.23) when recording, and the project's
when replaying. It imports neither library itself.
"""
import base64
import contextlib
import importlib
import io
import json
import math
import numbers
import sys

import numpy as np

__all__ = ["Lib", "ProgramError", "run_program", "encode", "decode", "compare", "tolerance", "load_fixture",
           "save_fixture"]

FLOAT_TOL = {"float16": (1e-2, 1e-3), "float32": (2e-4, 2e-5), "float64": (1e-7, 1e-10)}


class ProgramError:
    """The marker for a call that raised: the exception's class name and message (compared as 'an error')."""

    def __init__(self, exc_type, message):
        self.exc_type, self.message = exc_type, message

    def __repr__(self):
        return f"ProgramError({self.exc_type}: {self.message[:80]})"


class Lib:
    """The library a program runs against: ``theano`` or ``layerkit_backend``."""

    def __init__(self, name):
        self.name = name
        self.theano = importlib.import_module(name)
        self.T = importlib.import_module(name + ".tensor")
        self.is_theano = name == "theano"

    def imp(self, submodule):
        """``from theano import <submodule>``: e.g. ``lib.imp('sandbox.rng_mrg').MRG_RandomStreams``."""
        return importlib.import_module(f"{self.name}.{submodule}")

    @property
    def config(self):
        return self.theano.config

    @staticmethod
    def outcome(fn):
        """``fn()``'s value, or a ProgramError when it raises (the programs' way to record an expected error)."""
        try:
            return fn()
        except Exception as err:  # noqa: BLE001  (any exception is a result to compare)
            return ProgramError(type(err).__name__, str(err)[:300])

    def each(self, inputs, values, builders):
        """``{name: value}`` for ``{name: builder}``: each expression ``builder()`` is built, compiled with
        ``inputs`` and run on ``values`` on its own, so one failure is one result (a ProgramError), not the
        program's end."""
        out = {}
        for name, build in builders.items():
            expr = self.outcome(build)
            if isinstance(expr, ProgramError):
                out[name] = expr
                continue
            fn = self.outcome(lambda: self.theano.function(inputs, expr, on_unused_input="ignore"))
            out[name] = fn if isinstance(fn, ProgramError) else self.outcome(lambda: fn(*values))
        return out

    @staticmethod
    def captured(fn):
        """``(value, printed_text)`` of ``fn()`` with stdout captured."""
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            value = fn()
        return value, buf.getvalue()


def run_program(fn, lib, floatX="float64"):
    """Run one program with ``floatX`` set; an uncaught exception becomes the program's only result."""
    before = lib.config.floatX
    lib.config.floatX = floatX
    np.random.seed(1234)  # programs that forget to pass a RandomState still draw the same numbers in both
    try:
        result = fn(lib)
        if not isinstance(result, dict):
            raise TypeError(f"program {fn.__name__} returned {type(result).__name__}, expected a dict")
        return result
    except Exception as err:  # noqa: BLE001
        return {"__error__": ProgramError(type(err).__name__, str(err)[:300])}
    finally:
        lib.config.floatX = before


# -- encoding -----------------------------------------------------------------------------------------------------
def encode(value):
    """A JSON-able form of a program result (arrays keep their exact bytes, dtype and shape)."""
    if isinstance(value, ProgramError):
        return {"error": value.exc_type, "message": value.message}
    if hasattr(value, "get") and type(value).__module__.startswith("cupy"):
        value = value.get()
    if isinstance(value, (np.ndarray, np.generic)):
        arr = np.asarray(value)  # (tobytes is C order whatever the layout; ascontiguousarray would make 0-d 1-d)
        if arr.dtype.kind not in "biufc":
            raise TypeError(f"cannot encode an array of dtype {arr.dtype}")
        return {"array": base64.b64encode(arr.tobytes()).decode("ascii"), "dtype": arr.dtype.name,
                "shape": list(arr.shape), "scalar": isinstance(value, np.generic)}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return {"float": repr(float(value))}
    if isinstance(value, (list, tuple)):
        return {"list": [encode(v) for v in value], "tuple": isinstance(value, tuple)}
    if isinstance(value, dict):
        return {"dict": {str(k): encode(v) for k, v in value.items()}}
    raise TypeError(f"cannot encode a result of type {type(value).__name__}: {value!r}")


def decode(data):
    """The inverse of ``encode``."""
    if isinstance(data, dict):
        if "error" in data:
            return ProgramError(data["error"], data["message"])
        if "array" in data:
            arr = np.frombuffer(base64.b64decode(data["array"]), dtype=data["dtype"]).reshape(data["shape"]).copy()
            return arr[()] if data.get("scalar") else arr
        if "float" in data:
            return float(data["float"])
        if "list" in data:
            items = [decode(v) for v in data["list"]]
            return tuple(items) if data.get("tuple") else items
        if "dict" in data:
            return {k: decode(v) for k, v in data["dict"].items()}
    return data


def save_fixture(path, meta, results):
    """Write ``{name: encoded results}`` plus ``meta`` (versions, flags) as JSON."""
    with open(path, "w") as f:
        json.dump({"meta": meta, "results": {k: {n: encode(v) for n, v in r.items()} for k, r in results.items()}},
                  f, indent=0, sort_keys=True)
        f.write("\n")


def load_fixture(path):
    """``(meta, {name: {result name: value}})`` of a fixture written by ``save_fixture``."""
    with open(path) as f:
        data = json.load(f)
    return data["meta"], {k: {n: decode(v) for n, v in r.items()} for k, r in data["results"].items()}


# -- comparison ---------------------------------------------------------------------------------------------------
def tolerance(dtype):
    """(rtol, atol) for comparing values of ``dtype``."""
    return FLOAT_TOL.get(np.dtype(dtype).name, (0.0, 0.0))


def compare(ours, theirs, path="", rtol=None, atol=None):
    """Differences between two results as a list of ``(path, what, detail)`` (empty when they agree).

    Arrays must agree in dtype, shape and values (floats within ``tolerance`` of the wider dtype unless given,
    NaNs equal NaNs); two errors agree whatever their class; lists, tuples and dicts are compared item by item.
    """
    out = []
    if isinstance(theirs, ProgramError) or isinstance(ours, ProgramError):
        if not (isinstance(theirs, ProgramError) and isinstance(ours, ProgramError)):
            what = "error_vs_value" if isinstance(ours, ProgramError) else "value_vs_error"
            detail = ours if isinstance(ours, ProgramError) else theirs
            out.append((path, what, repr(detail)))
        return out
    if isinstance(theirs, (np.ndarray, np.generic)):
        if not isinstance(ours, (np.ndarray, np.generic)):
            ours = np.asarray(ours) if isinstance(ours, (numbers.Number, list)) else ours
            if not isinstance(ours, np.ndarray):
                return [(path, "type", f"{type(ours).__name__} vs array")]
        ours_arr, theirs_arr = np.asarray(ours), np.asarray(theirs)
        if ours_arr.dtype != theirs_arr.dtype:
            out.append((path, "dtype", f"{ours_arr.dtype} vs {theirs_arr.dtype}"))
        if ours_arr.shape != theirs_arr.shape:
            out.append((path, "shape", f"{ours_arr.shape} vs {theirs_arr.shape}"))
            return out
        if not values_agree(ours_arr, theirs_arr, rtol, atol):
            out.append((path, "value", _value_detail(ours_arr, theirs_arr)))
        return out
    if isinstance(theirs, (list, tuple)):
        if not isinstance(ours, (list, tuple)):
            return [(path, "type", f"{type(ours).__name__} vs {type(theirs).__name__}")]
        if len(ours) != len(theirs):
            return [(path, "length", f"{len(ours)} vs {len(theirs)}")]
        for k, (a, b) in enumerate(zip(ours, theirs)):
            out += compare(a, b, f"{path}[{k}]", rtol, atol)
        return out
    if isinstance(theirs, dict):
        if not isinstance(ours, dict):
            return [(path, "type", f"{type(ours).__name__} vs dict")]
        for k in sorted(set(ours) | set(theirs)):
            if k not in ours or k not in theirs:
                out.append((f"{path}.{k}", "missing", "ours" if k not in ours else "theirs"))
            else:
                out += compare(ours[k], theirs[k], f"{path}.{k}" if path else k, rtol, atol)
        return out
    if isinstance(theirs, float) and not isinstance(theirs, bool):
        if not isinstance(ours, numbers.Real) or not _floats_agree(float(ours), theirs, rtol, atol):
            out.append((path, "value", f"{ours!r} vs {theirs!r}"))
        return out
    if ours != theirs or type(ours) is not type(theirs) and not (isinstance(ours, numbers.Integral) and
                                                                 isinstance(theirs, numbers.Integral)):
        out.append((path, "value", f"{ours!r} vs {theirs!r}"))
    return out


def values_agree(a, b, rtol=None, atol=None):
    """Equal values (floats within tolerance of the wider of the two dtypes, NaN == NaN, signed infinities)."""
    if a.dtype.kind in "fc" or b.dtype.kind in "fc":
        wide = np.result_type(a.dtype, b.dtype) if a.dtype.kind in "fc" and b.dtype.kind in "fc" else \
            (a.dtype if a.dtype.kind in "fc" else b.dtype)
        narrow = min([d for d in (a.dtype, b.dtype) if d.kind in "fc"], key=lambda d: d.itemsize)
        r, t = tolerance(narrow)
        r = r if rtol is None else max(rtol, r)
        t = t if atol is None else max(atol, t)
        a64, b64 = a.astype(np.complex128 if wide.kind == "c" else np.float64), \
            b.astype(np.complex128 if wide.kind == "c" else np.float64)
        with np.errstate(invalid="ignore"):
            return bool(np.allclose(a64, b64, rtol=r, atol=t, equal_nan=True))
    return bool(np.array_equal(a, b))


def _floats_agree(a, b, rtol, atol):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    r, t = FLOAT_TOL["float64"]
    return math.isclose(a, b, rel_tol=max(r, rtol or 0), abs_tol=max(t, atol or 0))


def _value_detail(a, b):
    with np.errstate(all="ignore"):
        flat_a, flat_b = a.reshape(-1), b.reshape(-1)
        if a.dtype.kind in "fc" or b.dtype.kind in "fc":
            diff = np.abs(flat_a.astype(np.complex128) - flat_b.astype(np.complex128))
            diff = np.where(np.isnan(flat_a) & np.isnan(flat_b), 0, diff)
            k = int(np.nanargmax(np.where(np.isnan(diff), np.inf, diff))) if diff.size else 0
        else:
            neq = np.nonzero(flat_a != flat_b)[0]
            k = int(neq[0]) if neq.size else 0
    sample = f"at flat index {k}: {flat_a[k]!r} vs {flat_b[k]!r}" if flat_a.size else ""
    return f"{sample} (ours {np.array2string(a, threshold=12)[:120]}, theirs {np.array2string(b, threshold=12)[:120]})"


def python_version():
    return ".".join(map(str, sys.version_info[:3]))
