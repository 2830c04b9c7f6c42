"""Symbolic tensors: types, constructors (``matrix``, ``dvector``...) and every tensor operation.

Import it as Theano programs do: ``import layerkit_backend.tensor as T``.
"""
from . import variable  # first: it links the operator methods to the op modules, which import it
from . import basic as _basic_module
from . import constructors as _constructors_module
from . import extra_ops as _extra_module
from . import extra_ops  # noqa: F401  (T.extra_ops, as in Theano)
from . import linalg as _linalg_module
from . import math as _math_module
from . import reduce as _reduce_module
from . import shape as _shape_module
from . import sort as _sort_module
from . import subtensor as _subtensor_module
from .basic import *  # noqa: F401,F403
from .constructors import *  # noqa: F401,F403
from .elemwise import DimShuffle, Elemwise
from .extra_ops import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .math import *  # noqa: F401,F403
from .reduce import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .sort import *  # noqa: F401,F403
from .subtensor import *  # noqa: F401,F403
from .type import TensorType, col, matrix, row, scalar, tensor, tensor3, tensor4, tensor5, vector
from .variable import TensorConstant, TensorVariable, as_tensor_variable, constant
from ..gradient import Lop, Rop, grad, hessian, jacobian, verify_grad  # noqa: E402  (Theano's tensor has them)
from .nlinalg import diagonal  # noqa: E402
from .search import choose  # noqa: E402
from . import nlinalg, slinalg, special  # noqa: E402,F401  (T.nlinalg, T.slinalg as in Theano)

as_tensor = as_tensor_variable

_MODULES = [_basic_module, _constructors_module, _extra_module, _linalg_module, _math_module, _reduce_module,
            _shape_module, _sort_module, _subtensor_module]
__all__ = sorted({name for m in _MODULES for name in getattr(m, "__all__", [])} | {
    "DimShuffle", "Elemwise", "TensorType", "TensorConstant", "TensorVariable", "as_tensor_variable", "as_tensor",
    "constant", "tensor", "scalar", "vector", "row", "col", "matrix", "tensor3", "tensor4", "tensor5", "grad",
    "hessian", "jacobian", "Lop", "Rop", "verify_grad", "diagonal", "choose"})
from . import nnet  # noqa: E402,F401  (layerkit_backend.tensor.nnet: neural-network ops, Theano names)
from . import shared_randomstreams  # noqa: E402,F401  (reachable as T.shared_randomstreams, as in Theano)
