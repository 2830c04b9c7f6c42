"""Regularisation noise active only while training: ``GaussianNoise``, ``GaussianDropout``, ``AlphaDropout`` and
``SpatialDropout1D/2D/3D`` (whole channels dropped). At inference every one is the identity, as in Keras.

Example:
    >>> import layerkit_backend.tensor as T
    >>> SpatialDropout2D(0.5, seed=1)(T.tensor("float32", shape=(None, 4, 4, 3)), training=True).type.shape
    (None, 4, 4, 3)
"""
import numpy as np

import layerkit_backend.tensor as T
from layerkit_backend.tensor.shared_randomstreams import RandomStreams

from ..backend import inverted_dropout
from ..backend_conv import check_data_format
from .base import InputSpec, Layer
from .core import drop_keras3_keys, layer_config, seed_or_fresh

__all__ = ["GaussianNoise", "GaussianDropout", "AlphaDropout", "SpatialDropout1D", "SpatialDropout2D",
           "SpatialDropout3D"]

# SELU's constants: AlphaDropout keeps a SELU network's mean and variance
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class _Noise(Layer):
    def __init__(self, seed=None, **kwargs):
        super().__init__(**drop_keras3_keys(kwargs, type(self).__name__))
        self.seed = seed
        self._streams = RandomStreams(seed_or_fresh(seed))
        self.supports_masking = True

    def _check_rate(self, rate):
        if not 0 <= float(rate) < 1:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected a rate in [0, 1), received {rate!r}")
        return float(rate)


class GaussianNoise(_Noise):
    """Adds zero-mean Gaussian noise of ``stddev`` while training.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> GaussianNoise(0.1)(T.tensor("float32", shape=(None, 3)), training=True).type.shape
        (None, 3)
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if float(stddev) < 0:
            raise ValueError(f"GaussianNoise '{self.name}': expected stddev >= 0, received {stddev!r}")
        self.stddev = float(stddev)

    def call(self, inputs, training=None):
        if training is not True or self.stddev == 0:
            return inputs
        return inputs + self._streams.normal(T.shape_tuple(inputs), std=self.stddev, dtype=inputs.dtype)

    def get_config(self):
        return layer_config(self, stddev=self.stddev, seed=self.seed)


class GaussianDropout(_Noise):
    """Multiplies by Gaussian noise of mean 1 and variance ``rate / (1 - rate)`` while training.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> GaussianDropout(0.2)(T.tensor("float32", shape=(None, 3)), training=True).type.shape
        (None, 3)
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = self._check_rate(rate)

    def call(self, inputs, training=None):
        if training is not True or self.rate == 0:
            return inputs
        std = float(np.sqrt(self.rate / (1.0 - self.rate)))
        return inputs * self._streams.normal(T.shape_tuple(inputs), avg=1.0, std=std, dtype=inputs.dtype)

    def get_config(self):
        return layer_config(self, rate=self.rate, seed=self.seed)


class AlphaDropout(_Noise):
    """Dropout that keeps the mean and variance of SELU activations: dropped entries take SELU's negative
    saturation value, then an affine map restores the statistics (Klambauer et al., 2017).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> AlphaDropout(0.1)(T.tensor("float32", shape=(None, 3)), training=True).type.shape
        (None, 3)
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = self._check_rate(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)

    def call(self, inputs, training=None):
        if training is not True or self.rate == 0:
            return inputs
        shape = T.shape_tuple(inputs)
        if self.noise_shape is not None:
            shape = tuple(shape[i] if s is None else s for i, s in enumerate(self.noise_shape))
        kept = T.cast(T.ge(self._streams.uniform(shape, dtype=inputs.dtype), self.rate), inputs.dtype)
        if self.noise_shape is not None:
            kept = T.patternbroadcast(kept, [s == 1 for s in self.noise_shape])
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        a = ((1 - self.rate) * (1 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        return a * (inputs * kept + alpha_p * (1 - kept)) + b

    def get_config(self):
        return layer_config(self, rate=self.rate,
                            noise_shape=None if self.noise_shape is None else list(self.noise_shape), seed=self.seed)


class _SpatialDropout(_Noise):
    rank = 1

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = self._check_rate(rate)
        owner = f"{type(self).__name__} '{self.name}'"
        self.data_format = "channels_last" if self.rank == 1 else check_data_format(data_format, owner)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs, training=None):
        if training is not True:
            return inputs
        ones = (1,) * self.rank
        noise_shape = (None,) + ones + (None,) if self.data_format == "channels_last" else (None, None) + ones
        return inverted_dropout(inputs, self.rate, self._streams, noise_shape, f"{type(self).__name__} "
                                f"'{self.name}'")

    def get_config(self):
        config = layer_config(self, rate=self.rate, seed=self.seed)
        if self.rank > 1:
            config["data_format"] = self.data_format
        return config


class SpatialDropout1D(_SpatialDropout):
    """Drops whole channels of (batch, steps, channels) inputs while training (one draw per sample and channel)."""
    rank = 1


class SpatialDropout2D(_SpatialDropout):
    """Drops whole feature maps of (batch, rows, cols, channels) inputs while training."""
    rank = 2


class SpatialDropout3D(_SpatialDropout):
    """Drops whole feature volumes of (batch, depth, rows, cols, channels) inputs while training."""
    rank = 3
