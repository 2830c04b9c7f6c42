"""``RandomStreams``: random draws whose generator states live in shared variables (Theano's module name).

Each draw gets its own shared ``numpy.random.RandomState``, seeded as Theano seeds it (a seed generator
``RandomState(seed)`` hands each new draw ``randint(2**30)``), with ``default_update`` set to the draw's new state:
every call of a compiled function reads the state, draws, and stores the advanced state, so calls draw fresh
numbers; ``function(..., no_default_updates=True)`` leaves the states alone (the same numbers every call). For a
seed, the numbers are Theano 1.0's.
"""
import copy

import numpy as np

from ..compile.sharedvalue import SharedVariable
from . import random as raw_random
from .random import RandomGeneratorType

__all__ = ["RandomStreams", "RandomStateSharedVariable"]


class RandomStateSharedVariable(SharedVariable):
    """A shared ``numpy.random.RandomState`` (or ``Generator``). Values are copied in and out unless
    ``borrow=True``, so a generator the caller holds is never advanced behind its back."""

    def __init__(self, type, value, name=None, strict=False, allow_downcast=None, borrow=False):
        super().__init__(type, value if borrow else copy.deepcopy(value), name=name, strict=strict,
                         allow_downcast=allow_downcast, borrow=True)

    def get_value(self, borrow=False, return_internal_type=False):
        value = self.container.value
        return value if borrow else copy.deepcopy(value)

    def set_value(self, new_value, borrow=False):
        value = self.type.filter(new_value, where=f"set_value: random state {self.name or 'shared'!r}")
        self.container.value = value if borrow else copy.deepcopy(value)


class RandomStreams:
    """A source of random draws for symbolic graphs (Theano's ``shared_randomstreams.RandomStreams``).

    Args:
        seed: an int; None seeds from OS entropy.

    Attributes:
        state_updates: the ``(shared_state, new_state)`` pair of every draw made so far.
        gen_seedgen: the ``RandomState`` that seeds each new draw's state.

    Example:
        >>> import layerkit_backend as lb
        >>> srng = RandomStreams(seed=42)
        >>> u = srng.uniform((2, 3))
        >>> f = lb.function([], u)
        >>> bool((f() != f()).all())  # each call draws fresh numbers
        True
    """

    def __init__(self, seed=None):
        self.default_instance_seed = seed
        self.gen_seedgen = np.random.RandomState(seed)
        self.state_updates = []
        self._pending = {}    # stream index -> the state to start from instead of a new seed (set_states)

    def seed(self, seed=None):
        """Re-seed every stream made so far from ``seed`` (default: the creation seed), as Theano does: stream
        ``k`` gets ``RandomState(g.randint(2**30))`` for the ``k``-th draw of ``g = RandomState(seed)``. Streams
        made later keep coming from the creation seed's sequence."""
        seedgen = np.random.RandomState(self.default_instance_seed if seed is None else seed)
        for state, _ in self.state_updates:
            state.set_value(np.random.RandomState(int(seedgen.randint(2 ** 30))), borrow=True)

    def get_states(self):
        """``(seed generator, [state of each stream])``, copies: what :meth:`set_states` needs to continue."""
        return copy.deepcopy(self.gen_seedgen), [state.get_value() for state, _ in self.state_updates]

    def set_states(self, seedgen, states):
        """Continues from :meth:`get_states`' result: the streams made so far take their states, and streams made
        later (a graph built after a model was loaded) take the remaining ones in order, without drawing seeds."""
        states = list(states)
        kinds = (np.random.RandomState, np.random.Generator)
        bad = [s for s in [seedgen] + states if not isinstance(s, kinds)]
        if bad:
            raise TypeError(f"RandomStreams.set_states: expected numpy RandomState or Generator objects, received "
                            f"{type(bad[0]).__name__}")
        for (state, _), value in zip(self.state_updates, states):
            state.set_value(value, borrow=True)
        self.gen_seedgen = seedgen
        self._pending = dict(enumerate(states))

    def updates(self):
        """The ``(shared_state, new_state)`` pairs, for functions compiled with ``no_default_updates=True``."""
        return list(self.state_updates)

    def __getitem__(self, draw):
        """The current generator of the stream whose state is ``draw`` (a draw's ``rng``), or that produced
        ``draw`` (a sample returned by a method)."""
        return getattr(draw, "rng", draw).get_value(borrow=True)

    def __setitem__(self, draw, generator):
        getattr(draw, "rng", draw).set_value(generator, borrow=True)

    def gen(self, op, *args, **kwargs):
        """A draw from ``op``, a function of ``tensor.random`` (``op(rng, *args, **kwargs) -> (new_rng,
        sample)``), on a new stream. The sample carries ``rng`` (its shared state) and ``update``."""
        index = len(self.state_updates)
        start = self._pending.pop(index, None)
        if start is None:
            start = np.random.RandomState(int(self.gen_seedgen.randint(2 ** 30)))
        state = RandomStateSharedVariable(RandomGeneratorType(), start, name=f"random_state_{index}", borrow=True)
        state.tag.is_rng = True
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

    def multinomial(self, size=None, n=1, pvals=(0.5, 0.5), ndim=None, dtype="int64"):
        """Counts of ``n`` draws among ``len(pvals)`` outcomes, shape ``size + (len(pvals),)``."""
        return self.gen(raw_random.multinomial, size, n, pvals, ndim=ndim, dtype=dtype)

    def poisson(self, size=None, lam=1.0, ndim=None, dtype="int64"):
        """Counts from a Poisson distribution of mean ``lam``."""
        return self.gen(raw_random.poisson, size, lam, ndim=ndim, dtype=dtype)
