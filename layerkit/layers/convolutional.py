"""Convolutions (``Conv1D``, ``Conv2D``, ``Conv2DTranspose``) and the shape-changing layers that go with them
(``UpSampling1D/2D``, ``ZeroPadding1D/2D``, ``Cropping1D/2D``), channels-last by default as Keras.

Kernels have Keras's layout: Conv2D (rows, cols, in // groups, filters), Conv1D (width, in // groups, filters),
Conv2DTranspose (rows, cols, filters, in). The backend convolves NCHW images with OIHW filters; Keras's
"convolution" is a cross-correlation, hence ``filter_flip=False``.

Example:
    >>> import layerkit_backend.tensor as T
    >>> Conv2D(4, 3, padding="same")(T.tensor("float32", shape=(None, 8, 8, 3))).type.shape
    (None, 8, 8, 4)
"""
import layerkit_backend.tensor as T
from layerkit_backend.tensor.nnet import conv2d_transpose

from .. import activations
from ..backend_conv import as_tuple, check_data_format, conv_nchw, from_nchw, pad_trailing, to_nchw
from ..backend_image import resize_images
from .base import InputSpec, Layer
from .core import add_kernel_bias, drop_keras3_keys, kernel_bias_config, layer_config, set_kernel_bias_options

__all__ = ["Conv1D", "Conv2D", "Conv1DTranspose", "Conv2DTranspose", "UpSampling1D", "UpSampling2D",
           "ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D", "Convolution1D", "Convolution2D",
           "Convolution1DTranspose", "Convolution2DTranspose"]


class _Conv(Layer):
    """Shared by Conv1D/Conv2D (``rank`` spatial axes)."""

    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer,
                         **drop_keras3_keys(kwargs, type(self).__name__))
        owner = f"{type(self).__name__} '{self.name}'"
        self.filters = int(filters)
        self.kernel_size = as_tuple(kernel_size, self.rank, "kernel_size", owner)
        self.strides = as_tuple(strides, self.rank, "strides", owner)
        self.dilation_rate = as_tuple(dilation_rate, self.rank, "dilation_rate", owner)
        self.padding = str(padding).lower()
        allowed = ("valid", "same", "causal") if self.rank == 1 else ("valid", "same")
        if self.padding not in allowed:
            raise ValueError(f"{owner}: expected padding in {allowed}, received {padding!r}")
        self.data_format = check_data_format(data_format, owner)
        self.groups = int(groups)
        if self.filters <= 0 or self.groups <= 0 or self.filters % self.groups:
            raise ValueError(f"{owner}: filters ({filters}) must be positive and divisible by groups ({groups})")
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        set_kernel_bias_options(self, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                                kernel_constraint, bias_constraint)
        self.input_spec = InputSpec(ndim=self.rank + 2)
        self._owner = owner

    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def _kernel_shape(self, channels):
        return self.kernel_size + (channels // self.groups, self.filters)

    def build(self, input_shape):
        channels = input_shape[self._channel_axis()]
        if channels is None:
            raise ValueError(f"{self._owner}: the channel dimension of the input must be known, received shape "
                             f"{tuple(input_shape)} ({self.data_format})")
        if channels % self.groups:
            raise ValueError(f"{self._owner}: input channels ({channels}) must be divisible by groups "
                             f"({self.groups}); input shape {tuple(input_shape)}")
        self.kernel, self.bias = add_kernel_bias(self, self._kernel_shape(channels), (self.filters,))
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis(): channels})
        self.built = True

    def _oihw(self):
        # (..., in, out) -> (out, in, rows, cols)
        return self.kernel.dimshuffle(2, 1, "x", 0) if self.rank == 1 else self.kernel.dimshuffle(3, 2, 0, 1)

    def _spatial(self, x):
        return x.type.shape[1:-1] if self.data_format == "channels_last" else x.type.shape[2:]

    def call(self, inputs):
        ones = (1,) * (2 - self.rank)
        y = conv_nchw(to_nchw(inputs, self.data_format, self.rank), self._oihw(), ones + self.kernel_size,
                      ones + self.strides, self.padding, ones + self.dilation_rate, self._owner, self.groups)
        if self.use_bias:
            y = y + self.bias.dimshuffle("x", 0, "x", "x")
        return self.activation(from_nchw(y, self.data_format, self.rank))

    def get_config(self):
        return layer_config(
            self, filters=self.filters, kernel_size=list(self.kernel_size), strides=list(self.strides),
            padding=self.padding, data_format=self.data_format, dilation_rate=list(self.dilation_rate),
            groups=self.groups, activation=activations.serialize(self.activation), use_bias=self.use_bias,
            **kernel_bias_config(self))


class Conv1D(_Conv):
    """1-d convolution over (batch, steps, channels); padding 'valid', 'same' or 'causal'.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> Conv1D(4, 3, padding="causal")(T.tensor("float32", shape=(None, 10, 2))).type.shape
        (None, 10, 4)
    """

    rank = 1


class Conv2D(_Conv):
    """2-d convolution over (batch, rows, cols, channels) (or channels-first); kernel (kh, kw, in // groups,
    filters).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> Conv2D(4, (3, 2), strides=2)(T.tensor("float32", shape=(None, 9, 9, 3))).type.shape
        (None, 4, 4, 4)
    """

    rank = 2


def transpose_length(size, k, stride, dilation, padding, output_padding):
    """Keras's ``deconv_output_length``."""
    if size is None:
        return None
    effective = (k - 1) * dilation + 1
    if output_padding is None:
        return size * stride + max(effective - stride, 0) if padding == "valid" else size * stride
    pad = 0 if padding == "valid" else effective // 2
    return (size - 1) * stride + effective - 2 * pad + output_padding


class _ConvTranspose(_Conv):
    """The transpose of a convolution ("deconvolution"); kernel (..., filters, in) as Keras's."""

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None, data_format=None,
                 dilation_rate=1, **kwargs):
        if kwargs.get("groups", 1) != 1:
            raise ValueError(f"{type(self).__name__}: groups must be 1, received {kwargs['groups']}")
        super().__init__(filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, **kwargs)
        self.output_padding = (None if output_padding is None
                               else as_tuple(output_padding, self.rank, "output_padding", self._owner))
        if self.output_padding is not None and any(p >= s for p, s in zip(self.output_padding, self.strides)):
            raise ValueError(f"{self._owner}: output_padding {self.output_padding} must be smaller than strides "
                             f"{self.strides}")

    def _kernel_shape(self, channels):
        return self.kernel_size + (self.filters, channels)

    def _oihw(self):
        # the forward convolution's filters: (in, filters, rows, cols)
        return self.kernel.dimshuffle(2, 1, "x", 0) if self.rank == 1 else self.kernel.dimshuffle(3, 2, 0, 1)

    def call(self, inputs):
        x = to_nchw(inputs, self.data_format, self.rank)
        ones = (1,) * (2 - self.rank)
        spatial = (1,) * (2 - self.rank) + tuple(self._spatial(inputs))
        sizes = [s if s is not None else d for s, d in zip(spatial, T.shape_tuple(x)[2:])]
        paddings = (0,) * (2 - self.rank) + self.output_padding if self.output_padding is not None \
            else (None, None)
        out_sizes, full_sizes, starts = [], [], []
        for n, k, s, d, p in zip(sizes, ones + self.kernel_size, ones + self.strides, ones + self.dilation_rate,
                                 paddings):
            effective = (k - 1) * d + 1
            if isinstance(n, int):
                out = transpose_length(n, k, s, d, self.padding, p)
            elif p is None:
                out = n * s + max(effective - s, 0) if self.padding == "valid" else n * s
            else:
                out = (n - 1) * s + effective - 2 * (0 if self.padding == "valid" else effective // 2) + p
            # TensorFlow's transpose is the adjoint of the forward 'same' convolution of the output size, whose
            # padding puts the odd pixel after: crop (full - out) // 2 first (a static number in both cases)
            surplus = max(effective - s, 0) if p is None else max(2 * (effective // 2) - p, 0)
            start = 0 if self.padding == "valid" else surplus // 2
            out_sizes.append(out)
            starts.append(start)
            full = (n - 1) * s + effective
            full_sizes.append(T.maximum(full, start + out) if not isinstance(full, int) or not isinstance(out, int)
                              else max(full, start + out))
        y = conv2d_transpose(x, self._oihw(), tuple(full_sizes), border_mode="valid",
                             input_dilation=ones + self.strides, filter_flip=False,
                             filter_dilation=ones + self.dilation_rate)
        y = y[:, :, starts[0]:starts[0] + out_sizes[0], starts[1]:starts[1] + out_sizes[1]]
        if self.use_bias:
            y = y + self.bias.dimshuffle("x", 0, "x", "x")
        return self.activation(from_nchw(y, self.data_format, self.rank))

    def get_config(self):
        config = super().get_config()   # Keras 2 writes groups (always 1) here too
        config["output_padding"] = None if self.output_padding is None else list(self.output_padding)
        return config


class Conv1DTranspose(_ConvTranspose):
    """The transpose of Conv1D over (batch, steps, channels); kernel (width, filters, in) as Keras's.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> Conv1DTranspose(2, 3, strides=2, padding="same")(T.tensor("float32", shape=(None, 5, 3))).type.shape
        (None, 10, 2)
    """

    rank = 1


class Conv2DTranspose(_ConvTranspose):
    """The transpose of Conv2D ("deconvolution"); kernel (kh, kw, filters, in) as Keras's.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> Conv2DTranspose(2, 3, strides=2, padding="same")(T.tensor("float32", shape=(None, 4, 4, 3))).type.shape
        (None, 8, 8, 2)
    """

    rank = 2


# ------------------------------------------------------------------------------------------- reshaping
class _Spatial(Layer):
    rank = 2

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**drop_keras3_keys(kwargs, type(self).__name__))
        self.data_format = check_data_format(data_format, f"{type(self).__name__} '{self.name}'") \
            if self.rank == 2 else "channels_last"
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _first_spatial(self):
        return 1 if self.data_format == "channels_last" else 2


class UpSampling1D(_Spatial):
    """Repeats each step ``size`` times: (batch, steps, c) -> (batch, steps * size, c)."""

    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        self.size = int(size)

    def call(self, inputs):
        return T.repeat(inputs, self.size, axis=1)

    def get_config(self):
        return layer_config(self, size=self.size)


class UpSampling2D(_Spatial):
    """Upsampling of rows and columns by ``size``: 'nearest' repeats pixels, 'bilinear' interpolates with
    half-pixel centres (Keras 3's ``ops.image.resize``).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> UpSampling2D(2, interpolation="bilinear")(T.tensor("float32", shape=(None, 3, 4, 1))).type.shape
        (None, 6, 8, 1)
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.size = as_tuple(size, 2, "size", f"UpSampling2D '{self.name}'")
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"UpSampling2D '{self.name}': expected interpolation 'nearest' or 'bilinear', received "
                             f"{interpolation!r}")
        self.interpolation = interpolation

    def call(self, inputs):
        axis = self._first_spatial()
        if self.interpolation == "bilinear":
            sizes = inputs.type.shape[axis:axis + 2]
            if None in sizes:
                raise ValueError(f"UpSampling2D '{self.name}': bilinear interpolation needs static rows and columns, "
                                 f"received shape {inputs.type.shape}")
            out = tuple(n * s for n, s in zip(sizes, self.size))
            return resize_images(inputs, out, "bilinear", self.data_format)
        return T.repeat(T.repeat(inputs, self.size[0], axis=axis), self.size[1], axis=axis + 1)

    def get_config(self):
        return layer_config(self, size=list(self.size), data_format=self.data_format,
                            interpolation=self.interpolation)


def _pairs(value, rank, what, owner):
    """((before, after),) * rank from an int, a pair per axis, or one int per axis."""
    if isinstance(value, int):
        return ((value, value),) * rank
    value = list(value)
    if rank == 1:
        if len(value) != 2:
            raise ValueError(f"{owner}: expected {what} as an int or a pair, received {value!r}")
        return (tuple(int(v) for v in value),)
    if len(value) != 2:
        raise ValueError(f"{owner}: expected {what} as an int, 2 ints or 2 pairs, received {value!r}")
    return tuple((int(v), int(v)) if isinstance(v, int) else tuple(int(u) for u in v) for v in value)


class ZeroPadding1D(_Spatial):
    """Pads the steps axis with zeros: ``padding`` is an int or (before, after)."""

    rank = 1

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        self.padding = _pairs(padding, 1, "padding", f"ZeroPadding1D '{self.name}'")

    def call(self, inputs):
        return pad_trailing(inputs.dimshuffle(0, 2, 1), self.padding).dimshuffle(0, 2, 1)

    def get_config(self):
        return layer_config(self, padding=list(self.padding[0]))


class ZeroPadding2D(_Spatial):
    """Pads rows and columns with zeros: an int, (rows, cols) or ((top, bottom), (left, right))."""

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.padding = _pairs(padding, 2, "padding", f"ZeroPadding2D '{self.name}'")

    def call(self, inputs):
        x = to_nchw(inputs, self.data_format, 2)
        return from_nchw(pad_trailing(x, self.padding), self.data_format, 2)

    def get_config(self):
        return layer_config(self, padding=[list(p) for p in self.padding], data_format=self.data_format)


def _crop(x, axis, before, after, owner):
    size = x.type.shape[axis]
    if size is not None and before + after >= size:
        raise ValueError(f"{owner}: cropping ({before}, {after}) removes all of axis {axis} of shape {x.type.shape}")
    index = [slice(None)] * x.ndim
    index[axis] = slice(before, (size - after) if size is not None else (-after if after else None))
    return x[tuple(index)]


class Cropping1D(_Spatial):
    """Removes (before, after) steps."""

    rank = 1

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(**kwargs)
        self.cropping = _pairs(cropping, 1, "cropping", f"Cropping1D '{self.name}'")

    def call(self, inputs):
        return _crop(inputs, 1, *self.cropping[0], f"Cropping1D '{self.name}'")

    def get_config(self):
        return layer_config(self, cropping=list(self.cropping[0]))


class Cropping2D(_Spatial):
    """Removes ((top, bottom), (left, right)) rows and columns."""

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.cropping = _pairs(cropping, 2, "cropping", f"Cropping2D '{self.name}'")

    def call(self, inputs):
        axis, owner = self._first_spatial(), f"Cropping2D '{self.name}'"
        return _crop(_crop(inputs, axis, *self.cropping[0], owner), axis + 1, *self.cropping[1], owner)

    def get_config(self):
        return layer_config(self, cropping=[list(p) for p in self.cropping], data_format=self.data_format)


# Keras's long names (public compatibility aliases)
Convolution1D, Convolution2D = Conv1D, Conv2D
Convolution1DTranspose, Convolution2DTranspose = Conv1DTranspose, Conv2DTranspose
