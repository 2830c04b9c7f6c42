"""3-d layers for volumes (batch, depth, rows, cols, channels): ``Conv3D``, ``MaxPooling3D``,
``AveragePooling3D``, the global 3-d poolings, ``UpSampling3D``, ``ZeroPadding3D`` and ``Cropping3D``.

A 3-d convolution is a sum over the kernel's depth taps of 2-d convolutions of depth slices (the backend's
``conv2d`` on (batch * out_depth) images per tap), so it needs no op of its own and gets its gradient from
``conv2d``'s. A 3-d pooling pools rows and columns first, then depth: max and (pad-excluding) average windows
factor that way.

Example:
    >>> import layerkit_backend.tensor as T
    >>> Conv3D(4, 3, padding="same")(T.tensor("float32", shape=(None, 5, 6, 6, 2))).type.shape
    (None, 5, 6, 6, 4)
"""
import numpy as np

import layerkit_backend.tensor as T

from ..backend_conv import as_tuple, check_data_format, conv_nchw, pad_trailing, pool_nchw, same_pads
from .base import InputSpec, Layer
from .core import drop_keras3_keys, layer_config
from .convolutional import _Conv, _pairs

__all__ = ["Conv3D", "Convolution3D", "MaxPooling3D", "AveragePooling3D", "MaxPool3D", "AvgPool3D",
           "GlobalMaxPooling3D", "GlobalAveragePooling3D", "GlobalMaxPool3D", "GlobalAvgPool3D", "UpSampling3D",
           "ZeroPadding3D", "Cropping3D"]


def _to_ncdhw(x, data_format):
    return x.dimshuffle(0, 4, 1, 2, 3) if data_format == "channels_last" else x


def _from_ncdhw(y, data_format):
    return y.dimshuffle(0, 2, 3, 4, 1) if data_format == "channels_last" else y


def _depth_pads(size, k, stride, dilation, padding, owner):
    if padding == "valid":
        return 0, 0
    return same_pads(size, k, stride, dilation, owner)


class Conv3D(_Conv):
    """3-d convolution over (batch, depth, rows, cols, channels); kernel (kd, kh, kw, in // groups, filters).
    Options, weights and config as Conv1D/Conv2D's (``_Conv``); only the computation is its own.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> Conv3D(2, (3, 2, 2), strides=(2, 1, 1))(T.tensor("float32", shape=(None, 7, 4, 4, 1))).type.shape
        (None, 3, 3, 3, 2)
    """

    rank = 3

    def call(self, inputs):
        x = _to_ncdhw(inputs, self.data_format)                              # (n, c, d, h, w)
        kd, kh, kw = self.kernel_size
        sd, dd = self.strides[0], self.dilation_rate[0]
        depth = x.type.shape[2]
        before, after = _depth_pads(depth, kd, sd, dd, self.padding, self._owner)
        if before or after:
            x = pad_trailing(x, [(before, after), (0, 0), (0, 0)])
        depth = x.type.shape[2] if x.type.shape[2] is not None else T.shape(x)[2]
        out_depth = (depth - (kd - 1) * dd - 1) // sd + 1
        n, c, h, w = T.shape(x)[0], x.type.shape[1], x.type.shape[3], x.type.shape[4]
        h = h if h is not None else T.shape(x)[3]
        w = w if w is not None else T.shape(x)[4]
        total = None
        for tap in range(kd):
            start = tap * dd
            stop = start + (out_depth - 1) * sd + 1
            slices = x[:, :, start:stop:sd].dimshuffle(0, 2, 1, 3, 4)           # (n, out_depth, c, h, w)
            images = T.reshape(slices, (-1, c, h, w), ndim=4)
            filters = self.kernel[tap].dimshuffle(3, 2, 0, 1)                    # (filters, c // g, kh, kw)
            y = conv_nchw(images, filters, (kh, kw), self.strides[1:], self.padding, self.dilation_rate[1:],
                          self._owner, self.groups)
            total = y if total is None else total + y
        if self.use_bias:
            total = total + self.bias.dimshuffle("x", 0, "x", "x")
        shape = T.shape_tuple(total)
        y = T.reshape(total, (n, out_depth, self.filters, shape[2], shape[3]), ndim=5)
        y = y.dimshuffle(0, 2, 1, 3, 4)                                          # (n, filters, d, h, w)
        return self.activation(_from_ncdhw(y, self.data_format))


class _Pooling3D(Layer):
    mode = "max"

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**drop_keras3_keys(kwargs, type(self).__name__))
        owner = self._owner = f"{type(self).__name__} '{self.name}'"
        self.pool_size = as_tuple(pool_size, 3, "pool_size", owner)
        self.strides = self.pool_size if strides is None else as_tuple(strides, 3, "strides", owner)
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"{owner}: expected padding 'valid' or 'same', received {padding!r}")
        self.data_format = check_data_format(data_format, owner)
        self.input_spec = InputSpec(ndim=5)

    def call(self, inputs):
        x = _to_ncdhw(inputs, self.data_format)
        n, c, d = T.shape(x)[0], x.type.shape[1], x.type.shape[2]
        if c is None or d is None:
            raise ValueError(f"{self._owner}: needs static channels and depth, received shape {inputs.type.shape}")
        planes = T.reshape(x, (n, c * d) + tuple(T.shape_tuple(x)[3:]), ndim=4)
        planes = pool_nchw(planes, self.pool_size[1:], self.strides[1:], self.padding, self.mode, self._owner)
        h, w = T.shape_tuple(planes)[2:]
        columns = T.reshape(planes, (n, c, d, h * w), ndim=4)
        pooled = pool_nchw(columns, (self.pool_size[0], 1), (self.strides[0], 1), self.padding, self.mode,
                           self._owner)
        y = T.reshape(pooled, (n, c, T.shape(pooled)[2], h, w), ndim=5)
        return _from_ncdhw(y, self.data_format)

    def get_config(self):
        return layer_config(self, pool_size=list(self.pool_size), padding=self.padding,
                            strides=list(self.strides), data_format=self.data_format)


class MaxPooling3D(_Pooling3D):
    """Max over (depth, rows, cols) windows. Example: (None, 4, 6, 6, 2) -> (None, 2, 3, 3, 2) by default."""
    mode = "max"


class AveragePooling3D(_Pooling3D):
    """Mean over (depth, rows, cols) windows ('same' pads do not count)."""
    mode = "average"


class _GlobalPooling3D(Layer):
    reduce = staticmethod(T.max)

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**drop_keras3_keys(kwargs, type(self).__name__))
        self.data_format = check_data_format(data_format, f"{type(self).__name__} '{self.name}'")
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=5)

    def call(self, inputs):
        axes = [1, 2, 3] if self.data_format == "channels_last" else [2, 3, 4]
        return self.reduce(inputs, axis=axes, keepdims=self.keepdims)

    def get_config(self):
        return layer_config(self, data_format=self.data_format, keepdims=self.keepdims)


class GlobalMaxPooling3D(_GlobalPooling3D):
    """Max over depth, rows and columns: (batch, d, h, w, c) -> (batch, c)."""
    reduce = staticmethod(T.max)


class GlobalAveragePooling3D(_GlobalPooling3D):
    """Mean over depth, rows and columns: (batch, d, h, w, c) -> (batch, c)."""
    reduce = staticmethod(T.mean)


class _Spatial3D(Layer):
    def __init__(self, data_format=None, **kwargs):
        super().__init__(**drop_keras3_keys(kwargs, type(self).__name__))
        self._owner = f"{type(self).__name__} '{self.name}'"
        self.data_format = check_data_format(data_format, self._owner)
        self.input_spec = InputSpec(ndim=5)

    def _first(self):
        return 1 if self.data_format == "channels_last" else 2


class UpSampling3D(_Spatial3D):
    """Repeats depth, rows and columns ``size`` times each."""

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.size = as_tuple(size, 3, "size", self._owner)

    def call(self, inputs):
        y = inputs
        for offset, repeats in enumerate(self.size):
            y = T.repeat(y, repeats, axis=self._first() + offset)
        return y

    def get_config(self):
        return layer_config(self, size=list(self.size), data_format=self.data_format)


def _triples(value, what, owner):
    """((before, after),) * 3 from an int, 3 ints or 3 pairs."""
    if isinstance(value, (int, np.integer)):
        return ((int(value), int(value)),) * 3
    value = list(value)
    if len(value) != 3:
        raise ValueError(f"{owner}: expected {what} as an int, 3 ints or 3 pairs, received {value!r}")
    return tuple(_pairs(v, 1, what, owner)[0] if not isinstance(v, (int, np.integer)) else (int(v), int(v))
                 for v in value)


class ZeroPadding3D(_Spatial3D):
    """Pads depth, rows and columns with zeros: an int, 3 ints or 3 (before, after) pairs."""

    def __init__(self, padding=(1, 1, 1), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.padding = _triples(padding, "padding", self._owner)

    def call(self, inputs):
        x = _to_ncdhw(inputs, self.data_format)
        return _from_ncdhw(pad_trailing(x, self.padding), self.data_format)

    def get_config(self):
        return layer_config(self, padding=[list(p) for p in self.padding], data_format=self.data_format)


class Cropping3D(_Spatial3D):
    """Removes (before, after) entries of depth, rows and columns."""

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.cropping = _triples(cropping, "cropping", self._owner)

    def call(self, inputs):
        index = [slice(None)] * 5
        for offset, (before, after) in enumerate(self.cropping):
            axis = self._first() + offset
            size = inputs.type.shape[axis]
            if size is not None and before + after >= size:
                raise ValueError(f"{self._owner}: cropping ({before}, {after}) removes all of axis {axis} of shape "
                                 f"{inputs.type.shape}")
            index[axis] = slice(before, -after if after else None)
        return inputs[tuple(index)]

    def get_config(self):
        return layer_config(self, cropping=[list(p) for p in self.cropping], data_format=self.data_format)


# Keras's other names (public compatibility aliases)
Convolution3D = Conv3D
MaxPool3D, AvgPool3D = MaxPooling3D, AveragePooling3D
GlobalMaxPool3D, GlobalAvgPool3D = GlobalMaxPooling3D, GlobalAveragePooling3D
