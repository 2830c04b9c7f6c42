"""Keras 3's ``keras.config``: global settings of the layer library.

Example:
    >>> floatx()
    'float32'
"""
from .backend import backend, epsilon, floatx, image_data_format, set_epsilon, set_floatx
from .safe_mode import enable_unsafe_deserialization

__all__ = ["backend", "epsilon", "floatx", "image_data_format", "set_epsilon", "set_floatx",
           "enable_unsafe_deserialization"]
