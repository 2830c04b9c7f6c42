"""Special functions for the array namespaces (``xp.special``): error functions and their inverses, gamma and its
logarithm, digamma and trigamma, the chi-squared survival function and Bessel functions.

On the CPU they come from SciPy when it is installed (``pip install layerkit[special]``) and otherwise from NumPy
and Python's ``math`` module: ``erf``, ``erfc``, ``gamma`` and ``gammaln`` exactly (``math`` element by element,
slower), ``erfinv``, ``erfcinv``, ``psi`` and ``tri_gamma`` by the methods below (accurate to a few ulps), ``i0``
by NumPy; the Bessel functions other than ``i0`` and ``chi2sf`` then raise, naming SciPy. On a GPU they come from
``cupyx.scipy.special``.
"""
import math
import types

import numpy as np

__all__ = ["numpy_special", "cupy_special", "NAMES"]

NAMES = ("erf", "erfc", "erfinv", "erfcinv", "gamma", "gammaln", "psi", "tri_gamma", "chi2sf", "j0", "j1", "jv",
         "i0", "i1", "iv")
_SCIPY_NAMES = {"psi": "psi", "chi2sf": "chdtrc"}  # the rest share SciPy's name; tri_gamma is polygamma(1, x)


def _gamma_with_theano_poles(gamma):
    """Gamma with +inf at 0 and the negative integers (its poles) and -inf at -inf: the values Theano 1.0.5
    computed (with SciPy before 1.11, which newer SciPy changed to NaN)."""
    def pole_aware(x, out=None):
        x = np.asarray(x)
        r = np.asarray(gamma(x), dtype=np.float64)
        with np.errstate(invalid="ignore"):
            r = np.where((x <= 0) & (x == np.floor(x)) & np.isfinite(x), np.inf, np.where(x == -np.inf, -np.inf, r))
        return _into(r, out)

    return pole_aware


def _chi2sf_below_zero(chi2sf):
    """The chi-squared survival function, 1 for negative x (Theano's value; newer SciPy gives NaN)."""
    def sf(x, k, out=None):
        x = np.asarray(x)
        with np.errstate(invalid="ignore"):
            return _into(np.where(x < 0, 1.0, np.asarray(chi2sf(x, k), dtype=np.float64)), out)

    return sf


def _from_scipy(special):
    def get(name):
        fn = getattr(special, _SCIPY_NAMES.get(name, name), None)
        return fn if fn is not None else _unavailable(name, special.__name__)

    ns = types.SimpleNamespace(**{n: get(n) for n in NAMES if n not in ("tri_gamma", "chi2sf")})
    ns.gamma = _gamma_with_theano_poles(ns.gamma)
    polygamma, chdtrc = get("polygamma"), get("chdtrc")
    ns.tri_gamma = lambda x, out=None: _into(polygamma(1, x), out)
    ns.chi2sf = _chi2sf_below_zero(lambda x, k: chdtrc(k, x))  # Theano's argument order: (x, k)
    return ns


def _unavailable(name, module):
    def missing(*args, out=None):
        raise RuntimeError(f"{name} is not available in {module}")

    return missing


def _into(result, out):
    if out is None:
        return result
    out[...] = result
    return out


def _elementwise(fn):
    """A float64 ufunc-like function from a scalar ``math`` function (exact, element by element)."""
    def safe(v):
        try:
            return fn(v)
        except OverflowError:
            return math.inf
        except ValueError:  # a pole (gamma(0), lgamma(-1))
            return math.inf if fn is math.lgamma else math.nan

    vec = np.frompyfunc(safe, 1, 1)

    def apply(x, out=None):
        return _into(np.asarray(vec(np.asarray(x, dtype=np.float64)), dtype=np.float64), out)

    return apply


_erf, _erfc = _elementwise(math.erf), _elementwise(math.erfc)
_SQRT_PI_2 = math.sqrt(math.pi) / 2


def _erfinv(y, out=None):
    """Winitzki's closed form, then Newton steps; for |y| > 1/2 the steps solve erfc(x) = 1 - |y| (exact there), so
    the digits of y near +-1 are kept."""
    y = np.asarray(y, dtype=np.float64)
    a = np.abs(y)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ln = np.log1p(-a * a)
        t = 2 / (math.pi * 0.147) + ln / 2
        x = np.sqrt(np.sqrt(t * t - ln / 0.147) - t)
        tail = a > 0.5
        for _ in range(4):
            err = np.where(tail, (1 - a) - _erfc(x), _erf(x) - a)
            x = x - err * _SQRT_PI_2 * np.exp(x * x)
        x = np.where(a == 1, np.inf, np.where(a > 1, np.nan, x))
    return _into(np.sign(y) * x, out)


def _erfcinv(z, out=None):
    """The x with erfc(x) = z, by symmetry from z in (0, 1]: erfinv(1 - z) for z above 1/4, else Newton steps on
    log(erfc), which keep their precision for tiny z."""
    z = np.asarray(z, dtype=np.float64)
    upper = z > 1
    w = np.where(upper, 2 - z, z)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        x = _erfinv(1 - w)
        small = (w > 0) & (w < 0.25)
        ws = np.where(small, w, 0.5)
        xs = np.sqrt(-np.log(ws))
        for _ in range(8):
            e = _erfc(xs)
            xs = xs + (np.log(e) - np.log(ws)) * e * _SQRT_PI_2 * np.exp(xs * xs)
        x = np.where(small, xs, x)
        x = np.where(w == 0, np.inf, np.where((w < 0) | np.isnan(w), np.nan, x))
    return _into(np.where(upper, -x, x), out)


# psi(x) ~ ln x - 1/(2x) - sum B_2k / (2k x^2k) and trigamma(x) ~ 1/x + 1/(2x^2) + sum B_2k / x^(2k+1), for x >= 12
_PSI_TERMS = (1 / 12, -1 / 120, 1 / 252, -1 / 240, 1 / 132, -691 / 32760)
_TRIGAMMA_TERMS = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730)


def _shift_up(x, terms_at, step, limit=12.0):
    """``step(x)`` summed while x < limit (the recurrences move x up by 1), then the asymptotic series there."""
    total = np.zeros_like(x)
    x = x.copy()
    for _ in range(int(limit) + 1):
        low = x < limit
        if not low.any():
            break
        total = total + np.where(low, step(x), 0.0)
        x = np.where(low, x + 1, x)
    return total + terms_at(x)


def _psi(x, out=None):
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        negative = x < 0
        xr = np.where(negative, 1 - x, x)

        def series(v):
            inv2 = 1 / (v * v)
            s = sum(c * inv2 ** (k + 1) for k, c in enumerate(_PSI_TERMS))
            return np.log(v) - 0.5 / v - s

        r = _shift_up(xr, series, lambda v: -1 / v)
        r = np.where(negative, r - math.pi / np.tan(math.pi * x), r)
        r = np.where((x <= 0) & (x == np.floor(x)), np.where(x == 0, -np.inf, np.nan), r)
    return _into(r, out)


def _tri_gamma(x, out=None):
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        negative = x < 0
        xr = np.where(negative, 1 - x, x)

        def series(v):
            inv = 1 / v
            s = sum(c * inv ** (2 * k + 3) for k, c in enumerate(_TRIGAMMA_TERMS))
            return inv + 0.5 * inv * inv + s

        r = _shift_up(xr, series, lambda v: 1 / (v * v))
        r = np.where(negative, (math.pi / np.sin(math.pi * x)) ** 2 - r, r)
        r = np.where((x <= 0) & (x == np.floor(x)), np.inf, r)
    return _into(r, out)


def _needs_scipy(name):
    def missing(*args, out=None):
        raise RuntimeError(f"{name} needs SciPy, which is not installed: pip install scipy (or layerkit[special])")

    return missing


def _without_scipy():
    return types.SimpleNamespace(
        erf=_erf, erfc=_erfc, erfinv=_erfinv, erfcinv=_erfcinv, gamma=_gamma_with_theano_poles(_elementwise(math.gamma)),
        gammaln=_elementwise(math.lgamma), psi=_psi, tri_gamma=_tri_gamma,
        i0=lambda x, out=None: _into(np.i0(np.asarray(x, dtype=np.float64)), out),
        **{n: _needs_scipy(n) for n in ("chi2sf", "j0", "j1", "jv", "i1", "iv")})


def numpy_special(use_scipy=True):
    """The CPU namespace: SciPy's functions when importable (and ``use_scipy``), else the fallbacks."""
    if use_scipy:
        try:
            import scipy.special
        except ImportError:
            pass
        else:
            return _from_scipy(scipy.special)
    return _without_scipy()


def cupy_special(special):
    """The GPU namespace from ``cupyx.scipy.special``."""
    return _from_scipy(special)
