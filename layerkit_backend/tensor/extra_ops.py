"""NumPy's extra array functions: cumulative sums and products, repeat, tile, diff, bincount, fill_diagonal,
to_one_hot, unravel_index and ravel_multi_index.

Primitives (``CumOp``, ``Repeat`` and its adjoint ``SegmentSum``, ``BinCount``, ``FillDiagonal``...) carry their
gradients; ``tile``, ``diff`` and ``to_one_hot`` are composites and need none.
"""
import numpy as np

from ..graph.basic import Apply, Op
from .type import FLOAT_DTYPES, INT_DTYPES, TensorType, as_dtype
from .variable import TensorConstant, as_tensor_variable, constant

__all__ = ["CumOp", "cumsum", "cumprod", "Repeat", "SegmentSum", "repeat", "tile", "diff", "BinCount", "bincount",
           "FillDiagonal", "fill_diagonal", "fill_diagonal_offset", "to_one_hot", "UnravelIndex", "unravel_index",
           "RavelMultiIndex", "ravel_multi_index", "searchsorted", "SearchsortedOp", "Unique", "unique", "compress",
           "squeeze"]


def _axis_of(x, axis, where):
    """``axis`` as a non-negative int for ``x``, or a ValueError naming ``where``."""
    if not -x.ndim <= axis < x.ndim or x.ndim == 0:
        raise ValueError(f"{where}: axis {axis} is out of range for a tensor of {x.ndim} dimensions")
    return axis % x.ndim


def _static_int(v):
    """The value of an int scalar known when the graph is built, else None."""
    from .basic import NotScalarConstantError, get_scalar_constant_value

    try:
        return int(get_scalar_constant_value(v))
    except NotScalarConstantError:
        return None


def _int_or_variable(v):
    """A Python int when ``v`` is known at build time, else ``v`` itself."""
    if isinstance(v, (int, np.integer)):
        return int(v)
    static = _static_int(as_tensor_variable(v))
    return v if static is None else static


def _flat_or_axis(x, axis, where):
    """NumPy's convention: ``axis=None`` works on the flattened tensor."""
    from .shape import flatten

    x = as_tensor_variable(x)
    if axis is None:
        return flatten(x, 1), 0
    return x, _axis_of(x, int(axis), where)


# -- cumulative sums and products ---------------------------------------------------------------------------------
class CumOp(Op):
    """Cumulative sum (``mode='add'``) or product (``mode='mul'``) along ``axis``; ``reverse=True`` accumulates
    from the end (the adjoint of the forward sum, used by the gradients).

    Integer and bool inputs accumulate in NumPy's dtype (int64 / uint64).
    """

    __props__ = ("mode", "axis", "reverse")

    def __init__(self, mode, axis, reverse=False):
        if mode not in ("add", "mul"):
            raise ValueError(f"CumOp: mode must be 'add' or 'mul', received {mode!r}")
        self.mode, self.axis, self.reverse = mode, int(axis), bool(reverse)

    def __str__(self):
        name = {"add": "cumsum", "mul": "cumprod"}[self.mode]
        return f"{'reverse_' if self.reverse else ''}{name}{{axis={self.axis}}}"

    def make_node(self, x):
        x = as_tensor_variable(x)
        _axis_of(x, self.axis, str(self))
        fn = np.cumsum if self.mode == "add" else np.cumprod
        dtype = fn(np.zeros(0, dtype=x.dtype)).dtype.name  # NumPy's accumulation dtype, probed once
        return Apply(self, [x], [TensorType(dtype, x.type.shape)()])

    def make_thunk(self, node, xp):
        fn = xp.cumsum if self.mode == "add" else xp.cumprod
        axis, dtype = self.axis, node.outputs[0].dtype
        if not self.reverse:
            return lambda x: fn(x, axis=axis, dtype=dtype)
        return lambda x: xp.flip(fn(xp.flip(x, axis), axis=axis, dtype=dtype), axis)

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        if x.dtype not in FLOAT_DTYPES:
            return [None]
        backward = CumOp("add", self.axis, not self.reverse)
        if self.mode == "add":
            return [backward(gz)]
        return [_cumprod_grad(x, gz, self.axis, self.reverse, backward)]


def _cumprod_grad(x, gz, axis, reverse, backward):
    """d/dx_k of sum_i gz_i * prod_{j<=i} x_j, exact also when x holds zeros.

    Before the first zero of a lane, the classic ``backward(gz * y)_k / x_k`` is exact (x_k is nonzero there).
    At the first zero z the answer is ``backward(gz * y')_z`` where y' is the cumulative product with x_z set to 1;
    after z every term contains x_z = 0, so the gradient is 0. (Positions count in the scan order.) The masks are
    piecewise constant, so second derivatives are exact only where x holds no zeros.
    """
    from .basic import cast, zeros_like
    from . import math

    is_zero = math.eq(x, 0)
    zeros_so_far = CumOp("add", axis, reverse)(cast(is_zero, "int64"))
    before = math.eq(zeros_so_far, 0)
    first_zero = math.and_(is_zero, math.eq(zeros_so_far, 1))
    y_skip = CumOp("mul", axis, reverse)(math.switch(first_zero, 1, x))  # equals y before the first zero
    terms = gz * y_skip
    zero = zeros_like(terms)
    g_before = backward(math.switch(before, terms, zero)) / math.switch(before, x, 1)
    g_first = backward(terms)
    return math.switch(before, g_before, math.switch(first_zero, g_first, zero))


def cumsum(x, axis=None):
    """Cumulative sum along ``axis`` (of the flattened tensor when None), like ``numpy.cumsum``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dmatrix('x')
        >>> cumsum(x, axis=1).eval({x: [[1.0, 2.0, 3.0]]}).tolist()
        [[1.0, 3.0, 6.0]]
    """
    x, axis = _flat_or_axis(x, axis, "cumsum")
    return CumOp("add", axis)(x)


def cumprod(x, axis=None):
    """Cumulative product along ``axis`` (of the flattened tensor when None), like ``numpy.cumprod``.

    The gradient is exact also where ``x`` holds zeros.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> cumprod(x).eval({x: [1.0, 2.0, 3.0]}).tolist()
        [1.0, 2.0, 6.0]
    """
    x, axis = _flat_or_axis(x, axis, "cumprod")
    return CumOp("mul", axis)(x)


# -- repeat and its adjoint ---------------------------------------------------------------------------------------
def _as_repeats(repeats, where):
    repeats = as_tensor_variable(repeats)
    if repeats.dtype not in INT_DTYPES or repeats.ndim > 1:
        raise TypeError(f"{where}: repeats must be an integer scalar or vector, received {repeats.type}")
    return repeats


def _repeated_size(n, repeats, where):
    """The static output size along the axis, or None."""
    if not isinstance(repeats, TensorConstant):
        return None
    r = repeats.data
    if r.ndim == 0 or r.shape[0] == 1:
        return None if n is None else n * int(r.reshape(-1)[0])
    if n is not None and n != r.shape[0]:
        raise ValueError(f"{where}: {r.shape[0]} repeats for an axis of size {n}")
    return int(r.sum())


def _host_repeats(xp, repeats):
    return int(repeats) if repeats.ndim == 0 else xp.to_host(repeats).tolist()


class Repeat(Op):
    """Repeat the elements of ``x`` along ``axis``: ``repeats`` is an int scalar (every element) or a vector (one
    count per element, or a single count); like ``numpy.repeat``."""

    __props__ = ("axis",)

    def __init__(self, axis):
        self.axis = int(axis)

    def make_node(self, x, repeats):
        x, repeats = as_tensor_variable(x), _as_repeats(repeats, "repeat")
        _axis_of(x, self.axis, "repeat")
        shape = list(x.type.shape)
        shape[self.axis] = _repeated_size(shape[self.axis], repeats, "repeat")
        return Apply(self, [x, repeats], [TensorType(x.dtype, tuple(shape))()])

    def make_thunk(self, node, xp):
        axis = self.axis

        def repeat(x, repeats):
            if repeats.ndim == 1 and repeats.shape[0] not in (1, x.shape[axis]):
                raise ValueError(f"repeat: {repeats.shape[0]} repeats for axis {axis} of size {x.shape[axis]} "
                                 f"(expected {x.shape[axis]} counts, or 1)")
            return xp.repeat(x, _host_repeats(xp, repeats), axis=axis)

        return repeat

    def grad(self, inputs, output_grads):
        from .shape import shape_i

        x, repeats = inputs
        if x.dtype not in FLOAT_DTYPES:
            return [None, None]
        return [SegmentSum(self.axis)(output_grads[0], repeats, shape_i(x, self.axis)), None]

    def connection_pattern(self, node):
        return [[True], [False]]


class SegmentSum(Op):
    """Sum consecutive runs of ``g`` along ``axis`` whose lengths are ``repeats`` (as in ``repeat``) into ``n``
    entries: the adjoint of ``Repeat``."""

    __props__ = ("axis",)

    def __init__(self, axis):
        self.axis = int(axis)

    def make_node(self, g, repeats, n):
        from .basic import as_index_scalar, cast

        g, repeats = as_tensor_variable(g), _as_repeats(repeats, "SegmentSum")
        n = cast(as_index_scalar(n, "SegmentSum size"), "int64")
        _axis_of(g, self.axis, "SegmentSum")
        shape = list(g.type.shape)
        shape[self.axis] = _static_int(n)
        return Apply(self, [g, repeats, n], [TensorType(g.dtype, tuple(shape))()])

    def perform(self, xp, node, inputs):
        g, repeats, n = inputs
        axis, n = self.axis, int(n)
        out_shape = g.shape[:axis] + (n,) + g.shape[axis + 1:]
        if repeats.ndim == 0 or (repeats.shape[0] == 1 and n != 1):  # one count for every element
            r = int(repeats.reshape(-1)[0])
            if r == 0:
                return [xp.zeros(out_shape, dtype=g.dtype)]
            return [g.reshape(g.shape[:axis] + (n, r) + g.shape[axis + 1:]).sum(axis=axis + 1)]
        segment_ids = xp.repeat(xp.arange(n), _host_repeats(xp, repeats))
        out = xp.zeros(out_shape, dtype=g.dtype)
        xp.scatter_add(out, (slice(None),) * axis + (segment_ids,), g)
        return [out]

    def grad(self, inputs, output_grads):
        g, repeats, _ = inputs
        return [Repeat(self.axis)(output_grads[0], repeats), None, None]

    def connection_pattern(self, node):
        return [[True], [False], [False]]


def repeat(x, repeats, axis=None):
    """Repeat each element of ``x`` ``repeats`` times along ``axis`` (of the flattened tensor when None), like
    ``numpy.repeat``. ``repeats`` is an int, an int scalar variable, or an int vector with one count per element.
    The gradient sums the copies back.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dmatrix('x')
        >>> repeat(x, [1, 2], axis=0).eval({x: [[1.0], [2.0]]}).tolist()
        [[1.0], [2.0], [2.0]]
    """
    x, axis = _flat_or_axis(x, axis, "repeat")
    if isinstance(repeats, (list, tuple)):
        repeats = constant(np.asarray(repeats, dtype="int64").reshape(-1))
    return Repeat(axis)(x, repeats)


# -- composites ---------------------------------------------------------------------------------------------------
def tile(x, reps, ndim=None):
    """``x`` repeated ``reps[d]`` times along each dimension d, like ``numpy.tile``: a short ``reps`` is padded
    with leading 1s, a long one gives ``x`` leading dimensions. Entries are ints or int scalar variables.

    Built from ``alloc`` and ``reshape``, so the gradient sums the tiles back.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> tile(x, (2, 2)).eval({x: [1.0, 2.0]}).tolist()
        [[1.0, 2.0, 1.0, 2.0], [1.0, 2.0, 1.0, 2.0]]
    """
    from .basic import alloc
    from .shape import reshape, shape_padleft, shape_tuple

    x = as_tensor_variable(x)
    if isinstance(reps, (int, np.integer)) or (hasattr(reps, "ndim") and reps.ndim == 0):
        reps = [reps]
    elif hasattr(reps, "ndim"):  # a symbolic vector of known length
        n = reps.type.shape[0]
        if n is None:
            raise ValueError("tile: a symbolic reps vector needs a static length")
        reps = [reps[i] for i in range(n)]
    reps = list(reps)
    ndim = ndim if ndim is not None else max(len(reps), x.ndim)
    if ndim < max(len(reps), x.ndim):
        raise ValueError(f"tile: ndim={ndim} is smaller than len(reps)={len(reps)} or x.ndim={x.ndim}")
    reps = [1] * (ndim - len(reps)) + reps
    x = shape_padleft(x, ndim - x.ndim) if ndim > x.ndim else x
    reps = [_int_or_variable(r) for r in reps]
    if all(isinstance(r, int) and r == 1 for r in reps):
        return x
    sizes = shape_tuple(x)
    pattern, alloc_shape, out_shape = [], [], []
    for d, (r, s) in enumerate(zip(reps, sizes)):
        pattern += ["x", d]
        alloc_shape += [r, s]
        static = x.type.shape[d]
        if isinstance(r, int) and static is not None:
            out_shape.append(r * static)
        else:
            out_shape.append(r * s)
    tiled = alloc(x.dimshuffle(*pattern), *alloc_shape)
    return reshape(tiled, out_shape)


def diff(x, n=1, axis=-1):
    """The ``n``-th discrete difference along ``axis``, like ``numpy.diff``: ``x[1:] - x[:-1]``, ``n`` times.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> diff(x).eval({x: [1.0, 4.0, 9.0]}).tolist()
        [3.0, 5.0]
    """
    x = as_tensor_variable(x)
    axis = _axis_of(x, int(axis), "diff")
    if n < 0:
        raise ValueError(f"diff: n must be non-negative, received {n}")
    from .subtensor import getitem

    from .math import neq

    lead = (slice(None),) * axis
    for _ in range(n):
        later, earlier = getitem(x, lead + (slice(1, None),)), getitem(x, lead + (slice(None, -1),))
        # bools have no subtraction: their difference is "changed" (NumPy's and Theano's diff of bools)
        x = neq(later, earlier) if x.dtype == "bool" else later - earlier
    return x


def to_one_hot(y, nb_class, dtype=None):
    """A (len(y), nb_class) matrix with a 1 in row i at column ``y[i]`` (zeros elsewhere), of ``dtype`` (floatX).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> y = T.lvector('y')
        >>> to_one_hot(y, 3).eval({y: [2, 0]}).tolist()
        [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    """
    from .basic import arange, cast
    from . import math

    y = as_tensor_variable(y)
    if y.ndim != 1 or y.dtype not in INT_DTYPES:
        raise TypeError(f"to_one_hot: y must be an integer vector, received {y.type}")
    classes = arange(nb_class, dtype="int64")
    return cast(math.eq(y.dimshuffle(0, "x"), classes.dimshuffle("x", 0)), as_dtype(dtype))


# -- ops without gradients, or with simple ones -------------------------------------------------------------------
class BinCount(Op):
    """Counts of each value of the non-negative int vector ``x`` (summed ``weights`` when given), at least
    ``minlength`` long, like ``numpy.bincount``. Counts are int64; weighted sums keep the weights' dtype."""

    __props__ = ("minlength",)

    def __init__(self, minlength=0):
        self.minlength = int(minlength or 0)

    def make_node(self, x, weights=None):
        x = as_tensor_variable(x)
        if x.ndim != 1 or x.dtype not in INT_DTYPES:
            raise TypeError(f"bincount: x must be an integer vector, received {x.type}")
        inputs = [x]
        dtype = "int64"
        if weights is not None:
            weights = as_tensor_variable(weights)
            if weights.ndim != 1:
                raise TypeError(f"bincount: weights must be a vector like x, received {weights.type}")
            inputs.append(weights)
            dtype = weights.dtype if weights.dtype in FLOAT_DTYPES else "float64"
        return Apply(self, inputs, [TensorType(dtype, (None,))()])

    def perform(self, xp, node, inputs):
        x, weights = inputs[0], (inputs[1] if len(inputs) > 1 else None)
        if x.size and int(x.min()) < 0:
            raise ValueError(f"bincount: x must be non-negative, received a minimum of {int(x.min())}")
        if weights is not None and weights.shape != x.shape:
            raise ValueError(f"bincount: weights of shape {weights.shape} for x of shape {x.shape}")
        counts = xp.bincount(x, weights=weights, minlength=self.minlength)
        return [counts.astype(node.outputs[0].dtype, copy=False)]

    def grad(self, inputs, output_grads):
        from .subtensor import getitem

        if len(inputs) == 1:
            return [None]
        x, weights = inputs
        gz = output_grads[0]
        return [None, getitem(gz, x) if weights.dtype in FLOAT_DTYPES else None]

    def connection_pattern(self, node):
        return [[False]] + [[True]] * (len(node.inputs) - 1)


def bincount(x, weights=None, minlength=None, assert_nonneg=False):
    """How many times each value occurs in the non-negative int vector ``x`` (or the sum of ``weights`` per value),
    like ``numpy.bincount``. Negative values raise at run time (``assert_nonneg`` is accepted for Theano).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.lvector('x')
        >>> bincount(x).eval({x: [0, 2, 2]}).tolist()
        [1, 0, 2]
    """
    op = BinCount(minlength)
    return op(x) if weights is None else op(x, weights)


class FillDiagonal(Op):
    """A copy of ``a`` (2-d, or n-d with equal sizes) with its main diagonal set to the scalar ``val``; with an
    ``offset`` (matrices only), the diagonal that many columns right (rows down when negative)."""

    __props__ = ("offset",)

    def __init__(self, offset=0):
        self.offset = int(offset)

    def make_node(self, a, val):
        from .basic import cast

        a, val = as_tensor_variable(a), as_tensor_variable(val)
        if a.ndim < 2:
            raise TypeError(f"fill_diagonal: a must have at least 2 dimensions, received {a.type}")
        if val.ndim != 0:
            raise TypeError(f"fill_diagonal: val must be a scalar, received {val.type}")
        if self.offset and a.ndim != 2:
            raise TypeError(f"fill_diagonal_offset: a must be a matrix, received {a.type}")
        return Apply(self, [a, cast(val, a.dtype)], [a.type()])

    def perform(self, xp, node, inputs):
        a, val = inputs
        if a.ndim > 2 and len(set(a.shape)) > 1:
            raise ValueError(f"fill_diagonal: an n-d array needs equal sizes, received shape {a.shape}")
        out = xp.array(a, copy=True)
        if self.offset:
            k = self.offset
            n = max(0, min(a.shape[0], a.shape[1] - k) if k > 0 else min(a.shape[0] + k, a.shape[1]))
            rows = xp.arange(n) + max(0, -k)
            out[rows, rows + k] = val
        else:
            xp.fill_diagonal(out, val)
        return [out]

    def grad(self, inputs, output_grads):
        from .basic import zeros_like
        from .reduce import sum as _sum

        a, val = inputs
        gz = output_grads[0]
        if a.dtype not in FLOAT_DTYPES:
            return [None, None]
        diagonal = self(zeros_like(gz), constant(1, dtype=gz.dtype))  # 1 on the diagonal, 0 elsewhere
        return [self(gz, constant(0, dtype=gz.dtype)), _sum(gz * diagonal)]


def fill_diagonal(a, val):
    """A copy of ``a`` with its main diagonal set to ``val``, like ``numpy.fill_diagonal`` (which works in place).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> a = T.dmatrix('a')
        >>> fill_diagonal(a, 5.0).eval({a: [[1.0, 2.0], [3.0, 4.0]]}).tolist()
        [[5.0, 2.0], [3.0, 5.0]]
    """
    return FillDiagonal()(a, val)


def fill_diagonal_offset(a, val, offset):
    """A copy of the matrix ``a`` with its diagonal ``offset`` (columns right; negative: rows down) set to ``val``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> a = T.dmatrix('a')
        >>> fill_diagonal_offset(a, 5.0, 1).eval({a: [[1.0, 2.0], [3.0, 4.0]]}).tolist()
        [[1.0, 5.0], [3.0, 4.0]]
    """
    return FillDiagonal(offset)(a, val)


def _as_dims(dims, where):
    dims = as_tensor_variable(list(dims) if isinstance(dims, tuple) else dims)
    if dims.ndim != 1 or dims.dtype not in INT_DTYPES or dims.type.shape[0] is None:
        raise TypeError(f"{where}: dims must be an integer vector of known length, received {dims.type}")
    return dims


class UnravelIndex(Op):
    """Flat indices to one index array per dimension of ``dims``, like ``numpy.unravel_index``."""

    __props__ = ("order",)

    def __init__(self, order="C"):
        if order not in ("C", "F"):
            raise ValueError(f"unravel_index: order must be 'C' or 'F', received {order!r}")
        self.order = order

    def make_node(self, indices, dims):
        indices, dims = as_tensor_variable(indices), _as_dims(dims, "unravel_index")
        if indices.dtype not in INT_DTYPES:
            raise TypeError(f"unravel_index: indices must be integers, received {indices.type}")
        outs = [TensorType("int64", indices.type.shape)() for _ in range(dims.type.shape[0])]
        return Apply(self, [indices, dims], outs)

    def perform(self, xp, node, inputs):
        indices, dims = inputs
        dims = tuple(int(d) for d in xp.to_host(dims))
        return [xp.asarray(a, dtype="int64") for a in xp.unravel_index(indices, dims, order=self.order)]

    def grad(self, inputs, output_grads):
        return [None, None]

    def connection_pattern(self, node):
        return [[False] * len(node.outputs)] * 2


def unravel_index(indices, dims, order="C"):
    """A tuple of int64 index arrays, one per dimension of ``dims``, like ``numpy.unravel_index``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> i = T.lvector('i')
        >>> [r.eval({i: [5]}).tolist() for r in unravel_index(i, (2, 3))]
        [[1], [2]]
    """
    outs = UnravelIndex(order)(indices, dims)
    return tuple(outs) if isinstance(outs, list) else (outs,)


class RavelMultiIndex(Op):
    """One index array per dimension of ``dims`` to flat indices, like ``numpy.ravel_multi_index``."""

    __props__ = ("mode", "order")

    def __init__(self, mode="raise", order="C"):
        if mode not in ("raise", "wrap", "clip") or order not in ("C", "F"):
            raise ValueError(f"ravel_multi_index: expected mode in raise/wrap/clip and order C/F, received "
                             f"mode={mode!r}, order={order!r}")
        self.mode, self.order = mode, order

    def make_node(self, *inputs):
        from .elemwise import broadcast_shapes_static

        *multi_index, dims = inputs
        multi_index = [as_tensor_variable(i) for i in multi_index]
        dims = _as_dims(dims, "ravel_multi_index")
        if len(multi_index) != dims.type.shape[0] or any(i.dtype not in INT_DTYPES for i in multi_index):
            raise TypeError(f"ravel_multi_index: expected {dims.type.shape[0]} integer index arrays, received "
                            f"{[str(i.type) for i in multi_index]}")
        ndim = max(i.ndim for i in multi_index)
        shapes = [(1,) * (ndim - i.ndim) + i.type.shape for i in multi_index]
        shape = broadcast_shapes_static(shapes, "ravel_multi_index")
        return Apply(self, multi_index + [dims], [TensorType("int64", shape)()])

    def perform(self, xp, node, inputs):
        *multi_index, dims = inputs
        dims = tuple(int(d) for d in xp.to_host(dims))
        flat = xp.ravel_multi_index(tuple(multi_index), dims, mode=self.mode, order=self.order)
        return [xp.asarray(flat, dtype="int64")]

    def grad(self, inputs, output_grads):
        return [None] * len(inputs)

    def connection_pattern(self, node):
        return [[False]] * len(node.inputs)


def ravel_multi_index(multi_index, dims, mode="raise", order="C"):
    """Flat int64 indices from a tuple of index arrays, like ``numpy.ravel_multi_index``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> r, c = T.lvector('r'), T.lvector('c')
        >>> ravel_multi_index((r, c), (2, 3)).eval({r: [1], c: [2]}).tolist()
        [5]
    """
    return RavelMultiIndex(mode, order)(*multi_index, dims)


# Theano's extra_ops module also holds these (defined with their concepts; the names are reached from here too)
from .search import SearchsortedOp, Unique, compress, searchsorted, unique  # noqa: E402
from .shape import squeeze  # noqa: E402
