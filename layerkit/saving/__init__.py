"""Saving and loading models: Keras's legacy HDF5 files (``.h5``), Keras 3's weights files (``.weights.h5``) and
JSON/dict configurations.

Example:
    >>> # model.save("m.h5"); model = load_model("m.h5"); model_from_json(model.to_json())
"""
from ..layers.base import register_keras_serializable
from .hdf5 import load_model, model_from_json, model_to_json, save_model
from .keras3_weights import load_weights, save_weights
from .model_config import custom_object_scope, model_from_config, model_to_config

__all__ = ["save_model", "load_model", "save_weights", "load_weights", "model_to_json", "model_from_json",
           "model_to_config", "model_from_config", "custom_object_scope", "register_keras_serializable"]
