"""``keras.ops.nn``: activations, cross-entropies, convolution and pooling, normalisation, attention.

Activations and cross-entropies are the ones ``layerkit.activations`` and ``layerkit.losses`` use (so a
cross-entropy of a softmax output is computed from its logits: see docs/keras_compatibility.md); convolution and
pooling are the channels-last glue of ``layerkit.backend_conv`` over the backend's ``conv2d``/``pool_2d`` (1-d and
2-d; 3-d needs a backend op that is not there yet).

Example:
    >>> import numpy as np
    >>> relu(np.array([-1.0, 2.0])).tolist(), softmax(np.zeros((1, 2))).tolist()
    ([0.0, 2.0], [[0.5, 0.5]])
"""
import numpy as np

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit_backend.tensor import nnet

from .. import backend_conv
from ..eager import eager_function
from .core import tensor

__all__ = ["relu", "relu6", "sigmoid", "softplus", "softsign", "silu", "swish", "log_sigmoid", "leaky_relu",
           "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "elu", "selu", "gelu", "celu", "glu", "softmax",
           "log_softmax", "sparse_plus", "squareplus", "tanh_shrink", "soft_shrink", "hard_shrink", "threshold",
           "one_hot", "multi_hot", "binary_crossentropy", "categorical_crossentropy",
           "sparse_categorical_crossentropy", "conv", "depthwise_conv", "separable_conv", "max_pool",
           "average_pool", "batch_normalization", "moments", "normalize", "rms_normalization",
           "layer_normalization", "dot_product_attention", "depth_to_space", "space_to_depth", "psnr",
           "sparse_sigmoid"]


def _named(function, name, doc):
    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    return function


def _activation(name, op, what):
    return eager_function(_named(lambda x: op(_float(tensor(x))), name, f"{what}, elementwise."))


def _float(x):
    return x if x.dtype.startswith("float") else T.cast(x, lb.config.floatX)


def _hard_sigmoid(x):
    return T.clip(x / 6.0 + 0.5, 0.0, 1.0)   # relu6(x + 3) / 6, Keras 3's formula


relu = _activation("relu", lambda x: T.maximum(x, 0.0), "``max(x, 0)``")
relu6 = _activation("relu6", lambda x: T.clip(x, 0.0, 6.0), "``min(max(x, 0), 6)``")
sigmoid = _activation("sigmoid", nnet.sigmoid, "``1 / (1 + exp(-x))``")
softplus = _activation("softplus", nnet.softplus, "``log(1 + exp(x))``")
softsign = _activation("softsign", lambda x: x / (1.0 + T.abs(x)), "``x / (1 + |x|)``")
silu = _activation("silu", lambda x: x * nnet.sigmoid(x), "``x * sigmoid(x)``")
swish = silu   # keras.ops's second name (public alias)
log_sigmoid = _activation("log_sigmoid", lambda x: -nnet.softplus(-x), "``log(sigmoid(x))`` without underflow")
hard_sigmoid = _activation("hard_sigmoid", _hard_sigmoid, "``relu6(x + 3) / 6``")
hard_silu = _activation("hard_silu", lambda x: x * _hard_sigmoid(x), "``x * hard_sigmoid(x)``")
hard_swish = hard_silu   # keras.ops's second name (public alias)
hard_tanh = _activation("hard_tanh", lambda x: T.clip(x, -1.0, 1.0), "``clip(x, -1, 1)``")
selu = _activation("selu", nnet.selu, "scaled exponential linear unit")
sparse_plus = _activation("sparse_plus", lambda x: T.switch(T.le(x, -1.0), T.zeros_like(x),
                                                            T.switch(T.ge(x, 1.0), x, T.square(x + 1.0) / 4.0)),
                          "0 below -1, ``(x + 1)**2 / 4`` up to 1, then ``x``")
sparse_sigmoid = _activation("sparse_sigmoid", lambda x: T.clip((x + 1.0) / 2.0, 0.0, 1.0),
                              "``clip((x + 1) / 2, 0, 1)``")
tanh_shrink = _activation("tanh_shrink", lambda x: x - T.tanh(x), "``x - tanh(x)``")


@eager_function
def leaky_relu(x, negative_slope=0.2):
    """``x`` for positive ``x``, ``negative_slope * x`` below 0."""
    x = _float(tensor(x))
    return T.switch(T.ge(x, 0), x, negative_slope * x)


@eager_function
def elu(x, alpha=1.0):
    """``x`` for positive ``x``, ``alpha * (exp(x) - 1)`` below 0."""
    return nnet.elu(_float(tensor(x)), alpha)


@eager_function
def gelu(x, approximate=True):
    """Gaussian error linear unit (the tanh form by default, as ``keras.ops.gelu``)."""
    return nnet.gelu(_float(tensor(x)), approximate)


@eager_function
def celu(x, alpha=1.0):
    """``max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))``."""
    x = _float(tensor(x))
    return T.maximum(x, 0.0) + T.minimum(0.0, alpha * T.expm1(x / alpha))


@eager_function
def glu(x, axis=-1):
    """Gated linear unit: the first half of ``axis`` times the sigmoid of the second half."""
    x = _float(tensor(x))
    size = x.type.shape[axis]
    if size is None or size % 2:
        raise ValueError(f"glu: axis {axis} must have an even static size, received shape {x.type.shape}")
    index_a, index_b = [slice(None)] * x.ndim, [slice(None)] * x.ndim
    index_a[axis], index_b[axis] = slice(None, size // 2), slice(size // 2, None)
    return x[tuple(index_a)] * nnet.sigmoid(x[tuple(index_b)])


@eager_function
def squareplus(x, b=4):
    """``(x + sqrt(x**2 + b)) / 2``."""
    x = _float(tensor(x))
    return (x + T.sqrt(T.square(x) + b)) / 2.0


@eager_function
def soft_shrink(x, threshold=0.5):
    """``x - threshold`` above it, ``x + threshold`` below ``-threshold``, else 0."""
    x = _float(tensor(x))
    return T.switch(T.gt(x, threshold), x - threshold, T.switch(T.lt(x, -threshold), x + threshold,
                                                                T.zeros_like(x)))


@eager_function
def hard_shrink(x, threshold=0.5):
    """``x`` where ``|x| > threshold``, else 0."""
    x = _float(tensor(x))
    return T.switch(T.gt(T.abs(x), threshold), x, T.zeros_like(x))


@eager_function
def threshold(x, threshold, default_value):  # noqa: A002 - keras.ops's argument name
    """``x`` where ``x > threshold``, else ``default_value``."""
    x = tensor(x)
    return T.switch(T.gt(x, threshold), x, T.cast(default_value, x.dtype) * T.ones_like(x))


@eager_function
def softmax(x, axis=-1):
    """Softmax along ``axis`` (stable)."""
    return nnet.softmax(_float(tensor(x)), axis=axis)


@eager_function
def log_softmax(x, axis=-1):
    """``x - logsumexp(x, axis)``."""
    return nnet.log_softmax(_float(tensor(x)), axis=axis)


# ------------------------------------------------------------------------------------------- encodings, losses
@eager_function
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """Integer labels as one-hot vectors along a new ``axis`` (labels outside [0, classes) give zeros)."""
    x = T.cast(tensor(x), "int64")
    hot = T.cast(T.eq(T.shape_padright(x), T.arange(num_classes, dtype="int64")), dtype or lb.config.floatX)
    if axis in (-1, x.ndim):
        return hot
    order = list(range(x.ndim))
    order.insert(axis % (x.ndim + 1), x.ndim)
    return hot.dimshuffle(*order)


@eager_function
def multi_hot(inputs, num_classes, axis=-1, dtype=None, sparse=False):
    """For each row of labels, ones at every label present (a rank-1 input is one row)."""
    inputs = T.cast(tensor(inputs), "int64")
    hot = T.eq(T.shape_padright(inputs), T.arange(num_classes, dtype="int64"))
    return T.cast(T.any(hot, axis=inputs.ndim - 1 if inputs.ndim > 1 else 0), dtype or lb.config.floatX)


@eager_function
def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary cross-entropy (no reduction), as ``keras.ops``."""
    from ..losses import elementwise_binary_crossentropy

    return elementwise_binary_crossentropy(tensor(target), tensor(output), from_logits=from_logits)


@eager_function
def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy of one-hot ``target`` and probabilities (or logits) ``output`` along ``axis``."""
    from ..losses import categorical_crossentropy as loss

    return loss(tensor(target), tensor(output), from_logits=from_logits, axis=axis)


@eager_function
def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy of integer ``target`` labels and probabilities (or logits) ``output``."""
    from ..losses import sparse_categorical_crossentropy as loss

    return loss(tensor(target), tensor(output), from_logits=from_logits, axis=axis)


# ------------------------------------------------------------------------------------------- convolution, pooling
def _spatial_rank(inputs, owner):
    rank = inputs.ndim - 2
    if rank not in (1, 2):
        raise ValueError(f"{owner}: expected 3-d (1-d convolution) or 4-d (2-d) inputs, received shape "
                         f"{inputs.type.shape}; 3-d convolution and pooling need a backend op layerkit does not "
                         f"have yet")
    return rank


def _conv_nchw(inputs, filters, kernel_size, strides, padding, dilation, data_format, rank, owner, groups=1):
    """``inputs`` (channels-last or -first, rank 1 or 2) convolved with OIHW ``filters``, in the input's layout."""
    padding = padding.lower()
    strides = backend_conv.as_tuple(strides, rank, "strides", owner)
    dilation = backend_conv.as_tuple(dilation, rank, "dilation_rate", owner)
    if rank == 1:
        kernel_size, strides, dilation = (1,) + kernel_size, (1,) + strides, (1,) + dilation
    out = backend_conv.conv_nchw(backend_conv.to_nchw(inputs, data_format, rank), filters, kernel_size, strides,
                                 padding, dilation, owner, groups=groups)
    return backend_conv.from_nchw(out, data_format, rank)


def _kernel_size(kernel, rank, owner):
    size = tuple(kernel.type.shape[:rank])
    if None in size:
        raise ValueError(f"{owner}: expected a kernel of static shape, received {kernel.type}")
    return size


def _oihw(kernel, rank):
    """A (spatial..., in, out) kernel as OIHW (a height-1 image for rank 1)."""
    return kernel.dimshuffle(2, 1, "x", 0) if rank == 1 else kernel.dimshuffle(3, 2, 0, 1)


@eager_function
def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """N-d cross-correlation (N = 1, 2) of ``inputs`` with a ``(spatial..., in // groups, out)`` kernel; groups
    follow from the channel counts, as in Keras."""
    inputs, kernel = _float(tensor(inputs)), _float(tensor(kernel))
    rank = _spatial_rank(inputs, "conv")
    data_format = backend_conv.check_data_format(data_format, "conv")
    channels = inputs.type.shape[-1 if data_format == "channels_last" else 1]
    per_group = kernel.type.shape[-2]
    groups = 1 if channels is None or per_group is None else channels // per_group
    return _conv_nchw(inputs, _oihw(kernel, rank), _kernel_size(kernel, rank, "conv"), strides, padding,
                      dilation_rate, data_format, rank, "conv", groups)


@eager_function
def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Each input channel convolved with its own ``multiplier`` filters: kernel ``(spatial..., in, multiplier)``;
    output channel ``c * multiplier + m``."""
    inputs, kernel = _float(tensor(inputs)), _float(tensor(kernel))
    rank = _spatial_rank(inputs, "depthwise_conv")
    data_format = backend_conv.check_data_format(data_format, "depthwise_conv")
    channels, multiplier = kernel.type.shape[-2], kernel.type.shape[-1]
    size = _kernel_size(kernel, rank, "depthwise_conv")
    grouped = T.reshape(kernel, size + (1, channels * multiplier))
    return _conv_nchw(inputs, _oihw(grouped, rank), size, strides, padding, dilation_rate, data_format, rank,
                      "depthwise_conv", groups=channels)


@eager_function
def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """A depthwise convolution followed by a 1x1 (pointwise) convolution."""
    depthwise = depthwise_conv.symbolic(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv.symbolic(depthwise, pointwise_kernel, 1, "valid", data_format, 1)


def _pool(inputs, pool_size, strides, padding, data_format, mode, owner):
    inputs = _float(tensor(inputs))
    rank = _spatial_rank(inputs, owner)
    data_format = backend_conv.check_data_format(data_format, owner)
    window = backend_conv.as_tuple(pool_size, rank, "pool_size", owner)
    strides = window if strides is None else backend_conv.as_tuple(strides, rank, "strides", owner)
    if rank == 1:
        window, strides = (1,) + window, (1,) + strides
    out = backend_conv.pool_nchw(backend_conv.to_nchw(inputs, data_format, rank), window, strides, padding.lower(),
                                 mode, owner)
    return backend_conv.from_nchw(out, data_format, rank)


@eager_function
def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Max pooling (1-d or 2-d; ``strides`` default to ``pool_size``; 'same' pads never win)."""
    return _pool(inputs, pool_size, strides, padding, data_format, "max", "max_pool")


@eager_function
def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Average pooling (1-d or 2-d; 'same' pads do not count in the average)."""
    return _pool(inputs, pool_size, strides, padding, data_format, "avg", "average_pool")


# ------------------------------------------------------------------------------------------- normalisation
def _along(vector, axis, ndim):
    """A 1-d ``vector`` shaped to broadcast along ``axis`` of an ``ndim`` tensor."""
    vector = tensor(vector)
    if vector.ndim != 1:
        return vector
    pattern = ["x"] * ndim
    pattern[axis % ndim] = 0
    return vector.dimshuffle(*pattern)


@eager_function
def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """``(x - mean) / sqrt(variance + epsilon) * scale + offset`` with the statistics along ``axis``."""
    x = _float(tensor(x))
    out = (x - _along(mean, axis, x.ndim)) / T.sqrt(_along(variance, axis, x.ndim) + epsilon)
    if scale is not None:
        out = out * _along(scale, axis, x.ndim)
    if offset is not None:
        out = out + _along(offset, axis, x.ndim)
    return out


@eager_function
def moments(x, axes, keepdims=False, synchronized=False):
    """(mean, variance) of ``x`` over ``axes``."""
    x = _float(tensor(x))
    axes = list(np.atleast_1d(axes))
    return T.mean(x, axis=axes, keepdims=keepdims), T.var(x, axis=axes, keepdims=keepdims)


def _epsilon(epsilon):
    from .. import backend
    return backend.epsilon() if epsilon is None else epsilon


@eager_function
def normalize(x, axis=-1, order=2, epsilon=None):
    """``x`` divided by its ``order``-norm along ``axis`` (at least ``epsilon``)."""
    x = _float(tensor(x))
    if order == 2:
        inverse = 1.0 / T.sqrt(T.sum(T.square(x), axis=axis, keepdims=True))
        return x * T.minimum(inverse, 1.0 / _epsilon(epsilon))
    norm = T.sum(T.abs(x) ** order, axis=axis, keepdims=True) ** (1.0 / order)
    return x / T.maximum(norm, _epsilon(epsilon))


@eager_function
def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """``x / sqrt(mean(x**2, axis) + epsilon) * scale``."""
    x = _float(tensor(x))
    out = x / T.sqrt(T.mean(T.square(x), axis=axis, keepdims=True) + _epsilon(epsilon))
    return out if scale is None else out * tensor(scale)


@eager_function
def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None):
    """``(x - mean) / sqrt(variance + epsilon) * gamma + beta`` over ``axis``."""
    x = _float(tensor(x))
    mean, variance = T.mean(x, axis=axis, keepdims=True), T.var(x, axis=axis, keepdims=True)
    out = (x - mean) / T.sqrt(variance + _epsilon(epsilon))
    if gamma is not None:
        out = out * tensor(gamma)
    return out if beta is None else out + tensor(beta)


# ------------------------------------------------------------------------------------------- attention
@eager_function
def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """Scaled dot-product attention of ``query`` ``(batch, T, heads, dim)`` over ``key``/``value``
    ``(batch, S, kv_heads, dim)`` (grouped: heads a multiple of kv_heads). ``mask`` (True = attend, broadcast to
    ``(batch, heads, T, S)``) and ``is_causal`` hide positions; ``bias`` is added to the logits."""
    query, key, value = (_float(tensor(v)) for v in (query, key, value))
    heads, kv_heads = query.type.shape[2], key.type.shape[2]
    if heads is not None and kv_heads is not None and heads != kv_heads:
        if heads % kv_heads:
            raise ValueError(f"dot_product_attention: {heads} query heads is not a multiple of {kv_heads} key heads")
        key, value = T.repeat(key, heads // kv_heads, axis=2), T.repeat(value, heads // kv_heads, axis=2)
    depth = query.type.shape[-1]
    scale = (1.0 / np.sqrt(depth) if depth is not None else 1.0 / T.sqrt(T.cast(T.shape(query)[-1], query.dtype))) \
        if scale is None else scale
    # (batch, heads, T, dim) x (batch, heads, dim, S) -> (batch, heads, T, S)
    logits = T.matmul(query.dimshuffle(0, 2, 1, 3), key.dimshuffle(0, 2, 3, 1)) * scale
    if attn_logits_soft_cap is not None:
        logits = attn_logits_soft_cap * T.tanh(logits / attn_logits_soft_cap)
    if bias is not None:
        logits = logits + tensor(bias)
    keep = None if mask is None else T.neq(tensor(mask), 0)
    if is_causal:
        rows, cols = T.shape(logits)[-2], T.shape(logits)[-1]
        causal = T.ge(T.arange(rows, dtype="int64").dimshuffle(0, "x"), T.arange(cols, dtype="int64"))
        keep = causal if keep is None else T.and_(keep, causal)
    if keep is not None:
        logits = T.switch(keep, logits, T.constant(np.finfo(logits.dtype).min / 2, dtype=logits.dtype))
    weights = nnet.softmax(logits, axis=-1)
    return T.matmul(weights, value.dimshuffle(0, 2, 1, 3)).dimshuffle(0, 2, 1, 3)


# ------------------------------------------------------------------------------------------- rearrangements
def _channels_last(x, data_format, owner):
    data_format = backend_conv.check_data_format(data_format, owner)
    if x.ndim != 4:
        raise ValueError(f"{owner}: expected 4-d images, received shape {x.type.shape}")
    return x if data_format == "channels_last" else x.dimshuffle(0, 2, 3, 1), data_format


def _back(x, data_format):
    return x if data_format == "channels_last" else x.dimshuffle(0, 3, 1, 2)


@eager_function
def depth_to_space(x, block_size, data_format="channels_last"):
    """Moves channel blocks into ``block_size`` x ``block_size`` spatial blocks (channels / block_size**2 left)."""
    x, data_format = _channels_last(tensor(x), data_format, "depth_to_space")
    b, h, w, c = T.shape_tuple(x)
    out = T.reshape(x, (b, h, w, block_size, block_size, c // (block_size ** 2)))
    out = out.dimshuffle(0, 1, 3, 2, 4, 5)
    return _back(T.reshape(out, (b, h * block_size, w * block_size, c // (block_size ** 2))), data_format)


@eager_function
def space_to_depth(x, block_size, data_format="channels_last"):
    """Moves ``block_size`` x ``block_size`` spatial blocks into channels (the inverse of ``depth_to_space``)."""
    x, data_format = _channels_last(tensor(x), data_format, "space_to_depth")
    b, h, w, c = T.shape_tuple(x)
    out = T.reshape(x, (b, h // block_size, block_size, w // block_size, block_size, c))
    out = out.dimshuffle(0, 1, 3, 2, 4, 5)
    return _back(T.reshape(out, (b, h // block_size, w // block_size, c * block_size ** 2)), data_format)


@eager_function
def psnr(x1, x2, max_val):
    """The peak signal-to-noise ratio ``20 log10(max_val) - 10 log10(mean((x1 - x2)**2))``."""
    x1, x2 = _float(tensor(x1)), _float(tensor(x2))
    mse = T.mean(T.square(x1 - x2))
    return 20.0 * np.log10(max_val) - 10.0 * T.log(mse) / np.log(10.0)
