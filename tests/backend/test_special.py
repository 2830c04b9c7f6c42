"""Special functions (tensor/special.py rows): one opcheck row each against SciPy, with finite-difference
gradients where Theano defines one; the NumPy fallbacks (backends/special.py, used without SciPy) against SciPy;
and the gradients Theano does not define raise NullTypeGradError."""
import numpy as np
import pytest
import scipy.special as sp

import layerkit_backend.tensor as T
from layerkit_backend.backends.special import numpy_special
from layerkit_backend.gradient import NullTypeGradError
from opcheck import BINARY_SHAPES, UNARY_SHAPES, OpSpec, check_op, params

F64, I32 = "float64", "int32"


def _open(lo, hi):
    return lambda rng, s, d: rng.uniform(lo, hi, size=s)


def unary(name, fn, ref, domain, grad=True, dtypes=((F64,), (I32,)), **kw):
    return OpSpec(name, fn, ref, UNARY_SHAPES, dtypes=list(dtypes), domain=domain, grad=grad, **kw)


def _positive_int(rng, s, d):
    return rng.uniform(0.5, 4, size=s) if np.dtype(d).kind == "f" else rng.integers(1, 5, size=s)


def _unit_int(rng, s, d):
    return rng.uniform(-0.9, 0.9, size=s) if np.dtype(d).kind == "f" else np.zeros(s, dtype=d)


SPECIAL_ROWS = [
    unary("erf", T.erf, sp.erf, "real"),
    unary("erfc", T.erfc, sp.erfc, "real"),
    unary("erfinv", T.erfinv, sp.erfinv, _unit_int),
    unary("erfcinv", T.erfcinv, sp.erfcinv, lambda rng, s, d: rng.uniform(0.1, 1.9, size=s) if np.dtype(
        d).kind == "f" else np.ones(s, dtype=d)),
    unary("gamma", T.gamma, sp.gamma, _positive_int),
    unary("gammaln", T.gammaln, sp.gammaln, _positive_int),
    unary("psi", T.psi, sp.psi, _positive_int),
    unary("tri_gamma", T.tri_gamma, lambda x: sp.polygamma(1, x).astype(
        x.dtype if x.dtype.kind == "f" else "float64"), _positive_int, grad=False),
    unary("j0", T.j0, sp.j0, "real"),
    unary("j1", T.j1, sp.j1, "real"),
    unary("i0", T.i0, sp.i0, "real"),
    unary("i1", T.i1, sp.i1, "real"),
    OpSpec("chi2sf", T.chi2sf, lambda x, k: sp.chdtrc(k, x), BINARY_SHAPES, dtypes=[(F64, F64)],
           domain=(_open(0.1, 5), _open(1, 4))),
    OpSpec("jv", T.jv, sp.jv, BINARY_SHAPES, dtypes=[(F64, F64)], domain=(_open(0, 3), _open(0.5, 4))),
    OpSpec("iv", T.iv, sp.iv, BINARY_SHAPES, dtypes=[(F64, F64)], domain=(_open(0, 3), _open(0.5, 4))),
    # the order has no gradient (as in Theano): the gradient in x, for orders 0..2
    unary("jv_in_x", lambda x: T.jv(T.constant(np.arange(3.0).reshape(3, 1, 1, 1)), x),
          lambda x: sp.jv(np.arange(3.0).reshape(3, 1, 1, 1), x), _open(0.5, 4), dtypes=[(F64,)]),
    unary("iv_in_x", lambda x: T.iv(T.constant(np.arange(3.0).reshape(3, 1, 1, 1)), x),
          lambda x: sp.iv(np.arange(3.0).reshape(3, 1, 1, 1), x), _open(0.5, 4), dtypes=[(F64,)]),
    unary("angle", T.angle, lambda x: np.angle(x).astype(x.dtype if x.dtype.kind == "f" else "float64"), "nonzero",
          grad=False, out_dtype=lambda d: "float64" if d[0] == F64 else "float32"),
]


@pytest.mark.parametrize("spec", params(SPECIAL_ROWS))
def test_special_op(spec):
    check_op(spec)


# The fallbacks used without SciPy, on wide ranges, tails included.
FALLBACKS = [
    ("erf", sp.erf, np.concatenate([np.linspace(-6, 6, 1201), [1e-300, 1e-8]]), 1e-15),
    ("erfc", sp.erfc, np.concatenate([np.linspace(-6, 26, 3201), [8.0, 10.0, 27.0]]), 1e-9),
    ("erfinv", sp.erfinv, np.concatenate([np.linspace(-0.999999, 0.999999, 2001), [1 - 1e-12, -1 + 1e-15]]), 1e-14),
    ("erfcinv", sp.erfcinv, np.concatenate([np.logspace(-300, 0, 500), 2 - np.logspace(-15, 0, 100)]), 1e-14),
    ("gamma", sp.gamma, np.linspace(-20.5, 170, 3001), 1e-13),
    ("gammaln", sp.gammaln, np.concatenate([np.linspace(0.01, 300, 3001), [1e-8, 1e5]]), 1e-12),
    ("psi", sp.psi, np.concatenate([np.linspace(-10.3, -0.1, 500), np.linspace(0.01, 50, 2000), [1e5]]), 1e-11),
    ("tri_gamma", lambda x: sp.polygamma(1, x), np.concatenate([np.linspace(-10.3, -0.1, 500),
                                                                np.linspace(0.01, 50, 2000)]), 1e-11),
    ("i0", sp.i0, np.linspace(-20, 20, 401), 1e-13),
]


@pytest.mark.parametrize("name,ref,x,rtol", FALLBACKS, ids=[f[0] for f in FALLBACKS])
def test_numpy_fallbacks_agree_with_scipy(name, ref, x, rtol):
    got = getattr(numpy_special(use_scipy=False), name)(x)
    want = ref(x)
    finite = np.isfinite(want)
    np.testing.assert_array_equal(np.isfinite(got), finite)
    scale = np.maximum(np.abs(want[finite]), 1e-300)
    worst = np.max(np.abs(got[finite] - want[finite]) / scale)
    # near a root the relative error of any method grows; an absolute floor of 1e-14 covers those points
    assert worst < rtol or np.max(np.abs(got[finite] - want[finite])) < 1e-14, f"{name}: relative error {worst}"


def test_fallbacks_without_scipy_name_it_for_the_rest():
    with pytest.raises(RuntimeError, match="needs SciPy"):
        numpy_special(use_scipy=False).j1(np.ones(2))


@pytest.mark.parametrize("build", [lambda x: T.tri_gamma(x), lambda x: T.chi2sf(x, 2.0)], ids=["tri_gamma", "chi2sf"])
def test_gradients_theano_does_not_define_raise(build):
    x = T.dvector("x")
    with pytest.raises(NullTypeGradError, match="not implemented"):
        T.grad(build(x).sum(), x)
