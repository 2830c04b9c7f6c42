"""tensor.nlinalg and tensor.slinalg: one opcheck row per op against NumPy (finite-difference gradients where Theano
defines one), the ops without a gradient refusing one, and expm against SciPy's."""
import numpy as np
import pytest
import scipy.linalg

import layerkit_backend.tensor as T
from layerkit_backend.gradient import NullTypeGradError
from layerkit_backend.tensor import nlinalg as nl, slinalg as sl
from opcheck import OpSpec, check_op, params

F64 = "float64"
SQUARE = [((3, 3),), ((1, 1),), ((4, 4),)]
RECT = [((3, 2),), ((2, 4),), ((1, 1),)]


def _well_conditioned(rng, shape, dtype):
    return rng.uniform(-1, 1, size=shape) + 3 * np.eye(*shape[-2:])


def _spd(a):
    return T.dot(a, a.T) + 2 * T.eye(a.shape[0], dtype=a.dtype)


def _np_spd(a):
    return a @ a.T + 2 * np.eye(a.shape[0], dtype=a.dtype)


def square(name, build, ref, grad=True, **kw):
    return OpSpec(name, build, ref, SQUARE, domain=_well_conditioned, grad=grad, static_complete=False, **kw)


def _sign_free(v):
    return v * v  # eigenvectors are defined up to sign


NLINALG_ROWS = [
    square("matrix_inverse", nl.matrix_inverse, np.linalg.inv),
    OpSpec("pinv", nl.pinv, np.linalg.pinv, RECT, grad=True, static_complete=False, rtol=1e-5),
    square("det", nl.det, lambda a: np.asarray(np.linalg.det(a), dtype=a.dtype), rtol=1e-5),
    square("eigh_values", lambda a: nl.eigh(_spd(a))[0], lambda a: np.linalg.eigh(_np_spd(a))[0].astype(a.dtype)),
    square("eigh_vectors", lambda a: _sign_free(nl.eigh(_spd(a))[1]),
           lambda a: _sign_free(np.linalg.eigh(_np_spd(a))[1]).astype(a.dtype), rtol=1e-5),
    square("eigh_upper", lambda a: nl.eigh(a, "U")[0], lambda a: np.linalg.eigh(a, "U")[0].astype(a.dtype)),
    square("svd_values", lambda a: nl.svd(a, compute_uv=False), lambda a: np.linalg.svd(a, compute_uv=False),
           grad=False),
    square("qr_r", lambda a: abs(nl.qr(a, "r")), lambda a: np.abs(np.linalg.qr(a, "r")), grad=False),
    square("eig_values", lambda a: nl.eig(_spd(a))[0].sort(), lambda a: np.sort(np.linalg.eigvalsh(_np_spd(a))),
           grad=False, rtol=1e-5),
    square("extract_diag", nl.extract_diag, np.diagonal),
    OpSpec("alloc_diag", nl.alloc_diag, np.diag, [((3,),), ((1,),), ((0,),)], grad=True),
    square("diag_of_matrix", nl.diag, np.diag),
    OpSpec("diagonal_offset", lambda a: T.diagonal(a, 1), lambda a: np.diagonal(a, 1), RECT + [((3, 3),)],
           grad=True),
    OpSpec("diagonal_negative", lambda a: a.diagonal(-1), lambda a: np.diagonal(a, -1), RECT + [((3, 3),)],
           grad=True),
    square("trace", nl.trace, lambda a: np.asarray(np.trace(a), dtype=a.dtype)),
    square("matrix_power_3", lambda a: nl.matrix_power(a, 3), lambda a: np.linalg.matrix_power(a, 3)),
    square("matrix_dot", lambda a: nl.matrix_dot(a, a.T, a), lambda a: a @ a.T @ a),
    square("norm_fro", lambda a: nl.norm(a, None), lambda a: np.asarray(np.linalg.norm(a), dtype=a.dtype)),
    square("norm_1", lambda a: nl.norm(a, 1), lambda a: np.asarray(np.linalg.norm(a, 1), dtype=a.dtype)),
    square("tensorinv", lambda a: nl.tensorinv(a, ind=1), lambda a: np.linalg.tensorinv(a, ind=1), grad=False),
    square("tensorsolve", lambda a: nl.tensorsolve(a, a[0]), lambda a: np.linalg.tensorsolve(a, a[0]), grad=False),
]

SLINALG_ROWS = [
    square("cholesky", lambda a: sl.cholesky(_spd(a)), lambda a: np.linalg.cholesky(_np_spd(a))),
    square("cholesky_upper", lambda a: sl.Cholesky(lower=False)(_spd(a)), lambda a: np.linalg.cholesky(_np_spd(a)).T),
    OpSpec("solve", sl.solve, np.linalg.solve, [((3, 3), (3,)), ((3, 3), (3, 2)), ((1, 1), (1, 4))],
           domain=(_well_conditioned, "real"), grad=True, static_complete=False),
    OpSpec("solve_lower", sl.solve_lower_triangular, lambda a, b: np.linalg.solve(np.tril(a), b),
           [((3, 3), (3,)), ((3, 3), (3, 2))], domain=(_well_conditioned, "real"), grad=True, static_complete=False),
    OpSpec("solve_upper", sl.solve_upper_triangular, lambda a, b: np.linalg.solve(np.triu(a), b),
           [((3, 3), (3,)), ((3, 3), (3, 2))], domain=(_well_conditioned, "real"), grad=True, static_complete=False),
    OpSpec("eigvalsh", lambda a, b: sl.eigvalsh(_spd(a), _spd(b)),
           lambda a, b: scipy.linalg.eigvalsh(_np_spd(a), _np_spd(b)).astype(a.dtype),
           [((3, 3), (3, 3)), ((1, 1), (1, 1))], domain=("real", "real"), grad=True, static_complete=False, rtol=1e-5),
    square("expm", lambda a: sl.expm(a / 4), lambda a: scipy.linalg.expm(a / 4).astype(a.dtype), rtol=1e-5),
    OpSpec("kron", sl.kron, np.kron, [((2, 3), (2, 2)), ((1, 2), (3, 1))], grad=True, static_complete=False),
]


@pytest.mark.parametrize("spec", params(NLINALG_ROWS + SLINALG_ROWS))
def test_linear_algebra_op(spec):
    check_op(spec)


def test_expm_of_a_large_norm_matches_scipy():
    a = T.dmatrix("a")
    m = np.random.default_rng(0).normal(size=(5, 5)) * 4
    np.testing.assert_allclose(sl.expm(a).eval({a: m}), scipy.linalg.expm(m), rtol=1e-10)


NO_GRADIENT = [
    ("svd", lambda a: nl.svd(a)[1]), ("qr", lambda a: nl.qr(a)[1]), ("eig", lambda a: nl.eig(a)[0]),
    ("tensorinv", lambda a: nl.tensorinv(a, ind=1)),
]


@pytest.mark.parametrize("build", [r[1] for r in NO_GRADIENT], ids=[r[0] for r in NO_GRADIENT])
def test_decompositions_without_a_gradient_refuse_one(build):
    a = T.dmatrix("a")
    with pytest.raises(NullTypeGradError, match="not implemented"):
        T.grad(build(a).sum(), a)


def test_eig_of_a_matrix_with_complex_eigenvalues_says_so():
    a = T.dmatrix("a")
    with pytest.raises(ValueError, match="complex eigenvalues"):
        nl.eig(a)[0].eval({a: [[0.0, -1.0], [1.0, 0.0]]})


def test_cholesky_of_an_indefinite_matrix():
    a = T.dmatrix("a")
    with pytest.raises(np.linalg.LinAlgError):
        sl.cholesky(a).eval({a: -np.eye(2)})
    assert np.isnan(sl.Cholesky(on_error="nan")(a).eval({a: -np.eye(2)})).all()
