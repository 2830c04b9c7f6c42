"""Keras's channels-last convolution and pooling over the backend's NCHW ``conv2d`` and ``pool_2d``.

One copy of the glue shared by ``K.conv1d``/``K.conv2d``/``K.pool2d`` and the Conv and Pooling layers: layout
changes (NHWC <-> NCHW, 1-d inputs as height-1 images), TensorFlow's 'same' padding (the odd pixel goes after),
'causal' padding, and pads that never win a max nor count in an average.

Example:
    >>> import layerkit_backend.tensor as T
    >>> conv2d(T.tensor("float32", shape=(2, 8, 8, 3)), T.tensor("float32", shape=(3, 3, 3, 4)),
    ...        padding="same").type.shape
    (2, 8, 8, 4)
"""
import numpy as np

import layerkit_backend.tensor as T
from layerkit_backend.tensor import nnet
from layerkit_backend.tensor.signal.pool import pool_2d

__all__ = ["conv1d", "conv2d", "pool2d", "bias_add"]


# ------------------------------------------------------------------------------------------- arguments
def as_tuple(value, n, what, owner):
    """``value`` as an n-tuple of ints (an int is repeated)."""
    values = tuple(int(v) for v in value) if isinstance(value, (list, tuple)) else (int(value),) * n
    if len(values) != n:
        raise ValueError(f"{owner}: expected {what} of {n} integers, received {value!r}")
    return values


def check_data_format(data_format, owner):
    """``data_format`` or Keras's default 'channels_last', checked."""
    data_format = data_format or "channels_last"
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(f"{owner}: expected data_format 'channels_last' or 'channels_first', received "
                         f"{data_format!r}")
    return data_format


def _check_channels_last(data_format):
    # the K.* image functions take channels-last tensors only
    if data_format not in (None, "channels_last"):
        raise ValueError(f"expected data_format 'channels_last' (the only layout here), received {data_format!r}")


# ------------------------------------------------------------------------------------------- layout and padding
def to_nchw(x, data_format, rank):
    """Channels-first 4-d view: rank 1 inputs get a height-1 row axis."""
    if rank == 1:
        return x.dimshuffle(0, 2, "x", 1) if data_format == "channels_last" else x.dimshuffle(0, 1, "x", 2)
    return x.dimshuffle(0, 3, 1, 2) if data_format == "channels_last" else x


def from_nchw(y, data_format, rank):
    """The inverse of ``to_nchw``."""
    if rank == 1:
        return y.dimshuffle(0, 3, 1) if data_format == "channels_last" else y.dimshuffle(0, 1, 3)
    return y.dimshuffle(0, 2, 3, 1) if data_format == "channels_last" else y


def same_pads(size, k, stride, dilation, owner):
    """TensorFlow's 'same' padding (before, after) for one axis: the odd pixel goes after."""
    effective = (k - 1) * dilation + 1
    if stride == 1:
        total = effective - 1
    elif size is None:
        raise ValueError(f"{owner}: padding='same' with strides > 1 needs static spatial sizes, received None")
    else:
        total = max((-(-size // stride) - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


def pad_trailing(x, pads, value=0.0):
    """``x`` padded on its trailing len(pads) axes by (before, after) pairs filled with ``value``."""
    if not any(b or a for b, a in pads):
        return x
    first = x.ndim - len(pads)
    # static sizes where known, so the padded tensor keeps its static shape
    sizes = [s if s is not None else d for s, d in zip(x.type.shape, T.shape_tuple(x))]
    shape = list(sizes)
    for i, (before, after) in enumerate(pads):
        shape[first + i] = shape[first + i] + before + after
    out = T.alloc(T.cast(value, x.dtype), *shape)
    index = [slice(None)] * first + [slice(b, b + n) for (b, _), n in zip(pads, sizes[first:])]
    return T.set_subtensor(out[tuple(index)], x)


# ------------------------------------------------------------------------------------------- NCHW kernels
def conv_nchw(x, filters, kernel_size, strides, padding, dilation, owner, groups=1):
    """Cross-correlation of NCHW ``x`` with OIHW ``filters`` of spatial size ``kernel_size``; ``padding`` is
    'valid', 'same' or 'causal' (left pads on the last axis)."""
    border = "valid"
    if padding == "causal":
        x = pad_trailing(x, [((kernel_size[1] - 1) * dilation[1], 0)])
    elif padding == "same":
        if all(s == 1 for s in strides) and all((k - 1) * d % 2 == 0 for k, d in zip(kernel_size, dilation)):
            border = tuple((k - 1) * d // 2 for k, d in zip(kernel_size, dilation))  # symmetric: the op pads
        else:
            x = pad_trailing(x, [same_pads(n, k, s, d, owner)
                                 for n, k, s, d in zip(x.type.shape[2:], kernel_size, strides, dilation)])
    elif padding != "valid":
        raise ValueError(f"{owner}: expected padding 'valid', 'same' or 'causal', received {padding!r}")
    return nnet.conv2d(x, filters, border_mode=border, subsample=tuple(strides), filter_flip=False,
                       filter_dilation=tuple(dilation), num_groups=groups)


def pool_nchw(x, window, strides, padding, mode, owner):
    """Max (``mode`` 'max') or average pooling of NCHW ``x``; 'same' pads never win a max nor count in an
    average."""
    if padding == "valid":
        return pool_2d(x, ws=window, stride=strides, ignore_border=True,
                       mode="max" if mode == "max" else "average_exc_pad")
    if padding != "same":
        raise ValueError(f"{owner}: expected padding 'valid' or 'same', received {padding!r}")
    pads = [same_pads(n, k, s, 1, owner) for n, k, s in zip(x.type.shape[2:], window, strides)]
    if mode == "max":
        return pool_2d(pad_trailing(x, pads, np.finfo(x.dtype).min), ws=window, stride=strides,
                       ignore_border=True, mode="max")
    total = pool_2d(pad_trailing(x, pads), ws=window, stride=strides, ignore_border=True, mode="sum")
    count = pool_2d(pad_trailing(T.ones_like(x[:1, :1]), pads), ws=window, stride=strides, ignore_border=True,
                    mode="sum")
    return total / count


# ------------------------------------------------------------------------------------------- K.* functions
def conv2d(x, kernel, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1)):
    """2-d cross-correlation of channels-last images (batch, rows, cols, in) with a (kh, kw, in, out) kernel.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> conv2d(T.tensor("float32", shape=(2, 8, 8, 3)), T.tensor("float32", shape=(3, 3, 3, 4)),
        ...        padding="same").type.shape
        (2, 8, 8, 4)
    """
    _check_channels_last(data_format)
    if padding not in ("valid", "same"):
        raise ValueError(f"conv2d: expected padding 'valid' or 'same', received {padding!r}")
    x, kernel = T.as_tensor_variable(x), T.as_tensor_variable(kernel)
    ksize = kernel.type.shape[:2]
    if None in ksize:
        raise ValueError(f"conv2d: expected a kernel of static shape, received {kernel.type}")
    out = conv_nchw(to_nchw(x, "channels_last", 2), kernel.dimshuffle(3, 2, 0, 1), ksize, tuple(strides), padding,
                    tuple(dilation_rate), "conv2d")
    return from_nchw(out, "channels_last", 2)


def conv1d(x, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """1-d cross-correlation of (batch, steps, in) with a (width, in, out) kernel; padding may be 'causal'.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> conv1d(T.tensor("float32", shape=(2, 10, 3)), T.tensor("float32", shape=(3, 3, 4)),
        ...        padding="causal").type.shape
        (2, 10, 4)
    """
    _check_channels_last(data_format)
    x, kernel = T.as_tensor_variable(x), T.as_tensor_variable(kernel)
    strides, dilation_rate = int(np.ravel([strides])[0]), int(np.ravel([dilation_rate])[0])
    width = kernel.type.shape[0]
    if width is None:
        raise ValueError(f"conv1d: expected a kernel of static shape, received {kernel.type}")
    out = conv_nchw(to_nchw(x, "channels_last", 1), kernel.dimshuffle(2, 1, "x", 0), (1, width), (1, strides),
                    padding, (1, dilation_rate), "conv1d")
    return from_nchw(out, "channels_last", 1)


def pool2d(x, pool_size, strides=(1, 1), padding="valid", data_format=None, pool_mode="max"):
    """Max or average pooling of channels-last images; 'same' pads as TensorFlow does (pads never win a max and
    never count in an average).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> pool2d(T.tensor("float32", shape=(2, 5, 5, 3)), (2, 2), strides=(2, 2), padding="same").type.shape
        (2, 3, 3, 3)
    """
    _check_channels_last(data_format)
    if pool_mode not in ("max", "avg"):
        raise ValueError(f"pool2d: expected pool_mode 'max' or 'avg', received {pool_mode!r}")
    x = T.as_tensor_variable(x)
    pool_size, strides = tuple(pool_size), tuple(strides or pool_size)
    out = pool_nchw(to_nchw(x, "channels_last", 2), pool_size, strides, padding, pool_mode, "pool2d")
    return from_nchw(out, "channels_last", 2)


def bias_add(x, bias, data_format=None):
    """``x + bias`` with the bias on the last (channels) axis."""
    _check_channels_last(data_format)
    return x + bias
