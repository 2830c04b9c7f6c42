"""``keras.ops.linalg``: norms, and the decompositions and solvers of the backend's Theano ``nlinalg`` and
``slinalg`` ops (``inv``, ``det``, ``solve``, ``solve_triangular``, ``cholesky``, ``qr``, ``svd``, ``eigh``,
``pinv``, ``lstsq``, ``slogdet``, ``matrix_rank``...). The backend ops take one matrix; a batch of matrices
(leading axes) runs through the backend's ``map``, a loop over the flattened batch.

Example:
    >>> import numpy as np
    >>> float(norm(np.array([3.0, 4.0]))), float(det(np.array([[2.0, 1.0], [1.0, 3.0]])))
    (5.0, 5.0)
"""
import numpy as np

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit_backend.tensor import nlinalg, slinalg

from ..eager import eager_function
from .core import tensor

__all__ = ["norm", "inv", "det", "slogdet", "logdet", "solve", "solve_triangular", "cholesky", "cholesky_inverse",
           "qr", "svd", "eigh", "pinv", "lstsq", "matrix_rank"]


def _float(x):
    x = tensor(x)
    return x if x.dtype.startswith("float") else T.cast(x, "float32")


def _per_matrix(function, *matrices, ranks=None):
    """``function`` applied to each matrix of the inputs' leading (batch) axes; an output list of the function's
    outputs. ``ranks``: the rank of one item of each input (2 for a matrix, 1 for a right-hand-side vector)."""
    ranks = ranks or (2,) * len(matrices)
    lead = matrices[0].ndim - ranks[0]
    if lead == 0:
        outputs = function(*matrices)
        return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    batch = T.shape(matrices[0])[:lead]
    flat = [T.reshape(m, T.concatenate([[-1], T.shape(m)[lead:]])) for m in matrices]
    results, _ = lb.map(function, sequences=flat)
    results = list(results) if isinstance(results, (list, tuple)) else [results]
    return [T.reshape(r, T.concatenate([batch, T.shape(r)[1:]])) for r in results]


@eager_function
def inv(a):
    """The inverse of each square matrix."""
    return _per_matrix(nlinalg.matrix_inverse, _float(a))[0]


@eager_function
def det(a):
    """The determinant of each square matrix."""
    return _per_matrix(nlinalg.det, _float(a))[0]


@eager_function
def slogdet(x):
    """(sign, log |det|) of each square matrix."""
    d = det.symbolic(x)
    return T.sgn(d), T.log(T.abs(d))


@eager_function
def logdet(x):
    """``log det`` of each symmetric positive definite matrix (twice the log of its Cholesky diagonal)."""
    factor = cholesky.symbolic(x)
    diagonal = T.eq(T.arange(T.shape(factor)[-1]).dimshuffle(0, "x"), T.arange(T.shape(factor)[-1]))
    return 2.0 * T.sum(T.log(T.sum(T.switch(diagonal, factor, T.zeros_like(factor)), axis=-1)), axis=-1)


@eager_function
def solve(a, b):
    """``x`` with ``a @ x == b`` (``b`` a vector or a matrix per matrix of ``a``)."""
    a, b = _float(a), _float(b)
    return _per_matrix(slinalg.solve, a, b, ranks=(2, 1 if b.ndim == a.ndim - 1 else 2))[0]


@eager_function
def solve_triangular(a, b, lower=False):
    """``solve`` for a triangular ``a`` (its ``lower`` or upper triangle)."""
    a, b = _float(a), _float(b)
    op = slinalg.solve_lower_triangular if lower else slinalg.solve_upper_triangular
    return _per_matrix(op, a, b, ranks=(2, 1 if b.ndim == a.ndim - 1 else 2))[0]


@eager_function
def cholesky(x, upper=False):
    """The Cholesky factor of each symmetric positive definite matrix (lower, or upper with ``upper=True``)."""
    factor = _per_matrix(slinalg.cholesky, _float(x))[0]
    return _transposed(factor) if upper else factor


def _transposed(x):
    """``x`` with its last two axes exchanged."""
    return x.dimshuffle(*range(x.ndim - 2), x.ndim - 1, x.ndim - 2)


@eager_function
def cholesky_inverse(x, upper=False):
    """The inverse of ``A`` from its Cholesky factor ``x`` (``A = x x^T``, or ``x^T x`` if ``upper``)."""
    x = _float(x)
    product = T.matmul(_transposed(x), x) if upper else T.matmul(x, _transposed(x))
    return inv.symbolic(product)


@eager_function
def qr(x, mode="reduced"):
    """(Q, R) of each matrix (``mode`` 'reduced' or 'complete')."""
    if mode not in ("reduced", "complete"):
        raise ValueError(f"qr: mode must be 'reduced' or 'complete', received {mode!r}")
    return tuple(_per_matrix(lambda m: nlinalg.qr(m, mode=mode), _float(x)))


@eager_function
def svd(x, full_matrices=True, compute_uv=True):
    """(U, S, V^T) of each matrix, or the singular values alone."""
    outputs = _per_matrix(lambda m: nlinalg.svd(m, full_matrices=int(full_matrices), compute_uv=int(compute_uv)),
                          _float(x))
    return tuple(outputs) if compute_uv else outputs[0]


@eager_function
def eigh(x):
    """(ascending eigenvalues, eigenvectors) of each symmetric matrix."""
    return tuple(_per_matrix(nlinalg.eigh, _float(x)))


@eager_function
def pinv(x, rcond=1e-15):
    """The Moore-Penrose pseudo-inverse of each matrix (singular values below ``rcond`` times the largest count
    as 0)."""
    u, s, vt = svd.symbolic(x, full_matrices=False)
    keep = T.gt(s, rcond * T.max(s, axis=-1, keepdims=True))
    inverse = T.switch(keep, 1.0 / T.switch(keep, s, T.ones_like(s)), T.zeros_like(s))
    return T.matmul(_transposed(vt) * T.shape_padaxis(inverse, -2), _transposed(u))


@eager_function
def lstsq(a, b, rcond=None):
    """The least-squares solution ``x`` of ``a @ x ~ b`` (through the pseudo-inverse)."""
    a, b = _float(a), _float(b)
    rcond = np.finfo(a.dtype).eps * 10 if rcond is None else rcond
    solution = T.matmul(pinv.symbolic(a, rcond=rcond), b if b.ndim > 1 else T.shape_padright(b))
    return solution if b.ndim > 1 else solution[..., 0]


@eager_function
def matrix_rank(x, tol=None):
    """The number of singular values above ``tol`` (NumPy's default: largest * max(M, N) * eps)."""
    x = _float(x)
    s = svd.symbolic(x, compute_uv=False)
    if tol is None:
        size = max(x.type.shape[-2] or 1, x.type.shape[-1] or 1)
        tol = T.max(s, axis=-1, keepdims=True) * size * np.finfo(x.dtype).eps
    return T.sum(T.cast(T.gt(s, tol), "int64"), axis=-1)


def _vector_norm(x, order, axis, keepdims):
    magnitude = T.abs(x)
    if order is None or order == 2:
        return T.sqrt(T.sum(T.square(x), axis=axis, keepdims=keepdims))
    if order == np.inf:
        return T.max(magnitude, axis=axis, keepdims=keepdims)
    if order == -np.inf:
        return T.min(magnitude, axis=axis, keepdims=keepdims)
    if order == 0:
        return T.cast(T.sum(T.neq(x, 0), axis=axis, keepdims=keepdims), x.dtype)
    return T.sum(magnitude ** order, axis=axis, keepdims=keepdims) ** (1.0 / order)


def _matrix_norm(x, order, axes, keepdims):
    rows, cols = axes
    magnitude = T.abs(x)
    if order in (None, "fro"):
        return T.sqrt(T.sum(T.square(x), axis=axes, keepdims=keepdims))
    if order in (1, -1):
        sums = T.sum(magnitude, axis=rows, keepdims=True)
        pick = T.max if order == 1 else T.min
        result = pick(sums, axis=cols, keepdims=True)
    elif order in (np.inf, -np.inf):
        sums = T.sum(magnitude, axis=cols, keepdims=True)
        pick = T.max if order == np.inf else T.min
        result = pick(sums, axis=rows, keepdims=True)
    else:
        raise ValueError(f"norm: matrix norm ord={order!r} is not available (use None, 'fro', 1, -1, inf or -inf; "
                         f"2 and 'nuc' need a singular value decomposition)")
    return result if keepdims else T.squeeze(result, axis=sorted(axes))


@eager_function
def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 - keras.ops's argument name
    """The vector norm along ``axis`` (an int), the matrix norm over ``axis`` (two ints), or over the whole
    tensor (``axis=None``: the 2-norm of the flattened entries, Frobenius for a matrix)."""
    x = tensor(x)
    if not x.dtype.startswith("float"):
        x = T.cast(x, "float32")
    if axis is None:
        if ord is not None and x.ndim == 2:
            return _matrix_norm(x, ord, (0, 1), keepdims)
        flat = T.sqrt(T.sum(T.square(x))) if ord is None else _vector_norm(T.flatten(x), ord, 0, False)
        return T.reshape(flat, (1,) * x.ndim) if keepdims else flat
    axes = tuple(a % x.ndim for a in np.atleast_1d(axis))
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims)
    return _vector_norm(x, ord, axes[0], keepdims)
