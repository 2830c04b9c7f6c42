"""Signal processing ops in Theano's place: ``layerkit_backend.tensor.signal.pool.pool_2d``."""
from . import pool
from .pool import pool_2d

__all__ = ["pool", "pool_2d"]
