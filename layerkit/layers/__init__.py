"""Layers: the building blocks of models (``layerkit.layers.Dense``, ``LSTM``, ``Conv2D``...)."""
from . import base
from .base import InputSpec, Layer, register_keras_serializable
from .input_layer import Input, InputLayer

__all__ = ["Layer", "InputSpec", "InputLayer", "Input", "register_keras_serializable"]
