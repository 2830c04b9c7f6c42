"""Reductions over axes: sum, prod, max, min, all, any (one Reduce op), argmax/argmin, and the composites built
from them (mean, var, std, max_and_argmax, norm, logsumexp-free helpers)."""
import numpy as np
import builtins

from ..config import config
from ..graph.basic import Apply, Op
from .type import FLOAT_DTYPES, INT_DTYPES, TensorType
from .variable import as_tensor_variable

__all__ = ["Reduce", "sum", "prod", "max", "min", "all", "any", "Argmax", "argmax", "argmin", "max_and_argmax",
           "mean", "var", "std", "ptp", "norm", "normalize_axis"]


def normalize_axis(axis, ndim, where="reduction"):
    """``axis`` (None, int or sequence, negatives allowed) as a sorted tuple of non-negative ints."""
    if axis is None:
        return tuple(range(ndim))
    axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < builtins.max(ndim, 1) or (ndim == 0 and a not in (0, -1)):
            raise ValueError(f"{where}: axis {a} is out of range for a tensor of {ndim} dimensions")
        out.append(a % ndim if ndim else 0)
    if len(set(out)) != len(out):
        raise ValueError(f"{where}: repeated axis in {axis}")
    return tuple(sorted(out)) if ndim else ()


def _reduced_shape(shape, axes, keepdims):
    if keepdims:
        return tuple(1 if i in axes else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in axes)


class Reduce(Op):
    """Reduce ``x`` over ``axes`` with ``kind`` in sum, prod, max, min, all, any.

    ``acc_dtype`` is the dtype the array module accumulates in (float32 sums stay float32, as NumPy's pairwise
    summation keeps them accurate); ``dtype`` is the output dtype.
    """

    __props__ = ("kind", "axes", "keepdims", "dtype")
    _XP = {"sum": "sum", "prod": "prod", "max": "max", "min": "min", "all": "all", "any": "any"}

    def __init__(self, kind, axes, keepdims=False, dtype=None):
        self.kind, self.axes, self.keepdims, self.dtype = kind, tuple(axes), bool(keepdims), dtype
        self.view_map = {} if self.axes else {0: [0]}  # reducing over no axis returns the input itself

    def __str__(self):
        return f"{self.kind}{{axes={self.axes}{', keepdims' if self.keepdims else ''}}}"

    def make_node(self, x):
        x = as_tensor_variable(x)
        if self.kind in ("max", "min"):
            for a in self.axes:
                if x.type.shape[a] == 0:
                    raise ValueError(f"{self.kind}: cannot reduce over dimension {a} of size 0")
        dtype = self.dtype or ("bool" if self.kind in ("all", "any") else x.dtype)
        return Apply(self, [x], [TensorType(dtype, _reduced_shape(x.type.shape, self.axes, self.keepdims))()])

    def make_thunk(self, node, xp):
        fn = getattr(xp, self._XP[self.kind])
        axes, keepdims, out_dtype = self.axes, self.keepdims, node.outputs[0].dtype
        in_dtype = node.inputs[0].dtype
        kwargs = {}
        if self.kind in ("sum", "prod"):  # always: NumPy sums int32 as int64 even when int32 is asked for
            kwargs["dtype"] = out_dtype
        if not axes:
            return lambda x: x.astype(out_dtype) if out_dtype != in_dtype else x
        kind = self.kind

        def reduce(x):
            if kind in ("max", "min") and builtins.any(x.shape[a] == 0 for a in axes):
                raise ValueError(f"{kind}: cannot reduce over an empty dimension (shape {x.shape}, axes {axes})")
            return fn(x, axis=axes, keepdims=keepdims, **kwargs)

        return reduce

    def grad(self, inputs, output_grads):
        from . import basic, math
        from .shape import shape_tuple

        (x,), (gz,) = inputs, output_grads
        if x.dtype not in FLOAT_DTYPES:
            return [None]
        if not self.axes:
            return [gz]
        if not self.keepdims:
            order = []
            kept = iter(range(gz.ndim))
            for i in range(x.ndim):
                order.append("x" if i in self.axes else next(kept))
            gz_k = gz.dimshuffle(*order)
            out_k = self(x).dimshuffle(*order)
        else:
            gz_k, out_k = gz, self(x)
        if self.kind == "sum":
            g = basic.alloc(gz_k, *shape_tuple(x))
        elif self.kind == "prod":
            # d prod / d x_i = prod / x_i, written without division so zeros in x are handled exactly.
            g = gz_k * _prod_of_others(x, self.axes)
        elif self.kind in ("max", "min"):
            g = gz_k * math.cast(math.eq(x, out_k), gz.dtype)
        else:
            return [None]
        return [g if g.dtype == x.dtype else basic.cast(g, x.dtype)]


def _prod_of_others(x, axes):
    """For every element, the product of the other elements over ``axes`` (exclusive cumulative products)."""
    from .extra_ops import cumprod
    from .shape import reshape, shape_tuple
    from .basic import stack, cast
    from .subtensor import getitem

    # Move the reduced axes last and flatten them into one, take exclusive products from both sides.
    keep = [i for i in range(x.ndim) if i not in axes]
    perm = keep + list(axes)
    xt = x.dimshuffle(*perm)
    shp = shape_tuple(xt)
    lead = list(shp[: len(keep)])
    size = shp[len(keep)]  # the reduced elements' count (not -1: NumPy cannot infer it for empty arrays)
    for s in shp[len(keep) + 1:]:
        size = size * s
    flat = reshape(xt, lead + [size])
    ones = getitem(flat, (Ellipsis, slice(0, 1))) * 0 + 1
    from .basic import concatenate

    left = cumprod(concatenate([ones, getitem(flat, (Ellipsis, slice(None, -1)))], axis=-1), axis=-1)
    rev = getitem(flat, (Ellipsis, slice(None, None, -1)))
    right = cumprod(concatenate([ones, getitem(rev, (Ellipsis, slice(None, -1)))], axis=-1), axis=-1)
    others = left * getitem(right, (Ellipsis, slice(None, None, -1)))
    others = reshape(others, stack([cast(s, "int64") for s in shp]))
    inverse = [perm.index(i) for i in range(x.ndim)]
    return others.dimshuffle(*inverse)


def _reduce(kind, x, axis, keepdims, dtype=None):
    x = as_tensor_variable(x)
    return Reduce(kind, normalize_axis(axis, x.ndim, kind), keepdims, dtype)(x)


def _sum_dtype(x_dtype, dtype):
    if dtype is not None:
        return np.dtype(dtype).name if dtype != "floatX" else config.floatX
    if x_dtype == "bool" or x_dtype in ("int8", "int16", "int32"):
        return "int64"  # NumPy's rule: small integers are summed in the platform integer
    if x_dtype in ("uint8", "uint16", "uint32"):
        return "uint64"
    return x_dtype


def _accumulated(kind, x, axis, keepdims, dtype, acc_dtype):
    """``kind`` reduction accumulated in ``acc_dtype`` (float32 for float16 inputs by default: 1,000 values of 100
    sum past float16's largest value, 65504), then cast to the output dtype, as Theano, Keras and PyTorch do."""
    from .basic import cast

    out_dtype = _sum_dtype(x.dtype, dtype)
    acc_dtype = acc_dtype or ("float32" if out_dtype == "float16" else out_dtype)
    acc_dtype = np.dtype(acc_dtype).name
    reduced = _reduce(kind, x, axis, keepdims, acc_dtype)
    return reduced if acc_dtype == out_dtype else cast(reduced, out_dtype)


def sum(x, axis=None, dtype=None, keepdims=False, acc_dtype=None):  # noqa: A001
    """Sum over ``axis`` (all by default). Small integer dtypes are summed as int64, like NumPy; float16 is
    accumulated in float32 (``acc_dtype``) and returned as float16."""
    return _accumulated("sum", as_tensor_variable(x), axis, keepdims, dtype, acc_dtype)


def prod(x, axis=None, dtype=None, keepdims=False, acc_dtype=None):
    """Product over ``axis`` (all axes when None); float16 is accumulated in float32 as ``sum`` does."""
    return _accumulated("prod", as_tensor_variable(x), axis, keepdims, dtype, acc_dtype)


def max(x, axis=None, keepdims=False):  # noqa: A001
    """Maximum over ``axis`` (all axes when None)."""
    return _reduce("max", x, axis, keepdims)


def min(x, axis=None, keepdims=False):  # noqa: A001
    """Minimum over ``axis`` (all axes when None)."""
    return _reduce("min", x, axis, keepdims)


def all(x, axis=None, keepdims=False):  # noqa: A001
    """True where every element along ``axis`` is nonzero."""
    return _reduce("all", x, axis, keepdims)


def any(x, axis=None, keepdims=False):  # noqa: A001
    """True where some element along ``axis`` is nonzero."""
    return _reduce("any", x, axis, keepdims)


class Argmax(Op):
    """Index of the largest (``kind='max'``) or smallest value along one axis (or of the flattened input)."""

    __props__ = ("kind", "axis", "keepdims")

    def __init__(self, kind, axis, keepdims=False):
        self.kind, self.axis, self.keepdims = kind, axis, bool(keepdims)

    def make_node(self, x):
        x = as_tensor_variable(x)
        if self.axis is None:
            shape = (1,) * x.ndim if self.keepdims else ()
        else:
            shape = _reduced_shape(x.type.shape, (self.axis,), self.keepdims)
        return Apply(self, [x], [TensorType("int64", shape)()])

    def make_thunk(self, node, xp):
        fn = xp.argmax if self.kind == "max" else xp.argmin
        axis, keepdims = self.axis, self.keepdims
        return lambda x: xp.asarray(fn(x, axis=axis, keepdims=keepdims)).astype("int64", copy=False)

    def grad(self, inputs, output_grads):
        return [None]

    def connection_pattern(self, node):
        return [[False]]


def _single_axis(x, axis, where):
    if axis is None:
        return None
    axes = normalize_axis(axis, x.ndim, where)
    if len(axes) == x.ndim and x.ndim != 1:
        return None if len(axes) > 1 else axes[0]
    if len(axes) != 1:
        raise ValueError(f"{where}: expected a single axis or None, received {axis}")
    return axes[0]


def argmax(x, axis=None, keepdims=False):
    """Index of the maximum along ``axis`` (of the flattened tensor when None), as int64."""
    x = as_tensor_variable(x)
    return Argmax("max", _single_axis(x, axis, "argmax"), keepdims)(x)


def argmin(x, axis=None, keepdims=False):
    """Index of the minimum along ``axis`` (of the flattened tensor when None), as int64."""
    x = as_tensor_variable(x)
    return Argmax("min", _single_axis(x, axis, "argmin"), keepdims)(x)


def max_and_argmax(x, axis=None, keepdims=False):
    """``(max(x, axis), argmax(x, axis))``."""
    return max(x, axis, keepdims), argmax(x, axis, keepdims)


def _count(x, axes, dtype=None):
    from .basic import cast
    from .shape import shape_i
    from . import math

    n = None
    for a in axes:
        s = shape_i(x, a)
        n = s if n is None else math.mul(n, s)
    dtype = dtype or (x.dtype if x.dtype in FLOAT_DTYPES else config.floatX)
    return cast(n, dtype) if n is not None else None


def mean(x, axis=None, dtype=None, keepdims=False, acc_dtype=None):
    """Arithmetic mean over ``axis``; integer inputs give floatX."""
    from .basic import cast

    x = as_tensor_variable(x)
    axes = normalize_axis(axis, x.ndim, "mean")
    if x.dtype not in FLOAT_DTYPES:
        x = cast(x, dtype or config.floatX)
    acc_dtype = np.dtype(acc_dtype or ("float32" if x.dtype == "float16" else x.dtype)).name
    s = Reduce("sum", axes, keepdims, acc_dtype)(x)     # float16 sums overflow: accumulate in float32
    n = _count(x, axes, acc_dtype)   # 70,000 is past float16's range too
    out = s / n if n is not None else s
    out_dtype = dtype or x.dtype
    return cast(out, out_dtype) if out.dtype != out_dtype else out


def var(x, axis=None, ddof=0, keepdims=False, corrected=False):
    """Variance over ``axis`` (``ddof=1`` or ``corrected=True`` for the unbiased estimate)."""
    from . import math

    from .basic import cast

    x = as_tensor_variable(x)
    if x.dtype == "float16":   # squared deviations of float16 values leave float16's range: work in float32
        return cast(var(cast(x, "float32"), axis, ddof, keepdims, corrected), "float16")
    axes = normalize_axis(axis, x.ndim, "var")
    centred = x - mean(x, axes, keepdims=True)
    ddof = 1 if corrected else ddof
    if ddof:
        s = Reduce("sum", axes, keepdims, None)(math.sqr(centred))
        n = _count(centred, axes)
        return s / ((1 if n is None else n) - ddof)  # a 0-d input has one element (no axes to count)
    return mean(math.sqr(centred), axes, keepdims=keepdims)


def std(x, axis=None, ddof=0, keepdims=False, corrected=False):
    """Standard deviation over ``axis``: the square root of ``var``."""
    from . import math

    return math.sqrt(var(x, axis, ddof, keepdims, corrected))


def ptp(x, axis=None, keepdims=False):
    """The range ``max - min`` over ``axis`` (all axes when None), like ``numpy.ptp``."""
    return max(x, axis, keepdims) - min(x, axis, keepdims)


def norm(x, L=2, axis=None, keepdims=False):
    """The L-``L`` norm over ``axis``: ``L=1`` sum of absolute values, ``L=2`` Euclidean, ``inf`` max of |x|."""
    from . import math

    if L == 1:
        return sum(math.abs(x), axis, keepdims=keepdims)
    if L == 2:
        return math.sqrt(sum(math.sqr(x), axis, keepdims=keepdims))
    if L == np.inf:
        return max(math.abs(x), axis, keepdims=keepdims)
    return math.pow(sum(math.pow(math.abs(x), L), axis, keepdims=keepdims), 1.0 / L)
