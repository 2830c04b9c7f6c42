"""Convolution, pooling and spatial reshaping layers against NumPy references (TensorFlow's padding rules),
with the table checker of test_layers_core."""
import numpy as np
import pytest

import layerkit_backend.tensor as T
from layerkit.layers import convolutional as conv, pooling as pool
from test_layers_core import Case, check_case


def _same(n, k, s, d=1):
    eff = (k - 1) * d + 1
    total = max((-(-n // s) - 1) * s + eff - n, 0)
    return total // 2, total - total // 2


def np_conv2d(x, k, strides=(1, 1), padding="valid", dilation=(1, 1), groups=1):
    """NHWC cross-correlation with a (kh, kw, in // groups, out) kernel, TensorFlow's padding."""
    (kh, kw, cin_g, out), (sh, sw), (dh, dw) = k.shape, strides, dilation
    if padding == "same":
        (t, b), (l, r) = _same(x.shape[1], kh, sh, dh), _same(x.shape[2], kw, sw, dw)
        x = np.pad(x, ((0, 0), (t, b), (l, r), (0, 0)))
    rows = (x.shape[1] - (kh - 1) * dh - 1) // sh + 1
    cols = (x.shape[2] - (kw - 1) * dw - 1) // sw + 1
    y = np.zeros((x.shape[0], rows, cols, out))
    per = out // groups
    for g in range(groups):
        xs = x[..., g * cin_g:(g + 1) * cin_g]
        for a in range(kh):
            for b in range(kw):
                patch = xs[:, a * dh:a * dh + (rows - 1) * sh + 1:sh, b * dw:b * dw + (cols - 1) * sw + 1:sw]
                y[..., g * per:(g + 1) * per] += patch @ k[a, b, :, g * per:(g + 1) * per]
    return y


def conv2d_ref(strides=(1, 1), padding="valid", dilation=(1, 1), groups=1, channels_first=False):
    def ref(x, w):
        if channels_first:
            x = x.transpose(0, 2, 3, 1)
        y = np_conv2d(x, w[0], strides, padding, dilation, groups) + (w[1] if len(w) > 1 else 0)
        return y.transpose(0, 3, 1, 2) if channels_first else y
    return ref


def conv1d_ref(stride=1, padding="valid", dilation=1, groups=1):
    def ref(x, w):
        if padding == "causal":
            x = np.pad(x, ((0, 0), ((w[0].shape[0] - 1) * dilation, 0), (0, 0)))
        y = np_conv2d(x[:, None], w[0][None], (1, stride), "valid" if padding == "causal" else padding,
                      (1, dilation), groups)[:, 0]
        return y + w[1]
    return ref


def transpose_ref(out_rows, out_cols, strides, padding):
    """The adjoint of the forward convolution (filters -> in channels) that Conv2DTranspose transposes."""
    def ref(y, w):
        kernel, filters = w[0], w[0].shape[2]
        basis = np.eye(out_rows * out_cols * filters).reshape(-1, out_rows, out_cols, filters)
        forward = np_conv2d(basis, kernel, strides, padding)            # (basis, rows, cols, in)
        out = np.tensordot(y, forward, axes=([1, 2, 3], [1, 2, 3]))
        return out.reshape(len(y), out_rows, out_cols, filters) + w[1]
    return ref


def np_pool(x, size, strides, padding, mode):
    """NHWC pooling; 'same' pads never win a max and never count in a mean."""
    n, h, w, c = x.shape
    if padding == "same":
        (t, _), (l, _) = _same(h, size[0], strides[0]), _same(w, size[1], strides[1])
        rows, cols = -(-h // strides[0]), -(-w // strides[1])
    else:
        t = l = 0
        rows, cols = (h - size[0]) // strides[0] + 1, (w - size[1]) // strides[1] + 1
    y = np.zeros((n, rows, cols, c))
    for i in range(rows):
        for j in range(cols):
            r0, c0 = i * strides[0] - t, j * strides[1] - l
            window = x[:, max(r0, 0):r0 + size[0], max(c0, 0):c0 + size[1]]
            y[:, i, j] = window.max((1, 2)) if mode == "max" else window.mean((1, 2))
    return y


def pool1d_ref(size, stride, padding, mode):
    return lambda x, w: np_pool(x[:, None], (1, size), (1, stride), padding, mode)[:, 0]


def pool2d_ref(size, strides, padding, mode, channels_first=False):
    def ref(x, w):
        if channels_first:
            return np_pool(x.transpose(0, 2, 3, 1), size, strides, padding, mode).transpose(0, 3, 1, 2)
        return np_pool(x, size, strides, padding, mode)
    return ref


CASES = [
    Case(conv.Conv2D, dict(filters=2, kernel_size=3), (2, 5, 4, 3), (None, 3, 2, 2), [(3, 3, 3, 2), (2,)],
         conv2d_ref(), True),
    Case(conv.Conv2D, dict(filters=3, kernel_size=(2, 3), strides=2, padding="same"), (2, 5, 4, 1),
         (None, 3, 2, 3), [(2, 3, 1, 3), (3,)], conv2d_ref((2, 2), "same"), True),
    Case(conv.Conv2D, dict(filters=2, kernel_size=2, padding="same", dilation_rate=2), (1, 4, 5, 2),
         (None, 4, 5, 2), [(2, 2, 2, 2), (2,)], conv2d_ref(padding="same", dilation=(2, 2))),
    Case(conv.Conv2D, dict(filters=4, kernel_size=1, groups=2), (2, 3, 1, 4), (None, 3, 1, 4),
         [(1, 1, 2, 4), (4,)], conv2d_ref(groups=2), True),
    Case(conv.Conv2D, dict(filters=2, kernel_size=2, data_format="channels_first"), (2, 3, 4, 3),
         (None, 2, 3, 2), [(2, 2, 3, 2), (2,)], conv2d_ref(channels_first=True)),
    Case(conv.Conv1D, dict(filters=2, kernel_size=3), (2, 6, 3), (None, 4, 2), [(3, 3, 2), (2,)], conv1d_ref(),
         True),
    Case(conv.Conv1D, dict(filters=3, kernel_size=2, padding="causal", dilation_rate=2), (2, 5, 1),
         (None, 5, 3), [(2, 1, 3), (3,)], conv1d_ref(padding="causal", dilation=2), True),
    Case(conv.Conv1D, dict(filters=2, kernel_size=3, strides=2, padding="same"), (1, 7, 2), (None, 4, 2),
         [(3, 2, 2), (2,)], conv1d_ref(2, "same")),
    Case(conv.Conv2DTranspose, dict(filters=2, kernel_size=3), (2, 2, 3, 1), (None, 4, 5, 2),
         [(3, 3, 2, 1), (2,)], transpose_ref(4, 5, (1, 1), "valid"), True),
    Case(conv.Conv2DTranspose, dict(filters=1, kernel_size=3, strides=2, padding="same"), (1, 2, 3, 2),
         (None, 4, 6, 1), [(3, 3, 1, 2), (1,)], transpose_ref(4, 6, (2, 2), "same"), True),
    Case(conv.Conv2DTranspose, dict(filters=2, kernel_size=2, strides=3), (1, 2, 1, 1), (None, 6, 3, 2),
         [(2, 2, 2, 1), (2,)], transpose_ref(6, 3, (3, 3), "valid")),
    Case(conv.Conv2DTranspose, dict(filters=2, kernel_size=3, strides=2, padding="same", output_padding=1),
         (1, 2, 3, 1), (None, 4, 6, 2), [(3, 3, 2, 1), (2,)], transpose_ref(4, 6, (2, 2), "same")),
    Case(conv.Conv2DTranspose, dict(filters=1, kernel_size=(2, 3), strides=(1, 2), output_padding=(0, 1)),
         (1, 2, 2, 2), (None, 3, 6, 1), [(2, 3, 1, 2), (1,)], transpose_ref(3, 6, (1, 2), "valid")),
    Case(conv.Conv1D, dict(filters=2, kernel_size=2, data_format="channels_first"), (2, 3, 4), (None, 2, 3),
         [(2, 3, 2), (2,)], lambda x, w: conv1d_ref()(x.transpose(0, 2, 1), w).transpose(0, 2, 1)),
    Case(conv.UpSampling1D, dict(size=3), (2, 2, 1), (None, 6, 1), [], lambda x, w: np.repeat(x, 3, 1)),
    Case(conv.UpSampling2D, dict(size=(2, 1)), (1, 2, 3, 2), (None, 4, 3, 2), [],
         lambda x, w: np.repeat(x, 2, 1)),
    Case(conv.ZeroPadding1D, dict(padding=(1, 2)), (2, 3, 1), (None, 6, 1), [],
         lambda x, w: np.pad(x, ((0, 0), (1, 2), (0, 0)))),
    Case(conv.ZeroPadding2D, dict(padding=((1, 0), (0, 2))), (1, 2, 2, 3), (None, 3, 4, 3), [],
         lambda x, w: np.pad(x, ((0, 0), (1, 0), (0, 2), (0, 0)))),
    Case(conv.ZeroPadding2D, dict(padding=1, data_format="channels_first"), (1, 2, 1, 3), (None, 2, 3, 5), [],
         lambda x, w: np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))),
    Case(conv.Cropping1D, dict(cropping=(1, 2)), (2, 5, 1), (None, 2, 1), [], lambda x, w: x[:, 1:3]),
    Case(conv.Cropping2D, dict(cropping=((1, 0), (0, 2))), (1, 3, 4, 2), (None, 2, 2, 2), [],
         lambda x, w: x[:, 1:, :2]),
    Case(pool.MaxPooling1D, {}, (2, 5, 3), (None, 2, 3), [], pool1d_ref(2, 2, "valid", "max")),
    Case(pool.AveragePooling1D, dict(pool_size=3, strides=2, padding="same"), (2, 6, 1), (None, 3, 1), [],
         pool1d_ref(3, 2, "same", "avg")),
    Case(pool.MaxPooling2D, dict(pool_size=(2, 3), strides=1), (2, 3, 4, 1), (None, 2, 2, 1), [],
         pool2d_ref((2, 3), (1, 1), "valid", "max")),
    Case(pool.MaxPooling2D, dict(pool_size=3, strides=2, padding="same"), (1, 5, 4, 2), (None, 3, 2, 2), [],
         pool2d_ref((3, 3), (2, 2), "same", "max")),
    Case(pool.AveragePooling2D, dict(padding="same"), (2, 3, 5, 1), (None, 2, 3, 1), [],
         pool2d_ref((2, 2), (2, 2), "same", "avg")),
    Case(pool.AveragePooling2D, dict(pool_size=2, data_format="channels_first"), (1, 2, 4, 5), (None, 2, 2, 2), [],
         pool2d_ref((2, 2), (2, 2), "valid", "avg", channels_first=True)),
    Case(pool.GlobalMaxPooling1D, {}, (2, 4, 3), (None, 3), [], lambda x, w: x.max(1)),
    Case(pool.GlobalAveragePooling1D, dict(keepdims=True), (2, 4, 3), (None, 1, 3), [],
         lambda x, w: x.mean(1, keepdims=True)),
    Case(pool.GlobalMaxPooling2D, dict(data_format="channels_first"), (2, 3, 2, 1), (None, 3), [],
         lambda x, w: x.max((2, 3))),
    Case(pool.GlobalAveragePooling2D, {}, (2, 3, 1, 2), (None, 2), [], lambda x, w: x.mean((1, 2))),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.layer.__name__}-{i}" for i, c in enumerate(CASES)])
def test_layer_case(case):
    check_case(case)


def test_global_average_pooling_1d_honours_mask():
    import layerkit_backend as lb
    x = T.tensor("float32", shape=(None, 3, 2))
    mask = T.tensor("bool", shape=(None, 3))
    out = pool.GlobalAveragePooling1D()(x, mask=mask)
    data = np.arange(6, dtype="float32").reshape(1, 3, 2)
    np.testing.assert_allclose(lb.function([x, mask], out)(data, np.array([[True, False, True]])), [[2, 3]])


@pytest.mark.parametrize("make, shape, message", [
    (lambda: conv.Conv2D(2, 3), (None, 4, 4), "expected ndim=4"),
    (lambda: conv.Conv2D(4, 3, groups=3), (None, 5, 5, 4), "divisible by groups"),
    (lambda: conv.Conv2D(2, 3, padding="causal"), (None, 5, 5, 4), "expected padding"),
    (lambda: conv.Cropping1D((2, 3)), (None, 5, 1), "removes all"),
    (lambda: pool.MaxPooling2D(4), (None, 3, 3, 1), "larger than"),
])
def test_clear_errors(make, shape, message):
    with pytest.raises(ValueError, match=message):
        make()(T.tensor("float32", shape=shape))
