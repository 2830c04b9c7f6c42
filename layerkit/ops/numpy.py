"""``keras.ops.numpy``: the NumPy-like functions (``numpy_math`` and ``numpy_shape``) under one name."""
from .numpy_math import *  # noqa: F401,F403 - this module is the union of the two
from .numpy_math import __all__ as _math_names
from .numpy_shape import *  # noqa: F401,F403
from .numpy_shape import __all__ as _shape_names

__all__ = list(_math_names) + list(_shape_names)
