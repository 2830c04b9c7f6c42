"""Data preprocessing helpers in Keras's layout (``layerkit.preprocessing.sequence.pad_sequences``)."""
from . import sequence
from .sequence import TimeseriesGenerator, pad_sequences

__all__ = ["sequence", "pad_sequences", "TimeseriesGenerator"]
