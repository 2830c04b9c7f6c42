"""Depthwise and separable convolutions (``DepthwiseConv1D/2D``, ``SeparableConv1D/2D``), channels last by default.

A depthwise convolution convolves every input channel with its own ``depth_multiplier`` filters: the backend's
grouped ``conv2d`` with one group per channel. Keras's kernel (..., in, depth_multiplier) becomes the OIHW filters
(in * depth_multiplier, 1, rows, cols), output channel ``c * depth_multiplier + m`` as in Keras. A separable
convolution is a depthwise convolution followed by a 1x1 (pointwise) convolution.

Example:
    >>> import layerkit_backend.tensor as T
    >>> SeparableConv2D(4, 3, padding="same")(T.tensor("float32", shape=(None, 8, 8, 3))).type.shape
    (None, 8, 8, 4)
"""
import layerkit_backend.tensor as T

from .. import activations, constraints, initializers, regularizers
from ..backend_conv import as_tuple, check_data_format, conv_nchw, from_nchw, to_nchw
from .base import InputSpec, Layer
from .core import drop_keras3_keys, layer_config, ser

__all__ = ["DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D", "SeparableConvolution1D",
           "SeparableConvolution2D"]


class _Depthwise(Layer):
    """What depthwise and separable convolutions share: arguments, the depthwise step, the bias."""

    rank = 2
    separable = False

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer,
                         **drop_keras3_keys(kwargs, type(self).__name__))
        owner = self._owner = f"{type(self).__name__} '{self.name}'"
        self.kernel_size = as_tuple(kernel_size, self.rank, "kernel_size", owner)
        self.strides = as_tuple(strides, self.rank, "strides", owner)
        self.dilation_rate = as_tuple(dilation_rate, self.rank, "dilation_rate", owner)
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):   # Keras 3 has no 'causal' here
            raise ValueError(f"{owner}: expected padding 'valid' or 'same', received {padding!r}")
        if int(depth_multiplier) <= 0:
            raise ValueError(f"{owner}: expected a positive depth_multiplier, received {depth_multiplier!r}")
        self.depth_multiplier = int(depth_multiplier)
        self.data_format = check_data_format(data_format, owner)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def _channels(self, input_shape):
        channels = input_shape[self._channel_axis()]
        if channels is None:
            raise ValueError(f"{self._owner}: the channel dimension of the input must be known, received shape "
                             f"{tuple(input_shape)} ({self.data_format})")
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis(): channels})
        return channels

    def _add_bias(self, size):
        return self.add_weight("bias", (size,), self.bias_initializer, self.bias_regularizer,
                               self.bias_constraint) if self.use_bias else None

    def _depthwise_nchw(self, x, kernel, channels):
        # (..., in, multiplier) -> (in * multiplier, 1, rows, cols): output channel c * multiplier + m
        flat = T.reshape(kernel, self.kernel_size + (channels * self.depth_multiplier,), ndim=self.rank + 1)
        filters = flat.dimshuffle(1, "x", "x", 0) if self.rank == 1 else flat.dimshuffle(2, "x", 0, 1)
        ones = (1,) * (2 - self.rank)
        return conv_nchw(x, filters, ones + self.kernel_size, ones + self.strides, self.padding,
                         ones + self.dilation_rate, self._owner, groups=channels)

    def _finish(self, y, bias):
        if bias is not None:
            y = y + bias.dimshuffle("x", 0, "x", "x")
        return self.activation(from_nchw(y, self.data_format, self.rank))

    def _base_config(self):
        return dict(kernel_size=list(self.kernel_size), strides=list(self.strides), padding=self.padding,
                    depth_multiplier=self.depth_multiplier, data_format=self.data_format,
                    dilation_rate=list(self.dilation_rate), activation=activations.serialize(self.activation),
                    use_bias=self.use_bias, depthwise_initializer=initializers.serialize(self.depthwise_initializer),
                    bias_initializer=initializers.serialize(self.bias_initializer),
                    depthwise_regularizer=ser(regularizers, self.depthwise_regularizer),
                    bias_regularizer=ser(regularizers, self.bias_regularizer),
                    activity_regularizer=ser(regularizers, self.activity_regularizer),
                    depthwise_constraint=ser(constraints, self.depthwise_constraint),
                    bias_constraint=ser(constraints, self.bias_constraint))


class _DepthwiseConv(_Depthwise):
    def build(self, input_shape):
        channels = self._channels(input_shape)
        self._in_channels = channels
        self.kernel = self.add_weight("kernel", self.kernel_size + (channels, self.depth_multiplier),
                                      self.depthwise_initializer, self.depthwise_regularizer,
                                      self.depthwise_constraint)
        self.bias = self._add_bias(channels * self.depth_multiplier)
        self.built = True

    def call(self, inputs):
        x = to_nchw(inputs, self.data_format, self.rank)
        return self._finish(self._depthwise_nchw(x, self.kernel, self._in_channels), self.bias)

    def get_config(self):
        return layer_config(self, **self._base_config())


class DepthwiseConv1D(_DepthwiseConv):
    """Depthwise 1-d convolution over (batch, steps, channels); kernel (width, in, depth_multiplier).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> DepthwiseConv1D(3, depth_multiplier=2)(T.tensor("float32", shape=(None, 10, 3))).type.shape
        (None, 8, 6)
    """

    rank = 1


class DepthwiseConv2D(_DepthwiseConv):
    """Depthwise 2-d convolution; kernel (rows, cols, in, depth_multiplier), output in * depth_multiplier
    channels.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> DepthwiseConv2D(3, padding="same")(T.tensor("float32", shape=(None, 8, 8, 3))).type.shape
        (None, 8, 8, 3)
    """

    rank = 2


class _SeparableConv(_Depthwise):
    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(kernel_size, strides=strides, padding=padding, depth_multiplier=depth_multiplier,
                         data_format=data_format, dilation_rate=dilation_rate, activation=activation,
                         use_bias=use_bias, depthwise_initializer=depthwise_initializer,
                         bias_initializer=bias_initializer, depthwise_regularizer=depthwise_regularizer,
                         bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                         depthwise_constraint=depthwise_constraint, bias_constraint=bias_constraint, **kwargs)
        if int(filters) <= 0:
            raise ValueError(f"{self._owner}: expected a positive number of filters, received {filters!r}")
        self.filters = int(filters)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape):
        channels = self._channels(input_shape)
        self._in_channels = channels
        self.depthwise_kernel = self.add_weight(
            "depthwise_kernel", self.kernel_size + (channels, self.depth_multiplier), self.depthwise_initializer,
            self.depthwise_regularizer, self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight(
            "pointwise_kernel", (1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            self.pointwise_initializer, self.pointwise_regularizer, self.pointwise_constraint)
        self.bias = self._add_bias(self.filters)
        self.built = True

    def call(self, inputs):
        x = to_nchw(inputs, self.data_format, self.rank)
        y = self._depthwise_nchw(x, self.depthwise_kernel, self._in_channels)
        pointwise = T.reshape(self.pointwise_kernel, (self._in_channels * self.depth_multiplier, self.filters),
                              ndim=2).dimshuffle(1, 0, "x", "x")
        y = conv_nchw(y, pointwise, (1, 1), (1, 1), "valid", (1, 1), self._owner)
        return self._finish(y, self.bias)

    def get_config(self):
        config = self._base_config()
        config.update(filters=self.filters, pointwise_initializer=initializers.serialize(self.pointwise_initializer),
                      pointwise_regularizer=ser(regularizers, self.pointwise_regularizer),
                      pointwise_constraint=ser(constraints, self.pointwise_constraint))
        return layer_config(self, **config)


class SeparableConv1D(_SeparableConv):
    """Depthwise 1-d convolution then a pointwise one; kernels (width, in, depth_multiplier) and
    (1, in * depth_multiplier, filters).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> SeparableConv1D(4, 3, padding="same")(T.tensor("float32", shape=(None, 10, 2))).type.shape
        (None, 10, 4)
    """

    rank = 1


class SeparableConv2D(_SeparableConv):
    """Depthwise 2-d convolution then a pointwise one; kernels (rows, cols, in, depth_multiplier) and
    (1, 1, in * depth_multiplier, filters).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> SeparableConv2D(4, 3, strides=2)(T.tensor("float32", shape=(None, 9, 9, 3))).type.shape
        (None, 4, 4, 4)
    """

    rank = 2


# Keras's long names (public compatibility aliases)
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
