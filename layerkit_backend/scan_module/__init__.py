"""Loops in graphs: ``scan`` and its views ``map``, ``reduce``, ``foldl``, ``foldr``; ``until`` for while-loops.

Theano's module name (``theano.scan_module``). The Scan op's layout is documented in ``op.py``.
"""
from .builder import Until, scan, until
from .checkpoints import scan_checkpoints
from .op import Scan, ScanInner
from .views import foldl, foldr, map, reduce

__all__ = ["scan", "until", "Until", "map", "reduce", "foldl", "foldr", "scan_checkpoints", "Scan", "ScanInner"]
from . import rewrites  # noqa: F401,E402  (registers the Scan rewrites)
