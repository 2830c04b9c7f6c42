"""Regularizers and constraints against NumPy references, plus their (de)serialisation."""
import numpy as np
import pytest

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit import constraints as C
from layerkit import regularizers as R

W = np.array([[3.0, 0.1, -1.0], [4.0, -0.2, 0.0]])
EPS = 1e-7


def _norms(w, axis):
    return np.sqrt(np.sum(w * w, axis=axis, keepdims=True))


REGULARIZER_CASES = [
    # (id, regularizer, NumPy reference)
    ("l1", R.l1(), lambda w: 0.01 * np.abs(w).sum()),
    ("l2", R.l2(0.1), lambda w: 0.1 * (w * w).sum()),
    ("l1_l2", R.l1_l2(), lambda w: 0.01 * np.abs(w).sum() + 0.01 * (w * w).sum()),
    ("L1L2_default_zero", R.L1L2(), lambda w: 0.0),
    ("L1L2_l2_only", R.L1L2(l2=0.5), lambda w: 0.5 * (w * w).sum()),
]


@pytest.mark.parametrize("case", REGULARIZER_CASES, ids=[c[0] for c in REGULARIZER_CASES])
def test_regularizer(case):
    _, reg, ref = case
    w = lb.shared(W.copy(), name="w")
    penalty = reg(w)
    assert penalty.ndim == 0
    np.testing.assert_allclose(lb.function([], penalty)(), ref(W), rtol=1e-12)
    restored = R.deserialize(R.serialize(reg))
    assert type(restored) is type(reg) and restored.get_config() == reg.get_config()


CONSTRAINT_CASES = [
    # (id, constraint, NumPy reference)
    ("max_norm", C.MaxNorm(2.0), lambda w: w * np.clip(_norms(w, 0), 0, 2.0) / (EPS + _norms(w, 0))),
    ("max_norm_axis1", C.MaxNorm(1.0, axis=1), lambda w: w * np.clip(_norms(w, 1), 0, 1.0) / (EPS + _norms(w, 1))),
    ("non_neg", C.NonNeg(), lambda w: np.maximum(w, 0)),
    ("unit_norm", C.UnitNorm(), lambda w: w / (EPS + _norms(w, 0))),
    ("min_max_norm", C.MinMaxNorm(0.5, 1.0, rate=0.7),
     lambda w: w * (0.7 * np.clip(_norms(w, 0), 0.5, 1.0) + 0.3 * _norms(w, 0)) / (EPS + _norms(w, 0))),
]


@pytest.mark.parametrize("case", CONSTRAINT_CASES, ids=[c[0] for c in CONSTRAINT_CASES])
def test_constraint(case):
    _, constraint, ref = case
    w = T.dmatrix("w")
    np.testing.assert_allclose(lb.function([w], constraint(w))(W), ref(W), rtol=1e-12)
    restored = C.deserialize(C.serialize(constraint))
    assert type(restored) is type(constraint) and restored.get_config() == constraint.get_config()
    assert constraint(T.fmatrix("f")).dtype == "float32"


GET_CASES = [
    (R, "l2", R.L2), (R, "l1_l2", R.L1L2), (R, "L1", R.L1),
    (R, {"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.01}, "module": "keras.regularizers",
         "registered_name": None}, R.L1L2),
    (C, "max_norm", C.MaxNorm), (C, "nonneg", C.NonNeg), (C, "UnitNorm", C.UnitNorm),
    (C, {"class_name": "MinMaxNorm", "config": {"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0}},
     C.MinMaxNorm),
]


@pytest.mark.parametrize("module,identifier,cls", GET_CASES)
def test_get(module, identifier, cls):
    assert type(module.get(identifier)) is cls
    assert module.get(None) is None


def test_errors():
    with pytest.raises(ValueError, match="Unknown regularizer 'l3'"):
        R.get("l3")
    with pytest.raises(ValueError, match="Unknown constraint 'positive'"):
        C.get("positive")
    with pytest.raises(ValueError, match="expected l2 >= 0"):
        R.L2(-1.0)


def test_l1_penalty_pulls_no_zero_weight():
    """docs/keras_compatibility.md#abs-gradient-at-zero: d|w|/dw at w = 0 is 0 here (as in Theano, TensorFlow and
    PyTorch); Keras on JAX uses 1, so an l1 penalty pushes weights that start at 0 (biases) negative."""
    w = lb.shared(np.array([0.0, 0.5, -0.5]), name="w")
    gradient = lb.function([], lb.grad(R.l1(1.0)(w), w))()
    np.testing.assert_array_equal(gradient, [0.0, 1.0, -1.0])
