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
           "PyDataset", "Progbar", "register_keras_serializable", "custom_object_scope", "get_custom_objects",
           "pad_sequences"]


def __getattr__(name):
    # ``Sequence``/``PyDataset`` live with the training loop that consumes them, ``Progbar`` with fit's progress
    # output, the custom-object registry with saving: imported on first use, so that ``layerkit.utils`` does not
    # import the engine.
    if name == "Sequence":
        from ..training.data import Sequence
        return Sequence
    if name == "PyDataset":
        from ..training.data import PyDataset
        return PyDataset
    if name == "Progbar":
        from ..training.progress import Progbar
        return Progbar
    if name == "custom_object_scope":
        from ..saving import custom_object_scope
        return custom_object_scope
    if name == "get_custom_objects":
        from ..saving import get_custom_objects
        return get_custom_objects
    raise AttributeError(f"module 'layerkit.utils' has no attribute {name!r}")
