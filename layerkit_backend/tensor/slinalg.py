"""Linear algebra with structure (Theano's ``tensor.slinalg``): Cholesky factors, linear solves (general,
triangular, symmetric), generalised symmetric eigenvalues, the matrix exponential and the Kronecker product.

Computed with NumPy's (or CuPy's) ``linalg``; a triangular solve is a general solve of the triangular matrix. The
gradients are Theano's formulas (Cholesky's by Murray's triangular solves, the solve's through the transposed
solve, ``eigvalsh``'s and ``expm``'s through eigendecompositions).
"""
import numpy as np

from ..graph.basic import Apply, Op
from . import basic
from .linalg import dot, outer
from .nlinalg import _float_matrix, alloc_diag, extract_diag
from .type import TensorType
from .variable import as_tensor_variable

__all__ = ["Cholesky", "cholesky", "Solve", "solve", "solve_lower_triangular", "solve_upper_triangular",
           "solve_symmetric", "Eigvalsh", "eigvalsh", "Expm", "expm", "kron"]


class Cholesky(Op):
    """The Cholesky factor of a symmetric positive definite matrix: lower (``A = L L^T``) or upper.

    ``on_error='raise'`` (default) fails on a matrix that is not positive definite; ``'nan'`` returns NaNs.
    """

    __props__ = ("lower", "on_error")

    def __init__(self, lower=True, on_error="raise"):
        if on_error not in ("raise", "nan"):
            raise ValueError(f"cholesky: on_error must be 'raise' or 'nan', received {on_error!r}")
        self.lower, self.on_error = bool(lower), on_error

    def make_node(self, x):
        x = _float_matrix(x, "cholesky")
        return Apply(self, [x], [TensorType(x.dtype, x.type.shape)()])

    def perform(self, xp, node, inputs):
        try:
            L = xp.linalg.cholesky(inputs[0])
        except np.linalg.LinAlgError:
            if self.on_error == "raise":
                raise
            return [xp.full(inputs[0].shape, np.nan, dtype=node.outputs[0].dtype)]
        out = L if self.lower else L.T
        return [xp.ascontiguousarray(out).astype(node.outputs[0].dtype, copy=False)]

    def grad(self, inputs, output_grads):
        # Murray (2016): with P = Phi(L^T dL) (lower triangle, halved diagonal), S = L^-T P L^-1; Theano returns
        # the lower triangle of S + S^T less its diagonal once.
        (x,), (dz,) = inputs, output_grads
        chol = self(x)
        if not self.lower:
            chol, dz = chol.T, dz.T

        def tril_half(m):
            return basic.tril(m) - alloc_diag(extract_diag(m) / 2.0)

        inner = tril_half(dot(chol.T, dz))
        s = solve_upper_triangular(chol.T, solve_upper_triangular(chol.T, inner.T).T)
        s_sym = s + s.T
        out = basic.tril(s_sym) if self.lower else basic.triu(s_sym)
        return [out - alloc_diag(extract_diag(s))]


cholesky = Cholesky()

_STRUCTURES = ("general", "symmetric", "lower_triangular", "upper_triangular")
_TRANSPOSED = {"lower_triangular": "upper_triangular", "upper_triangular": "lower_triangular"}


class Solve(Op):
    """``x`` with ``A x = b`` (``b`` a vector or a matrix); ``A_structure`` says what ``A`` is."""

    __props__ = ("A_structure", "lower", "overwrite_A", "overwrite_b")

    def __init__(self, A_structure="general", lower=False, overwrite_A=False, overwrite_b=False):
        if A_structure not in _STRUCTURES:
            raise ValueError(f"solve: A_structure must be one of {_STRUCTURES}, received {A_structure!r}")
        self.A_structure, self.lower = A_structure, bool(lower)
        self.overwrite_A, self.overwrite_b = bool(overwrite_A), bool(overwrite_b)

    def make_node(self, A, b):
        A = _float_matrix(A, "solve")
        b = as_tensor_variable(b)
        if b.ndim not in (1, 2):
            raise TypeError(f"solve: b must be a vector or a matrix, received {b.type}")
        from .scalar import upcast

        return Apply(self, [A, b], [TensorType(upcast(A.dtype, b.dtype), (None,) * b.ndim)()])

    def perform(self, xp, node, inputs):
        A, b = inputs
        if self.A_structure == "lower_triangular":
            A = xp.tril(A)
        elif self.A_structure == "upper_triangular":
            A = xp.triu(A)
        return [xp.linalg.solve(A, b).astype(node.outputs[0].dtype, copy=False)]

    def grad(self, inputs, output_grads):
        (A, b), (c_bar,) = inputs, output_grads
        c = self(A, b)
        transposed = Solve(_TRANSPOSED.get(self.A_structure, self.A_structure), not self.lower)
        b_bar = transposed(A.T, c_bar)
        A_bar = -outer(b_bar, c) if c.ndim == 1 else -dot(b_bar, c.T)
        if self.A_structure == "lower_triangular":
            A_bar = basic.tril(A_bar)
        elif self.A_structure == "upper_triangular":
            A_bar = basic.triu(A_bar)
        return [A_bar, b_bar]


solve = Solve()
solve_lower_triangular = Solve("lower_triangular", lower=True)
solve_upper_triangular = Solve("upper_triangular", lower=False)
solve_symmetric = Solve("symmetric")


class Eigvalsh(Op):
    """Eigenvalues of the symmetric-definite pencil ``(a, b)`` (``a x = w b x``), or of ``a`` when ``b`` is
    omitted; reads the ``lower`` triangles."""

    __props__ = ("lower",)

    def __init__(self, lower=True):
        self.lower = bool(lower)

    def make_node(self, a, b=None):
        a = _float_matrix(a, "eigvalsh")
        inputs = [a] if b is None else [a, _float_matrix(b, "eigvalsh")]
        return Apply(self, inputs, [TensorType(a.dtype, (None,))()])

    def _decompose(self, xp, a, b):
        uplo = "L" if self.lower else "U"
        if b is None:
            return xp.linalg.eigh(a, UPLO=uplo)
        sym = (lambda m: xp.tril(m) + xp.tril(m, -1).T) if self.lower else (lambda m: xp.triu(m) + xp.triu(m, 1).T)
        L = xp.linalg.cholesky(sym(b))
        Li = xp.linalg.inv(L)
        w, u = xp.linalg.eigh(Li @ sym(a) @ Li.T)
        return w, Li.T @ u  # generalised eigenvectors with v^T b v = I

    def perform(self, xp, node, inputs):
        w, _ = self._decompose(xp, inputs[0], inputs[1] if len(inputs) > 1 else None)
        return [w.astype(node.outputs[0].dtype, copy=False)]

    def grad(self, inputs, output_grads):
        return list(EigvalshGrad(self.lower)(*inputs, output_grads[0]))


class EigvalshGrad(Op):
    """The gradients of ``eigvalsh`` in ``a`` (and ``b``): ``v diag(gw) v^T`` and ``-v diag(gw w) v^T``, folded
    onto the triangle that was read."""

    __props__ = ("lower",)

    def __init__(self, lower=True):
        self.lower = bool(lower)

    def make_node(self, *inputs):
        inputs = [as_tensor_variable(v) for v in inputs]
        return Apply(self, inputs, [v.type() for v in inputs[:-1]])

    def perform(self, xp, node, inputs):
        *mats, gw = inputs
        w, v = Eigvalsh(self.lower)._decompose(xp, mats[0], mats[1] if len(mats) > 1 else None)
        fold = (lambda m: xp.tril(m) + xp.triu(m, 1).T) if self.lower else (lambda m: xp.triu(m) + xp.tril(m, -1).T)
        outs = [fold(v @ xp.diag(gw) @ v.T)]
        if len(mats) > 1:
            outs.append(fold(-(v @ xp.diag(gw * w) @ v.T)))
        return [o.astype(node.outputs[k].dtype, copy=False) for k, o in enumerate(outs)]


def eigvalsh(a, b, lower=True):
    """The eigenvalues of ``a x = w b x`` for symmetric ``a`` and positive definite ``b`` (ascending)."""
    return Eigvalsh(lower)(a, b)


class Expm(Op):
    """The matrix exponential, by scaling and squaring with a degree-13 Padé approximant (Higham, 2005)."""

    def make_node(self, A):
        A = _float_matrix(A, "expm")
        return Apply(self, [A], [TensorType(A.dtype, A.type.shape)()])

    def perform(self, xp, node, inputs):
        return [xp.asarray(_expm(xp.to_host(inputs[0]).astype(np.float64)), dtype=node.outputs[0].dtype)]

    def grad(self, inputs, output_grads):
        return [ExpmGrad()(inputs[0], output_grads[0])]


_PADE13 = (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800., 129060195264000.,
           10559470521600., 670442572800., 33522128640., 1323241920., 40840800., 960960., 16380., 182., 1.)
_THETA13 = 5.371920351148152


def _expm(A):
    n = A.shape[0]
    norm = np.abs(A).sum(axis=0).max() if n else 0.0
    s = max(0, int(np.ceil(np.log2(norm / _THETA13)))) if norm > _THETA13 else 0
    A = A / (2.0 ** s)
    eye = np.eye(n)
    A2 = A @ A
    A4 = A2 @ A2
    A6 = A4 @ A2
    b = _PADE13
    U = A @ (A6 @ (b[13] * A6 + b[11] * A4 + b[9] * A2) + b[7] * A6 + b[5] * A4 + b[3] * A2 + b[1] * eye)
    V = A6 @ (b[12] * A6 + b[10] * A4 + b[8] * A2) + b[6] * A6 + b[4] * A4 + b[2] * A2 + b[0] * eye
    R = np.linalg.solve(V - U, V + U)
    for _ in range(s):
        R = R @ R
    return R


class ExpmGrad(Op):
    """The gradient of ``expm``: through the eigendecomposition ``A = V diag(w) V^-1`` (Theano's)."""

    def make_node(self, A, gA):
        A, gA = as_tensor_variable(A), as_tensor_variable(gA)
        return Apply(self, [A, gA], [A.type()])

    def perform(self, xp, node, inputs):
        A, gA = (xp.to_host(v) for v in inputs)
        w, V = np.linalg.eig(A)
        U = np.linalg.inv(V).T
        exp_w = np.exp(w)
        with np.errstate(divide="ignore", invalid="ignore"):
            X = np.subtract.outer(exp_w, exp_w) / np.subtract.outer(w, w)
        np.fill_diagonal(X, exp_w)
        Y = U.dot(V.T.dot(gA).dot(U) * X).dot(V.T)
        return [xp.asarray(np.real(Y), dtype=node.outputs[0].dtype)]


expm = Expm()


def kron(a, b):
    """The Kronecker product of two tensors of at least 2 dimensions (as ``numpy.kron`` for matrices).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> a, b = T.dmatrix('a'), T.dmatrix('b')
        >>> kron(a, b).eval({a: [[1.0, 2.0]], b: [[1.0], [10.0]]}).tolist()
        [[1.0, 2.0], [10.0, 20.0]]
    """
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim + b.ndim <= 2:
        raise TypeError(f"kron: expected tensors with at least 3 dimensions in total, received {a.type} and {b.type}")
    o = outer(a.flatten(), b.flatten())
    o = o.reshape(basic.concatenate([a.shape, b.shape]), ndim=a.ndim + b.ndim)
    if a.ndim == 2 and b.ndim == 2:
        shuffled = o.dimshuffle(0, 2, 1, 3)
        return shuffled.reshape((o.shape[0] * o.shape[2], o.shape[1] * o.shape[3]), ndim=2)
    raise NotImplementedError("kron: only matrices are supported")
