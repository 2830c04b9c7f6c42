"""Weight regularizers: ``regularizer(weight) -> scalar penalty tensor`` added to the training loss.

Example:
    >>> import numpy as np, layerkit_backend as lb
    >>> from layerkit import regularizers
    >>> w = lb.shared(np.array([1., -2.]))
    >>> float(lb.function([], regularizers.l1_l2(l1=0.1, l2=0.1)(w))())
    0.8
"""
import layerkit_backend.tensor as T

from layerkit.initializers import deserialize_object, get_object

__all__ = ["Regularizer", "L1", "L2", "L1L2", "l1", "l2", "l1_l2", "serialize", "deserialize", "get"]


class Regularizer:
    """Base class: ``__call__(weight) -> scalar tensor``, ``get_config``, ``from_config``."""

    def __call__(self, x):
        return T.constant(0.0)

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _factor(owner, name, value):
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: expected {name} to be a number, received {value!r}") from None
    if value < 0:
        raise ValueError(f"{owner}: expected {name} >= 0, received {value!r}")
    return value


class L1L2(Regularizer):
    """``l1 * sum(|w|) + l2 * sum(w ** 2)``. Example: ``L1L2(l1=0.01, l2=0.01)(w)`` is a scalar tensor."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _factor(type(self).__name__, "l1", l1)
        self.l2 = _factor(type(self).__name__, "l2", l2)

    def __call__(self, x):
        terms = []
        if self.l1:
            terms.append(self.l1 * T.sum(T.abs(x)))
        if self.l2:
            terms.append(self.l2 * T.sum(T.square(x)))
        if not terms:
            return T.sum(x) * 0.0  # a zero of the weight's dtype, still a tensor
        return terms[0] + terms[1] if len(terms) == 2 else terms[0]

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """``l1 * sum(|w|)``. Example: ``L1(0.01)(w)``."""

    def __init__(self, l1=0.01):
        super().__init__(l1=l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(L1L2):
    """``l2 * sum(w ** 2)``. Example: ``L2(0.01)(w)``."""

    def __init__(self, l2=0.01):
        super().__init__(l2=l2)

    def get_config(self):
        return {"l2": self.l2}


def l1(l1=0.01):  # noqa: E741 -- Keras's name
    """Keras 2's ``l1(0.01)``: an ``L1`` regularizer. Example: ``l1(0.01)(w)``."""
    return L1(l1)


def l2(l2=0.01):
    """Keras 2's ``l2(0.01)``: an ``L2`` regularizer. Example: ``l2(0.01)(w)``."""
    return L2(l2)


def l1_l2(l1=0.01, l2=0.01):  # noqa: E741 -- Keras's names
    """Keras 2's ``l1_l2(l1=0.01, l2=0.01)``: an ``L1L2`` regularizer. Example: ``l1_l2()(w)``."""
    return L1L2(l1=l1, l2=l2)


_CLASSES = {"L1": L1, "L2": L2, "L1L2": L1L2, "l1": L1, "l2": L2, "l1_l2": l1_l2}


def serialize(regularizer):
    """``{"class_name": ..., "config": ...}``. Example: ``serialize(L2(0.1))`` ->
    ``{'class_name': 'L2', 'config': {'l2': 0.1}}``."""
    return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}


def deserialize(config, custom_objects=None):
    """A regularizer from a name ('l2', 'L1L2'), a serialized dict or an instance.

    Example:
        >>> deserialize({'class_name': 'L1L2', 'config': {'l1': 0.0, 'l2': 0.1}}).l2
        0.1
    """
    return deserialize_object(config, _CLASSES, custom_objects, "regularizer", Regularizer)


def get(identifier):
    """``deserialize`` that lets None and plain callables through. Example: ``get('l2').l2 == 0.01``."""
    return get_object(identifier, deserialize, "regularizer", Regularizer)
