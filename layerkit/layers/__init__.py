"""Layers: the building blocks of models (``layerkit.layers.Dense``, ``LSTM``, ``Conv2D``...).

Every layer module lists its public classes in ``__all__``; this package re-exports them all, so
``from layerkit import layers; layers.Dense`` works as in Keras.
"""
from . import (advanced_activations, attention, base, cells, conv_recurrent, convolutional, core, depthwise,
               einsum_dense, embedding, hashing, input_layer, merge, noise, normalization, pooling,
               preprocessing_image, preprocessing_numeric, preprocessing_text, recurrent, volumetric, wrappers)
from .advanced_activations import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .base import InputSpec, Layer, register_keras_serializable
from .cells import *  # noqa: F401,F403
from .conv_recurrent import *  # noqa: F401,F403
from .convolutional import *  # noqa: F401,F403
from .core import *  # noqa: F401,F403
from .depthwise import *  # noqa: F401,F403
from .einsum_dense import *  # noqa: F401,F403
from .embedding import *  # noqa: F401,F403
from .hashing import *  # noqa: F401,F403
from .input_layer import Input, InputLayer
from .merge import *  # noqa: F401,F403
from .noise import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .preprocessing_image import *  # noqa: F401,F403
from .preprocessing_numeric import *  # noqa: F401,F403
from .preprocessing_text import *  # noqa: F401,F403
from .recurrent import *  # noqa: F401,F403
from .volumetric import *  # noqa: F401,F403
from .wrappers import *  # noqa: F401,F403

_MODULES = [advanced_activations, attention, cells, conv_recurrent, convolutional, core, depthwise, einsum_dense,
            embedding, hashing, merge, noise, normalization, pooling, preprocessing_image, preprocessing_numeric,
            preprocessing_text, recurrent, volumetric, wrappers]
__all__ = sorted({name for module in _MODULES for name in module.__all__}
                 | {"Layer", "InputSpec", "InputLayer", "Input", "register_keras_serializable", "serialize",
                    "deserialize"})


def serialize(layer):
    """``{"class_name": ..., "config": ...}`` for a layer (Keras's ``layers.serialize``)."""
    return base.serialize_value(layer)


def deserialize(config, custom_objects=None):
    """A layer from ``serialize``'s dictionary (Keras's ``layers.deserialize``)."""
    from ..saving.model_config import layer_from_config

    return layer_from_config(config, custom_objects)
