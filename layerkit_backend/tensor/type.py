"""TensorType: a dtype plus a static shape, and the constructors users declare inputs with (``T.matrix``...).

A static shape holds an int where the size is known and None where it is not. Size 1 means "broadcastable":
Theano's ``broadcastable`` tuple is a view of it.
"""
import numpy as np

from ..config import config
from ..graph.basic import Type

__all__ = ["TensorType", "tensor", "scalar", "vector", "row", "col", "matrix", "tensor3", "tensor4", "tensor5",
           "DTYPE_PREFIXES", "FLOAT_DTYPES", "INT_DTYPES", "as_dtype"]

FLOAT_DTYPES = ("float16", "float32", "float64")
INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
COMPLEX_DTYPES = ("complex64", "complex128")
ALL_DTYPES = ("bool",) + INT_DTYPES + FLOAT_DTYPES + COMPLEX_DTYPES


def as_dtype(dtype):
    """Normalise a dtype spec ('floatX', np.float32, 'float32'...) to its canonical name; 'string' (or ``str``)
    is the dtype of text tensors, held as NumPy object arrays of ``str`` for host-side ops."""
    if dtype is None or dtype == "floatX":
        return config.floatX
    if dtype is str or (isinstance(dtype, str) and dtype in ("string", "str")):
        return "string"
    name = np.dtype(dtype).name
    if name not in ALL_DTYPES:
        raise TypeError(f"unsupported dtype {dtype!r}; expected one of {ALL_DTYPES}")
    return name


class TensorType(Type):
    """The type of an n-dimensional array: ``TensorType('float32', shape=(None, 1))`` is a float32 column.

    Example:
        >>> t = TensorType('float32', shape=(None, 1))
        >>> t.broadcastable, t.ndim
        ((False, True), 2)
    """

    def __init__(self, dtype, shape=None, broadcastable=None):
        self.dtype = as_dtype(dtype)
        if shape is None:
            if broadcastable is None:
                raise TypeError("TensorType needs shape= (or Theano's broadcastable=)")
            shape = tuple(1 if b else None for b in broadcastable)
        elif len(shape) and all(isinstance(s, (bool, np.bool_)) for s in shape):
            # Theano's TensorType(dtype, broadcastable) passed positionally: bools are a pattern, not sizes
            shape = tuple(1 if b else None for b in shape)
        self.shape = tuple(None if s is None else int(s) for s in shape)
        if any(s is not None and s < 0 for s in self.shape):
            raise ValueError(f"TensorType: negative static size in {self.shape}")
        self.np_dtype = np.dtype(object) if self.dtype == "string" else np.dtype(self.dtype)

    ndim = property(lambda self: len(self.shape))
    broadcastable = property(lambda self: tuple(s == 1 for s in self.shape))
    numpy_dtype = property(lambda self: self.np_dtype)

    def clone(self, dtype=None, shape=None):
        return TensorType(self.dtype if dtype is None else dtype, self.shape if shape is None else shape)

    def __eq__(self, other):
        return type(other) is type(self) and other.dtype == self.dtype and other.shape == self.shape

    def __hash__(self):
        return hash((TensorType, self.dtype, self.shape))

    def is_super(self, other):
        """True if every value of ``other`` is a value of self (self's shape is equal or less specific)."""
        return (isinstance(other, TensorType) and other.dtype == self.dtype and other.ndim == self.ndim
                and all(s is None or s == o for s, o in zip(self.shape, other.shape)))

    def make_variable(self, name=None):
        from .variable import TensorVariable

        return TensorVariable(self, name=name)

    def filter(self, value, name=None, allow_downcast=False, strict=False, where=None,
               downcast_hint="pass allow_input_downcast=True to function()"):
        """Validate ``value`` against this type and return it as an array of the right dtype.

        Raises TypeError/ValueError naming ``where`` (default: ``input 'name'``), what was expected and what was
        received; a lossy cast is refused with ``downcast_hint`` saying how to allow it.
        """
        from ..backends import array_module_of

        xp = array_module_of(value)
        where = where or (f"input {name!r}" if name else "value")
        if isinstance(value, xp.ndarray):
            arr = value
            if arr.dtype != self.np_dtype:
                if strict:
                    raise TypeError(f"{where}: expected dtype {self.dtype}, received {arr.dtype} (strict=True)")
                arr = self._convert(arr, xp, where, allow_downcast, downcast_hint)
        else:
            if strict:
                raise TypeError(f"{where}: expected an array of dtype {self.dtype}, received {type(value).__name__}")
            arr = self._convert(value, xp, where, allow_downcast, downcast_hint)
        if arr.ndim != self.ndim:
            raise TypeError(f"{where}: expected {self.ndim} dimensions ({self}), received {arr.ndim} dimensions "
                            f"with shape {arr.shape}")
        for i, (want, got) in enumerate(zip(self.shape, arr.shape)):
            if want is not None and want != got:
                raise ValueError(f"{where}: expected shape {self.shape_str()}, received shape {arr.shape} "
                                 f"(dimension {i} must be {want})")
        return arr

    def _convert(self, value, xp, where, allow_downcast, downcast_hint):
        if self.dtype == "string":
            return _as_strings(value, where)
        arr = xp.asarray(value)
        if arr.dtype == self.np_dtype:
            return arr
        if arr.dtype.kind in "OUS":
            raise TypeError(f"{where}: expected numbers of dtype {self.dtype}, received {arr.dtype}")
        python_number = not hasattr(value, "dtype")
        safe = np.can_cast(arr.dtype, self.np_dtype, "safe")
        if python_number:
            # A Python float/int/list carries no dtype of its own: accept it when the value survives the cast.
            converted = arr.astype(self.np_dtype)
            if allow_downcast or safe or _same_values(arr, converted, xp):
                return converted
        elif allow_downcast or safe:
            return arr.astype(self.np_dtype)
        raise TypeError(f"{where}: expected dtype {self.dtype}, received {arr.dtype}; casting would lose "
                        f"precision. Cast it yourself, or {downcast_hint}")

    def value_signature(self, data):
        arr = np.asarray(data) if not hasattr(data, "get") else data.get()
        return (arr.shape, arr.dtype.str, arr.tobytes() if arr.size <= 1024 else id(data))

    def shape_str(self):
        return "(" + ", ".join("?" if s is None else str(s) for s in self.shape) + ("," if self.ndim == 1 else "") + ")"

    def __str__(self):
        names = {0: "Scalar", 1: "Vector", 2: "Matrix"}
        kind = names.get(self.ndim, f"Tensor{self.ndim}")
        return f"{kind}({self.dtype}, shape={self.shape_str()})"

    __repr__ = __str__

    def values_eq_approx(self, a, b, rtol=1e-5, atol=1e-8):
        return a.shape == b.shape and bool(np.allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=atol,
                                                       equal_nan=True))


def _as_strings(value, where):
    """``value`` as an object array of ``str`` (bytes are decoded as UTF-8), or a TypeError naming ``where``."""
    arr = np.asarray(value.get() if hasattr(value, "get") and not isinstance(value, np.ndarray) else value)
    if arr.dtype.kind == "U":
        return arr.astype(object)
    if arr.dtype.kind in "SO":
        flat = [v.decode("utf-8") if isinstance(v, bytes) else v for v in arr.ravel().tolist()]
        if all(isinstance(v, str) for v in flat):
            out = np.empty(arr.shape, dtype=object)
            out.ravel()[:] = flat
            return out
    raise TypeError(f"{where}: expected strings, received an array of dtype {arr.dtype}")


def _same_values(arr, converted, xp):
    try:
        return bool(xp.all(converted == arr)) or bool(xp.all(xp.isclose(converted, arr, rtol=1e-6)))
    except TypeError:
        return False


def tensor(dtype=None, shape=None, name=None, broadcastable=None, ndim=None):
    """A symbolic tensor input: ``tensor('float32', shape=(None, 3), name='x')``.

    Theano's positional form ``tensor(dtype, broadcastable)`` is accepted too.

    Example:
        >>> x = tensor('float64', shape=(None, 3), name='x')
        >>> x.type.shape
        (None, 3)
    """
    if isinstance(shape, str) and name is None:  # tensor(dtype, 'name') is not a thing; be explicit
        raise TypeError("tensor(dtype, shape=..., name=...): pass the name by keyword")
    if shape is None and broadcastable is None:
        shape = (None,) * (ndim or 0)
    if shape is not None and len(shape) and isinstance(shape[0], bool) and broadcastable is None:
        shape, broadcastable = None, shape  # Theano's tensor(dtype, broadcastable)
    return TensorType(dtype, shape=shape, broadcastable=broadcastable).make_variable(name)


def _constructor(shape, doc):
    def make(name=None, dtype=None, shape=shape):
        return TensorType(dtype, shape=shape).make_variable(name)

    make.__doc__ = doc
    return make


scalar = _constructor((), "A 0-d symbolic tensor of ``dtype`` (default floatX).")
vector = _constructor((None,), "A 1-d symbolic tensor of ``dtype`` (default floatX).")
row = _constructor((1, None), "A 2-d symbolic tensor with one row (broadcastable along dimension 0).")
col = _constructor((None, 1), "A 2-d symbolic tensor with one column (broadcastable along dimension 1).")
matrix = _constructor((None, None), "A 2-d symbolic tensor of ``dtype`` (default floatX).")
tensor3 = _constructor((None,) * 3, "A 3-d symbolic tensor of ``dtype`` (default floatX).")
tensor4 = _constructor((None,) * 4, "A 4-d symbolic tensor of ``dtype`` (default floatX).")
tensor5 = _constructor((None,) * 5, "A 5-d symbolic tensor of ``dtype`` (default floatX).")

DTYPE_PREFIXES = {"b": "int8", "w": "int16", "i": "int32", "l": "int64", "f": "float32", "d": "float64",
                  "c": "complex64", "z": "complex128"}
