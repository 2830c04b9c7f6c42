"""3-d convolution of (batch, channels, depth, rows, cols) volumes (Theano's ``nnet.conv3d``).

Computed by one ``conv2d``: for every output depth, the input's depth slices under the kernel are gathered and laid
side by side as channels (channel-major, then kernel depth), folded into the batch, and convolved with the kernel
reshaped the same way, so ``channels * kernel_depth`` input channels meet ``kernel_rows x kernel_cols`` windows. Its
gradient is the gather's and conv2d's.
"""
import numpy as np

from ..basic import arange, concatenate, zeros
from ..shape import shape_tuple
from ..subtensor import getitem
from ..variable import as_tensor_variable
from .conv import _hinted, conv2d

__all__ = ["conv3d"]


def _triple(value, what):
    values = tuple(int(v) for v in np.ravel([value]))
    if len(values) == 1:
        values = values * 3
    if len(values) != 3:
        raise ValueError(f"conv3d: {what} must be an int or three ints, received {value!r}")
    return values


def conv3d(input, filters, input_shape=None, filter_shape=None, border_mode="valid", subsample=(1, 1, 1),
           filter_flip=True, filter_dilation=(1, 1, 1), num_groups=1):
    """3-d convolution: ``input`` (batch, channels, depth, rows, cols), ``filters`` (out_channels,
    channels // num_groups, kernel depth, rows, cols); ``border_mode`` 'valid', 'full', 'half', an int or three;
    ``filter_flip`` False computes a cross-correlation.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.tensor('float64', shape=(2, 3, 5, 6, 7)); w = T.tensor('float64', shape=(4, 3, 2, 3, 3))
        >>> conv3d(x, w).ndim
        5
    """
    x = _hinted(as_tensor_variable(input), input_shape, "input_shape")
    w = _hinted(as_tensor_variable(filters), filter_shape, "filter_shape")
    if x.ndim != 5 or w.ndim != 5:
        raise TypeError(f"conv3d: expected 5-d input and filters, received {x.type} and {w.type}")
    stride, dilation = _triple(subsample, "subsample"), _triple(filter_dilation, "filter_dilation")
    out_ch, in_per_group, kd, kh, kw = shape_tuple(w)
    span_d = (kd - 1) * dilation[0] + 1
    if border_mode == "valid":
        pad_d, pads = 0, (0, 0)
    elif border_mode in ("full", "half"):
        pad_d = span_d - 1 if border_mode == "full" else span_d // 2
        pads = border_mode  # conv2d resolves the rows' and cols' padding from the kernel
    else:
        pad_d, *rest = _triple(border_mode, "border_mode")
        pads = tuple(rest)
    batch, channels, depth, rows, cols = shape_tuple(x)
    if not (isinstance(pad_d, int) and pad_d == 0):
        pad = zeros((batch, channels, pad_d, rows, cols), dtype=x.dtype)
        x = concatenate([pad, x, pad], axis=2)
        depth = depth + 2 * pad_d
    out_depth = (depth - span_d) // stride[0] + 1
    taps = arange(out_depth).dimshuffle(0, "x") * stride[0] + arange(kd).dimshuffle("x", 0) * dilation[0]
    gathered = getitem(x, (slice(None), slice(None), taps))  # (batch, channels, out_depth, kd, rows, cols)
    folded = gathered.dimshuffle(0, 2, 1, 3, 4, 5).reshape((batch * out_depth, channels * kd, rows, cols), ndim=4)
    kernel = getitem(w, (slice(None), slice(None), slice(None, None, -1))) if filter_flip else w
    kernel = kernel.reshape((out_ch, in_per_group * kd, kh, kw), ndim=4)
    y = conv2d(folded, kernel, border_mode=pads, subsample=stride[1:], filter_flip=filter_flip,
               filter_dilation=dilation[1:], num_groups=num_groups)
    out_rows, out_cols = shape_tuple(y)[2:]
    return y.reshape((batch, out_depth, out_ch, out_rows, out_cols), ndim=5).dimshuffle(0, 2, 1, 3, 4)
