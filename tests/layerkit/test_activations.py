"""layerkit.activations: each activation against a NumPy reference, finite gradients, get/serialize."""
import math

import numpy as np
import pytest

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit import activations

X = np.array([[-1000.0, -3.0, -0.5, 0.0, 0.5, 3.0, 7.0, 1000.0]])
ERF = np.vectorize(math.erf)


def _softplus(x):
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _elu(x, a=1.0):
    return np.where(x > 0, x, a * np.expm1(np.minimum(x, 0)))


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


CASES = [  # (name, kwargs, reference)
    ("linear", {}, lambda x: x),
    ("relu", {}, lambda x: np.maximum(x, 0)),
    ("relu", {"negative_slope": 0.1, "max_value": 6.0}, lambda x: np.where(x >= 6, 6, np.where(x >= 0, x, 0.1 * x))),
    ("relu", {"alpha": 0.2, "threshold": 1.0}, lambda x: np.where(x >= 1, x, 0.2 * (x - 1))),
    ("leaky_relu", {}, lambda x: np.where(x >= 0, x, 0.2 * x)),
    ("relu6", {}, lambda x: np.clip(x, 0, 6)),
    ("sigmoid", {}, lambda x: 0.5 * (1 + np.tanh(x / 2))),
    ("hard_sigmoid", {}, lambda x: np.clip(x / 6 + 0.5, 0, 1)),   # Keras 3's formula
    ("tanh", {}, np.tanh),
    ("softmax", {}, _softmax),
    ("log_softmax", {}, lambda x: x - x.max(-1, keepdims=True) - np.log(np.exp(x - x.max(-1, keepdims=True)).sum())),
    ("softplus", {}, _softplus),
    ("softsign", {}, lambda x: x / (1 + np.abs(x))),
    ("elu", {}, _elu),
    ("elu", {"alpha": 0.5}, lambda x: _elu(x, 0.5)),
    ("selu", {}, lambda x: 1.0507009873554805 * _elu(x, 1.6732632423543772)),
    ("gelu", {}, lambda x: 0.5 * x * (1 + ERF(x / np.sqrt(2)))),
    ("gelu", {"approximate": True}, lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))),
    ("swish", {}, lambda x: x * 0.5 * (1 + np.tanh(x / 2))),
    ("silu", {}, lambda x: x * 0.5 * (1 + np.tanh(x / 2))),
    ("mish", {}, lambda x: x * np.tanh(_softplus(x))),
]


@pytest.mark.parametrize("name,kwargs,reference", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_activation_matches_numpy_with_finite_gradient(name, kwargs, reference):
    x = T.dmatrix("x")
    y = activations.get(name)(x, **kwargs)
    value, grad = lb.function([x], [y, lb.grad(y.sum(), x)])(X)
    np.testing.assert_allclose(value, reference(X), rtol=1e-7, atol=1e-12)
    assert np.isfinite(grad).all()


def test_exponential():
    x = T.dvector("x")
    np.testing.assert_allclose(activations.exponential(x).eval({x: [0.0, 1.0]}), [1.0, np.e])


@pytest.mark.parametrize("identifier,expected", [
    (None, activations.linear), ("relu", activations.relu), ("silu", activations.swish),
    ({"class_name": "function", "config": "tanh"}, activations.tanh), (abs, abs),
])
def test_get(identifier, expected):
    assert activations.get(identifier) is expected


def test_serialize_round_trip_and_unknown_name():
    for fn in (activations.relu, activations.softmax, activations.gelu):
        assert activations.get(activations.serialize(fn)) is fn
    with pytest.raises(ValueError, match="relu"):
        activations.get("rleu")
