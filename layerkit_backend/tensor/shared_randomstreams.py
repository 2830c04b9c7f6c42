"""``RandomStreams``: random draws whose generator states live in shared variables (Theano's module name).

Each draw gets its own shared state, seeded deterministically from the streams' seed and the draw's index, with
``default_update`` set to the draw's new state: every call of a compiled function reads the state, draws, and
stores the advanced state, so calls draw fresh numbers; ``function(..., no_default_updates=True)`` leaves the
states alone (the same numbers every call).
"""
import copy

import numpy as np

from ..compile.sharedvalue import SharedVariable
from . import random as raw_random
from .random import RandomGeneratorType

__all__ = ["RandomStreams", "RandomStateSharedVariable"]


class RandomStateSharedVariable(SharedVariable):
    """A shared ``numpy.random.Generator`` state. Values are copied in and out unless ``borrow=True``, so a
    generator the caller holds is never advanced behind its back."""

    def __init__(self, type, value, name=None, strict=False, allow_downcast=None, borrow=False):
        super().__init__(type, value if borrow else copy.deepcopy(value), name=name, strict=strict,
                         allow_downcast=allow_downcast, borrow=True)

    def get_value(self, borrow=False, return_internal_type=False):
        value = self.container.value
        return value if borrow else copy.deepcopy(value)

    def set_value(self, new_value, borrow=False):
        value = self.type.filter(new_value, where=f"set_value: random state {self.name or 'shared'!r}")
        self.container.value = value if borrow else copy.deepcopy(value)


def _generator(seed, index):
    # Child ``index`` of SeedSequence(seed): independent streams, the same for a seed on every run.
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(index,))))


class RandomStreams:
    """A source of random draws for symbolic graphs (Theano's ``shared_randomstreams.RandomStreams``).

    Args:
        seed: an int; None picks fresh OS entropy (kept as ``default_instance_seed``, so ``seed()`` can replay it).

    Attributes:
        state_updates: the ``(shared_state, new_state)`` pair of every draw made so far.

    Example:
        >>> import layerkit_backend as lb
        >>> srng = RandomStreams(seed=42)
        >>> u = srng.uniform((2, 3))
        >>> f = lb.function([], u)
        >>> bool((f() != f()).all())  # each call draws fresh numbers
        True
    """

    def __init__(self, seed=None):
        self.default_instance_seed = np.random.SeedSequence(seed).entropy
        self._seed = self.default_instance_seed
        self.state_updates = []
        self._pending = {}    # stream index -> generator to start from (set_states)

    def seed(self, seed=None):
        """Re-seed every stream made so far (and those made later) from ``seed`` (default: the creation seed).

        After ``seed(s)``, the streams give the numbers that a new ``RandomStreams(s)`` making the same draws
        would give.
        """
        self._seed = self.default_instance_seed if seed is None else np.random.SeedSequence(seed).entropy
        for index, (state, _) in enumerate(self.state_updates):
            state.set_value(_generator(self._seed, index), borrow=True)

    def get_states(self):
        """``(seed, [generator of each stream])``: everything :meth:`set_states` needs to continue the draws."""
        return self._seed, [state.get_value() for state, _ in self.state_updates]

    def set_states(self, seed, generators):
        """Continues from :meth:`get_states`' result: the streams made so far take their generators, and streams
        made later (a graph built after a model was loaded) take the remaining ones in order."""
        generators = list(generators)
        bad = [g for g in generators if not isinstance(g, np.random.Generator)]
        if bad:
            raise TypeError(f"RandomStreams.set_states: expected numpy Generators, received {type(bad[0]).__name__}")
        self._seed = seed
        for (state, _), generator in zip(self.state_updates, generators):
            state.set_value(generator, borrow=True)
        self._pending = dict(enumerate(generators))

    def updates(self):
        """The ``(shared_state, new_state)`` pairs, for functions compiled with ``no_default_updates=True``."""
        return list(self.state_updates)

    def __getitem__(self, draw):
        """The current generator of the stream that produced ``draw`` (a sample returned by a method)."""
        return draw.rng.get_value(borrow=True)

    def __setitem__(self, draw, generator):
        draw.rng.set_value(generator, borrow=True)

    def gen(self, op, *args, **kwargs):
        """A draw from ``op``, a function of ``tensor.random`` (``op(rng, *args, **kwargs) -> (new_rng,
        sample)``), on a new stream. The sample carries ``rng`` (its shared state) and ``update``."""
        index = len(self.state_updates)
        generator = self._pending.pop(index, None) or _generator(self._seed, index)
        state = RandomStateSharedVariable(RandomGeneratorType(), generator, name=f"random_state_{index}", borrow=True)
        new_state, sample = op(state, *args, **kwargs)
        state.default_update = new_state
        sample.rng, sample.update = state, (state, new_state)
        self.state_updates.append(sample.update)
        return sample

    def uniform(self, size=None, low=0.0, high=1.0, ndim=None, dtype=None):
        """Samples from U[low, high); dtype defaults to floatX."""
        return self.gen(raw_random.uniform, size, low, high, ndim=ndim, dtype=dtype)

    def normal(self, size=None, avg=0.0, std=1.0, ndim=None, dtype=None):
        """Samples from N(avg, std**2); dtype defaults to floatX."""
        return self.gen(raw_random.normal, size, avg, std, ndim=ndim, dtype=dtype)

    def binomial(self, size=None, n=1, p=0.5, ndim=None, dtype="int64", prob=None):
        """Successes in ``n`` trials of probability ``p`` (Theano's older ``prob=`` is accepted too)."""
        return self.gen(raw_random.binomial, size, n, p if prob is None else prob, ndim=ndim, dtype=dtype)

    def integers(self, low, high=None, size=None, ndim=None, dtype="int64"):
        """Integers in [low, high) (NumPy's order of arguments; ``high=None`` means [0, low))."""
        return self.gen(raw_random.integers, size, low, high, ndim=ndim, dtype=dtype)

    def random_integers(self, size=None, low=0, high=1, ndim=None, dtype="int64"):
        """Integers in [low, high], high included (Theano's)."""
        return self.gen(raw_random.random_integers, size, low, high, ndim=ndim, dtype=dtype)

    def choice(self, size=None, a=2, replace=True, p=None, ndim=None, dtype=None):
        """Samples from ``a`` (a vector, or ``range(a)``) with probabilities ``p``."""
        return self.gen(raw_random.choice, size, a, replace, p, ndim=ndim, dtype=dtype)

    def permutation(self, size=None, n=1, ndim=None, dtype="int64"):
        """Permutations of ``range(n)``: shape ``(n,)``, or ``size + (n,)``."""
        return self.gen(raw_random.permutation, size, n, ndim=ndim, dtype=dtype)
