"""TensorVariable (Python operators and NumPy-style methods) and TensorConstant, plus ``as_tensor_variable``."""
import numbers

import numpy as np

from ..config import config
from ..graph.basic import Constant, Variable
from .type import TensorType

__all__ = ["TensorVariable", "TensorConstant", "as_tensor_variable", "constant"]


class _TensorMethods:
    """Operators and NumPy-style methods shared by tensor variables, constants and shared variables."""

    # -- arithmetic ---------------------------------------------------------------------------------------
    def __add__(self, other): return _math.add(self, other)
    def __radd__(self, other): return _math.add(other, self)
    def __sub__(self, other): return _math.sub(self, other)
    def __rsub__(self, other): return _math.sub(other, self)
    def __mul__(self, other): return _math.mul(self, other)
    def __rmul__(self, other): return _math.mul(other, self)
    def __truediv__(self, other): return _math.true_div(self, other)
    def __rtruediv__(self, other): return _math.true_div(other, self)
    def __floordiv__(self, other): return _math.int_div(self, other)
    def __rfloordiv__(self, other): return _math.int_div(other, self)
    def __mod__(self, other): return _math.mod(self, other)
    def __rmod__(self, other): return _math.mod(other, self)
    def __pow__(self, other): return _math.pow(self, other)
    def __rpow__(self, other): return _math.pow(other, self)
    def __neg__(self): return _math.neg(self)
    def __pos__(self): return self
    def __abs__(self): return _math.abs(self)
    def __invert__(self): return _math.invert(self)
    def __and__(self, other): return _math.and_(self, other)
    def __rand__(self, other): return _math.and_(other, self)
    def __or__(self, other): return _math.or_(self, other)
    def __ror__(self, other): return _math.or_(other, self)
    def __xor__(self, other): return _math.xor(self, other)
    def __rxor__(self, other): return _math.xor(other, self)
    def __matmul__(self, other): return _linalg.matmul(self, other)
    def __rmatmul__(self, other): return _linalg.matmul(other, self)

    # -- comparisons (symbolic; == and != stay identity, as in Theano: use eq / neq) ----------------------
    def __lt__(self, other): return _math.lt(self, other)
    def __le__(self, other): return _math.le(self, other)
    def __gt__(self, other): return _math.gt(self, other)
    def __ge__(self, other): return _math.ge(self, other)
    __hash__ = Variable.__hash__

    def __bool__(self):
        raise TypeError("a symbolic variable has no truth value; use layerkit_backend.ifelse or tensor.switch")

    def __iter__(self):
        n = self.type.shape[0] if self.ndim else None
        if n is None:
            raise TypeError(f"cannot iterate over {self}: its first dimension has no static size")
        return (self[i] for i in range(n))

    def __len__(self):
        raise TypeError("symbolic variables have no len(); use x.shape[0]")

    # -- attributes -----------------------------------------------------------------------------------------
    ndim = property(lambda self: self.type.ndim)
    dtype = property(lambda self: self.type.dtype)
    broadcastable = property(lambda self: self.type.broadcastable)
    shape = property(lambda self: _shape.shape(self))
    size = property(lambda self: _reduce.prod(_shape.shape(self)))
    T = property(lambda self: _shape.transpose(self))

    # -- methods --------------------------------------------------------------------------------------------
    def dimshuffle(self, *pattern):
        if len(pattern) == 1 and isinstance(pattern[0], (list, tuple)):
            pattern = pattern[0]
        return _elemwise.DimShuffle(self.ndim, tuple(pattern))(self)

    def transpose(self, *axes):
        if len(axes) == 1 and isinstance(axes[0], (list, tuple)):
            axes = axes[0]
        return _shape.transpose(self, axes or None)

    def reshape(self, shape, *more, ndim=None):
        if more:
            shape = (shape,) + more
        return _shape.reshape(self, shape, ndim=ndim)

    def flatten(self, ndim=1): return _shape.flatten(self, ndim)
    def astype(self, dtype): return _basic.cast(self, dtype)
    def squeeze(self, axis=None): return _shape.squeeze(self, axis)
    def sum(self, axis=None, dtype=None, keepdims=False, acc_dtype=None):
        return _reduce.sum(self, axis=axis, dtype=dtype, keepdims=keepdims, acc_dtype=acc_dtype)
    def prod(self, axis=None, dtype=None, keepdims=False): return _reduce.prod(self, axis, dtype=dtype, keepdims=keepdims)
    def mean(self, axis=None, dtype=None, keepdims=False): return _reduce.mean(self, axis, dtype=dtype, keepdims=keepdims)
    def var(self, axis=None, ddof=0, keepdims=False): return _reduce.var(self, axis, ddof=ddof, keepdims=keepdims)
    def std(self, axis=None, ddof=0, keepdims=False): return _reduce.std(self, axis, ddof=ddof, keepdims=keepdims)
    def max(self, axis=None, keepdims=False): return _reduce.max(self, axis, keepdims=keepdims)
    def min(self, axis=None, keepdims=False): return _reduce.min(self, axis, keepdims=keepdims)
    def argmax(self, axis=None, keepdims=False): return _reduce.argmax(self, axis, keepdims=keepdims)
    def argmin(self, axis=None, keepdims=False): return _reduce.argmin(self, axis, keepdims=keepdims)
    def all(self, axis=None, keepdims=False): return _reduce.all(self, axis, keepdims=keepdims)
    def any(self, axis=None, keepdims=False): return _reduce.any(self, axis, keepdims=keepdims)
    def norm(self, L, axis=None, keepdims=False): return _reduce.norm(self, L, axis=axis, keepdims=keepdims)
    def dot(self, other): return _linalg.dot(self, other)
    def nonzero(self, return_matrix=False): return _subtensor.nonzero(self, return_matrix)
    def sort(self, axis=-1): return _sort.sort(self, axis)
    def argsort(self, axis=-1): return _sort.argsort(self, axis)
    def cumsum(self, axis=None): return _extra.cumsum(self, axis)
    def cumprod(self, axis=None): return _extra.cumprod(self, axis)
    def repeat(self, repeats, axis=None): return _extra.repeat(self, repeats, axis)
    def clip(self, a_min, a_max): return _math.clip(self, a_min, a_max)
    def round(self, mode=None): return _math.round(self, mode)
    def conj(self): return self
    def ravel(self): return _shape.flatten(self)
    def swapaxes(self, axis1, axis2): return _shape.swapaxes(self, axis1, axis2)
    def ptp(self, axis=None, keepdims=False): return _reduce.ptp(self, axis, keepdims)
    def diagonal(self, offset=0, axis1=0, axis2=1): return _nlinalg.diagonal(self, offset, axis1, axis2)
    def trace(self): return _nlinalg.trace(self)
    def take(self, indices, axis=None, mode="raise"): return _subtensor.take(self, indices, axis, mode)
    def nonzero_values(self): return _subtensor.nonzero_values(self)
    def searchsorted(self, v, side="left", sorter=None): return _search.searchsorted(self, v, side, sorter)
    def compress(self, a, axis=None): return _search.compress(a, self, axis)
    def choose(self, choices, out=None, mode="raise"): return _search.choose(self, choices, out, mode)
    def fill(self, value): return _basic.fill(self, value)
    def zeros_like(self, dtype=None): return _basic.zeros_like(self, dtype)
    def ones_like(self, dtype=None): return _basic.ones_like(self, dtype)
    def copy(self, name=None):
        out = _basic.tensor_copy(self)
        out.name = name
        return out

    def __getitem__(self, index): return _subtensor.getitem(self, index)

    def __setitem__(self, key, value):
        raise TypeError("symbolic variables are immutable: use layerkit_backend.tensor.set_subtensor(x[idx], v)")


class TensorVariable(_TensorMethods, Variable):
    """A symbolic tensor. Build it with ``T.matrix('x')`` and friends, combine it with operators and methods."""


class TensorConstant(_TensorMethods, Constant):
    """A tensor whose value is known when the graph is built."""

    @property
    def value(self):
        return self.data


def constant(value, name=None, ndim=None, dtype=None):
    """A TensorConstant holding ``value`` (converted to ``dtype`` when given).

    Python floats become floatX (float32 by default), Python ints int64 when they fit, NumPy arrays keep their dtype.
    """
    if isinstance(value, TensorConstant) and dtype is None:
        return value
    weak = isinstance(value, (bool, numbers.Number)) and not isinstance(value, np.generic)
    if dtype is not None:
        arr = np.asarray(value, dtype=np.dtype(dtype) if dtype != "floatX" else config.floatX)
    elif weak:
        arr = np.asarray(value, dtype=_python_scalar_dtype(value))
    else:
        arr = np.asarray(value)
        if arr.dtype == np.float64 and not hasattr(value, "dtype"):
            arr = arr.astype(config.floatX)  # a Python list of floats follows floatX, like a Python float
    if ndim is not None and arr.ndim != ndim:
        if arr.ndim > ndim:
            raise ValueError(f"constant {value!r}: has {arr.ndim} dimensions, more than ndim={ndim}")
        arr = arr.reshape((1,) * (ndim - arr.ndim) + arr.shape)
    const = TensorConstant(TensorType(arr.dtype, shape=arr.shape), arr, name=name)
    const.tag.weak = weak and dtype is None  # a Python number adapts its dtype to the tensor it meets
    if const.tag.weak:
        const.tag.python_value = value  # re-cast from this, not from the floatX rounding (0.1 stays exact in f64)
    return const


def _python_scalar_dtype(value):
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, numbers.Integral):
        return "int64" if -(2 ** 63) <= value < 2 ** 63 else "float64"
    if isinstance(value, numbers.Complex) and not isinstance(value, numbers.Real):
        return "complex128"
    return config.floatX


def as_tensor_variable(x, name=None, ndim=None, dtype=None):
    """``x`` as a tensor Variable: variables pass through, Python and NumPy values become constants."""
    if isinstance(x, Variable):
        if not isinstance(x.type, TensorType):
            raise TypeError(f"expected a tensor variable, received {x} of type {x.type}")
        if ndim is not None and x.ndim != ndim:
            raise ValueError(f"{x}: expected {ndim} dimensions, received {x.ndim}")
        return x
    if isinstance(x, (list, tuple)) and any(isinstance(e, Variable) for e in x):
        return _basic.stack([as_tensor_variable(e) for e in x])
    try:
        return constant(x, name=name, ndim=ndim, dtype=dtype)
    except (TypeError, ValueError) as err:
        raise TypeError(f"cannot convert {x!r} to a tensor: {err}") from None


# Operator methods call into these modules; they import this one, so the links are made at the end.
from . import basic as _basic  # noqa: E402
from . import elemwise as _elemwise  # noqa: E402
from . import extra_ops as _extra  # noqa: E402
from . import linalg as _linalg  # noqa: E402
from . import math as _math  # noqa: E402
from . import nlinalg as _nlinalg  # noqa: E402
from . import search as _search  # noqa: E402
from . import reduce as _reduce  # noqa: E402
from . import shape as _shape  # noqa: E402
from . import sort as _sort  # noqa: E402
from . import subtensor as _subtensor  # noqa: E402
