"""Graph rewrites: the engine and one module per concern. Importing this package registers them all."""
from .engine import PHASES, REGISTRY, register_global, register_local, rewrite_graph
from . import merge, canonicalize, constant_fold, stabilize  # noqa: F401  (registers them)
from . import blas, fusion, inplace  # noqa: F401  (registers them)
from . import nnet_stabilize  # noqa: F401  (registers them)
from . import pool_commute  # noqa: F401  (registers them)

__all__ = ["PHASES", "REGISTRY", "register_global", "register_local", "rewrite_graph"]
