"""layerkit.losses: each loss against a NumPy reference (one row per case), stable logits, reductions, errors."""
import numpy as np
import pytest

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit import losses

EPS = 1e-7
rng = np.random.default_rng(0)
Y_REG = rng.normal(size=(4, 3)).astype("float64")
P_REG = rng.normal(size=(4, 3)).astype("float64")
Y_POS, P_POS = np.abs(Y_REG), np.abs(P_REG) + 0.1
Y_SIGN = np.sign(Y_REG)
Y_BIN = (Y_REG > 0).astype("float64")
P_PROB = 1.0 / (1.0 + np.exp(-P_REG))
Y_ONEHOT = np.eye(3)[[0, 2, 1, 2]]
P_DIST = np.exp(P_REG) / np.exp(P_REG).sum(-1, keepdims=True)


def _clip(p):
    return np.clip(p, EPS, 1 - EPS)


def _huber(y, p, d=1.0):
    e = np.abs(p - y)
    return np.where(e <= d, 0.5 * e ** 2, d * e - 0.5 * d * d).mean(-1)


def _log_softmax(x):
    m = x.max(-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(-1, keepdims=True))


def _unit(v):
    return v / np.sqrt(np.maximum((v ** 2).sum(-1, keepdims=True), 1e-12))


# (name, kwargs, y_true, y_pred, reference(y, p))
CASES = [
    ("mse", {}, Y_REG, P_REG, lambda y, p: ((p - y) ** 2).mean(-1)),
    ("mae", {}, Y_REG, P_REG, lambda y, p: np.abs(p - y).mean(-1)),
    ("mape", {}, Y_REG, P_REG, lambda y, p: 100 * np.abs((y - p) / np.maximum(np.abs(y), EPS)).mean(-1)),
    ("msle", {}, Y_POS, P_POS, lambda y, p: ((np.log(p + 1) - np.log(y + 1)) ** 2).mean(-1)),
    ("hinge", {}, Y_SIGN, P_REG, lambda y, p: np.maximum(1 - y * p, 0).mean(-1)),
    ("hinge", {}, Y_BIN, P_REG, lambda y, p: np.maximum(1 - (2 * y - 1) * p, 0).mean(-1)),
    ("squared_hinge", {}, Y_SIGN, P_REG, lambda y, p: (np.maximum(1 - y * p, 0) ** 2).mean(-1)),
    ("categorical_hinge", {}, Y_ONEHOT, P_REG,
     lambda y, p: np.maximum(((1 - y) * p).max(-1) - (y * p).sum(-1) + 1, 0)),
    ("logcosh", {}, Y_REG, P_REG, lambda y, p: np.log(np.cosh(p - y)).mean(-1)),
    ("huber", {}, Y_REG, P_REG, _huber),
    ("huber", {"delta": 0.3}, Y_REG, P_REG, lambda y, p: _huber(y, p, 0.3)),
    ("categorical_crossentropy", {}, Y_ONEHOT, P_DIST, lambda y, p: -(y * np.log(_clip(p))).sum(-1)),
    ("categorical_crossentropy", {"from_logits": True}, Y_ONEHOT, P_REG, lambda y, p: -(y * _log_softmax(p)).sum(-1)),
    ("categorical_crossentropy", {"label_smoothing": 0.1}, Y_ONEHOT, P_DIST,
     lambda y, p: -((y * 0.9 + 0.1 / 3) * np.log(_clip(p))).sum(-1)),
    ("sparse_categorical_crossentropy", {}, np.array([0, 2, 1, 2]), P_DIST,
     lambda y, p: -np.log(_clip(p[np.arange(4), y]))),
    ("sparse_categorical_crossentropy", {"from_logits": True}, np.array([[0], [2], [1], [2]]), P_REG,
     lambda y, p: -_log_softmax(p)[np.arange(4), y[:, 0]]),
    ("binary_crossentropy", {}, Y_BIN, P_PROB,
     lambda y, p: -(y * np.log(_clip(p)) + (1 - y) * np.log(1 - _clip(p))).mean(-1)),
    ("binary_crossentropy", {"from_logits": True}, Y_BIN, P_REG,
     lambda y, p: (np.maximum(p, 0) - p * y + np.log1p(np.exp(-np.abs(p)))).mean(-1)),
    ("binary_crossentropy", {"label_smoothing": 0.2}, Y_BIN, P_PROB,
     lambda y, p: -((0.8 * y + 0.1) * np.log(p) + (1 - (0.8 * y + 0.1)) * np.log(1 - p)).mean(-1)),
    ("kld", {}, P_DIST[::-1], P_DIST, lambda y, p: (y * np.log(y / p)).sum(-1)),
    ("poisson", {}, Y_POS, P_POS, lambda y, p: (p - y * np.log(p + EPS)).mean(-1)),
    ("cosine_similarity", {}, Y_REG, P_REG, lambda y, p: -(_unit(y) * _unit(p)).sum(-1)),
]


@pytest.mark.parametrize("name,kwargs,y,p,reference", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_loss_matches_numpy(name, kwargs, y, p, reference):
    fn = losses.get(name)
    y_var = T.tensor(str(y.dtype), shape=(None,) * y.ndim, name="y")
    p_var = T.dmatrix("p")
    out = fn(y_var, p_var, **kwargs)
    assert out.type.shape == (None,)
    value = lb.function([y_var, p_var], out)(y, p)
    np.testing.assert_allclose(value, reference(y, p), rtol=1e-6, atol=1e-6)


STABLE = [  # (name, kwargs, y_true, builds y_pred from logits)
    ("categorical_crossentropy", {"from_logits": True}, Y_ONEHOT, lambda x: x),
    ("categorical_crossentropy", {}, Y_ONEHOT, lambda x: T.nnet.softmax(x)),
    ("sparse_categorical_crossentropy", {"from_logits": True}, np.array([0, 2, 1, 2]), lambda x: x),
    ("sparse_categorical_crossentropy", {}, np.array([0, 2, 1, 2]), lambda x: T.nnet.softmax(x)),
    ("binary_crossentropy", {"from_logits": True}, Y_BIN, lambda x: x),
    ("binary_crossentropy", {}, Y_BIN, lambda x: T.nnet.sigmoid(x)),
]


@pytest.mark.parametrize("name,kwargs,y,build", STABLE, ids=[f"{c[0]}-{i}" for i, c in enumerate(STABLE)])
def test_huge_logits_give_finite_loss_and_gradient(name, kwargs, y, build):
    x = T.fmatrix("x")
    y_var = T.tensor(str(y.dtype) if y.dtype.kind == "i" else "float32", shape=(None,) * y.ndim, name="y")
    loss = losses.get(name)(y_var, build(x), **kwargs).sum()
    f = lb.function([x, y_var], [loss, lb.grad(loss, x)])
    target = Y_BIN if name == "binary_crossentropy" else Y_ONEHOT
    logits = (1000 * (1 - 2 * target)).astype("float32")  # every target scored -1000, every other class +1000
    value, grad = f(logits, y.astype(y_var.dtype))
    assert np.isfinite(value) and np.isfinite(grad).all()
    assert value > 100  # wrong-class logits of 1000 cost about 1000, not eps-clipped 16


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none"])
def test_reductions_and_sample_weight(reduction):
    y, p = T.dmatrix("y"), T.dmatrix("p")
    w = T.dvector("w")
    loss = losses.MeanSquaredError(reduction=reduction)
    value = lb.function([y, p, w], loss(y, p, sample_weight=w))(Y_REG, P_REG, np.array([1.0, 0.0, 2.0, 0.5]))
    per = ((P_REG - Y_REG) ** 2).mean(-1) * [1.0, 0.0, 2.0, 0.5]
    expected = {"sum_over_batch_size": per.sum() / 4, "sum": per.sum(), "none": per}[reduction]
    np.testing.assert_allclose(value, expected)


def test_sequence_losses_and_weights():
    y, p, w = T.dtensor3("y"), T.dtensor3("p"), T.dmatrix("w")
    yv, pv = rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 5, 3))
    wv = (rng.random((2, 5)) > 0.5).astype("float64")
    value = lb.function([y, p, w], losses.MeanAbsoluteError()(y, p, sample_weight=w))(yv, pv, wv)
    np.testing.assert_allclose(value, (np.abs(pv - yv).mean(-1) * wv).sum() / 10)


def test_sparse_labels_to_categorical_crossentropy_name_the_fix():
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        losses.categorical_crossentropy(T.tensor("float32", shape=(None, 1)), T.tensor("float32", shape=(None, 10)))
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        losses.categorical_crossentropy(T.lvector("y"), T.tensor("float32", shape=(None, 10)))


CONFIGS = [
    ("mse", "mean_squared_error"),
    ({"class_name": "MeanSquaredError", "config": {"reduction": "sum", "name": "m"}}, "m"),
    ({"class_name": "CategoricalCrossentropy", "config": {"from_logits": True, "label_smoothing": 0.1,
                                                          "reduction": "auto", "name": "cce"}}, "cce"),
    ("BinaryCrossentropy", "binary_crossentropy"),
    ("huber_loss", "huber"),
]


@pytest.mark.parametrize("identifier,name", CONFIGS)
def test_get_and_round_trip(identifier, name):
    loss = losses.get(identifier)
    assert getattr(loss, "name", getattr(loss, "__name__", None)) == name
    again = losses.deserialize(losses.serialize(loss))
    if isinstance(loss, losses.Loss):
        assert type(again) is type(loss) and again.get_config() == loss.get_config()
    else:
        assert again is loss


def test_unknown_loss_lists_known_names():
    with pytest.raises(ValueError, match="mean_squared_error"):
        losses.get("nope")
    assert losses.get(None) is None
