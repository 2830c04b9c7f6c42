"""``keras.ops.numpy``: the NumPy-like functions (``numpy_math``, ``numpy_shape``, ``numpy_nan``,
``numpy_search``) under one name."""
from .numpy_math import *  # noqa: F401,F403 - this module is the union of the four
from .numpy_math import __all__ as _math_names
from .numpy_nan import *  # noqa: F401,F403
from .numpy_nan import __all__ as _nan_names
from .numpy_search import *  # noqa: F401,F403
from .numpy_search import __all__ as _search_names
from .numpy_shape import *  # noqa: F401,F403
from .numpy_shape import __all__ as _shape_names
from .linalg import slogdet

__all__ = list(_math_names) + list(_shape_names) + list(_nan_names) + list(_search_names) + ["slogdet"]
