"""Saving and loading models: Keras 3's ``.keras`` archives, Keras's legacy HDF5 files (``.h5``), Keras 3's
weights files (``.weights.h5``) and JSON/dict configurations.

Example:
    >>> # model.save("m.keras"); model = load_model("m.keras"); model_from_json(model.to_json())
"""
import os

from ..layers.base import get_registered_object, register_keras_serializable
from . import hdf5, keras_archive
from .hdf5 import model_from_json, model_to_json
from .keras3_weights import load_weights, save_weights
from .model_config import custom_object_scope, model_from_config, model_to_config

__all__ = ["save_model", "load_model", "save_weights", "load_weights", "model_to_json", "model_from_json",
           "model_to_config", "model_from_config", "custom_object_scope", "register_keras_serializable",
           "get_custom_objects", "get_registered_name", "get_registered_object", "CustomObjectScope"]

CustomObjectScope = custom_object_scope   # Keras's class name for the same scope (a public alias)


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Saves a model: Keras 3's zipped format for a name ending in ``.keras`` (architecture, weights, compile
    arguments and optimizer state, readable by Keras 3), Keras's legacy HDF5 layout otherwise.

    Example:
        >>> # save_model(model, "m.keras"); load_model("m.keras").predict(x)
    """
    if os.fspath(filepath).endswith(".keras"):
        return keras_archive.save_keras_archive(model, filepath, overwrite)
    return hdf5.save_model(model, filepath, overwrite, include_optimizer)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=None):
    """A model saved by Keras (2 or 3) or layerkit: a ``.keras`` archive (recognised by its content) or an
    ``.h5`` file. Nothing a file names is imported or called unless you passed it (``custom_objects``,
    registered classes) or set ``safe_mode=False``; Python bytecode is refused in every mode.

    Example:
        >>> # model = load_model("m.keras", custom_objects={"MyLayer": MyLayer})
    """
    if keras_archive.is_keras_archive(filepath):
        return keras_archive.load_keras_archive(filepath, custom_objects, compile, safe_mode)
    return hdf5.load_model(filepath, custom_objects, compile, safe_mode)


def get_custom_objects():
    """The registry of custom objects (``register_keras_serializable`` adds to it; you may add entries too),
    consulted when loading models: Keras's ``get_custom_objects``."""
    from ..layers import base

    return base._REGISTRY


def get_registered_name(obj):
    """The name ``obj`` is saved under: ``'package>Name'`` if registered, else its class or function name."""
    cls = obj if isinstance(obj, type) or callable(obj) and not hasattr(obj, "get_config") else type(obj)
    return getattr(cls, "_registered_name", None) or getattr(cls, "__name__", str(cls))
