"""Models: ``Model`` (functional API and subclassing) and ``Sequential``."""
from .functional import Model
from .sequential import Sequential

__all__ = ["Model", "Sequential"]
