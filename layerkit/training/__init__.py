"""Training machinery: compile-time resolution, the compiled functions, data feeding, loops and progress."""
from .data import Sequence
from .engine import TrainingMixin

__all__ = ["Sequence", "TrainingMixin"]
