"""``layerkit.ops``: Keras 3's ``keras.ops`` over ``layerkit_backend``, for custom layers, losses and metrics.

Every function is one thin mapping onto the backend (or a short composite of backend functions) and works both
ways Keras 3 code uses it: on symbolic tensors (inside ``call``, ``train_step``, a loss) it builds graph nodes; on
NumPy arrays (and variables, outside a traced step) it computes now and returns NumPy arrays, compiling each call
signature once (see ``layerkit.eager``). The namespaces follow Keras: the NumPy-like functions
(``ops.numpy``), control flow and conversions (``ops.core``), ``ops.nn``, ``ops.image``, ``ops.linalg``; the
first three are also available directly under ``ops``.

Example:
    >>> import numpy as np
    >>> import layerkit_backend.tensor as T
    >>> from layerkit import ops
    >>> x, w = T.matrix('x'), T.matrix('w')
    >>> ops.sum(ops.square(ops.matmul(x, w)), axis=-1).ndim          # symbolic
    1
    >>> ops.sum(ops.square(np.array([[1.0, 2.0]])), axis=-1).tolist()  # eager
    [5.0]
"""
from . import core, image, linalg, nn, numpy
from .core import *  # noqa: F401,F403 - ops is the union of its namespaces, as keras.ops
from .linalg import (cholesky, cholesky_inverse, det, eigh, inv, logdet, lstsq, matrix_rank, norm, pinv, qr,
                     slogdet, solve, solve_triangular, svd)
from .core import __all__ as _core_names
from .nn import *  # noqa: F401,F403
from .nn import __all__ as _nn_names
from .numpy import *  # noqa: F401,F403
from .numpy import __all__ as _numpy_names

__all__ = sorted(set(_core_names) | set(_nn_names) | set(_numpy_names) - {"tensor"}) + \
    ["cholesky", "cholesky_inverse", "det", "eigh", "inv", "logdet", "lstsq", "matrix_rank", "norm", "pinv", "qr",
     "slogdet", "solve", "solve_triangular", "svd", "core", "nn", "numpy", "image", "linalg"]
