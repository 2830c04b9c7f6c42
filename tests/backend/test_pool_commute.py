"""local_pool_max_commute: pool_max(f(x)) -> f(pool_max(x)) for non-decreasing f constant over the windows.

One table of graphs (does the rewrite fire, are the values bit-identical to the graph compiled without it), then
the gradients of the two forms on data with ties and negative pre-activations (module docstring of
layerkit_backend/rewrite/pool_commute.py: the x gradients agree, a bias's gradient counts ties differently, which
is why training graphs are never rewritten).
"""
import numpy as np
import pytest

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit_backend.tensor import relu  # the table row (Keras's relu); nnet.relu is Theano's formula
from layerkit_backend.tensor.signal.pool import Pool, pool_2d

RULE = "local_pool_max_commute"


def _bias(b):
    return b.dimshuffle("x", 0, "x", "x")


POOL_2 = dict(ws=(2, 2))
# (name, f(x, b) -> the pooled operand, pool_2d arguments, image rows/cols, fires)
CASES = [
    ("relu_add", lambda x, b: relu(x + _bias(b)), POOL_2, (6, 6), True),
    ("maximum_add", lambda x, b: T.maximum(_bias(b) + x, 0), POOL_2, (6, 6), True),
    ("relu_sub", lambda x, b: relu(x - _bias(b)), POOL_2, (6, 6), True),
    ("add_only", lambda x, b: x + _bias(b), POOL_2, (6, 6), True),
    ("python_scalar", lambda x, b: relu(x + 0.5), POOL_2, (6, 6), True),
    ("padded", lambda x, b: relu(x + _bias(b)), dict(ws=(2, 2), pad=(1, 1)), (5, 5), True),
    ("border_kept", lambda x, b: relu(x + _bias(b)), dict(ws=(2, 2), ignore_border=False), (5, 7), True),
    ("window_3_stride_4", lambda x, b: relu(x + _bias(b)), dict(ws=(3, 3), stride=(4, 4)), (9, 9), True),
    ("decreasing", lambda x, b: relu(_bias(b) - x), POOL_2, (6, 6), False),
    ("scaled", lambda x, b: relu(x * _bias(b)), POOL_2, (6, 6), False),
    ("overlapping", lambda x, b: relu(x + _bias(b)), dict(ws=(2, 2), stride=(1, 1)), (6, 6), False),
    ("average", lambda x, b: relu(x + _bias(b)), dict(ws=(2, 2), mode="average_exc_pad"), (6, 6), False),
    ("bias_varies_in_window", lambda x, b: relu(x + b.dimshuffle("x", "x", "x", 0)), POOL_2, (6, 3), False),
    ("tanh", lambda x, b: T.tanh(x + _bias(b)), POOL_2, (6, 6), False),
]


def _tied_data(rows, cols, channels=3, seed=0):
    """Images on a coarse grid (many ties inside windows), half negative, and biases of both signs."""
    rng = np.random.default_rng(seed)
    x = (rng.integers(-4, 4, (2, channels, rows, cols)) / 2).astype(np.float32)
    b = np.array([-0.5, 0.0, 1.0][:channels], np.float32)
    return x, b


def _fired(fn):
    """True when some max pooling reads the image itself, i.e. f was moved after it."""
    fg = fn.maker.fgraph
    return any(isinstance(n.op, Pool) and n.inputs[0] in fg.inputs for n in fg.apply_nodes)


@pytest.mark.parametrize("name, build, pool_args, hw, fires", CASES, ids=[c[0] for c in CASES])
def test_rewrite_table(name, build, pool_args, hw, fires):
    x, b = T.tensor("float32", shape=(None, None, None, None), name="x"), T.fvector("b")
    xv, bv = _tied_data(*hw)
    if name == "bias_varies_in_window":
        bv = np.array([-0.5, 0.0, 1.0], np.float32)
    out = pool_2d(build(x, b), **pool_args)
    with_rule = lb.function([x, b], out, on_unused_input="ignore")
    without = lb.function([x, b], out, on_unused_input="ignore", mode=lb.Mode(excluding=[RULE]))
    assert _fired(with_rule) == fires
    assert not _fired(without)
    got, want = with_rule(xv, bv), without(xv, bv)
    assert got.shape == want.shape and np.array_equal(got, want)


def test_not_rewritten_when_activation_has_other_clients():
    x, b = T.tensor4("x", dtype="float32"), T.fvector("b")
    act = relu(x + _bias(b))
    fn = lb.function([x, b], [pool_2d(act, (2, 2)), act])
    assert not _fired(fn)


def _forms_gradients(xv, bv):
    """Gradients (x, b) of sum(w * pooled) for pool(relu(x + b)) and relu(pool(x) + b), each compiled without the
    rewrite so each form is what it says."""
    x, b = T.tensor4("x", dtype="float32"), T.fvector("b")
    w = np.random.default_rng(1).standard_normal((2, 3, xv.shape[2] // 2, xv.shape[3] // 2)).astype(np.float32)
    forms = [pool_2d(relu(x + _bias(b)), (2, 2)), relu(pool_2d(x, (2, 2)) + _bias(b))]
    out = []
    for y in forms:
        cost = (y * w).sum()
        fn = lb.function([x, b], [y] + lb.grad(cost, [x, b]), mode=lb.Mode(excluding=[RULE]))
        out.append(fn(xv, bv))
    return out


def test_gradients_of_both_forms_with_ties_and_negatives():
    xv, bv = _tied_data(6, 6)
    (ya, gxa, gba), (yb, gxb, gbb) = _forms_gradients(xv, bv)
    assert np.array_equal(ya, yb)
    # the image gradient is the same: every tied maximum gets the window's gradient times relu' in both forms,
    # and windows on relu's flat part (all of x + b <= 0) get zero in both
    assert np.array_equal(gxa, gxb)
    # a bias counts each tied maximum in the first form, each window once in the second: they differ here
    assert not np.allclose(gba, gbb)


def test_gradients_of_both_forms_without_ties():
    rng = np.random.default_rng(2)
    xv = rng.standard_normal((2, 3, 6, 6)).astype(np.float32)
    bv = np.array([-0.5, 0.0, 1.0], np.float32)
    (ya, gxa, gba), (yb, gxb, gbb) = _forms_gradients(xv, bv)
    assert np.array_equal(ya, yb) and np.array_equal(gxa, gxb)
    np.testing.assert_allclose(gba, gbb, rtol=1e-5)


def test_training_graph_keeps_the_users_gradients():
    # the gradient (built before rewriting) reads relu(x + b): the rewrite does not fire, values are untouched
    x, b = T.tensor4("x", dtype="float32"), T.fvector("b")
    y = pool_2d(relu(x + _bias(b)), (2, 2))
    outs = [y] + lb.grad(y.sum(), [x, b])
    xv, bv = _tied_data(6, 6)
    fn = lb.function([x, b], outs)
    ref = lb.function([x, b], outs, mode=lb.Mode(excluding=[RULE]))
    assert not _fired(fn)
    for got, want in zip(fn(xv, bv), ref(xv, bv)):
        assert np.array_equal(got, want)


# -- PoolGrad's fast paths (the gradient side of the same poolings): gradients in a memory order other than the
# image's (a channels-last conv output against a channels-first gradient) are aligned first, and windows that tile
# the image write every element without zeroing. Checked against routing by hand, ties included.
def _channels_last(a):
    return np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)


def _max_pool_grad_ref(x, gz, ws, ignore_border):
    """Every element equal to its window's max gets the window's gradient (disjoint windows, no padding)."""
    gx = np.zeros_like(x)
    oh, ow = gz.shape[-2:]
    for i in range(oh):
        for j in range(ow):
            win = x[..., i * ws[0]:(i + 1) * ws[0], j * ws[1]:(j + 1) * ws[1]]
            top = win.max(axis=(-2, -1), keepdims=True)
            gx[..., i * ws[0]:(i + 1) * ws[0], j * ws[1]:(j + 1) * ws[1]] += (win == top) * gz[..., i:i + 1, j:j + 1]
    return gx


# (x layout, gz layout, image rows/cols, ws, ignore_border)
GRAD_LAYOUTS = [
    ("nchw", "nchw", (6, 6), (2, 2), True),
    ("nhwc", "nhwc", (6, 6), (2, 2), True),
    ("nhwc", "nchw", (6, 6), (2, 2), True),
    ("nchw", "nhwc", (6, 4), (2, 2), True),
    ("nhwc", "nchw", (7, 5), (2, 2), True),    # odd sizes: the last row/column gets no gradient
    ("nhwc", "nchw", (7, 5), (2, 2), False),   # partial windows kept
    ("nhwc", "nchw", (6, 6), (3, 2), True),
]


@pytest.mark.parametrize("x_layout, gz_layout, hw, ws, ignore_border", GRAD_LAYOUTS)
def test_pool_grad_layouts(x_layout, gz_layout, hw, ws, ignore_border):
    x = T.tensor("float32", shape=(None, None, None, None), name="x")
    gz = T.tensor("float32", shape=(None, None, None, None), name="gz")
    y = pool_2d(x, ws, ignore_border=ignore_border)
    fn = lb.function([x, gz], lb.grad((y * gz).sum(), x))
    xv, _ = _tied_data(*hw)
    oh, ow = [(s // w if ignore_border else -(-s // w)) for s, w in zip(hw, ws)]
    gv = np.random.default_rng(3).standard_normal((2, 3, oh, ow)).astype(np.float32)
    if x_layout == "nhwc":
        xv = _channels_last(xv)
    if gz_layout == "nhwc":
        gv = _channels_last(gv)
    padded = np.pad(xv, [(0, 0), (0, 0), (0, oh * ws[0] - hw[0]), (0, ow * ws[1] - hw[1])], constant_values=-np.inf) \
        if not ignore_border else xv[..., :oh * ws[0], :ow * ws[1]]
    want = np.zeros_like(xv)
    ref = _max_pool_grad_ref(padded, gv, ws, ignore_border)
    rows, cols = min(hw[0], ref.shape[2]), min(hw[1], ref.shape[3])
    want[..., :rows, :cols] = ref[..., :rows, :cols]
    np.testing.assert_array_equal(fn(xv, gv), want)
