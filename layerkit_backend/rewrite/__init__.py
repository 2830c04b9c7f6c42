"""Graph rewrites: the engine and one module per concern. Importing this package registers them all."""
from .engine import PHASES, REGISTRY, register_global, register_local, rewrite_graph

__all__ = ["PHASES", "REGISTRY", "register_global", "register_local", "rewrite_graph"]
