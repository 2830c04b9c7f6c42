"""One checker for every op row: ``check_op(spec)``.

A row (``OpSpec``) names an op, builds it from symbolic inputs, gives a NumPy reference and says which inputs to
try. The checker then verifies, for every shape set, dtype combination and memory layout:

1. values against the reference, compiled in the default mode and with no rewrites (``Mode(optimizer=None)``);
2. the output dtype against the documented rule (``expected_dtype``) and the symbolic dtype;
3. the static output shape (``out.type.shape``, None = unknown) against the run-time shape. The row's first dtype
   combination types its inputs three ways (all sizes unknown, Theano-style broadcastable with 1 where the size
   is 1, fully static, which must then give a fully static output); the other combinations, there to check the
   dtype rule, use unknown sizes only. Functions with unknown input sizes are compiled once per rank and reused;
4. that no input is mutated and that no output shares memory with an input;
5. odd layouts: strided views, Fortran order and negative strides;
6. float32 inputs give float32 outputs (a Python float constant in the builder must not upcast);
7. finite-difference gradients (``verify_grad``) at float64 points, with unknown and static input shapes;
8. all of it on every backend present (``BACKENDS``: 'cuda' too where CuPy has a usable GPU).

Example row::

    OpSpec("exp", T.exp, np.exp, UNARY_SHAPES, grad=True)
"""
import dataclasses
import warnings
from typing import Any, Callable, Optional, Sequence

import numpy as np
import pytest

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit_backend.backends.cupy_backend import cuda_available
from layerkit_backend.config import config
from layerkit_backend.gradient import verify_grad

__all__ = ["OpSpec", "check_op", "params", "expected_dtype", "UNARY_SHAPES", "BINARY_SHAPES", "TERNARY_SHAPES",
           "F64", "SEED"]

SEED = 20240521
F64 = "float64"

# Shape sets: one shape per input. Size-1 dims, broadcasting, empty arrays, 0-d and rank 3 are all present.
UNARY_SHAPES = [((),), ((5,),), ((3, 4),), ((1, 4),), ((3, 1),), ((0,),), ((2, 0, 3),), ((2, 1, 3),)]
BINARY_SHAPES = [((), ()), ((5,), (5,)), ((3, 4), (3, 4)), ((3, 1), (1, 4)), ((4,), (3, 4)), ((), (2, 3)),
                 ((2, 3), ()), ((0, 3), (1, 3)), ((1,), (0,)), ((2, 1, 3), (4, 1)), ((1, 1), (1, 1))]
TERNARY_SHAPES = [((), (), ()), ((3, 4), (3, 4), (3, 4)), ((3, 1), (1, 4), ()), ((4,), (3, 1), (1, 4)),
                  ((0, 2), (1, 2), ()), ((2, 1, 3), (3,), (4, 1))]

MODES = {"default": None, "no_rewrites": lb.Mode(optimizer=None)}
BACKENDS = ["cpu"] + (["cuda"] if cuda_available() else [])


def _uniform(lo, hi):
    return lambda rng, shape: rng.uniform(lo, hi, size=shape)


def _signed(lo, hi):
    return lambda rng, shape: rng.uniform(lo, hi, size=shape) * rng.choice([-1.0, 1.0], size=shape)


def _half_integers(rng, shape):
    # Ties (k + 0.5) for the rounding modes, mixed with ordinary values.
    ties = rng.integers(-4, 5, size=shape) + 0.5
    return np.where(rng.random(shape) < 0.5, ties, rng.uniform(-4, 4, size=shape))


# Value domains: (float generator, integer generator). Integer generators keep the op defined on ints.
DOMAINS = {
    "real": (_uniform(-2, 2), lambda rng, s: rng.integers(-5, 6, size=s)),
    "positive": (_uniform(0.5, 3), lambda rng, s: rng.integers(1, 6, size=s)),
    "unit": (_uniform(-0.9, 0.9), lambda rng, s: np.zeros(s, dtype=np.int64)),
    "gt1": (_uniform(1.2, 3), lambda rng, s: rng.integers(2, 6, size=s)),
    "nonzero": (_signed(0.5, 2), lambda rng, s: rng.integers(1, 5, size=s) * rng.choice([-1, 1], size=s)),
    "small": (_uniform(-0.5, 0.5), lambda rng, s: rng.integers(-2, 3, size=s)),
    "exponent": (_uniform(-1.5, 2), lambda rng, s: rng.integers(0, 4, size=s)),
    "halves": (_half_integers, lambda rng, s: rng.integers(-5, 6, size=s)),
    "off_ties": (lambda rng, s: rng.integers(-3, 4, size=s) + rng.uniform(-0.4, 0.4, size=s), None),
    "bits": (None, lambda rng, s: rng.integers(0, 64, size=s)),
    "special": (lambda rng, s: rng.choice([np.nan, np.inf, -np.inf, 0.0, 1.5, -2.0], size=s), None),
}


@dataclasses.dataclass
class OpSpec:
    """One row of an op table.

    Args:
        name: the test id.
        build: ``f(*symbolic_inputs) -> output`` (or a tuple of outputs).
        ref: ``ref(*arrays) -> array`` (or a tuple), the NumPy reference.
        shapes: shape sets, one shape per input.
        dtypes: dtype combinations to run (one dtype per input); default float64 everywhere. A float32 twin of
            every all-float combination is added automatically.
        domain: value domain (a key of DOMAINS, or ``f(rng, shape, dtype) -> array``): one for every input, or
            a tuple with one per input.
        grad: check gradients with verify_grad (float64 inputs only; non-float inputs are held constant).
        grad_shapes: shape sets for the gradient check (default: those of ``shapes`` with no empty array).
        grad_domain: value domain for the gradient points when it differs from ``domain``.
        out_dtype: the expected output dtype (a dtype name, or ``f(in_dtypes) -> name``) when the default rule
            (``expected_dtype``) does not apply.
        static_complete: with fully static input shapes the output shape must be fully static too.
        float32: also run the float32 twins.
        rtol, atol: float64 tolerances (float32 uses ``F32_TOL`` unless looser).
        marks: pytest marks for this row (e.g. an xfail for a known bug).
    """

    name: str
    build: Callable
    ref: Callable
    shapes: Sequence[tuple]
    dtypes: Optional[Sequence[tuple]] = None
    domain: Any = "real"
    grad: bool = False
    grad_shapes: Optional[Sequence[tuple]] = None
    grad_domain: Any = None
    out_dtype: Any = None
    static_complete: bool = True
    float32: bool = True
    rtol: float = 1e-6
    atol: float = 1e-10
    marks: tuple = ()


F32_TOL = dict(rtol=2e-4, atol=2e-5)


def params(specs):
    """pytest parameters for a list of rows, with the row's name as the id and its marks applied."""
    names = [s.name for s in specs]
    dup = {n for n in names if names.count(n) > 1}
    assert not dup, f"duplicate row names: {sorted(dup)}"
    return [pytest.param(s, id=s.name, marks=list(s.marks)) for s in specs]


def expected_dtype(spec, in_dtypes, ref_dtype):
    """The documented dtype rule: NumPy's result dtype, except that an integer or bool input never widens a float
    one (int32 + float32 is float32) and integer-only inputs to a float-valued function give floatX."""
    if spec.out_dtype is not None:
        return spec.out_dtype(in_dtypes) if callable(spec.out_dtype) else np.dtype(spec.out_dtype).name
    ref = np.dtype(ref_dtype)
    if ref.kind != "f":
        return ref.name
    floats = [d for d in in_dtypes if np.dtype(d).kind == "f"]
    if not floats:
        return config.floatX
    if len(floats) < len(in_dtypes):
        return np.result_type(*floats).name
    return ref.name


def _values(spec_domain, k, rng, shape, dtype):
    domain = spec_domain[k] if isinstance(spec_domain, (list, tuple)) else spec_domain
    if callable(domain):
        return np.asarray(domain(rng, shape, dtype)).astype(dtype)
    if dtype == "bool":
        return rng.random(shape) < 0.5
    gen_float, gen_int = DOMAINS[domain]
    if np.dtype(dtype).kind in "iu":
        v = gen_int(rng, shape)
        return (np.abs(v) if np.dtype(dtype).kind == "u" else v).astype(dtype)
    return np.asarray(gen_float(rng, shape)).astype(dtype)


def _layouts(arr):
    """The same values in other memory layouts: a strided view, Fortran order, negative strides."""
    if arr.ndim == 0:
        return {}
    out = {}
    big = np.zeros(arr.shape[:-1] + (2 * arr.shape[-1] + 1,), dtype=arr.dtype)
    big[..., 1::2] = arr
    out["strided"] = big[..., 1::2]
    out["fortran"] = np.asfortranarray(arr)
    out["reversed"] = arr[::-1].copy()[::-1]
    return out


def _symbolic(shape, dtype, typing, k):
    static = {"unknown": (None,) * len(shape),
              "broadcastable": tuple(1 if s == 1 else None for s in shape),
              "static": tuple(shape)}[typing]
    return T.tensor(dtype, shape=static, name=f"in{k}")


def _as_tuple(x):
    return tuple(x) if isinstance(x, (list, tuple)) else (x,)


def _compare(spec, got, want, want_dtype, sym_dtype, where):
    assert isinstance(got, np.ndarray), f"{where}: expected an ndarray, received {type(got).__name__}"
    want = np.asarray(want)
    assert got.shape == want.shape, f"{where}: shape {got.shape}, reference {want.shape}"
    assert got.dtype.name == sym_dtype, f"{where}: run-time dtype {got.dtype}, symbolic dtype {sym_dtype}"
    assert got.dtype.name == want_dtype, f"{where}: dtype {got.dtype}, expected {want_dtype} by the dtype rule"
    if got.dtype.kind in "fc":
        tol = dict(rtol=spec.rtol, atol=spec.atol)
        if got.dtype == np.float32 or want.dtype == np.float32:
            tol = dict(rtol=max(spec.rtol, F32_TOL["rtol"]), atol=max(spec.atol, F32_TOL["atol"]))
        want = want.astype(got.dtype) if want.dtype.kind in "fc" else want
        if not np.allclose(got, want, equal_nan=True, **tol):  # the fast check first; the slow one explains
            np.testing.assert_allclose(got, want, equal_nan=True, err_msg=where, **tol)
    elif not np.array_equal(got, want):
        np.testing.assert_array_equal(got, want, err_msg=where)


def _check_static_shape(spec, out, value, typing, where):
    static = out.type.shape
    assert len(static) == value.ndim, f"{where}: static rank {len(static)}, run-time shape {value.shape}"
    for d, (s, v) in enumerate(zip(static, value.shape)):
        assert s is None or s == v, f"{where}: static shape {static} disagrees with run-time shape {value.shape}"
    if typing == "static" and spec.static_complete:
        assert None not in static, f"{where}: fully static inputs gave a partly unknown output shape {static}"


def _compiled(spec, cache, shape_set, dtypes, typing, mode_name, backend="cpu"):
    """The outputs and compiled function for one typing and mode (all-unknown typings are shared by rank)."""
    key = (dtypes, typing, mode_name, tuple(len(s) for s in shape_set) if typing == "unknown" else shape_set)
    if key not in cache:
        sym = [_symbolic(s, d, typing, k) for k, (s, d) in enumerate(zip(shape_set, dtypes))]
        outs = _as_tuple(spec.build(*sym))
        cache[key] = outs, lb.function(sym, list(outs), mode=MODES[mode_name], on_unused_input="ignore",
                                       device=None if backend == "cpu" else backend)
    return cache[key]


def _reference(spec, arrays, dtypes):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # mean of an empty slice and the like: NaN is the answer
        refs = _as_tuple(spec.ref(*[a.copy() for a in arrays]))
        if any(np.asarray(r).dtype == np.float16 for r in refs) and "float16" not in dtypes:
            # NumPy computes small integers in float16 (exp(int8)); we promise floatX, so compare to float64 values
            wide = _as_tuple(spec.ref(*[a.astype(F64) if a.dtype.kind in "biu" else a.copy() for a in arrays]))
            refs = tuple(np.asarray(w).astype(config.floatX) for w in wide)
    return refs


def _run_forward(spec, cache, shape_set, dtypes, rng, primary, backend="cpu"):
    """Every check but gradients for one shape set and dtype combination. The primary dtype combination also runs
    with broadcastable and fully static input types; the others (dtype-rule checks) with unknown shapes only."""
    arrays = [_values(spec.domain, k, rng, s, d) for k, (s, d) in enumerate(zip(shape_set, dtypes))]
    refs = _reference(spec, arrays, dtypes)
    layouts = [("contiguous", arrays)]
    for name in ("strided", "fortran", "reversed"):
        variant = [_layouts(a).get(name, a) for a in arrays]
        if any(v is not a for v, a in zip(variant, arrays)):
            layouts.append((name, variant))
    runs = [("unknown", "default"), ("unknown", "no_rewrites")]
    if primary:
        runs += [("broadcastable", "default"), ("static", "default")]
    for typing, mode_name in runs:
        outs, fn = _compiled(spec, cache, shape_set, dtypes, typing, mode_name, backend)
        assert len(outs) == len(refs), f"{spec.name}: {len(outs)} outputs, reference gives {len(refs)}"
        for layout_name, inputs in layouts:
            before = [a.copy() for a in inputs]
            with np.errstate(all="ignore"):
                got = _as_tuple(fn(*inputs))
            where = (f"{spec.name} shapes={shape_set} dtypes={dtypes} typing={typing} mode={mode_name} "
                     f"layout={layout_name}" + (f" backend={backend}" if backend != "cpu" else ""))
            for a, b in zip(inputs, before):
                assert np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"), f"{where}: an input was mutated"
            for j, (o, g, r) in enumerate(zip(outs, got, refs)):
                w = f"{where} output={j}"
                _compare(spec, g, r, expected_dtype(spec, dtypes, np.asarray(r).dtype), o.dtype, w)
                _check_static_shape(spec, o, g, typing, w)
                for a in inputs:
                    assert not np.shares_memory(g, a), f"{w}: the output shares memory with an input"


def _dtype_combos(spec, n_inputs):
    combos = [tuple(c) for c in (spec.dtypes or [(F64,) * n_inputs])]
    if spec.float32:
        for c in list(combos):
            if any(d == F64 for d in c):
                twin = tuple("float32" if d == F64 else d for d in c)
                if twin not in combos:
                    combos.append(twin)
    return combos


def _check_grad(spec, shape_set, rng):
    n = len(shape_set)
    dtypes = (spec.dtypes or [(F64,) * n])[0]
    domain = spec.grad_domain or spec.domain
    arrays = [_values(domain, k, rng, s, d) for k, (s, d) in enumerate(zip(shape_set, dtypes))]
    diff = [k for k, d in enumerate(dtypes) if d == F64]
    build = spec.build
    for static in (False, True):
        def fun(*xs):
            full = [T.constant(a) for a in arrays]
            for k, x in zip(diff, xs):
                full[k] = T.specify_shape(x, shape_set[k]) if static else x
            return build(*full)

        verify_grad(fun, [arrays[k] for k in diff], n_tests=1, rng=np.random.default_rng(SEED))


def check_op(spec):
    """Run every check on one row (see the module docstring); failures name the shapes, dtypes, typing, mode and
    layout that broke."""
    rng = np.random.default_rng(SEED)
    for backend in BACKENDS:
        cache = {}
        for n, dtypes in enumerate(_dtype_combos(spec, len(spec.shapes[0]))):
            for shape_set in spec.shapes:
                _run_forward(spec, cache, tuple(shape_set), dtypes, rng, primary=n == 0, backend=backend)
    if spec.grad:
        grad_shapes = spec.grad_shapes or [s for s in spec.shapes if all(0 not in shp for shp in s)]
        for backend in BACKENDS:
            before, config.device = config.device, backend  # verify_grad compiles with the default device
            try:
                for shape_set in grad_shapes:
                    _check_grad(spec, shape_set, rng)
            finally:
                config.device = before
