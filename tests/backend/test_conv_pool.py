"""conv2d / conv1d / conv2d_transpose, pool_2d and batch normalisation: one table per family, run by opcheck's
checker (values against loop-based NumPy references, static shapes, layouts, float32, verify_grad), plus second
derivatives, error messages and a LeNet-style network that learns."""
import numpy as np
import pytest

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit_backend.gradient import disconnected_grad, verify_grad
from layerkit_backend.tensor.nnet import (batch_normalization_test, batch_normalization_train, conv1d, conv2d,
                                          conv2d_transpose)
from layerkit_backend.tensor.signal.pool import pool_2d

from opcheck import SEED, OpSpec, check_op, params


# -- NumPy references, written as loops so that they share nothing with the im2col implementation ---------------
def conv_ref(x, w, pads=(0, 0), stride=(1, 1), dil=(1, 1), flip=True, groups=1):
    if flip:
        w = w[:, :, ::-1, ::-1]
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pads[0],) * 2, (pads[1],) * 2))
    oh = (xp.shape[2] - dil[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (xp.shape[3] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow), dtype=np.result_type(x, w))
    og = o // groups
    for k in range(o):
        chans = slice((k // og) * cg, (k // og + 1) * cg)
        for i in range(oh):
            for j in range(ow):
                r, s = i * stride[0], j * stride[1]
                patch = xp[:, chans, r:r + dil[0] * (kh - 1) + 1:dil[0], s:s + dil[1] * (kw - 1) + 1:dil[1]]
                out[:, k, i, j] = (patch * w[k]).sum(axis=(1, 2, 3))
    return out


def conv_transpose_ref(y, w, out_hw, pads=(0, 0), stride=(1, 1), dil=(1, 1), flip=True, groups=1):
    """The adjoint of conv_ref with respect to x: every output value spread back over its window."""
    if flip:
        w = w[:, :, ::-1, ::-1]
    n, o, oh, ow = y.shape
    _, cg, kh, kw = w.shape
    dx = np.zeros((n, cg * groups, out_hw[0] + 2 * pads[0], out_hw[1] + 2 * pads[1]), dtype=np.result_type(y, w))
    og = o // groups
    for k in range(o):
        chans = slice((k // og) * cg, (k // og + 1) * cg)
        for i in range(oh):
            for j in range(ow):
                r, s = i * stride[0], j * stride[1]
                dx[:, chans, r:r + dil[0] * (kh - 1) + 1:dil[0], s:s + dil[1] * (kw - 1) + 1:dil[1]] += \
                    y[:, k, i, j, None, None, None] * w[k]
    return dx[:, :, pads[0]:pads[0] + out_hw[0], pads[1]:pads[1] + out_hw[1]]


def pool_ref(x, ws, ignore_border=True, stride=None, pad=(0, 0), mode="max"):
    """Theano's windows: clipped to the padded image; 'average_exc_pad' divides by the real elements only."""
    stride = stride or ws
    h, w = x.shape[-2:]
    hp, wp = h + 2 * pad[0], w + 2 * pad[1]

    def size(n, k, s, p):
        if ignore_border:
            return (n + 2 * p - k) // s + 1
        return (n - 1) // s + 1 if s >= k else max(0, (n - 1 - k + s) // s) + 1

    oh, ow = size(h, ws[0], stride[0], pad[0]), size(w, ws[1], stride[1], pad[1])
    out = np.zeros(x.shape[:-2] + (oh, ow), dtype=x.dtype)
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * stride[0], j * stride[1]
            r1, c1 = min(r0 + ws[0], hp), min(c0 + ws[1], wp)
            rr0, rr1 = max(r0 - pad[0], 0), min(r1 - pad[0], h)
            cc0, cc1 = max(c0 - pad[1], 0), min(c1 - pad[1], w)
            win = x[..., rr0:rr1, cc0:cc1]
            if mode == "max":
                out[..., i, j] = win.max(axis=(-2, -1))
            else:
                total = win.sum(axis=(-2, -1))
                count = {"sum": 1, "average_inc_pad": (r1 - r0) * (c1 - c0),
                         "average_exc_pad": (rr1 - rr0) * (cc1 - cc0)}[mode]
                out[..., i, j] = total / count
    return out


# -- conv2d: (name, image shape, filter shape, conv2d keywords, the paddings the reference should use) ----------
CONV_CASES = [
    ("valid_flip", (2, 3, 6, 5), (4, 3, 3, 2), {}, (0, 0)),
    ("valid_correlate", (2, 3, 6, 5), (4, 3, 3, 2), {"filter_flip": False}, (0, 0)),
    ("kernel_1x1", (2, 3, 4, 4), (5, 3, 1, 1), {}, (0, 0)),
    ("kernel_is_image", (2, 2, 4, 3), (3, 2, 4, 3), {"filter_flip": False}, (0, 0)),
    ("stride_nonsquare", (2, 2, 7, 6), (3, 2, 3, 2), {"subsample": (2, 3), "filter_flip": False}, (0, 0)),
    ("dilation", (1, 2, 7, 6), (2, 2, 2, 3), {"filter_dilation": (2, 1)}, (0, 0)),
    ("full", (2, 1, 4, 5), (2, 1, 3, 2), {"border_mode": "full"}, (2, 1)),
    ("half_odd", (2, 2, 5, 4), (3, 2, 3, 3), {"border_mode": "half", "filter_flip": False}, (1, 1)),
    ("half_even_dilated", (1, 2, 6, 5), (2, 2, 2, 3), {"border_mode": "half", "filter_dilation": (1, 2)}, (1, 2)),
    ("pad_int", (2, 2, 4, 4), (3, 2, 3, 3), {"border_mode": 1}, (1, 1)),
    ("pad_pair_stride", (2, 1, 5, 6), (2, 1, 3, 3), {"border_mode": (2, 0), "subsample": 2}, (2, 0)),
    ("groups", (2, 4, 5, 5), (6, 2, 3, 3), {"num_groups": 2, "filter_flip": False}, (0, 0)),
    ("depthwise_padded", (1, 4, 4, 4), (4, 1, 3, 3), {"num_groups": 4, "border_mode": "half"}, (1, 1)),
    ("batch1_channel1", (1, 1, 5, 5), (1, 1, 2, 2), {}, (0, 0)),
    ("many_channels", (2, 6, 5, 4), (3, 6, 2, 2), {"border_mode": (1, 0)}, (1, 0)),
]


def _conv_spec(name, xshape, wshape, kw, pads):
    ref_kw = dict(pads=pads, stride=_pair(kw.get("subsample", 1)), dil=_pair(kw.get("filter_dilation", 1)),
                  flip=kw.get("filter_flip", True), groups=kw.get("num_groups", 1))
    return OpSpec(f"conv2d_{name}", lambda x, w: conv2d(x, w, **kw), lambda x, w: conv_ref(x, w, **ref_kw),
                  [(xshape, wshape)], grad=True)


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _transpose_spec(name, yshape, wshape, out_hw, kw, pads):
    ref_kw = dict(pads=pads, stride=_pair(kw.get("input_dilation", 1)), flip=kw.get("filter_flip", True),
                  groups=kw.get("num_groups", 1))
    return OpSpec(f"conv2d_transpose_{name}",
                  lambda y, w: conv2d_transpose(y, w, (yshape[0], wshape[1], *out_hw), **kw),
                  lambda y, w: conv_transpose_ref(y, w, out_hw, **ref_kw), [(yshape, wshape)], grad=True)


def _conv1d_ref(x, w, pad=0, stride=1, flip=True):
    return conv_ref(x[:, :, None], w[:, :, None], (0, pad), (1, stride), flip=flip)[:, :, 0]


CONV_SPECS = [_conv_spec(*case) for case in CONV_CASES] + [
    # images of 7 rows give 3 output rows at stride 2, and so do images of 8: the output shape says which
    _transpose_spec("stride", (2, 3, 3, 3), (3, 2, 3, 2), (7, 8), {"input_dilation": (2, 3)}, (0, 0)),
    _transpose_spec("padded_groups", (1, 4, 4, 4), (4, 1, 3, 3), (4, 4),
                    {"border_mode": "half", "num_groups": 2, "filter_flip": False}, (1, 1)),
    OpSpec("conv1d_valid", conv1d, _conv1d_ref, [((2, 3, 9), (4, 3, 3))], grad=True),
    OpSpec("conv1d_stride_full", lambda x, w: conv1d(x, w, border_mode="full", subsample=2, filter_flip=False),
           lambda x, w: _conv1d_ref(x, w, pad=2, stride=2, flip=False), [((1, 2, 6), (3, 2, 3))], grad=True),
]


@pytest.mark.parametrize("spec", params(CONV_SPECS))
def test_conv(spec):
    check_op(spec)


def _pool_spec(mode, shape, ws, ignore_border=True, stride=None, pad=(0, 0)):
    name = f"pool_{mode}_{'x'.join(map(str, shape))}_ws{ws[0]}{ws[1]}_st{stride}_pad{pad[0]}{pad[1]}_ib{ignore_border}"
    return OpSpec(name.replace(" ", "").replace(",", ""),
                  lambda x: pool_2d(x, ws, ignore_border=ignore_border, stride=stride, pad=pad, mode=mode),
                  lambda x: pool_ref(x, ws, ignore_border, stride, pad, mode), [(shape,)], grad=True)


POOL_GEOMETRIES = [
    ((2, 3, 6, 6), (2, 2)),                                           # tiles exactly
    ((2, 3, 5, 7), (2, 2)),                                           # odd sizes: partial windows dropped
    ((2, 5, 7), (2, 3), False),                                       # 3-d input, partial windows kept
    ((1, 1, 7, 6), (3, 3), True, (2, 1), (1, 1)),                     # overlapping, padded
    ((3, 5, 5), (3, 2), False, (1, 2)),                               # overlapping, partial windows kept
    ((4, 4), (2, 2), True, (1, 1), (1, 0)),                           # 2-d input, stride 1, padded rows
    ((2, 1, 3, 3), (3, 3)),                                           # window = image
]
POOL_SPECS = [_pool_spec(mode, *geometry) for mode in ("max", "sum", "average_inc_pad", "average_exc_pad")
              for geometry in POOL_GEOMETRIES] + [
    OpSpec("pool_max_int32", lambda x: pool_2d(x, (2, 2), ignore_border=False),
           lambda x: pool_ref(x, (2, 2), False), [((2, 5, 5),)], dtypes=[("int32",)], float32=False),
]


@pytest.mark.parametrize("spec", params(POOL_SPECS))
def test_pool(spec):
    check_op(spec)


# -- batch normalisation ---------------------------------------------------------------------------------------
def bn_train_ref(x, gamma, beta, axes, eps=1e-4, squeeze=True):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    invstd = 1.0 / np.sqrt(var + eps)
    shape = mean.shape
    out = (x - mean) * gamma.reshape(shape) * invstd + beta.reshape(shape)
    if squeeze:
        return out, mean.reshape(gamma.shape), invstd.reshape(gamma.shape)
    return out, mean, invstd


def bn_running_ref(x, gamma, beta, r_mean, r_var):
    out, mean, invstd = bn_train_ref(x, gamma, beta, (0, 2, 3), eps=1e-3)
    m = x.shape[0] * x.shape[2] * x.shape[3]
    var = x.var(axis=(0, 2, 3))
    return out, mean, invstd, r_mean * 0.7 + mean * 0.3, r_var * 0.7 + var * m / (m - 1) * 0.3


def _bn_train_specs(name, shapes, kw, ref_axes, eps=1e-4, squeeze=True):
    """Two rows: every output's value, and the gradient of the normalised output (a single output, as verify_grad
    needs; mean and invstd are composites of mean/var, whose gradients have their own rows)."""
    build = lambda x, g, b: batch_normalization_train(x, g, b, epsilon=eps, **kw)  # noqa: E731
    ref = lambda x, g, b: bn_train_ref(x, g, b, ref_axes, eps, squeeze)  # noqa: E731
    return [OpSpec(f"bn_train_{name}", build, ref, [shapes]),
            OpSpec(f"bn_train_{name}_out", lambda *v: build(*v)[0], lambda *v: ref(*v)[0], [shapes], grad=True)]


BN_SPECS = [
    *_bn_train_specs("per_activation", ((5, 3), (3,), (3,)), {}, (0,)),
    *_bn_train_specs("spatial", ((3, 2, 3, 2), (2,), (2,)), {"axes": "spatial"}, (0, 2, 3)),
    *_bn_train_specs("full_rank_params", ((3, 2, 3, 2), (1, 2, 1, 1), (1, 2, 1, 1)), {"axes": "spatial"},
                     (0, 2, 3), squeeze=False),
    *_bn_train_specs("axes_tuple", ((3, 4, 5), (5,), (5,)), {"axes": (0, 1)}, (0, 1), eps=1e-3),
    OpSpec("bn_train_running_averages",
           lambda x, g, b, m, v: batch_normalization_train(x, g, b, "spatial", 1e-3, 0.3, m, v), bn_running_ref,
           [((4, 2, 3, 3), (2,), (2,), (2,), (2,))], domain=("real", "real", "real", "real", "positive")),
    OpSpec("bn_test", lambda x, g, b, m, v: batch_normalization_test(x, g, b, m, v, "spatial"),
           lambda x, g, b, m, v: (x - m[:, None, None]) * g[:, None, None] / np.sqrt(v[:, None, None] + 1e-4)
           + b[:, None, None], [((4, 2, 3, 3), (2,), (2,), (2,), (2,))],
           domain=("real", "real", "real", "real", "positive"), grad=True),
]


@pytest.mark.parametrize("spec", params(BN_SPECS))
def test_batch_normalization(spec):
    check_op(spec)


# -- second derivatives: the three conv ops and the pool ops differentiate one another --------------------------
SECOND_ORDER = [
    ("conv_wrt_filters", lambda x, w: conv2d(x, w, subsample=2, border_mode=1), ((2, 2, 5, 5), (3, 2, 3, 3)), 1),
    ("conv_wrt_images", lambda x, w: conv2d(x, w, num_groups=2, filter_flip=False), ((1, 4, 4, 4), (2, 2, 2, 2)), 0),
    ("pool_max_overlapping", lambda x: pool_2d(x, (3, 3), stride=(1, 2), pad=(1, 1)), ((2, 5, 6),), 0),
    ("pool_average", lambda x: pool_2d(x, (2, 3), False, mode="average_exc_pad"), ((2, 5, 5),), 0),
]


@pytest.mark.parametrize("name, build, shapes, wrt", SECOND_ORDER, ids=[c[0] for c in SECOND_ORDER])
def test_second_derivatives(name, build, shapes, wrt):
    rng = np.random.default_rng(SEED)
    pt = [rng.standard_normal(s) for s in shapes]

    def gradient(*xs):
        return lb.grad((build(*xs) ** 2).sum(), xs[wrt])

    verify_grad(gradient, pt, rng=np.random.default_rng(SEED))


# -- errors say what, expected, received --------------------------------------------------------------------------
ERRORS = [
    ("channels", lambda: conv2d(T.tensor("float64", shape=(2, 3, 5, 5)), T.tensor("float64", shape=(4, 2, 3, 3))),
     ValueError, "3 channels"),
    ("border_mode", lambda: conv2d(T.dtensor4(), T.dtensor4(), border_mode="same"), ValueError, "border_mode"),
    ("rank", lambda: conv2d(T.dmatrix(), T.dtensor4()), TypeError, "4-d images"),
    ("kernel_too_big", lambda: conv2d(T.tensor("float64", shape=(1, 1, 3, 3)), T.tensor("float64", shape=(1, 1, 4, 4))),
     ValueError, "does not fit"),
    ("int_images", lambda: conv2d(T.itensor4(), T.itensor4()), TypeError, "float"),
    ("pool_pad", lambda: pool_2d(T.dtensor4(), (2, 2), pad=(2, 0)), ValueError, "smaller than the window"),
    ("pool_pad_border", lambda: pool_2d(T.dtensor4(), (3, 3), ignore_border=False, pad=(1, 1)), ValueError,
     "ignore_border=True"),
    ("pool_mode", lambda: pool_2d(T.dtensor4(), (2, 2), mode="median"), ValueError, "mode"),
    ("bn_epsilon", lambda: batch_normalization_train(T.dmatrix(), T.dvector(), T.dvector(), epsilon=1e-6),
     ValueError, "epsilon"),
    ("bn_params_rank", lambda: batch_normalization_train(T.dtensor4(), T.dmatrix(), T.dmatrix(), "spatial"),
     ValueError, "gamma"),
    ("bn_running_pair", lambda: batch_normalization_train(T.dmatrix(), T.dvector(), T.dvector(),
                                                          running_mean=T.dvector()), ValueError, "neither"),
]


@pytest.mark.parametrize("name, build, error, fragment", ERRORS, ids=[e[0] for e in ERRORS])
def test_errors(name, build, error, fragment):
    with pytest.raises(error, match=fragment):
        build()


def test_run_time_shape_mismatch_names_the_op():
    x, w = T.dtensor4(), T.dtensor4()
    f = lb.function([x, w], conv2d(x, w))
    with pytest.raises(ValueError, match="channels"):
        f(np.zeros((1, 3, 5, 5)), np.zeros((2, 2, 3, 3)))


# -- a LeNet-style network written against the backend learns ------------------------------------------------------
def _square_images(rng, n):
    """12x12 noisy images with a bright 4x4 square at the top-left (label 0) or bottom-right (label 1)."""
    labels = rng.integers(0, 2, n)
    x = rng.normal(0, 0.5, (n, 1, 12, 12))
    for k, label in enumerate(labels):
        r, c = rng.integers(0, 3, 2) + (0 if label == 0 else 6)
        x[k, 0, r:r + 4, c:c + 4] += 2.0
    return x.astype("float32"), labels.astype("int32")


def test_lenet_learns_squares():
    rng = np.random.default_rng(SEED)
    x, y = T.tensor("float32", shape=(None, 1, 12, 12), name="x"), T.ivector("y")
    k1 = lb.shared(rng.normal(0, 0.3, (4, 1, 3, 3)).astype("float32"), name="k1")
    b1 = lb.shared(np.zeros(4, "float32"), name="b1")
    w2 = lb.shared(rng.normal(0, 0.1, (100, 2)).astype("float32"), name="w2")
    b2 = lb.shared(np.zeros(2, "float32"), name="b2")
    hidden = T.maximum(pool_2d(conv2d(x, k1) + b1.dimshuffle("x", 0, "x", "x"), (2, 2)), 0)  # (n, 4, 5, 5)
    logits = T.dot(T.flatten(hidden, 2), w2) + b2
    shifted = logits - disconnected_grad(logits.max(axis=1, keepdims=True))
    log_p = shifted - T.log(T.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_p[T.arange(y.shape[0]), y].mean()
    params_ = [k1, b1, w2, b2]
    train = lb.function([x, y], loss, updates=[(p, p - 0.1 * g) for p, g in zip(params_, lb.grad(loss, params_))])
    predict = lb.function([x], T.argmax(logits, axis=1))
    for _ in range(60):
        train(*_square_images(rng, 32))
    test_x, test_y = _square_images(rng, 200)
    assert (predict(test_x) == test_y).mean() > 0.9
