"""Utilities Keras programs import from ``keras.utils``: labels, normalisation, seeding, plotting, ``Sequence``.

Example:
    >>> to_categorical([0, 2], num_classes=3).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
"""
from ..layers.base import register_keras_serializable
from ..preprocessing.sequence import pad_sequences
from .arrays import normalize, to_categorical
from .history_plot import plot_history
from .plotting import model_to_dot, plot_model
from .seeding import set_random_seed

__all__ = ["to_categorical", "normalize", "set_random_seed", "plot_model", "model_to_dot", "plot_history", "Sequence",
           "register_keras_serializable", "pad_sequences"]


def __getattr__(name):
    # ``Sequence`` lives with the training loop that consumes it; import it on first use so that
    # ``layerkit.utils`` does not import the engine.
    if name == "Sequence":
        from ..training.data import Sequence
        return Sequence
    raise AttributeError(f"module 'layerkit.utils' has no attribute {name!r}")
