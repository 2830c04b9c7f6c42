"""Shared variables: symbolic variables with a value that lives between calls, changed by ``updates``."""
import numbers

import numpy as np

from ..backends import get_xp, on_device, resolve_device, to_device_of, to_host
from ..config import config
from ..graph.basic import Variable
from ..tensor.type import TensorType
from ..tensor.variable import _TensorMethods
from .shared_locks import LockGroup, call_locked

__all__ = ["shared", "SharedVariable", "TensorSharedVariable", "Container"]


class Container:
    """The cell holding a shared variable's current value; compiled functions read and write ``value``.

    ``group`` is its lock group (compile/shared_locks.py): calls and ``get_value``/``set_value`` on the same
    shared variables hold its lock. A pickled container comes back with a group of its own.
    """

    __slots__ = ("value", "group")

    def __init__(self, value):
        self.value = value
        self.group = LockGroup()

    def __reduce__(self):
        return Container, (self.value,)


class SharedVariable(Variable):
    """A Variable whose value is stored in ``container`` and used implicitly by every function that reads it."""

    def __init__(self, type, value, name=None, strict=False, allow_downcast=None, borrow=False):
        super().__init__(type, name=name)
        value = type.filter(value, name=name or "shared", allow_downcast=bool(allow_downcast), strict=strict)
        self.container = Container(value if borrow else _copy(value))
        self.default_update = None
        self._strict, self._allow_downcast = strict, allow_downcast

    def get_value(self, borrow=False, return_internal_type=False):
        """The current value (a copy unless ``borrow=True``)."""
        if borrow:
            value = self.container.value
        else:   # a copy taken while no call is writing the buffer
            value = call_locked(self.container.group, _copy_of, self.container)
        if not return_internal_type and on_device(value):
            return to_host(value)  # already a fresh host copy
        return value

    def set_value(self, new_value, borrow=False):
        """Replace the value; it must keep the dtype and number of dimensions (and any static sizes).

        A NumPy or a CuPy array is accepted; a value living on a GPU stays there (a NumPy value is copied over).
        """
        value = self.type.filter(new_value, allow_downcast=bool(self._allow_downcast), strict=self._strict,
                                 where=f"set_value: shared variable {self.name or 'shared'!r}",
                                 downcast_hint="create the shared variable with allow_downcast=True")
        call_locked(self.container.group, _store, self.container, value if borrow else _copy(value))

    @property
    def value(self):
        return self.get_value()

    def clone(self):
        cp = self.__class__(self.type, self.container.value, self.name, borrow=True)
        cp.container = self.container
        cp.default_update = self.default_update
        cp.tag = self.tag
        return cp

    def zero(self, borrow=False):
        call_locked(self.container.group, _store, self.container, self.container.value * 0)


class TensorSharedVariable(_TensorMethods, SharedVariable):
    """A shared tensor: use it in expressions like any tensor; read it with ``get_value()``."""


def _copy(value):
    return value.copy() if hasattr(value, "copy") else value


def _copy_of(container):
    return _copy(container.value)


def _store(container, value):
    current = container.value
    if on_device(current) and not on_device(value):
        value = to_device_of(value, current)   # a value living on a GPU stays there
    container.value = value


def shared(value, name=None, strict=False, allow_downcast=None, borrow=False, shape=None, broadcastable=None):
    """A shared variable holding ``value``.

    Python floats become floatX (float32 by default), Python ints int64; arrays keep their dtype. The static shape
    is unknown in every dimension unless ``shape=`` (or Theano's ``broadcastable=``) says otherwise, so
    ``set_value`` may later store an array of another shape.

    Example:
        >>> import numpy as np
        >>> w = shared(np.zeros((2, 3)), name='w')
        >>> w.get_value().shape
        (2, 3)
    """
    if isinstance(value, SharedVariable):
        raise TypeError("shared: the value is already a shared variable")
    if isinstance(value, Variable):
        raise TypeError(f"shared: expected an array value, received the symbolic variable {value}")
    if isinstance(value, bool) or isinstance(value, numbers.Number) and not isinstance(value, np.generic):
        from ..tensor.variable import _python_scalar_dtype

        value = np.asarray(value, dtype=_python_scalar_dtype(value))
    if type(value).__module__.startswith("cupy"):
        arr = value
    else:
        arr = np.asarray(value)
    if arr.dtype.kind in "OUSV":
        raise TypeError(f"shared {name!r}: expected a numeric array, received dtype {arr.dtype}")
    if shape is None:
        shape = (1 if b else None for b in broadcastable) if broadcastable is not None else (None,) * arr.ndim
    ttype = TensorType(arr.dtype.name, tuple(shape))
    if config.device != "cpu" and not on_device(arr) and resolve_device() != "cpu":
        arr = get_xp().from_host(arr)
        borrow = True
    elif arr is not value:
        borrow = True  # already a fresh array
    return TensorSharedVariable(ttype, arr, name=name, strict=strict, allow_downcast=allow_downcast, borrow=borrow)
