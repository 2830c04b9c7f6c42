"""Weight constraints: ``constraint(w) -> expression`` applied to a weight after each optimizer update.

Example:
    >>> import numpy as np, layerkit_backend as lb, layerkit_backend.tensor as T
    >>> from layerkit import constraints
    >>> w = T.dmatrix('w')
    >>> lb.function([w], constraints.NonNeg()(w))(np.array([[1., -1.]])).tolist() == [[1., 0.]]
    True
"""
import layerkit_backend.tensor as T

from layerkit.initializers import deserialize_object, get_object

__all__ = ["Constraint", "MaxNorm", "NonNeg", "UnitNorm", "MinMaxNorm", "serialize", "deserialize", "get"]

# Keras's backend epsilon: keeps the division defined for all-zero columns
_EPSILON = 1e-7


class Constraint:
    """Base class: ``__call__(w) -> w`` (the identity), ``get_config``, ``from_config``."""

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _norms(w, axis):
    return T.sqrt(T.sum(T.square(w), axis=axis, keepdims=True))


class MaxNorm(Constraint):
    """Rescales the slices along ``axis`` whose L2 norm exceeds ``max_value``.

    Example: for a Dense kernel (in, out), ``MaxNorm(2, axis=0)`` bounds each unit's incoming weight vector.
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value, self.axis = max_value, axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = T.clip(norms, 0, self.max_value)
        return w * (desired / (_EPSILON + norms))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Sets negative weights to zero. Example: ``NonNeg()(w)``."""

    def __call__(self, w):
        return w * T.cast(T.ge(w, 0), w.dtype)


class UnitNorm(Constraint):
    """Divides the slices along ``axis`` by their L2 norm. Example: ``UnitNorm(axis=0)(w)``."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        return w / (_EPSILON + _norms(w, self.axis))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves the L2 norm of each slice along ``axis`` into [min_value, max_value], a fraction ``rate`` of the way.

    Example: ``MinMaxNorm(0.5, 1.0, rate=1.0)(w)`` gives every column a norm between 0.5 and 1.
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w):
        norms = _norms(w, self.axis)
        desired = self.rate * T.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        return w * (desired / (_EPSILON + norms))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


# class names, Keras 3's snake_case names, then Keras 2's short names
_CLASSES = {"MaxNorm": MaxNorm, "NonNeg": NonNeg, "UnitNorm": UnitNorm, "MinMaxNorm": MinMaxNorm,
            "max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm, "min_max_norm": MinMaxNorm,
            "maxnorm": MaxNorm, "nonneg": NonNeg, "unitnorm": UnitNorm}


def serialize(constraint):
    """``{"class_name": ..., "config": ...}``. Example: ``serialize(NonNeg())`` ->
    ``{'class_name': 'NonNeg', 'config': {}}``."""
    return {"class_name": type(constraint).__name__, "config": constraint.get_config()}


def deserialize(config, custom_objects=None):
    """A constraint from a name ('max_norm'), a serialized dict or an instance.

    Example:
        >>> deserialize({'class_name': 'MaxNorm', 'config': {'max_value': 3, 'axis': 0}}).max_value
        3
    """
    return deserialize_object(config, _CLASSES, custom_objects, "constraint", Constraint)


def get(identifier):
    """``deserialize`` that lets None and plain callables through. Example: ``get('non_neg')``."""
    return get_object(identifier, deserialize, "constraint", Constraint)
