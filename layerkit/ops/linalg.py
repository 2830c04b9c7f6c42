"""``keras.ops.linalg``: norms. The decompositions and solvers (``inv``, ``det``, ``solve``, ``cholesky``,
``qr``, ``svd``, ``eigh``...) map onto backend ops that ``layerkit_backend`` does not have yet (its Theano
``nlinalg``/``slinalg`` work adds them), so they are not offered here.

Example:
    >>> import numpy as np
    >>> float(norm(np.array([3.0, 4.0])))
    5.0
"""
import numpy as np

import layerkit_backend.tensor as T

from ..eager import eager_function
from .core import tensor

__all__ = ["norm"]


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
