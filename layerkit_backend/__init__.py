"""layerkit_backend: symbolic tensors, compiled functions, shared state and symbolic gradients.

Theano 1.0's API with ``theano`` replaced by ``layerkit_backend``::

    import layerkit_backend
    import layerkit_backend.tensor as T
    x = T.dmatrix('x')
    f = layerkit_backend.function([x], T.tanh(x).sum())
"""
from . import config as _config_module
from .config import config
from . import tensor
from .compile import (FAST_COMPILE, FAST_RUN, Function, In, Mode, NanGuardMode, OpFromGraph, Out, SharedVariable,
                      function, shared, wait_native)
from . import compile  # noqa: F401  (theano.compile.get_default_mode() and friends)
from .graph import clone_replace
from .graph.basic import Apply, Constant, Variable
from . import gradient, printing
from .gradient import Lop, Rop, grad
from .printing import pp
from . import scan_module
from .scan_module import foldl, foldr, map, reduce, scan, scan_checkpoints, until

from . import ifelse, sandbox  # noqa: E402,F401  (theano.ifelse, theano.sandbox.rng_mrg)
from .tensor import dot  # noqa: E402  (theano.dot)

clone = clone_replace  # theano.clone(output, replace=...) is clone_replace

__version__ = "0.1.0"
__all__ = ["config", "tensor", "function", "Function", "shared", "SharedVariable", "In", "Out", "Mode",
           "FAST_RUN", "FAST_COMPILE", "NanGuardMode", "OpFromGraph", "compile", "dot", "ifelse", "sandbox", "wait_native", "grad", "Lop", "Rop", "gradient", "printing", "pp", "clone",
           "clone_replace", "Variable", "Constant", "Apply",
           "scan_module", "scan", "scan_checkpoints", "until", "map", "reduce", "foldl", "foldr"]
