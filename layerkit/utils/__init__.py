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
           "PyDataset", "Progbar", "register_keras_serializable", "custom_object_scope", "CustomObjectScope",
           "get_custom_objects", "get_registered_name", "get_registered_object", "pack_x_y_sample_weight",
           "unpack_x_y_sample_weight", "clear_session", "pad_sequences"]


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
    if name in ("custom_object_scope", "CustomObjectScope"):
        from ..saving import custom_object_scope
        return custom_object_scope
    if name == "get_custom_objects":
        from ..saving import get_custom_objects
        return get_custom_objects
    if name == "get_registered_name":
        from ..saving import get_registered_name
        return get_registered_name
    if name == "get_registered_object":
        from ..layers.base import get_registered_object
        return get_registered_object
    if name == "pack_x_y_sample_weight":
        from ..training.steps import pack_x_y_sample_weight
        return pack_x_y_sample_weight
    if name == "unpack_x_y_sample_weight":
        from ..training.steps import unpack_x_y_sample_weight
        return unpack_x_y_sample_weight
    if name == "clear_session":
        from ..backend import clear_session
        return clear_session
    raise AttributeError(f"module 'layerkit.utils' has no attribute {name!r}")
