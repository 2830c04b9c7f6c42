"""layerkit: Keras's API on the layerkit_backend symbolic tensor library.

A program written for Keras runs with ``keras`` replaced by ``layerkit``::

    import layerkit
    from layerkit import layers
    model = layerkit.Sequential([layers.Input(shape=(8,)), layers.Dense(4, activation="relu"), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
"""
from . import (activations, backend, callbacks, config, constraints, distribute, initializers, layers, losses, metrics,
               models, ops, optimizers, preprocessing, random, regularizers, saving, utils)
from .initializers import Initializer
from .layers import Input, InputSpec, Layer
from .losses import Loss
from .metrics import Metric
from .models import Model, Sequential
from .optimizers import Optimizer
from .regularizers import Regularizer
from .variables import Variable

__version__ = "0.1.0"
__all__ = ["activations", "backend", "callbacks", "config", "constraints", "distribute", "initializers", "layers", "losses",
           "metrics", "models", "ops", "optimizers", "preprocessing", "random", "regularizers", "saving", "utils",
           "Initializer", "Input", "InputSpec", "Layer", "Loss", "Metric", "Model", "Optimizer", "Regularizer",
           "Sequential", "Variable", "version"]


def version():
    """layerkit's version (Keras's ``keras.version()``)."""
    return __version__
