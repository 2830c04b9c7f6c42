"""Special functions as elementwise table rows (added to scalar.py's table): the error functions and their
inverses, gamma, its logarithm and derivatives (psi, tri_gamma), the chi-squared survival function and Bessel
functions. Each computes through ``xp.special`` (backends/special.py: SciPy, NumPy fallbacks, or CuPy).

Gradients follow Theano's: where Theano has none (``tri_gamma``, ``chi2sf``, the order of ``jv``/``iv``), asking
for one raises NullTypeGradError.
"""
import math as _pymath

__all__ = ["SPECIAL_ROWS"]

_TWO_OVER_SQRT_PI = 2.0 / _pymath.sqrt(_pymath.pi)
_SQRT_PI_OVER_2 = _pymath.sqrt(_pymath.pi) / 2


def _m():
    from . import math  # the tensor functions gradient rules are written with (math.py imports this table)

    return math


def _call(name):
    def impl(xp, *args, out=None):
        return getattr(xp.special, name)(*args, out=out)

    impl.__name__ = name
    return impl


def _not_implemented(name, index):
    def rule(i, o, g):
        from ..gradient import grad_not_implemented

        return [grad_not_implemented(name, k, x) if k in index else None for k, x in enumerate(i)]

    return rule


def _g_jv(i, o, g):
    v, x = i
    from ..gradient import grad_not_implemented

    return [grad_not_implemented("jv", 0, v), g * 0.5 * (_m().jv(v - 1, x) - _m().jv(v + 1, x))]


def _g_iv(i, o, g):
    v, x = i
    from ..gradient import grad_not_implemented

    return [grad_not_implemented("iv", 0, v), g * 0.5 * (_m().iv(v - 1, x) + _m().iv(v + 1, x))]


def _float(name):
    return {"f": f"{name}({{0}})"}


# name, nin, dtype rule, gradient rule, keyword arguments (as in scalar.py's _ROWS)
SPECIAL_ROWS = [
    ("erf", 1, "float", lambda i, o, g: [g * _TWO_OVER_SQRT_PI * _m().exp(-_m().sqr(i[0]))],
     dict(impl=_call("erf"), cuda=_float("erf"))),
    ("erfc", 1, "float", lambda i, o, g: [-g * _TWO_OVER_SQRT_PI * _m().exp(-_m().sqr(i[0]))],
     dict(impl=_call("erfc"), cuda=_float("erfc"))),
    ("erfinv", 1, "float", lambda i, o, g: [g * _SQRT_PI_OVER_2 * _m().exp(_m().sqr(o))], dict(impl=_call("erfinv"))),
    ("erfcinv", 1, "float", lambda i, o, g: [-g * _SQRT_PI_OVER_2 * _m().exp(_m().sqr(o))], dict(impl=_call("erfcinv"))),
    ("gamma", 1, "float", lambda i, o, g: [g * o * _m().psi(i[0])], dict(impl=_call("gamma"))),
    ("gammaln", 1, "float", lambda i, o, g: [g * _m().psi(i[0])], dict(impl=_call("gammaln"))),
    ("psi", 1, "float", lambda i, o, g: [g * _m().tri_gamma(i[0])], dict(impl=_call("psi"))),
    ("tri_gamma", 1, "float", _not_implemented("tri_gamma", (0,)), dict(impl=_call("tri_gamma"))),
    ("chi2sf", 2, "float", _not_implemented("chi2sf", (0, 1)), dict(impl=_call("chi2sf"))),
    ("j0", 1, "float", lambda i, o, g: [-g * _m().j1(i[0])], dict(impl=_call("j0"))),
    ("j1", 1, "float", lambda i, o, g: [g * 0.5 * (_m().j0(i[0]) - _m().jv(2, i[0]))], dict(impl=_call("j1"))),
    ("jv", 2, "float", _g_jv, dict(impl=_call("jv"))),
    ("i0", 1, "float", lambda i, o, g: [g * _m().i1(i[0])], dict(impl=_call("i0"))),
    ("i1", 1, "float", lambda i, o, g: [g * 0.5 * (_m().i0(i[0]) + _m().iv(2, i[0]))], dict(impl=_call("i1"))),
    ("iv", 2, "float", _g_iv, dict(impl=_call("iv"))),
]
