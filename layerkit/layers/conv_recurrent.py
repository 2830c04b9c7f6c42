"""Convolutional LSTMs: ``ConvLSTM1D`` over (batch, time, steps, channels) and ``ConvLSTM2D`` over (batch,
time, rows, cols, channels), Keras 3's layers (Shi et al., 2015).

Every gate is a convolution of the input (with the layer's strides, padding and dilation) plus a 'same'
convolution of the previous output. As in the built-in recurrent layers, the input half is computed for all
time steps at once (one convolution over batch * time images) before a ``scan`` runs the recurrent half. Weights
have Keras's names, shapes and gate order (``i, f, c, o``): kernel (..., in, 4 * filters), recurrent_kernel
(..., filters, 4 * filters), bias (4 * filters,).

Example:
    >>> import layerkit_backend.tensor as T
    >>> ConvLSTM2D(3, 3, padding="same")(T.tensor("float32", shape=(None, 4, 6, 6, 2))).type.shape
    (None, 6, 6, 3)
"""
import numpy as np

import layerkit_backend as lb
import layerkit_backend.tensor as T

from .. import activations, constraints, initializers, regularizers
from ..backend_conv import as_tuple, check_data_format, conv_nchw
from .base import InputSpec, Layer
from .core import drop_keras3_keys, layer_config, ser, set_kernel_bias_options

__all__ = ["ConvLSTM1D", "ConvLSTM2D"]


def _conv_length(size, k, stride, dilation, padding):
    if size is None:
        return None
    effective = (k - 1) * dilation + 1
    return -(-size // stride) if padding == "same" else (size - effective) // stride + 1


class _ConvLSTM(Layer):
    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, **kwargs):
        kwargs = drop_keras3_keys(kwargs, type(self).__name__)
        kwargs.pop("unroll", None)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        owner = self._owner = f"{type(self).__name__} '{self.name}'"
        self.filters = int(filters)
        self.kernel_size = as_tuple(kernel_size, self.rank, "kernel_size", owner)
        self.strides = as_tuple(strides, self.rank, "strides", owner)
        self.dilation_rate = as_tuple(dilation_rate, self.rank, "dilation_rate", owner)
        self.padding = str(padding).lower()
        if self.padding not in ("valid", "same"):
            raise ValueError(f"{owner}: expected padding 'valid' or 'same', received {padding!r}")
        self.data_format = check_data_format(data_format, owner)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias, self.unit_forget_bias = bool(use_bias), bool(unit_forget_bias)
        set_kernel_bias_options(self, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                                kernel_constraint, bias_constraint)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        if dropout or recurrent_dropout or stateful:
            raise ValueError(f"{owner}: dropout, recurrent_dropout and stateful are not supported by layerkit's "
                             f"ConvLSTM (received dropout={dropout}, recurrent_dropout={recurrent_dropout}, "
                             f"stateful={stateful})")
        self.dropout, self.recurrent_dropout, self.seed, self.stateful = 0.0, 0.0, seed, False
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.input_spec = InputSpec(ndim=self.rank + 3)

    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 2

    def build(self, input_shape):
        channels = input_shape[self._channel_axis()]
        if channels is None:
            raise ValueError(f"{self._owner}: the channel dimension must be known, received {tuple(input_shape)}")
        width = 4 * self.filters
        self.kernel = self.add_weight("kernel", self.kernel_size + (channels, width), self.kernel_initializer,
                                      self.kernel_regularizer, self.kernel_constraint)
        self.recurrent_kernel = self.add_weight("recurrent_kernel", self.kernel_size + (self.filters, width),
                                                self.recurrent_initializer, self.recurrent_regularizer,
                                                self.recurrent_constraint)
        self.bias = None
        if self.use_bias:
            initial = self.bias_initializer
            if self.unit_forget_bias:
                f, init = self.filters, self.bias_initializer

                def initial(shape, dtype=None):
                    return np.concatenate([init((f,), dtype=dtype), np.ones(f, dtype),
                                           init((2 * f,), dtype=dtype)])
            self.bias = self.add_weight("bias", (width,), initial, self.bias_regularizer, self.bias_constraint)
        self.built = True

    def _oihw(self, kernel):
        # (..., in, out) -> (out, in, rows, cols), a 1-d kernel as one row
        return kernel.dimshuffle(2, 1, "x", 0) if self.rank == 1 else kernel.dimshuffle(3, 2, 0, 1)

    def _images(self, x):
        """(batch, time, ...) channels-last or -first -> (batch * time, channels, rows, cols)."""
        if self.data_format == "channels_last":
            x = x.dimshuffle(0, 1, x.ndim - 1, *range(2, x.ndim - 1))
        if self.rank == 1:
            x = x.dimshuffle(0, 1, 2, "x", 3)
        shape = T.shape_tuple(x)
        return T.reshape(x, (-1,) + tuple(shape[2:]), ndim=4)

    def call(self, inputs):
        batch, steps = T.shape(inputs)[0], T.shape(inputs)[1]
        ones = (1,) * (2 - self.rank)
        projected = conv_nchw(self._images(inputs), self._oihw(self.kernel), ones + self.kernel_size,
                              ones + self.strides, self.padding, ones + self.dilation_rate, self._owner)
        if self.bias is not None:
            projected = projected + self.bias.dimshuffle("x", 0, "x", "x")
        rows, cols = T.shape_tuple(projected)[2:]
        projected = T.reshape(projected, (batch, steps, 4 * self.filters, rows, cols), ndim=5)
        sequence = projected.dimshuffle(1, 0, 2, 3, 4)                  # time first
        if self.go_backwards:
            sequence = sequence[::-1]
        f = self.filters
        recurrent = self._oihw(self.recurrent_kernel)
        size = ones + self.kernel_size

        def step(x_t, h, c, kernel):
            z = x_t + conv_nchw(h, kernel, size, (1, 1), "same", (1, 1), self._owner)
            i = self.recurrent_activation(z[:, :f])
            forget = self.recurrent_activation(z[:, f:2 * f])
            c_new = forget * c + i * self.activation(z[:, 2 * f:3 * f])
            o = self.recurrent_activation(z[:, 3 * f:])
            return o * self.activation(c_new), c_new

        zeros = T.zeros((batch, f, rows, cols), dtype=self.dtype)
        (hs, cs), _ = lb.scan(step, sequences=[sequence], outputs_info=[zeros, zeros], non_sequences=[recurrent],
                              strict=True)
        outputs = self._layout(hs.dimshuffle(1, 0, 2, 3, 4), sequence_axis=True) if self.return_sequences \
            else self._layout(hs[-1])
        if self.return_state:
            return [outputs, self._layout(hs[-1]), self._layout(cs[-1])]
        return outputs

    def _layout(self, y, sequence_axis=False):
        """NCHW states (with a time axis after the batch if ``sequence_axis``) in the layer's data format."""
        lead = list(range(2 if sequence_axis else 1))
        c = len(lead)                                   # the channel axis
        if self.rank == 1:
            y = y[(slice(None),) * (c + 1) + (0,)]      # drop the row axis of height 1
            spatial = [c + 1]
        else:
            spatial = [c + 1, c + 2]
        return y.dimshuffle(*lead, *spatial, c) if self.data_format == "channels_last" else y

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_last":
            spatial = input_shape[2:-1]
        else:
            spatial = input_shape[3:]
        sizes = tuple(_conv_length(n, k, s, d, self.padding)
                      for n, k, s, d in zip(spatial, self.kernel_size, self.strides, self.dilation_rate))
        state = ((input_shape[0],) + sizes + (self.filters,) if self.data_format == "channels_last"
                 else (input_shape[0], self.filters) + sizes)
        output = state[:1] + (input_shape[1],) + state[1:] if self.return_sequences else state
        return [output, state, state] if self.return_state else output

    def get_config(self):
        return layer_config(
            self, filters=self.filters, kernel_size=list(self.kernel_size), strides=list(self.strides),
            padding=self.padding, data_format=self.data_format, dilation_rate=list(self.dilation_rate),
            activation=activations.serialize(self.activation),
            recurrent_activation=activations.serialize(self.recurrent_activation), use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            recurrent_initializer=initializers.serialize(self.recurrent_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer), unit_forget_bias=self.unit_forget_bias,
            kernel_regularizer=ser(regularizers, self.kernel_regularizer),
            recurrent_regularizer=ser(regularizers, self.recurrent_regularizer),
            bias_regularizer=ser(regularizers, self.bias_regularizer),
            activity_regularizer=ser(regularizers, self.activity_regularizer),
            kernel_constraint=ser(constraints, self.kernel_constraint),
            recurrent_constraint=ser(constraints, self.recurrent_constraint),
            bias_constraint=ser(constraints, self.bias_constraint), dropout=0.0, recurrent_dropout=0.0,
            seed=self.seed, return_sequences=self.return_sequences, return_state=self.return_state,
            go_backwards=self.go_backwards, stateful=False)


class ConvLSTM1D(_ConvLSTM):
    """Convolutional LSTM over (batch, time, steps, channels); kernels (width, in | filters, 4 * filters).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> ConvLSTM1D(2, 3, return_sequences=True)(T.tensor("float32", shape=(None, 4, 8, 1))).type.shape
        (None, 4, 6, 2)
    """

    rank = 1


class ConvLSTM2D(_ConvLSTM):
    """Convolutional LSTM over (batch, time, rows, cols, channels); kernels (kh, kw, in | filters, 4 * filters).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> ConvLSTM2D(2, 3, return_sequences=True)(T.tensor("float32", shape=(None, 3, 5, 5, 1))).type.shape
        (None, 3, 3, 3, 2)
    """

    rank = 2
