"""``layerkit.random``: Keras 3's random functions and ``SeedGenerator``, over the backend's ``RandomStreams``.

The ``seed`` argument means what it means in Keras 3:

- a ``SeedGenerator``: each draw advances it, so every call (eager or of a compiled step) gives new numbers,
  reproducibly for the generator's seed (use this inside layers and ``train_step``);
- an int: the same numbers at every call, eager or compiled;
- None: a global generator (reseeded by ``layerkit.utils.set_random_seed``), new numbers at every call.

On concrete arguments (or none) outside a traced step the functions return NumPy arrays; inside ``call`` or
``train_step`` they return symbolic draws. The numbers are layerkit's own (PCG64 streams), not Keras's.

Example:
    >>> gen = SeedGenerator(7)
    >>> a, b = normal((2,), seed=gen), normal((2,), seed=gen)
    >>> bool((a != b).all()), bool((uniform((3,), seed=1) == uniform((3,), seed=1)).all())
    (True, True)
"""
import numpy as np

import layerkit_backend.tensor as T
from layerkit_backend.tensor.shared_randomstreams import RandomStreams

from . import backend as K
from .backend import inverted_dropout
from .eager import eager_function
from .ops.core import tensor

__all__ = ["SeedGenerator", "normal", "uniform", "randint", "binomial", "dropout", "shuffle", "categorical"]


class SeedGenerator:
    """A seeded source of random numbers whose state advances with every draw (Keras 3's ``SeedGenerator``).

    Args:
        seed: an int (None: drawn from NumPy's global generator, so ``set_random_seed`` decides it).

    Example:
        >>> gen = SeedGenerator(1)
        >>> uniform((2,), seed=gen).shape
        (2,)
    """

    def __init__(self, seed=None, name=None, **kwargs):
        self.seed = int(np.random.randint(1 << 30)) if seed is None else int(seed)
        self.name = name or "seed_generator"
        self.streams = RandomStreams(self.seed)

    def get_config(self):
        return {"seed": self.seed, "name": self.name}

    def __repr__(self):
        return f"<SeedGenerator seed={self.seed}>"


def _source(seed):
    """What a draw takes its numbers from: a SeedGenerator, an int (fixed numbers), or the global streams."""
    if seed is None:
        return K._rng()
    if isinstance(seed, (SeedGenerator, RandomStreams)):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return int(seed)
    raise TypeError(f"random: seed must be None, an int or a SeedGenerator, received {seed!r}")


def _draw(source, make):
    """``make(streams)`` from ``source``; an int seed gives a fresh stream that does not advance between calls."""
    if isinstance(source, int):
        streams = RandomStreams(source)
        sample = make(streams)
        for state, _ in streams.updates():
            state.default_update = None   # the same numbers at every call, as Keras's integer seeds
        return sample
    return make(source.streams if isinstance(source, SeedGenerator) else source)


def _shape(shape):
    return tuple(shape) if isinstance(shape, (list, tuple)) else (shape,)


def _dtype(dtype):
    return dtype or K.floatx()


@eager_function
def _normal(shape, mean, stddev, dtype, source):
    return _draw(source, lambda s: s.normal(shape, avg=mean, std=stddev, dtype=dtype))


@eager_function
def _uniform(shape, minval, maxval, dtype, source):
    return _draw(source, lambda s: s.uniform(shape, low=minval, high=maxval, dtype=dtype))


@eager_function
def _randint(shape, minval, maxval, dtype, source):
    return _draw(source, lambda s: s.integers(minval, maxval, size=shape, dtype=dtype))


@eager_function
def _binomial(shape, counts, probabilities, dtype, source):
    return T.cast(_draw(source, lambda s: s.binomial(shape, n=counts, p=probabilities, dtype="int64")), dtype)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from a normal distribution N(mean, stddev**2) of ``shape``."""
    return _normal(_shape(shape), mean, stddev, _dtype(dtype), _source(seed))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples from the uniform distribution on [minval, maxval) of ``shape``."""
    return _uniform(_shape(shape), minval, maxval, _dtype(dtype), _source(seed))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers drawn uniformly from [minval, maxval)."""
    return _randint(_shape(shape), minval, maxval, dtype, _source(seed))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Successes in ``counts`` trials of probability ``probabilities``."""
    return _binomial(_shape(shape), counts, probabilities, _dtype(dtype), _source(seed))


@eager_function
def _dropout(inputs, rate, noise_shape, source):
    inputs = tensor(inputs)
    if not 0 <= rate < 1:
        raise ValueError(f"dropout: expected a rate in [0, 1), received {rate}")
    return _draw(source, lambda s: inverted_dropout(inputs, rate, s, noise_shape, owner="random.dropout"))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """``inputs`` with entries zeroed with probability ``rate`` and the rest scaled by ``1 / (1 - rate)``."""
    return _dropout(inputs, rate, None if noise_shape is None else tuple(noise_shape), _source(seed))


@eager_function
def _shuffle(x, axis, source):
    x = tensor(x)
    keys = _draw(source, lambda s: s.uniform((T.shape(x)[axis],)))
    order = T.argsort(keys)
    index = [slice(None)] * x.ndim
    index[axis % x.ndim] = order
    return x[tuple(index)]


def shuffle(x, axis=0, seed=None):
    """``x`` with its entries along ``axis`` in a random order."""
    return _shuffle(x, axis, _source(seed))


@eager_function
def _categorical(logits, num_samples, dtype, source):
    logits = tensor(logits)
    shape = (T.shape(logits)[0], num_samples, T.shape(logits)[1])
    # the Gumbel-max trick: argmax of logits + Gumbel noise samples from softmax(logits)
    u = _draw(source, lambda s: s.uniform(shape, low=np.finfo("float32").tiny, high=1.0, dtype=logits.dtype))
    return T.cast(T.argmax(logits.dimshuffle(0, "x", 1) - T.log(-T.log(u)), axis=-1), dtype)


def categorical(logits, num_samples, dtype="int32", seed=None):
    """``num_samples`` class indices per row of ``logits`` (batch, classes), drawn from ``softmax(logits)``."""
    return _categorical(logits, num_samples, dtype, _source(seed))
