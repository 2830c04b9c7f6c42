"""``MRG_RandomStreams``: Theano's counter-based random streams, with the numbers Theano draws for a seed.

The generator is MRG31k3p (L'Ecuyer and Touzin, 2000): two multiple recursive components modulo the primes
``M1 = 2**31 - 1`` and ``M2 = 2**31 - 21069``, six int32 words of state per stream. A draw of ``n`` numbers uses a
matrix of ``n_streams`` independent streams (each ``2**72`` steps after the previous one); element ``i`` of the
flattened sample comes from stream ``i % n_streams``. Each new draw starts ``2**134`` steps after the previous one.
The state matrix lives in a shared variable whose ``default_update`` is the advanced state, so a compiled function
draws fresh numbers on every call, also inside ``scan``.

Everything is written the way Theano 1.0.5 computes it (the number of streams it picks, the stream jumps, the
uniform's scaling in float32, Box-Muller for ``normal``, the inverse-CDF walks of ``multinomial`` and ``choice``),
so a seed gives Theano's numbers; tests/conformance/theano replays Theano's own draws to pin this.
"""
import numbers

import numpy as np

from ..compile.sharedvalue import shared
from ..config import config
from ..gradient import undefined_grad
from ..graph.basic import Apply, Op, Variable
from ..tensor import basic as tbasic
from ..tensor import math as tmath
from ..tensor.reduce import prod
from ..tensor.shape import reshape
from ..tensor.scalar import upcast
from ..tensor.subtensor import getitem, nonzero
from ..tensor.type import FLOAT_DTYPES, TensorType
from ..tensor.variable import TensorConstant, as_tensor_variable, constant
from .multinomial import ChoiceFromUniform, MultinomialFromUniform

__all__ = ["MRG_RandomStreams", "MRGUniform", "guess_n_streams", "mrg_draw", "M1", "M2"]

M1 = 2147483647  # 2**31 - 1
M2 = 2147462579  # 2**31 - 21069
_A1 = [[0, 1 << 22, (1 << 7) + 1], [1, 0, 0], [0, 1, 0]]  # one step of the first component
_A2 = [[1 << 15, 0, (1 << 15) + 1], [1, 0, 0], [0, 1, 0]]  # one step of the second
_MAX_STREAMS = 60 * 256
_NORM = {"float64": 4.656612873077392578125e-10, "float32": np.float32(4.6566126e-10),
         "float16": np.float16(3.0458e-05)}


def _mat_mul_mod(a, b, m):
    return [[sum(a[i][k] * b[k][j] for k in range(3)) % m for j in range(3)] for i in range(3)]


def _jump(matrix, log2_steps, m):
    """``matrix ** (2 ** log2_steps) mod m``: the transition that skips that many steps."""
    for _ in range(log2_steps):
        matrix = _mat_mul_mod(matrix, matrix, m)
    return matrix


_JUMPS = {steps: (np.array(_jump(_A1, steps, M1), dtype=np.int64), np.array(_jump(_A2, steps, M2), dtype=np.int64))
          for steps in (72, 134)}


def _apply_jump(states, j1, j2):
    """The states (rows of six words) advanced by the jump ``(j1, j2)``, each product reduced as it is made."""
    s = np.asarray(states, dtype=np.int64).reshape(-1, 6)
    first = ((j1[None, :, :] * s[:, None, 0:3]) % M1).sum(axis=2) % M1
    second = ((j2[None, :, :] * s[:, None, 3:6]) % M2).sum(axis=2) % M2
    return np.concatenate([first, second], axis=1)


def substream_states(rstate, n_streams):
    """``n_streams`` rows: ``rstate`` and each next one ``2**72`` steps further (doubling, not one by one)."""
    rows = np.empty((n_streams, 6), dtype=np.int64)
    rows[0] = rstate
    j1, j2 = _JUMPS[72]
    done = 1
    while done < n_streams:
        take = min(done, n_streams - done)
        rows[done:done + take] = _apply_jump(rows[:take], j1, j2)
        done += take
        j1 = np.array(_mat_mul_mod(j1.tolist(), j1.tolist(), M1), dtype=np.int64)
        j2 = np.array(_mat_mul_mod(j2.tolist(), j2.tolist(), M2), dtype=np.int64)
    return rows.astype(np.int32)


def _advance(s):
    """One MRG31k3p step of the states ``s`` (int64 rows, changed in place); returns the raw outputs in [1, M1]."""
    x11, x12, x13, x21, x22, x23 = (s[:, k].copy() for k in range(6))
    p1 = ((x12 << 22) + (x13 << 7) + x13) % M1
    p2 = ((x21 << 15) + (x23 << 15) + x23) % M2
    s[:, 0], s[:, 1], s[:, 2] = p1, x11, x12
    s[:, 3], s[:, 4], s[:, 5] = p2, x21, x22
    return np.where(p1 <= p2, p1 - p2 + M1, p1 - p2)


def mrg_draw(rstate, n_elements, dtype):
    """``(new_rstate, sample)``: ``n_elements`` uniform numbers in (0, 1) of ``dtype`` from the streams in
    ``rstate`` (element ``i`` from stream ``i % n_streams``), as Theano's C code computes them."""
    if n_elements > M1:
        raise ValueError(f"MRG_RandomStreams: cannot draw more than {M1} numbers at once (asked {n_elements})")
    state = np.array(rstate, dtype=np.int64)
    n_streams = state.shape[0]
    out = np.empty(n_elements, dtype=dtype)
    for start in range(0, n_elements, n_streams):
        m = min(n_streams, n_elements - start)
        block = state[:m]
        raw = _advance(block)
        state[:m] = block
        if dtype == "float32":  # Theano's C: the int becomes a float, times a float constant, in float arithmetic
            out[start:start + m] = raw.astype(np.float32) * _NORM["float32"]
        elif dtype == "float16":  # Theano's Python code: 15 bits, never 0
            out[start:start + m] = ((raw & 0x7FFF) + 1) * np.float64(_NORM["float16"])
        else:
            out[start:start + m] = raw * _NORM["float64"]
    return state.astype(np.int32), out


def guess_n_streams(size, warn=False):
    """Theano's choice of the number of streams: a sixth of a constant size (at most 15360), else 15360."""
    if isinstance(size, (tuple, list)) and all(isinstance(i, numbers.Integral) for i in size):
        r = int(np.prod(size, dtype=np.int64)) if size else 1
        if r > 6:
            r = r // 6
        return min(r, _MAX_STREAMS)
    return _MAX_STREAMS


class MRGUniform(Op):
    """``(rstate, size) -> (new_rstate, sample)``: uniform numbers in (0, 1) from an MRG31k3p state matrix.

    The input state is never changed (the op draws from a copy); the shared state's ``default_update`` stores the
    new one. Sampling has no gradient.
    """

    __props__ = ("dtype", "ndim")
    foldable = False  # a draw is not a function of constants

    def __init__(self, dtype, ndim):
        self.dtype, self.ndim = dtype, int(ndim)

    def make_node(self, rstate, size):
        rstate = as_tensor_variable(rstate)
        size = as_tensor_variable(size)
        if rstate.ndim != 2 or rstate.dtype != "int32":
            raise TypeError(f"MRGUniform: expected an int32 state matrix, received {rstate.type}")
        if size.ndim != 1 or size.type.shape[0] not in (None, self.ndim):
            raise TypeError(f"MRGUniform: expected a size vector of length {self.ndim}, received {size.type}")
        static = tuple(int(v) for v in size.data) if isinstance(size, TensorConstant) else (None,) * self.ndim
        return Apply(self, [rstate, tbasic.cast(size, "int64")], [rstate.type(), TensorType(self.dtype, static)()])

    def perform(self, xp, node, inputs):
        rstate, size = inputs
        shape = tuple(int(s) for s in xp.to_host(size))
        new_state, sample = mrg_draw(xp.to_host(rstate), int(np.prod(shape, dtype=np.int64)), self.dtype)
        return [xp.asarray(new_state), xp.asarray(sample.reshape(shape))]

    def grad(self, inputs, output_grads):
        return [None, None]

    def connection_pattern(self, node):
        return [[False, False], [False, False]]


def _size_vector(size, where):
    """Theano's ``_check_size``: an int, a tuple of ints and int scalars, or an int vector, as an int64 vector."""
    if isinstance(size, Variable):
        if size.ndim == 1:
            return size
        if size.ndim == 0:
            return tbasic.stack([size])
        raise ValueError(f"{where}: a size variable must have 1 dimension, received {size.type}")
    if isinstance(size, numbers.Integral):
        size = (size,)
    if not isinstance(size, (tuple, list)):
        raise ValueError(f"{where}: size must be an int, a tuple, a list or a tensor variable, received {size!r}")
    for s in size:
        if isinstance(s, numbers.Integral) and s <= 0:
            raise ValueError(f"{where}: sizes must be positive, received {size}")
        if isinstance(s, Variable) and s.ndim != 0:
            raise ValueError(f"{where}: the entries of size must be scalars, received {s.type}")
        if not isinstance(s, (numbers.Integral, Variable)):
            raise ValueError(f"{where}: size entries must be ints or scalar variables, received {s!r}")
    if all(isinstance(s, numbers.Integral) for s in size):
        return constant(np.asarray(size, dtype="int64"))
    return tbasic.stack([tbasic.cast(s, "int64") for s in size])


class MRG_RandomStreams:
    """Random streams drawing MRG31k3p numbers (Theano's ``sandbox.rng_mrg.MRG_RandomStreams``).

    Args:
        seed: an int in (0, 2147462579), used for all six words of the first state, or six ints (the first three
            below M1, the last three below M2, neither triple all zero).

    Example:
        >>> import layerkit_backend as lb
        >>> srng = MRG_RandomStreams(seed=234)
        >>> u = srng.uniform((2, 3))
        >>> f = lb.function([], u)
        >>> f().shape, bool((f() != f()).all())
        ((2, 3), True)
    """

    def __init__(self, seed=12345):
        self.state_updates = []  # (shared state, new state, size, nstreams) per draw
        self.default_instance_seed = seed
        self.set_rstate(seed)

    def updates(self):
        return list(self.state_updates)

    def set_rstate(self, seed):
        """Set the next draw's first stream state from ``seed`` (checked as Theano checks it)."""
        if isinstance(seed, numbers.Integral):
            if seed == 0:
                raise ValueError("MRG_RandomStreams: seed should not be 0")
            if seed >= M2:
                raise ValueError(f"MRG_RandomStreams: seed should be less than {M2}, received {seed}")
            self.rstate = np.asarray([seed] * 6, dtype="int32")
        elif len(seed) == 6:
            if not any(seed[:3]) or not any(seed[3:]):
                raise ValueError(f"MRG_RandomStreams: neither the first 3 nor the last 3 seed values may be all 0, "
                                 f"received {list(seed)}")
            if max(seed[:3]) >= M1 or max(seed[3:]) >= M2:
                raise ValueError(f"MRG_RandomStreams: the first 3 seed values must be below {M1} and the last 3 "
                                 f"below {M2}, received {list(seed)}")
            self.rstate = np.asarray(seed, dtype="int32")
        else:
            raise TypeError(f"MRG_RandomStreams: seed should be 1 integer or 6 integers, received {seed!r}")

    def seed(self, seed=None):
        """Re-seed every stream made so far, as if the draws had been made after ``MRG_RandomStreams(seed)``."""
        self.set_rstate(self.default_instance_seed if seed is None else seed)
        for state, _, size, nstreams in self.state_updates:
            state.set_value(self.get_substream_rstates(nstreams or self.n_streams(size), "float64"), borrow=True)

    def inc_rstate(self):
        """Skip ``2**134`` steps: the first stream of the next draw."""
        self.rstate = _apply_jump(self.rstate, *_JUMPS[134])[0].astype(np.int32)

    def get_substream_rstates(self, n_streams, dtype=None, inc_rstate=True):
        """A matrix of ``n_streams`` stream states, ``2**72`` steps apart, starting at the current state."""
        if not 0 < n_streams < 2 ** 72:
            raise ValueError(f"MRG_RandomStreams: the number of streams must be positive, received {n_streams}")
        rows = substream_states(self.rstate, int(n_streams))
        if inc_rstate:
            self.inc_rstate()
        return rows

    def n_streams(self, size):
        return guess_n_streams(size)

    def _draw(self, size, dtype, nstreams, ndim):
        size_var = _size_vector(size, "MRG_RandomStreams")
        if ndim is None:
            ndim = size_var.type.shape[0]
            if ndim is None:
                raise ValueError("MRG_RandomStreams: the size has no static length; pass ndim=")
        n = nstreams if nstreams is not None else self.n_streams(size)
        state = shared(self.get_substream_rstates(n, dtype), name="mrg_state")
        state.tag.is_rng = True
        new_state, sample = MRGUniform(dtype, ndim)(state, size_var)
        state.default_update = new_state
        sample.rstate, sample.update = state, (state, new_state)
        self.state_updates.append((state, new_state, size, nstreams))
        return sample

    def uniform(self, size, low=0.0, high=1.0, ndim=None, dtype=None, nstreams=None, **kwargs):
        """Samples from U(low, high); dtype defaults to floatX (wider if the bounds are)."""
        _no_kwargs(kwargs, "uniform")
        low, high = as_tensor_variable(low), as_tensor_variable(high)
        if dtype is None:
            dtype = upcast(config.floatX, *[v.dtype for v in (low, high) if not getattr(v.tag, "weak", False)])
        if dtype not in FLOAT_DTYPES:
            raise TypeError(f"MRG_RandomStreams.uniform: expected a float dtype, received {dtype}")
        low, high = undefined_grad(tbasic.cast(low, dtype)), undefined_grad(tbasic.cast(high, dtype))
        if not isinstance(size, (tuple, list, Variable)):
            raise TypeError(f"MRG_RandomStreams.uniform: size must be a tuple of ints or a variable with one "
                            f"dimension, received {size!r}")
        u = self._draw(size, dtype, nstreams, ndim)
        r = u * (high - low) + low
        r.rstate, r.update = u.rstate, u.update
        return r

    def binomial(self, size=None, n=1, p=0.5, ndim=None, dtype="int64", nstreams=None, **kwargs):
        """Bernoulli draws (``n=1`` only, as in Theano): ``uniform < p`` cast to ``dtype``."""
        if n != 1:
            raise NotImplementedError("MRG_RandomStreams.binomial: only n=1 is implemented (as in Theano)")
        p = undefined_grad(as_tensor_variable(p))
        x = self.uniform(size=size, ndim=ndim, nstreams=nstreams, **kwargs)
        return tbasic.cast(tmath.lt(x, p), dtype)

    def normal(self, size, avg=0.0, std=1.0, ndim=None, dtype=None, nstreams=None, truncate=False, **kwargs):
        """Samples from N(avg, std**2) by the Box-Muller transform of an even number of uniforms; with
        ``truncate=True`` values beyond two standard deviations are drawn again (see ``truncated_normal``)."""
        size = _size_vector(size, "MRG_RandomStreams.normal")
        avg, std = as_tensor_variable(avg), as_tensor_variable(std)
        if dtype is None:
            dtype = upcast(config.floatX, *[v.dtype for v in (avg, std) if not getattr(v.tag, "weak", False)])
        avg, std = undefined_grad(tbasic.cast(avg, dtype)), undefined_grad(tbasic.cast(std, dtype))
        n_odd = prod(size, dtype="int64")
        n_even = n_odd + n_odd % 2
        uniform = self.uniform((n_even,), low=0.0, high=1.0, ndim=1, dtype=dtype, nstreams=nstreams, **kwargs)
        half = n_even // 2
        u1, u2 = getitem(uniform, slice(None, half)), getitem(uniform, slice(half, None))
        r = tmath.sqrt(-2.0 * tmath.log(u1))
        theta = constant(np.array(2.0 * np.pi, dtype=dtype)) * u2
        cos_theta, sin_theta = tmath.cos(theta), tmath.sin(theta)
        z0, z1 = r * cos_theta, r * sin_theta
        if truncate:
            to_fix0 = tmath.or_(tmath.lt(z0, -2.0), tmath.gt(z0, 2.0))
            to_fix1 = tmath.or_(tmath.lt(z1, -2.0), tmath.gt(z1, 2.0))
            z0_valid = getitem(z0, nonzero(tmath.invert(to_fix0)))
            z1_valid = getitem(z1, nonzero(tmath.invert(to_fix1)))
            fix0, fix1 = nonzero(to_fix0)[0], nonzero(to_fix1)[0]
            n_fix = fix0.shape[0] + fix1.shape[0]
            lower = constant(np.array(1.0 / np.e ** 2, dtype=dtype))
            u_fix = self.uniform((n_fix,), low=lower, high=1.0, ndim=1, dtype=dtype, nstreams=nstreams, **kwargs)
            r_fix = tmath.sqrt(-2.0 * tmath.log(u_fix))
            z0_fixed = getitem(r_fix, slice(None, fix0.shape[0])) * getitem(cos_theta, fix0)
            z1_fixed = getitem(r_fix, slice(fix0.shape[0], None)) * getitem(sin_theta, fix1)
            samples = tbasic.join(0, z0_valid, z0_fixed, z1_valid, z1_fixed)
        else:
            samples = tbasic.join(0, z0, z1)
        samples = reshape(getitem(samples, slice(None, n_odd)), size, ndim=ndim)
        return samples * std + avg

    def truncated_normal(self, size, avg=0.0, std=1.0, ndim=None, dtype=None, nstreams=None, **kwargs):
        """Normal samples truncated at two standard deviations, rescaled so their standard deviation is ``std``."""
        std = std / constant(0.87962566103423978)  # the standard deviation of N(0, 1) truncated at +-2
        return self.normal(size=size, avg=avg, std=std, truncate=True, ndim=ndim, dtype=dtype, nstreams=nstreams,
                           **kwargs)

    def multinomial(self, size=None, n=1, pvals=None, ndim=None, dtype="int64", nstreams=None, **kwargs):
        """One multinomial draw of ``n`` trials per row of the matrix ``pvals``: counts of its shape."""
        if pvals is None:
            raise TypeError("MRG_RandomStreams.multinomial: give pvals (a matrix, one distribution per row)")
        if size is not None or ndim is not None:
            raise ValueError("MRG_RandomStreams.multinomial: size and ndim are not used (one draw per row of pvals)")
        pvals = undefined_grad(as_tensor_variable(pvals))
        if pvals.ndim != 2:
            raise NotImplementedError("MRG_RandomStreams.multinomial: only implemented for a matrix pvals")
        unis = self.uniform(size=getitem(pvals, (slice(None), 0)).shape * n, ndim=1, nstreams=nstreams, **kwargs)
        return MultinomialFromUniform(dtype)(pvals, unis, as_tensor_variable(n))

    def choice(self, size=1, a=None, replace=True, p=None, ndim=None, dtype="int64", nstreams=None, **kwargs):
        """``size`` indices per row of the matrix ``p``, drawn without replacement (``replace=False`` only)."""
        if replace:
            raise NotImplementedError("MRG_RandomStreams.choice: only replace=False is implemented (as in Theano)")
        if a is not None:
            raise TypeError("MRG_RandomStreams.choice: a must be None (values are indices into the rows of p)")
        if p is None:
            raise TypeError("MRG_RandomStreams.choice: give p (a matrix, one distribution per row)")
        if ndim is not None:
            raise ValueError("MRG_RandomStreams.choice: ndim is not used")
        p = undefined_grad(as_tensor_variable(p))
        if p.ndim != 2:
            raise NotImplementedError("MRG_RandomStreams.choice: only implemented for a matrix p")
        unis = self.uniform(size=getitem(p, (slice(None), 0)).shape * size, ndim=1, nstreams=nstreams, **kwargs)
        return ChoiceFromUniform(dtype)(p, unis, as_tensor_variable(size))

    def multinomial_wo_replacement(self, size=None, n=1, pvals=None, ndim=None, dtype="int64", nstreams=None,
                                   **kwargs):
        """Theano's older name of ``choice(size=n, p=pvals, replace=False)``."""
        if size is not None:
            raise ValueError("MRG_RandomStreams.multinomial_wo_replacement: size is not used; give n")
        return self.choice(size=n, a=None, replace=False, p=pvals, dtype=dtype, nstreams=nstreams, ndim=ndim,
                           **kwargs)


def _no_kwargs(kwargs, where):
    kwargs.pop("target", None)  # Theano's device target: one device per function here
    if kwargs:
        raise TypeError(f"MRG_RandomStreams.{where}: unexpected keyword arguments {sorted(kwargs)}")
