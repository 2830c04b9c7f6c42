"""Initializers: shapes, dtypes, statistics, orthogonality, fans of conv kernels, seeding, (de)serialisation."""
import math

import numpy as np
import pytest

from layerkit import initializers as I

SHAPE = (200, 300)  # fan_in 200, fan_out 300
STAT_CASES = [
    # (id, initializer, expected mean, expected std, bound on |x| or None)
    ("zeros", I.Zeros(), 0.0, 0.0, 0.0),
    ("ones", I.Ones(), 1.0, 0.0, 1.0),
    ("constant", I.Constant(3.0), 3.0, 0.0, 3.0),
    ("random_normal", I.RandomNormal(0.5, 2.0, seed=1), 0.5, 2.0, None),
    ("random_uniform", I.RandomUniform(-1.0, 1.0, seed=1), 0.0, 1 / math.sqrt(3), 1.0),
    ("truncated_normal", I.TruncatedNormal(0.0, 1.0, seed=1), 0.0, 0.87962566, 2.0),
    ("glorot_uniform", I.GlorotUniform(seed=1), 0.0, math.sqrt(2 / 500), math.sqrt(6 / 500)),
    ("glorot_normal", I.GlorotNormal(seed=1), 0.0, math.sqrt(2 / 500), 2 * math.sqrt(2 / 500) / 0.87962566),
    ("he_uniform", I.HeUniform(seed=1), 0.0, math.sqrt(2 / 200), math.sqrt(6 / 200)),
    ("he_normal", I.HeNormal(seed=1), 0.0, math.sqrt(2 / 200), 2 * math.sqrt(2 / 200) / 0.87962566),
    ("lecun_uniform", I.LecunUniform(seed=1), 0.0, math.sqrt(1 / 200), math.sqrt(3 / 200)),
    ("lecun_normal", I.LecunNormal(seed=1), 0.0, math.sqrt(1 / 200), 2 * math.sqrt(1 / 200) / 0.87962566),
    ("variance_scaling_fan_out", I.VarianceScaling(3.0, "fan_out", "untruncated_normal", seed=1), 0.0,
     math.sqrt(3 / 300), None),
]


@pytest.mark.parametrize("case", STAT_CASES, ids=[c[0] for c in STAT_CASES])
def test_statistics(case):
    _, init, mean, std, bound = case
    values = init(SHAPE, dtype="float64")
    assert values.shape == SHAPE and values.dtype == np.float64
    assert init(SHAPE).dtype == np.float32  # floatX by default
    assert abs(values.mean() - mean) < 0.02 * max(std, 1.0)
    assert abs(values.std() - std) < 0.03 * std + 1e-12
    if bound is not None:
        assert np.abs(values).max() <= bound * (1 + 1e-12) + 1e-12
    restored = I.deserialize(I.serialize(init))
    assert type(restored) is type(init) and restored.get_config() == init.get_config()


FAN_CASES = [((), (1, 1)), ((7,), (7, 7)), ((3, 4), (3, 4)), ((5, 4, 8), (20, 40)), ((3, 3, 4, 8), (36, 72)),
             ((2, 2, 2, 3, 5), (24, 40))]


@pytest.mark.parametrize("shape,fans", FAN_CASES)
def test_compute_fans(shape, fans):
    assert I.compute_fans(shape) == fans


def test_conv_kernel_uses_receptive_field():
    values = I.HeUniform(seed=0)((5, 5, 16, 32), dtype="float64")  # fan_in 400
    assert np.abs(values).max() <= math.sqrt(6 / 400)
    assert abs(values.std() - math.sqrt(2 / 400)) < 0.03 * math.sqrt(2 / 400)


@pytest.mark.parametrize("shape", [(6, 6), (4, 9), (9, 4), (3, 2, 8)])
def test_orthogonal(shape):
    q = I.Orthogonal(gain=2.0, seed=3)(shape, dtype="float64").reshape(-1, shape[-1])
    small = min(q.shape)
    gram = q.T @ q if q.shape[0] >= q.shape[1] else q @ q.T
    np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-10)


def test_identity():
    np.testing.assert_array_equal(I.Identity(gain=2.0)((2, 3)), 2 * np.eye(2, 3))
    with pytest.raises(ValueError, match="expected a 2D shape"):
        I.Identity()((2, 2, 2))


SEEDED = [I.RandomNormal, I.RandomUniform, I.TruncatedNormal, I.GlorotUniform, I.HeNormal, I.Orthogonal,
          I.VarianceScaling]


@pytest.mark.parametrize("cls", SEEDED, ids=[c.__name__ for c in SEEDED])
def test_seeding(cls):
    np.testing.assert_array_equal(cls(seed=4)((5, 6)), cls(seed=4)((5, 6)))
    assert not np.array_equal(cls(seed=4)((5, 6)), cls(seed=5)((5, 6)))
    unseeded = cls()
    assert not np.array_equal(unseeded((5, 6)), unseeded((5, 6)))
    I.set_seed(11)
    first = unseeded((5, 6))
    I.set_seed(11)
    np.testing.assert_array_equal(unseeded((5, 6)), first)


GET_CASES = [("glorot_uniform", I.GlorotUniform), ("orthogonal", I.Orthogonal), ("zeros", I.Zeros),
             ("he_normal", I.HeNormal), ("uniform", I.RandomUniform), ("Ones", I.Ones), (I.Zeros, I.Zeros),
             ({"class_name": "GlorotUniform", "config": {"seed": None}, "module": "keras.initializers",
               "registered_name": None}, I.GlorotUniform),
             ({"class_name": "VarianceScaling", "config": {"scale": 2.0, "mode": "fan_avg",
                                                            "distribution": "uniform", "seed": None}},
              I.VarianceScaling)]


@pytest.mark.parametrize("identifier,cls", GET_CASES)
def test_get(identifier, cls):
    assert type(I.get(identifier)) is cls


def test_get_passes_none_callables_and_rejects_unknown():
    assert I.get(None) is None
    fn = lambda shape, dtype=None: np.zeros(shape)  # noqa: E731
    assert I.get(fn) is fn
    with pytest.raises(ValueError, match="Unknown initializer 'glorot'.*glorot_uniform"):
        I.get("glorot")
    assert type(I.deserialize({"class_name": "Mine", "config": {}}, custom_objects={"Mine": I.Zeros})) is I.Zeros
