"""Random numbers as pure ops: the generator state goes in as an input and comes out, advanced, as an output.

A draw is ``RandomVariable(dist, ...)(rng, *size, *params) -> (new_rng, sample)``. The op never changes its input
state (it draws from a copy), so a graph stays a pure function of its inputs: merging, cloning and a call that
raises change nothing. Two draws differ because each has its own state input; the op is not foldable, so constant
folding never freezes a draw into the graph. ``shared_randomstreams.RandomStreams`` keeps one shared state per
draw whose ``default_update`` is the draw's new state, so every call of a compiled function draws fresh numbers.

The functions here follow Theano's ``raw_random`` (``uniform(rng, size, low, high) -> (new_rng, sample)``).

States are NumPy ``RandomState`` objects (what Theano's streams hold: ``shared_randomstreams.RandomStreams`` draws
Theano's numbers for a seed) or ``Generator`` objects, on every backend: on CUDA the draw happens on the host and
is copied to the device, so a seed gives the same numbers on CPU and GPU. A RandomState draws as Theano's
``raw_random`` helpers do (``random_integers``, ``permutation`` and ``multinomial`` one element or row at a
time); a Generator draws with its own vectorised methods.

Gradients: sampling is not differentiated. No gradient flows to the state, the size or the parameters (the
gradient with respect to ``low``, ``avg``... is None, i.e. zero); write ``avg + std * normal(0, 1)`` to
differentiate through the location and scale.
"""
import collections
import copy

import numpy as np

from ..config import config
from ..graph.basic import Apply, Op, Type, Variable
from .basic import NotScalarConstantError, as_index_scalar, cast, get_scalar_constant_value
from .elemwise import broadcast_shapes_static
from .scalar import upcast
from .shape import shape_tuple
from .type import FLOAT_DTYPES, INT_DTYPES, TensorType, as_dtype
from .variable import TensorConstant, as_tensor_variable

__all__ = ["RandomGeneratorType", "RandomVariable", "uniform", "normal", "binomial", "integers", "random_integers",
           "choice", "permutation", "multinomial", "poisson", "dropout"]

_STATES = (np.random.Generator, np.random.RandomState)


class RandomGeneratorType(Type):
    """The type of a random generator state: its values are ``numpy.random.RandomState`` or ``Generator`` objects.

    Example:
        >>> import numpy as np
        >>> rng = RandomGeneratorType()('rng')
        >>> isinstance(rng.type.filter(np.random.default_rng(0)), np.random.Generator)
        True
    """

    def filter(self, value, name=None, allow_downcast=False, strict=False, where=None, downcast_hint=None):
        if isinstance(value, _STATES):
            return value
        where = where or (f"input {name!r}" if name else "value")
        raise TypeError(f"{where}: expected a numpy.random.RandomState or Generator (e.g. "
                        f"numpy.random.RandomState(seed)), received {type(value).__name__}")

    def is_super(self, other):
        return self == other

    def __eq__(self, other):
        return type(other) is type(self)

    def __hash__(self):
        return hash(RandomGeneratorType)

    def __str__(self):
        return "RandomGenerator"

    __repr__ = __str__


# One row per distribution: parameter names, the kind of dtype it yields, and the draw (NumPy Generator method).
_Dist = collections.namedtuple("_Dist", "params kind draw")


def _draw_permutation(rng, size, n, replace):
    n = int(n)
    if isinstance(rng, np.random.RandomState):  # Theano's helper: one permutation per index of size
        out = np.empty(tuple(size or ()) + (n,), dtype=np.int64)
        for i in np.ndindex(*(size or ())):
            out[i] = rng.permutation(n)
        return out
    rows = np.broadcast_to(np.arange(n, dtype=np.int64), (size or ()) + (n,))
    return rng.permuted(rows, axis=-1)


def _broadcast_params(size, *params):
    """Theano's helpers: parameters padded to the output's rank; the output shape is ``size`` or their
    broadcast."""
    ndim = len(size) if size is not None else max(p.ndim for p in params)
    params = [p.reshape((1,) * (ndim - p.ndim) + p.shape) for p in params]
    shape = tuple(size) if size is not None else np.broadcast_shapes(*[p.shape for p in params])
    return shape, params


def _draw_random_integers(rng, size, low, high, replace):
    if not isinstance(rng, np.random.RandomState):
        return rng.integers(low, high, size, endpoint=True)
    # Theano's helper draws one element at a time (the stream it consumes is part of the numbers a seed gives)
    shape, (low, high) = _broadcast_params(size, low, high)
    out = np.empty(shape)
    for index in np.ndindex(*shape):
        li = tuple(0 if s == 1 else i for s, i in zip(low.shape, index))
        hi = tuple(0 if s == 1 else i for s, i in zip(high.shape, index))
        out[index] = rng.randint(low=low[li], high=high[hi] + 1)
    return out


def _draw_multinomial(rng, size, n, pvals, replace):
    if not isinstance(rng, np.random.RandomState):
        return rng.multinomial(n, pvals, size)
    ndim = len(size) if size is not None else max(n.ndim, pvals.ndim - 1)
    n = n.reshape((1,) * (ndim - n.ndim) + n.shape)
    pvals = pvals.reshape((1,) * (ndim + 1 - pvals.ndim) + pvals.shape)
    shape = tuple(size) if size is not None else np.broadcast_shapes(n.shape, pvals.shape[:-1])
    out = np.empty(shape + (pvals.shape[-1],))
    for index in np.ndindex(*shape):
        ni = tuple(0 if s == 1 else i for s, i in zip(n.shape, index))
        pi = tuple(0 if s == 1 else i for s, i in zip(pvals.shape[:-1], index))
        p = pvals[pi]
        total = np.sum(p)
        if 1.0 < total < 1.0 + 1e-5 or p[-1] < 5e-5:
            p = p * (1.0 - 5e-5)  # Theano's guard: NumPy refuses probabilities summing to a hair above 1
        out[index] = rng.multinomial(n=n[ni], pvals=p.astype("float64"))
    return out


def _draw_integers(rng, size, low, high, replace):
    if isinstance(rng, np.random.RandomState):
        return rng.randint(low, high, size)
    return rng.integers(low, high, size)


_DISTRIBUTIONS = {
    "uniform": _Dist(("low", "high"), "float", lambda rng, size, low, high, replace: rng.uniform(low, high, size)),
    "normal": _Dist(("avg", "std"), "float", lambda rng, size, avg, std, replace: rng.normal(avg, std, size)),
    "binomial": _Dist(("n", "p"), "int", lambda rng, size, n, p, replace: rng.binomial(n, p, size)),
    "integers": _Dist(("low", "high"), "int", _draw_integers),
    "random_integers": _Dist(("low", "high"), "int", _draw_random_integers),
    # an empty p stands for "uniform over a" (the op's inputs are all tensors)
    "choice": _Dist(("a", "p"), "int", lambda rng, size, a, p, replace: rng.choice(
        a, size, replace, p if p.size else None)),
    "permutation": _Dist(("n",), "int", _draw_permutation),
    "multinomial": _Dist(("n", "pvals"), "int", _draw_multinomial),
    "poisson": _Dist(("lam",), "int", lambda rng, size, lam, replace: rng.poisson(lam, size)),
}


class RandomVariable(Op):
    """A draw from distribution ``dist``: ``(rng, *size, *params) -> (new_rng, sample)``.

    ``n_size`` is the number of size entries (int64 scalars), or None for "the broadcast shape of the parameters"
    (one permutation, one choice). ``replace`` only matters for ``choice``. The op copies ``rng`` before drawing,
    so its input state is never changed.

    Example:
        >>> import numpy as np
        >>> rng = RandomGeneratorType()('rng')
        >>> new_rng, x = RandomVariable('uniform', 2, 'float64')(rng, 2, 3, 0.0, 1.0)
        >>> x.type.shape
        (2, 3)
    """

    __props__ = ("dist", "n_size", "dtype", "replace")
    foldable = False  # a draw is not a function of constants: folding would freeze one sample into the graph

    def __init__(self, dist, n_size, dtype, replace=True):
        if dist not in _DISTRIBUTIONS:
            raise ValueError(f"RandomVariable: unknown distribution {dist!r}; expected one of {sorted(_DISTRIBUTIONS)}")
        self.dist, self.n_size, self.dtype, self.replace = dist, n_size, as_dtype(dtype), bool(replace)
        if _DISTRIBUTIONS[dist].kind == "float" and self.dtype not in FLOAT_DTYPES:
            raise TypeError(f"{dist}: expected a float dtype, received {self.dtype}")

    def make_node(self, rng, *args):
        if not isinstance(rng, Variable) or not isinstance(rng.type, RandomGeneratorType):
            raise TypeError(f"{self.dist}: expected a random generator state as first input, received {rng}")
        n_size = self.n_size or 0
        names = _DISTRIBUTIONS[self.dist].params
        if len(args) != n_size + len(names):
            raise TypeError(f"{self.dist}: expected {n_size} size entries and parameters {names}, received "
                            f"{len(args)} inputs after the state")
        sizes = [cast(as_index_scalar(s, f"{self.dist} size"), "int64") for s in args[:n_size]]
        params = [as_tensor_variable(p) for p in args[n_size:]]
        shape = self._static_shape(sizes, dict(zip(names, params)))
        return Apply(self, [rng] + sizes + params, [rng.type(), TensorType(self.dtype, shape)()])

    def _static_shape(self, sizes, params):
        where = f"{self.dist} parameters"
        if self.dist == "choice":
            if params["a"].ndim > 1 or params["p"].ndim != 1:
                raise ValueError(f"choice: expected a scalar or vector `a` and a vector `p`, received "
                                 f"{params['a'].type} and {params['p'].type}")
            batch = ()
        elif self.dist == "permutation":
            n = params["n"]
            if n.ndim != 0 or n.dtype not in INT_DTYPES:
                raise TypeError(f"permutation: expected an integer scalar `n`, received {n.type}")
            batch = (_static_int(n),)
        elif self.dist == "multinomial":
            n, pvals = params["n"], params["pvals"]
            if pvals.ndim < 1:
                raise ValueError(f"multinomial: expected pvals with at least one dimension, received {pvals.type}")
            lead = max(n.ndim, pvals.ndim - 1)
            batch = broadcast_shapes_static([(1,) * (lead - n.ndim) + n.type.shape,
                                             (1,) * (lead + 1 - pvals.ndim) + pvals.type.shape[:-1]], where)
            batch = batch + (pvals.type.shape[-1],)
        else:
            shapes = [p.type.shape for p in params.values()]
            ndim = max(len(s) for s in shapes)
            batch = broadcast_shapes_static([(1,) * (ndim - len(s)) + s for s in shapes], where)
        if self.n_size is None:
            return batch
        size = tuple(_static_int(s) for s in sizes)
        if self.dist == "permutation":
            return size + batch
        return size + batch[-1:] if self.dist == "multinomial" else size

    def make_thunk(self, node, xp):
        draw, n_size, replace = _DISTRIBUTIONS[self.dist].draw, self.n_size or 0, self.replace
        dtype, has_size = self.dtype, self.n_size is not None

        def random_variable(rng, *args):
            rng = copy.deepcopy(rng)  # the input state stays untouched: the op is a pure function
            size = tuple(int(s) for s in args[:n_size]) if has_size else None
            params = [xp.to_host(p) for p in args[n_size:]]
            return rng, xp.asarray(draw(rng, size, *params, replace), dtype=dtype)

        return random_variable

    def grad(self, inputs, output_grads):
        # Sampling is not differentiated (see the module docstring): nothing flows to state, size or parameters.
        return [None] * len(inputs)

    def connection_pattern(self, node):
        return [[False, False] for _ in node.inputs]


def _static_int(v):
    try:
        return int(get_scalar_constant_value(v))
    except NotScalarConstantError:
        return None


def _size_entries(size, ndim, where):
    """``size`` (None, an int, a tuple of ints and int scalars, or an int vector) as a list of entries or None."""
    if size is None:
        return None
    if isinstance(size, (int, np.integer)):
        entries = [int(size)]
    elif isinstance(size, Variable):
        if size.ndim == 0:
            entries = [size]
        elif size.ndim == 1 and isinstance(size, TensorConstant):
            entries = [int(s) for s in size.data]
        elif size.ndim == 1:
            n = size.type.shape[0] if size.type.shape[0] is not None else ndim
            if n is None:
                raise ValueError(f"{where}: a symbolic size vector needs a static length; pass ndim=")
            entries = [size[i] for i in range(n)]
        else:
            raise TypeError(f"{where}: expected size as an int vector, received {size.type}")
    elif isinstance(size, (list, tuple)):
        entries = list(size)
    else:
        raise TypeError(f"{where}: expected size as None, an int, a tuple or an int vector, received "
                        f"{type(size).__name__}")
    if ndim is not None and len(entries) != ndim:
        raise ValueError(f"{where}: size {size} has {len(entries)} entries but ndim={ndim}")
    return entries


def _draw(dist, rng, size, ndim, dtype, params, replace=True):
    entries = _size_entries(size, ndim, dist)
    op = RandomVariable(dist, None if entries is None else len(entries), dtype, replace)
    new_rng, sample = op(rng, *(entries or []), *params)
    return new_rng, sample


def _float_dtype(dtype, params):
    if dtype is not None:
        return as_dtype(dtype)
    strong = [p.dtype for p in params if p.dtype in FLOAT_DTYPES and not getattr(p.tag, "weak", False)]
    return upcast(config.floatX, *strong)


def uniform(rng, size=None, low=0.0, high=1.0, ndim=None, dtype=None):
    """Samples from U[low, high): ``(new_rng, sample)``. dtype defaults to floatX (wider if the bounds are).

    Example:
        >>> rng = RandomGeneratorType()('rng')
        >>> new_rng, x = uniform(rng, size=(2, 3))
        >>> x.type.shape, x.dtype
        ((2, 3), 'float32')
    """
    low, high = as_tensor_variable(low), as_tensor_variable(high)
    return _draw("uniform", rng, size, ndim, _float_dtype(dtype, [low, high]), [low, high])


def normal(rng, size=None, avg=0.0, std=1.0, ndim=None, dtype=None):
    """Samples from N(avg, std**2): ``(new_rng, sample)``.

    Example:
        >>> rng = RandomGeneratorType()('rng')
        >>> normal(rng, size=(4,), avg=1.0, std=2.0)[1].type.shape
        (4,)
    """
    avg, std = as_tensor_variable(avg), as_tensor_variable(std)
    return _draw("normal", rng, size, ndim, _float_dtype(dtype, [avg, std]), [avg, std])


def binomial(rng, size=None, n=1, p=0.5, ndim=None, dtype="int64"):
    """Counts of successes in ``n`` trials of probability ``p`` (``n=1``: Bernoulli masks): ``(new_rng, sample)``.

    Example:
        >>> rng = RandomGeneratorType()('rng')
        >>> binomial(rng, size=(3,), p=0.2, dtype='float32')[1].dtype
        'float32'
    """
    return _draw("binomial", rng, size, ndim, dtype, [cast(n, "int64"), cast(p, "float64")])


def integers(rng, size=None, low=0, high=None, ndim=None, dtype="int64"):
    """Integers in [low, high) (NumPy's ``Generator.integers``; ``high=None`` means [0, low)).

    Example:
        >>> rng = RandomGeneratorType()('rng')
        >>> integers(rng, size=(5,), low=0, high=10)[1].type.shape
        (5,)
    """
    if high is None:
        low, high = 0, low
    return _draw("integers", rng, size, ndim, dtype, [cast(low, "int64"), cast(high, "int64")])


def random_integers(rng, size=None, low=0, high=1, ndim=None, dtype="int64"):
    """Integers in [low, high], high included (Theano's ``random_integers``).

    Example:
        >>> rng = RandomGeneratorType()('rng')
        >>> random_integers(rng, size=(2,), low=1, high=6)[1].dtype
        'int64'
    """
    return _draw("random_integers", rng, size, ndim, dtype, [cast(low, "int64"), cast(high, "int64")])


def multinomial(rng, size=None, n=1, pvals=(0.5, 0.5), ndim=None, dtype="int64"):
    """Counts of ``n`` draws among ``len(pvals)`` outcomes: shape ``size + (len(pvals),)``.

    Example:
        >>> rng = RandomGeneratorType()('rng')
        >>> multinomial(rng, size=(2,), n=3, pvals=[0.2, 0.8])[1].type.shape
        (2, 2)
    """
    return _draw("multinomial", rng, size, ndim, dtype, [cast(n, "int64"), cast(pvals, "float64")])


def poisson(rng, size=None, lam=1.0, ndim=None, dtype="int64"):
    """Counts from a Poisson distribution of mean ``lam``.

    Example:
        >>> rng = RandomGeneratorType()('rng')
        >>> poisson(rng, size=(3,), lam=2.0)[1].type.shape
        (3,)
    """
    return _draw("poisson", rng, size, ndim, dtype, [cast(lam, "float64")])


def choice(rng, size=None, a=2, replace=True, p=None, ndim=None, dtype=None):
    """Samples from ``a`` (a vector, or ``range(a)`` for an int) with probabilities ``p`` (default uniform).

    dtype defaults to int64 for an int ``a`` and to ``a``'s dtype for a vector.

    Example:
        >>> rng = RandomGeneratorType()('rng')
        >>> choice(rng, size=(2, 2), a=5, replace=False)[1].type.shape
        (2, 2)
    """
    a = as_tensor_variable(a)
    if a.ndim == 0:
        a = cast(a, "int64")
    p = np.zeros(0) if p is None else cast(p, "float64")
    dtype = dtype if dtype is not None else ("int64" if a.ndim == 0 else a.dtype)
    return _draw("choice", rng, size, ndim, dtype, [a, p], replace)


def permutation(rng, size=None, n=1, ndim=None, dtype="int64"):
    """Permutations of ``range(n)``: one (shape ``(n,)``), or one per entry of ``size`` (shape ``size + (n,)``).

    Example:
        >>> rng = RandomGeneratorType()('rng')
        >>> permutation(rng, size=(3,), n=4)[1].type.shape
        (3, 4)
    """
    return _draw("permutation", rng, size, ndim, dtype, [cast(n, "int64")])


def dropout(x, rate, rng_streams, training=True):
    """Inverted dropout: zero each element of ``x`` with probability ``rate`` and scale the rest by
    ``1 / (1 - rate)``, so the expected value is unchanged and inference needs no rescaling.

    Args:
        x: a float tensor.
        rate: the drop probability, a Python number in [0, 1) or a float scalar variable.
        rng_streams: a ``RandomStreams`` (its state advances on every call of the compiled function).
        training: False (or a rate of 0) returns ``x`` unchanged.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> from layerkit_backend.tensor.shared_randomstreams import RandomStreams
        >>> x = T.matrix('x')
        >>> dropout(x, 0.5, RandomStreams(0)).type.shape
        (None, None)
    """
    x = as_tensor_variable(x)
    if x.dtype not in FLOAT_DTYPES:
        raise TypeError(f"dropout: expected a float tensor, received {x.type}")
    if isinstance(rate, (int, float, np.number)):
        if not 0 <= rate < 1:
            raise ValueError(f"dropout: expected a rate in [0, 1), received {rate}")
        if rate == 0:
            return x
    if not training:
        return x
    keep = 1 - as_tensor_variable(rate) if isinstance(rate, Variable) else 1.0 - rate
    mask = rng_streams.binomial(size=shape_tuple(x), p=keep, dtype=x.dtype)
    return x * mask / (cast(keep, x.dtype) if isinstance(keep, Variable) else keep)
