"""Memory stays bounded when a process builds model after model: nothing global keeps a dropped model alive, and
every cache keyed by what users build has a maximum size (docs/reliability.md)."""
import gc
import weakref

import numpy as np
import pytest

import layerkit
import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit import layers
from layerkit_backend.bounded_cache import BoundedCache
from layerkit_backend.rewrite import fusion


def _trained_model(k):
    """A small model whose constants (LeakyReLU slope, Dropout rate, L2 factor) differ with ``k``."""
    x = np.ones((4, 8), "float32")
    model = layerkit.Sequential([
        layers.Input((8,)), layers.Dense(16), layers.LeakyReLU(0.01 + k * 1e-4), layers.Dropout(0.1 + k * 1e-5),
        layers.Dense(1, kernel_regularizer=layerkit.regularizers.l2(1e-3 + k * 1e-7))])
    model.compile(optimizer="adam", loss="mse")
    model.train_on_batch(x, np.ones((4, 1), "float32"))
    model.predict(x, verbose=0)
    return model


def _resident_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2 ** 20


def test_a_dropped_model_is_freed():
    model = _trained_model(0)
    refs = [weakref.ref(model)] + [weakref.ref(layer) for layer in model.layers]
    del model
    gc.collect()
    assert [r() for r in refs] == [None] * len(refs)


def test_building_many_models_keeps_memory_flat(monkeypatch):
    monkeypatch.setattr(fusion, "_KERNELS", BoundedCache(64))
    for k in range(20):      # the cache fills, the allocator warms up
        _trained_model(k)
    gc.collect()
    before = _resident_mb()
    for k in range(20, 80):
        _trained_model(k)
    gc.collect()
    grown = _resident_mb() - before
    assert len(fusion._KERNELS) == 64
    assert grown < 3.0, f"60 models grew the process by {grown:.1f} MB"


def test_the_kernel_cache_keeps_the_most_recent_entries():
    cache = BoundedCache(3)
    for key in "abcd":
        cache[key] = key.upper()
    assert cache.keys() == ["b", "c", "d"] and "a" not in cache
    assert cache.get("b") == "B"           # now the most recent
    cache["e"] = "E"
    assert cache.keys() == ["d", "b", "e"]
    with pytest.raises(KeyError):
        cache["c"]
    with pytest.raises(ValueError, match="at least 1"):
        BoundedCache(0)


def test_an_evicted_kernel_still_serves_the_functions_that_hold_it(monkeypatch):
    monkeypatch.setattr(fusion, "_KERNELS", BoundedCache(1))
    x = T.dvector("x")
    first = lb.function([x], T.tanh(x * 3.0) + 1.0)
    for k in range(5):
        lb.function([x], T.tanh(x * (4.0 + k)) + 1.0)
    np.testing.assert_allclose(first(np.array([0.5, -1.0])), np.tanh(np.array([1.5, -3.0])) + 1.0)
