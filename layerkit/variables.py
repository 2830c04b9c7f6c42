"""``layerkit.Variable``: a backend shared variable with Keras 3's variable API.

A ``Variable`` is what ``Layer.add_weight`` and ``Metric.add_variable`` create. It is a symbolic tensor (use it in
expressions and in ``layerkit.ops``) whose value lives between calls, and it answers Keras 3's questions about
that value: ``v.numpy()``, ``np.asarray(v)``, ``v.value``, ``v.shape`` (a tuple), ``v.dtype``, ``v.trainable``,
``v.path``. ``v.assign(x)``, ``assign_add`` and ``assign_sub`` change the value at once when called on concrete
values outside a compiled step; inside a traced step (``train_step``, a metric's ``update_state`` in ``fit``) they
record an update that the step's compiled function applies (see ``layerkit.tracing``).

Example:
    >>> import numpy as np
    >>> v = Variable(np.zeros((2,), "float32"), name="counter")
    >>> v.assign_add([1.0, 2.0]).numpy().tolist(), v.shape, v.dtype
    ([1.0, 2.0], (2,), 'float32')
"""
import numpy as np

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit_backend.compile import TensorSharedVariable

from . import tracing

__all__ = ["Variable"]


def _initial_value(initializer, shape, dtype):
    from . import initializers

    if callable(initializer) or isinstance(initializer, (str, dict)):
        if shape is None:
            raise ValueError(f"Variable: an initializer ({initializer!r}) needs a shape, received shape=None")
        value = initializers.get(initializer)(tuple(shape), dtype=dtype or lb.config.floatX)
        return np.asarray(value, dtype=dtype or lb.config.floatX)
    value = np.asarray(initializer)
    if dtype is None and value.dtype == np.float64 and not isinstance(initializer, np.ndarray):
        dtype = lb.config.floatX   # Python floats follow floatX, as Keras's
    value = value.astype(dtype) if dtype is not None else value
    if shape is not None and tuple(value.shape) != tuple(shape):
        raise ValueError(f"Variable: the initial value has shape {value.shape}, expected shape {tuple(shape)}")
    return value


class Variable(TensorSharedVariable):
    """A variable of Keras 3: ``Variable(initializer, shape=None, dtype=None, trainable=True, name=None)``.

    Args:
        initializer: an array (or number) holding the initial value, or an initializer (name, object or
            callable ``f(shape, dtype)``), which then needs ``shape``.
        shape: the variable's shape (fixed: ``assign`` keeps it).
        dtype: the dtype (default: the value's, floatX for Python floats and initializers).
        trainable: whether optimizers should train it (read by ``Layer`` and the training step).
        name: the variable's name (its ``path``).

    Example:
        >>> w = Variable("ones", shape=(2, 3), name="w")
        >>> float(np.asarray(w).sum()), w.trainable
        (6.0, True)
    """

    def __init__(self, initializer, shape=None, dtype=None, trainable=True, autocast=True, aggregation="none",
                 name=None, synchronization="auto"):
        value = _initial_value(initializer, shape, dtype)
        super().__init__(T.TensorType(value.dtype.name, value.shape), value, name=name, borrow=True)
        self.trainable = bool(trainable)

    def clone(self):
        """A graph copy sharing this variable's value (the backend clones inputs when it rewrites graphs)."""
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__)
        copy.__dict__.pop("_eval_cache", None)
        copy.tag = type(self.tag)()
        copy.tag.__dict__.update(self.tag.__dict__)
        return copy

    # ------------------------------------------------------------------------------------ reading
    @property
    def shape(self):
        """The static shape, a tuple of ints (Keras 3's ``variable.shape``)."""
        return self.type.shape

    @property
    def path(self):
        """Keras 3's path of the variable: ``'<layer>/<name>'`` for a layer's weights."""
        return self.name

    @property
    def value(self):
        """The current value: a NumPy array, or, inside a traced step, the symbolic value it has so far."""
        if tracing.is_tracing():
            assignments = tracing.active_assignments()
            return self if assignments is None else assignments.read(self)
        return self.get_value()

    def numpy(self):
        """A copy of the current value as a NumPy array."""
        return self.get_value()

    def __array__(self, dtype=None, copy=None):
        value = self.get_value()
        return value if dtype is None else value.astype(dtype)

    # ------------------------------------------------------------------------------------ writing
    def assign(self, value):
        """Sets the value (cast to the variable's dtype, of its shape); returns the variable.

        On a concrete value outside a traced step the variable changes now. Inside a traced step (or given a
        symbolic value while a step collects assignments) the assignment is recorded and applied when the step's
        compiled function runs.
        """
        if self._deferred(value):
            new = T.cast(T.as_tensor_variable(value), self.dtype)
            if new.ndim != self.ndim:
                new = T.broadcast_to(new, self.shape) if new.ndim < self.ndim else T.reshape(new, self.shape)
            tracing.active_assignments().record(self, new)
            return self
        if _is_symbolic(value):
            raise ValueError(f"Variable {self.name!r}: assign() received the symbolic tensor {value}, outside a "
                             f"training step; compute a value first (or assign inside train_step/update_state)")
        array = np.asarray(value.get_value() if isinstance(value, lb.SharedVariable) else value)
        if array.shape != self.shape:
            if array.ndim > len(self.shape) or not _broadcastable(array.shape, self.shape):
                raise ValueError(f"Variable {self.name!r}: assign() expected a value of shape {self.shape}, "
                                 f"received shape {array.shape}")
            array = np.broadcast_to(array, self.shape)
        self.set_value(np.array(array, dtype=self.dtype))
        return self

    def assign_add(self, delta):
        """``assign(value + delta)``."""
        if self._deferred(delta):
            return self.assign(tracing.active_assignments().current(self) + delta)
        return self.assign(self.get_value(borrow=True) + _cast(delta, self.dtype))

    def assign_sub(self, delta):
        """``assign(value - delta)``."""
        if self._deferred(delta):
            return self.assign(tracing.active_assignments().current(self) - delta)
        return self.assign(self.get_value(borrow=True) - _cast(delta, self.dtype))

    @staticmethod
    def _deferred(value):
        """True if an assignment of ``value`` is recorded for a compiled step rather than made now."""
        return tracing.active_assignments() is not None and (tracing.is_tracing() or _is_symbolic(value))

    def __repr__(self):
        return f"<Variable path={self.name}, shape={self.shape}, dtype={self.dtype}>"


def _is_symbolic(value):
    return isinstance(value, lb.Variable) and not isinstance(value, lb.SharedVariable)


def _cast(value, dtype):
    if isinstance(value, lb.SharedVariable):
        value = value.get_value(borrow=True)
    return np.asarray(value, dtype=dtype)


def _broadcastable(source, target):
    return all(s in (1, t) for s, t in zip(source[::-1], target[::-1]))
