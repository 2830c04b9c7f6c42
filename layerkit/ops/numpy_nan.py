"""``keras.ops``'s NaN-ignoring reductions (``nansum``, ``nanmean``...) and ``fmax``/``fmin``: each is the plain
reduction with NaNs replaced by the value that leaves it unchanged (0 for a sum, 1 for a product, -inf for a
maximum...), or, for the mean and variance, with NaNs left out of the count.

Example:
    >>> import numpy as np
    >>> nansum(np.array([1.0, np.nan, 2.0])).item(), nanmean(np.array([1.0, np.nan, 3.0])).item()
    (3.0, 2.0)
"""
import numpy as np

import layerkit_backend.tensor as T

from ..eager import eager_function
from .core import tensor

__all__ = ["nansum", "nanprod", "nanmax", "nanmin", "nanmean", "nanvar", "nanstd", "nancumsum", "nancumprod",
           "nanargmax", "nanargmin", "fmax", "fmin"]


def _float(x):
    return x if x.dtype.startswith("float") else T.cast(x, "float32")


def _filled(x, value):
    """``x`` with NaNs replaced by ``value``."""
    x = tensor(x)
    if not x.dtype.startswith("float"):
        return x
    return T.switch(T.isnan(x), T.cast(value, x.dtype), x)


@eager_function
def nansum(x, axis=None, keepdims=False):
    """The sum over ``axis``, NaNs counting as 0."""
    return T.sum(_filled(x, 0), axis=axis, keepdims=keepdims)


@eager_function
def nanprod(x, axis=None, keepdims=False):
    """The product over ``axis``, NaNs counting as 1."""
    return T.prod(_filled(x, 1), axis=axis, keepdims=keepdims)


@eager_function
def nanmax(x, axis=None, keepdims=False):
    """The maximum over ``axis`` ignoring NaNs (NaN where every entry is NaN)."""
    x = tensor(x)
    result = T.max(_filled(x, -np.inf), axis=axis, keepdims=keepdims)
    return T.switch(T.all(T.isnan(x), axis=axis, keepdims=keepdims), T.cast(np.nan, result.dtype), result) \
        if x.dtype.startswith("float") else result


@eager_function
def nanmin(x, axis=None, keepdims=False):
    """The minimum over ``axis`` ignoring NaNs (NaN where every entry is NaN)."""
    x = tensor(x)
    result = T.min(_filled(x, np.inf), axis=axis, keepdims=keepdims)
    return T.switch(T.all(T.isnan(x), axis=axis, keepdims=keepdims), T.cast(np.nan, result.dtype), result) \
        if x.dtype.startswith("float") else result


def _count(x, axis, keepdims):
    return T.sum(T.cast(T.invert(T.isnan(x)), x.dtype), axis=axis, keepdims=keepdims)


@eager_function
def nanmean(x, axis=None, keepdims=False):
    """The mean over ``axis`` of the entries that are not NaN."""
    x = _float(tensor(x))
    return T.sum(_filled(x, 0), axis=axis, keepdims=keepdims) / _count(x, axis, keepdims)


@eager_function
def nanvar(x, axis=None, keepdims=False):
    """The variance over ``axis`` of the entries that are not NaN."""
    x = _float(tensor(x))
    mean = nanmean.symbolic(x, axis=axis, keepdims=True)
    squares = T.square(_filled(x - mean, 0))
    return T.sum(squares, axis=axis, keepdims=keepdims) / _count(x, axis, keepdims)


@eager_function
def nanstd(x, axis=None, keepdims=False):
    """The standard deviation over ``axis`` of the entries that are not NaN."""
    return T.sqrt(nanvar.symbolic(x, axis=axis, keepdims=keepdims))


@eager_function
def nancumsum(x, axis=None, dtype=None):
    """Running sums along ``axis``, NaNs counting as 0."""
    return T.cumsum(tensor(_filled(x, 0), dtype), axis=axis)


@eager_function
def nancumprod(x, axis=None, dtype=None):
    """Running products along ``axis``, NaNs counting as 1."""
    return T.cumprod(tensor(_filled(x, 1), dtype), axis=axis)


@eager_function
def nanargmax(x, axis=None, keepdims=False):
    """The index of the largest non-NaN value along ``axis``."""
    return T.argmax(_filled(x, -np.inf), axis=axis, keepdims=keepdims)


@eager_function
def nanargmin(x, axis=None, keepdims=False):
    """The index of the smallest non-NaN value along ``axis``."""
    return T.argmin(_filled(x, np.inf), axis=axis, keepdims=keepdims)


def _ignoring_nan(pick, x1, x2):
    """``pick(x1, x2)`` elementwise, except that a NaN on one side gives the other side (NaN only where both are)."""
    x1, x2 = tensor(x1), tensor(x2)
    if not (x1.dtype.startswith("float") or x2.dtype.startswith("float")):
        return pick(x1, x2)
    return T.switch(T.isnan(x1), x2 + T.zeros_like(x1), T.switch(T.isnan(x2), x1 + T.zeros_like(x2), pick(x1, x2)))


@eager_function
def fmax(x1, x2):
    """Elementwise maximum ignoring a NaN (NaN only where both are)."""
    return _ignoring_nan(T.maximum, x1, x2)


@eager_function
def fmin(x1, x2):
    """Elementwise minimum ignoring a NaN (NaN only where both are)."""
    return _ignoring_nan(T.minimum, x1, x2)
