"""Pooling layers: ``MaxPooling1D/2D``, ``AveragePooling1D/2D`` (on the backend's ``pool_2d``) and the global
poolings, channels-last by default as Keras.

'same' padding follows TensorFlow: the odd pad goes after, pads never win a max and never count in an average.

Example:
    >>> import layerkit_backend.tensor as T
    >>> MaxPooling2D()(T.tensor("float32", shape=(None, 6, 5, 3))).type.shape
    (None, 3, 2, 3)
"""
import layerkit_backend.tensor as T

from ..backend_conv import as_tuple, check_data_format, from_nchw, pool_nchw, to_nchw
from .base import InputSpec, Layer
from .core import drop_keras3_keys, layer_config

__all__ = ["MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D", "GlobalMaxPooling1D",
           "GlobalMaxPooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
           "MaxPool1D", "MaxPool2D", "AvgPool1D", "AvgPool2D", "GlobalMaxPool1D", "GlobalMaxPool2D",
           "GlobalAvgPool1D", "GlobalAvgPool2D"]


class _Pooling(Layer):
    rank = 2
    mode = "max"

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**drop_keras3_keys(kwargs, type(self).__name__))
        owner = f"{type(self).__name__} '{self.name}'"
        self.pool_size = as_tuple(pool_size, self.rank, "pool_size", owner)
        self.strides = self.pool_size if strides is None else as_tuple(strides, self.rank, "strides", owner)
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"{owner}: expected padding 'valid' or 'same', received {padding!r}")
        self.data_format = check_data_format(data_format, owner)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self._owner = owner

    def call(self, inputs):
        x = to_nchw(inputs, self.data_format, self.rank)
        window = (1,) * (2 - self.rank) + self.pool_size
        strides = (1,) * (2 - self.rank) + self.strides
        spatial = x.type.shape[2:]
        for n, k in zip(spatial, window):
            if self.padding == "valid" and n is not None and n < k:
                raise ValueError(f"{self._owner}: pool_size {self.pool_size} is larger than the input's spatial "
                                 f"size; input shape {inputs.type.shape}")
        y = pool_nchw(x, window, strides, self.padding, self.mode, self._owner)
        return from_nchw(y, self.data_format, self.rank)

    def get_config(self):
        return layer_config(self, pool_size=list(self.pool_size), padding=self.padding,
                            strides=list(self.strides), data_format=self.data_format)


class MaxPooling1D(_Pooling):
    """Max over windows of ``pool_size`` steps. Example: (None, 10, 3) -> (None, 5, 3) with the defaults."""
    rank, mode = 1, "max"


class AveragePooling1D(_Pooling):
    """Mean over windows of ``pool_size`` steps ('same' pads do not count)."""
    rank, mode = 1, "average"


class MaxPooling2D(_Pooling):
    """Max over (rows, cols) windows; ``pool_size=(2, 2)`` by default."""
    rank, mode = 2, "max"


class AveragePooling2D(_Pooling):
    """Mean over (rows, cols) windows ('same' pads do not count)."""
    rank, mode = 2, "average"


class _GlobalPooling(Layer):
    rank = 2
    reduce = staticmethod(T.max)

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**drop_keras3_keys(kwargs, type(self).__name__))
        self.data_format = check_data_format(data_format, f"{type(self).__name__} '{self.name}'")
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _axes(self):
        first = 1 if self.data_format == "channels_last" else 2
        return list(range(first, first + self.rank))

    def call(self, inputs):
        return self.reduce(inputs, axis=self._axes(), keepdims=self.keepdims)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return layer_config(self, data_format=self.data_format, keepdims=self.keepdims)


class GlobalMaxPooling1D(_GlobalPooling):
    """Max over the steps axis: (batch, steps, c) -> (batch, c)."""
    rank, reduce = 1, staticmethod(T.max)


class GlobalMaxPooling2D(_GlobalPooling):
    """Max over rows and columns: (batch, rows, cols, c) -> (batch, c)."""
    rank, reduce = 2, staticmethod(T.max)


class GlobalAveragePooling2D(_GlobalPooling):
    """Mean over rows and columns."""
    rank, reduce = 2, staticmethod(T.mean)


class GlobalAveragePooling1D(_GlobalPooling):
    """Mean over the steps axis; with a mask (batch, steps), only unmasked steps count.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> GlobalAveragePooling1D()(T.tensor("float32", shape=(None, 7, 3))).type.shape
        (None, 3)
    """
    rank = 1

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        axis = self._axes()[0]
        if mask is None:
            return T.mean(inputs, axis=axis, keepdims=self.keepdims)
        weights = T.cast(mask, inputs.dtype)
        weights = weights.dimshuffle(0, 1, "x") if axis == 1 else weights.dimshuffle(0, "x", 1)
        return (T.sum(inputs * weights, axis=axis, keepdims=self.keepdims)
                / T.sum(weights, axis=axis, keepdims=self.keepdims))


# Keras's short aliases (public compatibility names)
MaxPool1D, MaxPool2D, AvgPool1D, AvgPool2D = MaxPooling1D, MaxPooling2D, AveragePooling1D, AveragePooling2D
GlobalMaxPool1D, GlobalMaxPool2D = GlobalMaxPooling1D, GlobalMaxPooling2D
GlobalAvgPool1D, GlobalAvgPool2D = GlobalAveragePooling1D, GlobalAveragePooling2D
