"""Linear algebra on matrices (Theano's ``tensor.nlinalg``): inverse, pseudo-inverse, determinant, eigen- and
singular value decompositions, QR, least squares, tensor inverse/solve, diagonals, trace and norms.

Each op computes through ``xp.linalg`` (NumPy's or CuPy's). Gradients are Theano's: inverse, pseudo-inverse,
determinant, ``eigh`` and the diagonals have them; ``svd``, ``qr``, ``eig``, ``lstsq``, ``tensorinv`` and
``tensorsolve`` have none, as in Theano (asking for one raises NullTypeGradError).
"""
import numpy as np

from ..graph.basic import Apply, Op
from . import basic, math
from .linalg import dot
from .reduce import max as reduce_max, sum as reduce_sum
from .type import FLOAT_DTYPES, TensorType
from .variable import as_tensor_variable

__all__ = ["MatrixInverse", "matrix_inverse", "MatrixPinv", "pinv", "Det", "det", "Eig", "eig", "Eigh", "eigh",
           "SVD", "svd", "QRFull", "QRIncomplete", "qr", "lstsq", "TensorInv", "tensorinv", "TensorSolve",
           "tensorsolve", "ExtractDiag", "extract_diag", "AllocDiag", "alloc_diag", "diag", "trace", "diagonal",
           "matrix_dot", "matrix_power", "norm"]


def _float_matrix(x, where, ndim=2):
    x = as_tensor_variable(x)
    if x.ndim != ndim:
        raise TypeError(f"{where}: expected a {ndim}-d tensor, received {x.type}")
    if x.dtype not in FLOAT_DTYPES:
        from ..config import config

        x = basic.cast(x, config.floatX)
    return x


def _not_implemented(op, inputs):
    from ..gradient import grad_not_implemented

    return [grad_not_implemented(op, k, x) for k, x in enumerate(inputs)]


class _MatrixOp(Op):
    """A one-input op on a matrix whose outputs are matrices/vectors of the input's dtype."""

    out_ndims = (2,)

    def make_node(self, x):
        x = _float_matrix(x, type(self).__name__)
        return Apply(self, [x], [TensorType(x.dtype, (None,) * n)() for n in self.out_ndims])


class MatrixInverse(_MatrixOp):
    """The inverse of a square matrix; gradient ``-X^T g X^T``."""

    def perform(self, xp, node, inputs):
        return [xp.linalg.inv(inputs[0]).astype(node.outputs[0].dtype, copy=False)]

    def grad(self, inputs, output_grads):
        xi = self(inputs[0])
        return [-dot(dot(xi.T, output_grads[0]), xi.T)]


class MatrixPinv(_MatrixOp):
    """The Moore-Penrose pseudo-inverse; gradient by the derivative of the pseudo-inverse (Golub and Pereyra)."""

    def perform(self, xp, node, inputs):
        return [xp.linalg.pinv(inputs[0]).astype(node.outputs[0].dtype, copy=False)]

    def grad(self, inputs, output_grads):
        (a,), (g,) = inputs, output_grads
        x = self(a)
        eye_m = basic.identity_like(dot(a, x))
        eye_n = basic.identity_like(dot(x, a))
        return [-dot(dot(x.T, g), x.T) + dot(dot(dot(eye_m - dot(a, x), g.T), x), x.T)
                + dot(dot(dot(x.T, x), g.T), eye_n - dot(x, a))]


class Det(Op):
    """The determinant of a square matrix; gradient ``g det(A) A^-T``."""

    def make_node(self, x):
        x = _float_matrix(x, "det")
        return Apply(self, [x], [TensorType(x.dtype, ())()])

    def perform(self, xp, node, inputs):
        return [xp.asarray(xp.linalg.det(inputs[0]), dtype=node.outputs[0].dtype)]

    def grad(self, inputs, output_grads):
        (x,), (g,) = inputs, output_grads
        return [g * self(x) * matrix_inverse(x).T]


class Eig(_MatrixOp):
    """Eigenvalues and right eigenvectors of a square matrix with real eigenvalues (no gradient, as in Theano)."""

    out_ndims = (1, 2)

    def perform(self, xp, node, inputs):
        w, v = xp.linalg.eig(inputs[0]) if hasattr(xp.linalg, "eig") else np.linalg.eig(xp.to_host(inputs[0]))
        if np.iscomplexobj(w):
            if np.any(np.imag(w) != 0) or np.any(np.imag(v) != 0):
                raise ValueError("eig: the matrix has complex eigenvalues; only real ones are supported")
            w, v = np.real(w), np.real(v)
        dtype = node.outputs[0].dtype
        return [xp.asarray(w, dtype=dtype), xp.asarray(v, dtype=dtype)]

    def grad(self, inputs, output_grads):
        return _not_implemented(self, inputs)


class Eigh(_MatrixOp):
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix, read from its ``UPLO`` triangle."""

    __props__ = ("UPLO",)
    out_ndims = (1, 2)

    def __init__(self, UPLO="L"):
        if UPLO not in ("L", "U"):
            raise ValueError(f"eigh: UPLO must be 'L' or 'U', received {UPLO!r}")
        self.UPLO = UPLO

    def perform(self, xp, node, inputs):
        w, v = xp.linalg.eigh(inputs[0], UPLO=self.UPLO)
        dtype = node.outputs[0].dtype
        return [w.astype(dtype, copy=False), v.astype(dtype, copy=False)]

    def grad(self, inputs, output_grads):
        # A = V diag(w) V^T: g = V (diag(gw) + F o (V^T gV)^T) V^T with F[n, m] = 1 / (w_n - w_m) off the diagonal;
        # only the UPLO triangle was read, so the other one's gradient folds onto it (Theano's EighGrad).
        (a,), (gw, gv) = inputs, output_grads
        w, v = self(a)
        inner = basic.zeros_like(a) if gv is None else dot(v.T, gv).T
        diff = w.dimshuffle(0, "x") - w.dimshuffle("x", 0)
        off = math.neq(diff, 0)
        f = math.switch(off, 1 / math.switch(off, diff, 1), 0)
        middle = f * inner
        if gw is not None:
            middle = middle + alloc_diag(gw)
        g = dot(dot(v, middle), v.T)
        keep, fold = (basic.tril(g), basic.triu(g, 1)) if self.UPLO == "L" else (basic.triu(g), basic.tril(g, -1))
        return [keep + fold.T]


class SVD(Op):
    """Singular value decomposition ``(U, s, V^T)``, or ``s`` alone with ``compute_uv=False`` (no gradient)."""

    __props__ = ("full_matrices", "compute_uv")

    def __init__(self, full_matrices=True, compute_uv=True):
        self.full_matrices, self.compute_uv = bool(full_matrices), bool(compute_uv)

    def make_node(self, x):
        x = _float_matrix(x, "svd")
        outs = [TensorType(x.dtype, (None, None))(), TensorType(x.dtype, (None,))(),
                TensorType(x.dtype, (None, None))()] if self.compute_uv else [TensorType(x.dtype, (None,))()]
        return Apply(self, [x], outs)

    def perform(self, xp, node, inputs):
        dtype = node.outputs[0].dtype
        if not self.compute_uv:
            return [xp.linalg.svd(inputs[0], compute_uv=False).astype(dtype, copy=False)]
        return [r.astype(dtype, copy=False) for r in xp.linalg.svd(inputs[0], full_matrices=self.full_matrices)]

    def grad(self, inputs, output_grads):
        return _not_implemented(self, inputs)


class QRFull(Op):
    """``(Q, R)`` (mode 'reduced' or 'complete') or ``R`` alone (mode 'r') of a matrix (no gradient)."""

    __props__ = ("mode",)

    def __init__(self, mode="reduced"):
        self.mode = mode

    def make_node(self, x):
        x = _float_matrix(x, "qr")
        n_out = 1 if self.mode == "r" else 2
        return Apply(self, [x], [TensorType(x.dtype, (None, None))() for _ in range(n_out)])

    def perform(self, xp, node, inputs):
        out = xp.linalg.qr(inputs[0], mode=self.mode)
        out = [out] if self.mode == "r" else list(out)
        return [r.astype(node.outputs[0].dtype, copy=False) for r in out]

    def grad(self, inputs, output_grads):
        return _not_implemented(self, inputs)


class QRIncomplete(QRFull):
    """Theano's name for the op returning ``R`` only."""

    def __init__(self, mode="r"):
        super().__init__(mode)


def qr(a, mode="reduced"):
    """``numpy.linalg.qr``: ``(Q, R)`` for 'reduced' and 'complete', ``R`` for 'r'.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> q, r = qr(T.dmatrix('a'))
        >>> q.ndim, r.ndim
        (2, 2)
    """
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"qr: mode must be 'reduced', 'complete' or 'r', received {mode!r}")
    return QRFull(mode)(a)


class Lstsq(Op):
    """``numpy.linalg.lstsq(a, b, rcond)``: ``(x, residuals, rank, singular values)`` (no gradient)."""

    def make_node(self, a, b, rcond):
        a = _float_matrix(a, "lstsq")
        b = as_tensor_variable(b)
        rcond = as_tensor_variable(rcond)
        dtype = a.dtype
        return Apply(self, [a, b, rcond], [TensorType(dtype, (None,) * b.ndim)(), TensorType(dtype, (None,))(),
                                           TensorType("int64", ())(), TensorType(dtype, (None,))()])

    def perform(self, xp, node, inputs):
        a, b, rcond = inputs
        rc = float(rcond)
        x, res, rank, s = np.linalg.lstsq(xp.to_host(a), xp.to_host(b), rcond=None if rc == -1 else rc)
        dtype = node.outputs[0].dtype
        return [xp.asarray(x, dtype=dtype), xp.asarray(res, dtype=dtype), xp.asarray(rank, dtype="int64"),
                xp.asarray(s, dtype=dtype)]

    def grad(self, inputs, output_grads):
        return _not_implemented(self, inputs)


def lstsq():
    """Theano's ``lstsq()`` op: call it as ``lstsq()(a, b, rcond)``."""
    return Lstsq()


class TensorInv(Op):
    """``numpy.linalg.tensorinv(a, ind)`` (no gradient)."""

    __props__ = ("ind",)

    def __init__(self, ind=2):
        self.ind = int(ind)

    def make_node(self, a):
        a = as_tensor_variable(a)
        shape = a.type.shape[self.ind:] + a.type.shape[:self.ind]
        return Apply(self, [a], [TensorType(a.dtype if a.dtype in FLOAT_DTYPES else "float64", shape)()])

    def perform(self, xp, node, inputs):
        return [xp.asarray(np.linalg.tensorinv(xp.to_host(inputs[0]), self.ind), dtype=node.outputs[0].dtype)]

    def grad(self, inputs, output_grads):
        return _not_implemented(self, inputs)


def tensorinv(a, ind=2):
    """The inverse of ``a`` seen as a matrix of its first ``ind`` dimensions by the rest."""
    return TensorInv(ind)(a)


class TensorSolve(Op):
    """``numpy.linalg.tensorsolve(a, b, axes)`` (no gradient)."""

    __props__ = ("axes",)

    def __init__(self, axes=None):
        self.axes = None if axes is None else tuple(axes)

    def make_node(self, a, b):
        a, b = as_tensor_variable(a), as_tensor_variable(b)
        ndim = a.ndim - b.ndim
        return Apply(self, [a, b], [TensorType(a.dtype if a.dtype in FLOAT_DTYPES else "float64", (None,) * ndim)()])

    def perform(self, xp, node, inputs):
        a, b = (xp.to_host(v) for v in inputs)
        return [xp.asarray(np.linalg.tensorsolve(a, b, self.axes), dtype=node.outputs[0].dtype)]

    def grad(self, inputs, output_grads):
        return _not_implemented(self, inputs)


def tensorsolve(a, b, axes=None):
    """The ``x`` with ``tensordot(a, x, x.ndim) == b``."""
    return TensorSolve(axes)(a, b)


class ExtractDiag(Op):
    """The diagonal ``offset`` of ``x`` over ``axis1`` and ``axis2`` (a view, as ``numpy.diagonal``)."""

    __props__ = ("offset", "axis1", "axis2")
    view_map = {0: [0]}

    def __init__(self, offset=0, axis1=0, axis2=1):
        self.offset, self.axis1, self.axis2 = int(offset), int(axis1), int(axis2)

    def make_node(self, x):
        x = as_tensor_variable(x)
        if x.ndim < 2:
            raise ValueError(f"diagonal: expected at least 2 dimensions, received {x.type}")
        a1, a2 = self.axis1 % x.ndim, self.axis2 % x.ndim
        if a1 == a2:
            raise ValueError(f"diagonal: axis1 and axis2 must differ, received {self.axis1} and {self.axis2}")
        rest = tuple(s for d, s in enumerate(x.type.shape) if d not in (a1, a2))
        n1, n2 = x.type.shape[a1], x.type.shape[a2]
        size = None
        if n1 is not None and n2 is not None:
            size = max(0, min(n1, n2 - self.offset) if self.offset >= 0 else min(n1 + self.offset, n2))
        return Apply(self, [x], [TensorType(x.dtype, rest + (size,))()])

    def make_thunk(self, node, xp):
        offset, a1, a2 = self.offset, self.axis1, self.axis2
        return lambda x: xp.diagonal(x, offset, a1, a2)

    def grad(self, inputs, output_grads):
        (x,), (g,) = inputs, output_grads
        if x.dtype not in FLOAT_DTYPES:
            return [None]
        if x.ndim != 2 or (self.axis1 % 2, self.axis2 % 2) != (0, 1):
            raise NotImplementedError("diagonal: the gradient is implemented for the diagonals of a matrix")
        from .subtensor import set_subtensor

        rows = basic.arange(g.shape[0]) + max(0, -self.offset)
        cols = basic.arange(g.shape[0]) + max(0, self.offset)
        return [set_subtensor(basic.zeros_like(x)[rows, cols], g)]


def extract_diag(x):
    """The main diagonal of the matrix ``x``."""
    return ExtractDiag()(x)


def diagonal(a, offset=0, axis1=0, axis2=1):
    """The diagonal ``offset`` of ``a`` over ``axis1`` and ``axis2``, like ``numpy.diagonal``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> m = T.dmatrix('m')
        >>> diagonal(m, 1).eval({m: [[1.0, 2.0], [3.0, 4.0]]}).tolist()
        [2.0]
    """
    return ExtractDiag(offset, axis1, axis2)(a)


class AllocDiag(Op):
    """A square matrix with the vector ``x`` on its main diagonal."""

    def make_node(self, x):
        x = as_tensor_variable(x)
        if x.ndim != 1:
            raise TypeError(f"alloc_diag: expected a vector, received {x.type}")
        n = x.type.shape[0]
        return Apply(self, [x], [TensorType(x.dtype, (n, n))()])

    def make_thunk(self, node, xp):
        return lambda x: xp.diag(x)

    def grad(self, inputs, output_grads):
        return [extract_diag(output_grads[0])] if inputs[0].dtype in FLOAT_DTYPES else [None]


def alloc_diag(x):
    """A diagonal matrix from the vector ``x``."""
    return AllocDiag()(x)


def diag(x):
    """Theano's ``diag``: a diagonal matrix from a vector, or the diagonal of a matrix."""
    x = as_tensor_variable(x)
    if x.ndim == 1:
        return alloc_diag(x)
    if x.ndim == 2:
        return extract_diag(x)
    raise TypeError(f"diag: expected a vector or a matrix, received {x.type}")


def trace(x):
    """The sum of the main diagonal of the matrix ``x``."""
    return reduce_sum(extract_diag(x))


def matrix_dot(*args):
    """``dot(dot(a, b), c)...`` of several matrices."""
    out = args[0]
    for a in args[1:]:
        out = dot(out, a)
    return out


def matrix_power(M, n):
    """``M`` multiplied by itself ``n`` times (``n`` a non-negative Python int; 0 gives the identity)."""
    if int(n) != n or n < 0:
        raise ValueError(f"matrix_power: n must be a non-negative int, received {n!r}")
    M = as_tensor_variable(M)
    if n == 0:
        return basic.identity_like(M)
    out = M
    for _ in range(int(n) - 1):
        out = dot(out, M)
    return out


def norm(x, ord):
    """``numpy.linalg.norm(x, ord)`` of a vector or matrix, as a composite (so it has a gradient)."""
    x = as_tensor_variable(x)
    if x.ndim == 1:
        if ord is None:
            return math.sqrt(reduce_sum(math.sqr(x)))
        if ord == "inf":
            return reduce_max(abs(x))
        if ord == "-inf":
            return -reduce_max(-abs(x))
        if ord == 0:
            return reduce_sum(math.neq(x, 0))
        return reduce_sum(abs(x) ** ord) ** (1.0 / ord)
    if x.ndim == 2:
        if ord is None or ord == "fro":
            return math.sqrt(reduce_sum(math.sqr(abs(x))))
        if ord == "inf":
            return reduce_max(reduce_sum(abs(x), 1))
        if ord == "-inf":
            return -reduce_max(-reduce_sum(abs(x), 1))
        if ord == 1:
            return reduce_max(reduce_sum(abs(x), 0))
        if ord == -1:
            return -reduce_max(-reduce_sum(abs(x), 0))
        raise ValueError(f"norm: ord {ord!r} is not supported for a matrix")
    raise ValueError(f"norm: expected a vector or a matrix, received {x.type}")


matrix_inverse = MatrixInverse()
pinv = MatrixPinv()
det = Det()
eig = Eig()


def eigh(a, UPLO="L"):
    """``(w, v)``: ascending eigenvalues and eigenvectors of the symmetric matrix ``a`` (its ``UPLO`` triangle)."""
    return Eigh(UPLO)(a)


def svd(a, full_matrices=1, compute_uv=1):
    """``(U, s, V^T)`` of ``a`` (``s`` alone when ``compute_uv`` is false)."""
    return SVD(full_matrices, compute_uv)(a)
