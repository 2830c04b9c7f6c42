"""Keras 3's ``keras.config``: global settings of the layer library.

Example:
    >>> floatx()
    'float32'
"""
from .backend import backend, epsilon, floatx, image_data_format, set_epsilon, set_floatx
from .safe_mode import enable_unsafe_deserialization

__all__ = ["backend", "epsilon", "floatx", "image_data_format", "set_epsilon", "set_floatx",
           "enable_unsafe_deserialization", "set_range_checks", "range_checks_enabled"]

_RANGE_CHECKS = {"on": True}


def set_range_checks(enabled):
    """Turns the host-side checks of class labels and embedding indices in fit/evaluate/predict on or off.

    On by default: a sparse label outside ``[0, classes)`` or an ``Embedding`` index outside ``[0, input_dim)``
    raises a ValueError naming the output or layer (otherwise such a value would silently read another class's
    score or wrap around to the last embedding row). Each check is one pass over the data; turn them off only for
    data you have validated yourself.

    Example:
        >>> set_range_checks(False); range_checks_enabled()
        False
        >>> set_range_checks(True)
    """
    _RANGE_CHECKS["on"] = bool(enabled)


def range_checks_enabled():
    """Whether :func:`set_range_checks` left the label and index checks on."""
    return _RANGE_CHECKS["on"]
