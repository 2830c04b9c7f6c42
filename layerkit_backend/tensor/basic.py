"""Making tensors: cast, alloc/zeros/ones/fill and their ``*_like`` forms, copies, arange, eye, joins and splits."""
import numpy as np

from ..config import config
from ..graph.basic import Apply, Op
from ..graph.traversal import note_depends_on
from .elemwise import Elemwise
from .scalar import Cast
from .type import TensorType, as_dtype, INT_DTYPES
from .variable import TensorConstant, as_tensor_variable, constant

__all__ = ["cast", "Alloc", "alloc", "zeros", "ones", "full", "fill", "second", "zeros_like", "ones_like",
           "full_like", "broadcast_like", "broadcast_to", "broadcast_sizes", "tensor_copy", "Arange", "arange", "Eye", "eye",
           "identity_like", "tri", "tril", "triu", "Join", "join", "concatenate", "stack", "stacklists", "mgrid",
           "ogrid", "Split", "split", "as_index_scalar", "get_scalar_constant_value", "NotScalarConstantError"]

_CASTS = {}


def cast(x, dtype):
    """``x`` converted to ``dtype`` ('floatX' allowed); returns ``x`` itself when the dtype already matches."""
    x = as_tensor_variable(x)
    dtype = as_dtype(dtype)
    if x.dtype == dtype:
        return x
    if isinstance(x, TensorConstant):
        return constant(x.data.astype(dtype))
    op = _CASTS.get(dtype)
    if op is None:
        op = _CASTS[dtype] = Elemwise(Cast(dtype))
    return op(x)


class NotScalarConstantError(ValueError):
    """The variable's value is not known when the graph is built."""


def get_scalar_constant_value(v):
    """The Python value of a scalar known at build time (a constant, or a cast/shape of constants)."""
    if isinstance(v, (int, float, np.number)):
        return v
    if isinstance(v, TensorConstant) and v.data.size == 1:
        return v.data.item()
    if v.owner is not None:
        op = v.owner.op
        if isinstance(op, Elemwise) and isinstance(op.scalar_op, Cast):
            return np.asarray(get_scalar_constant_value(v.owner.inputs[0])).astype(op.scalar_op.dtype).item()
        from .shape import Shape_i

        if isinstance(op, Shape_i):
            size = v.owner.inputs[0].type.shape[op.i]
            if size is not None:
                return size
    raise NotScalarConstantError(f"{v} is not a constant scalar")


def as_index_scalar(v, what):
    """An integer scalar Variable (sizes, axes, indices), with a clear error otherwise."""
    v = as_tensor_variable(v)
    if v.ndim != 0 or v.dtype not in INT_DTYPES:
        raise TypeError(f"{what}: expected an integer scalar, received {v.type}")
    return v


def _static_int(v):
    try:
        return int(get_scalar_constant_value(v))
    except NotScalarConstantError:
        return None


class Alloc(Op):
    """``alloc(value, *shape)``: an array of ``shape`` filled by broadcasting ``value`` into it."""

    def make_node(self, value, *shape):
        value = as_tensor_variable(value)
        shape = [cast(as_index_scalar(s, "alloc shape"), "int64") for s in shape]
        if len(shape) < value.ndim:
            raise ValueError(f"alloc: value of {value.ndim} dims does not fit into {len(shape)} dims")
        static = tuple(_static_int(s) for s in shape)
        return Apply(self, [value] + shape, [TensorType(value.dtype, static)()])

    def make_thunk(self, node, xp):
        dtype = node.outputs[0].dtype

        def alloc(value, *shape):
            shape = tuple(int(s) for s in shape)
            if getattr(value, "ndim", 0) == 0:
                return xp.full(shape, value, dtype=dtype)
            out = xp.empty(shape, dtype=dtype)
            out[...] = value
            return out

        return alloc

    def grad(self, inputs, output_grads):
        from .elemwise import sum_to_shape_of
        from .reduce import sum as _sum

        value, gz = inputs[0], output_grads[0]
        extra = gz.ndim - value.ndim
        if extra:
            gz = _sum(gz, axis=tuple(range(extra)))
        return [sum_to_shape_of(gz, value)] + [None] * (len(inputs) - 1)

    def connection_pattern(self, node):
        return [[True]] + [[False]] * (len(node.inputs) - 1)


alloc = Alloc()


def _shape_args(shape):
    from .shape import shape as _shape_of

    if isinstance(shape, (int, np.integer)) or (hasattr(shape, "type") and shape.ndim == 0):
        return [shape]  # one size, as numpy.zeros(n)
    if hasattr(shape, "type") and shape.ndim == 1:
        n = shape.type.shape[0]
        if n is None:
            raise ValueError(f"shape {shape}: a symbolic shape vector needs a static length")
        return [shape[i] for i in range(n)]
    return list(shape)


def full(shape, fill_value, dtype=None):
    """An array of ``shape`` (ints or scalar variables) filled with ``fill_value``."""
    value = as_tensor_variable(fill_value) if dtype is None else cast(fill_value, dtype)
    return alloc(value, *_shape_args(shape))


def zeros(shape, dtype=None):
    """A tensor of zeros of ``shape`` (ints or scalar variables); floatX unless ``dtype``."""
    return alloc(constant(0, dtype=dtype or config.floatX), *_shape_args(shape))


def ones(shape, dtype=None):
    """A tensor of ones of ``shape`` (ints or scalar variables); floatX unless ``dtype``."""
    return alloc(constant(1, dtype=dtype or config.floatX), *_shape_args(shape))


def full_like(x, fill_value, dtype=None):
    """``fill_value`` with the shape of ``x`` (and its dtype unless given)."""
    x = as_tensor_variable(x)
    from .shape import shape_tuple

    return note_depends_on(alloc(constant(fill_value, dtype=dtype or x.dtype), *shape_tuple(x)), x)


def zeros_like(x, dtype=None):
    """Zeros with the shape of ``x`` (and its dtype unless given)."""
    return full_like(x, 0, dtype)


def ones_like(x, dtype=None):
    """Ones with the shape of ``x`` (and its dtype unless given)."""
    return full_like(x, 1, dtype)


def fill(model, value):
    """``value`` broadcast against ``model`` (Theano's ``fill``/``second``: the shape is the broadcast of both, the
    values and dtype are ``value``'s)."""
    model, value = as_tensor_variable(model), as_tensor_variable(value)
    return note_depends_on(alloc(value, *broadcast_sizes([model, value])), model)


def broadcast_sizes(tensors):
    """The sizes of the broadcast of ``tensors`` (static where known): per dimension, the size that is not 1."""
    from .math import eq, switch
    from .shape import shape_tuple

    ndim = max(t.ndim for t in tensors)
    sizes = [(None,) * (ndim - t.ndim) + shape_tuple(t) for t in tensors]
    statics = [(1,) * (ndim - t.ndim) + t.type.shape for t in tensors]
    out = []
    for d in range(ndim):
        candidates = [(s[d], k[d]) for s, k in zip(sizes, statics) if k[d] != 1]
        if not candidates:
            out.append(1)
        elif any(k is not None for _, k in candidates):  # a static size other than 1 decides
            out.append(next(k for _, k in candidates if k is not None))
        else:
            size = candidates[0][0]
            for other, _ in candidates[1:]:
                size = switch(eq(size, 1), other, size)
            out.append(size)
    return out


second = fill


def broadcast_like(value, like):
    """``value`` broadcast to the shape of ``like``."""
    return fill(like, value)


def broadcast_to(x, shape):
    """``x`` broadcast to ``shape``, like ``numpy.broadcast_to``."""
    return alloc(x, *_shape_args(shape))


def tensor_copy(x):
    """A copy of ``x`` in a new buffer."""
    from .math import identity

    return identity(x)


class Arange(Op):
    """``arange(start, stop, step)`` with scalar inputs; integer results are int64, float ones floatX."""

    __props__ = ("dtype",)

    def __init__(self, dtype):
        self.dtype = dtype

    def make_node(self, start, stop, step):
        start, stop, step = (as_tensor_variable(v) for v in (start, stop, step))
        for v in (start, stop, step):
            if v.ndim != 0:
                raise TypeError(f"arange: expected scalar bounds, received {v.type}")
        vals = [_static(v) for v in (start, stop, step)]
        length = None
        if all(v is not None for v in vals):
            length = len(range(0)) if vals[2] == 0 else max(0, int(np.ceil((vals[1] - vals[0]) / vals[2])))
        return Apply(self, [start, stop, step], [TensorType(self.dtype, (length,))()])

    def perform(self, xp, node, inputs):
        start, stop, step = (x.item() if hasattr(x, "item") else x for x in inputs)
        if step == 0:
            raise ValueError("arange: step must not be zero")
        return [xp.arange(start, stop, step, dtype=self.dtype)]

    def grad(self, inputs, output_grads):
        return [None, None, None]


def _static(v):
    try:
        return get_scalar_constant_value(v)
    except NotScalarConstantError:
        return None


def arange(start, stop=None, step=1, dtype=None):
    """Evenly spaced values in ``[start, stop)``, like ``numpy.arange``."""
    if stop is None:
        start, stop = 0, start
    start, stop, step = (as_tensor_variable(v) for v in (start, stop, step))
    if dtype is None:
        from .scalar import upcast

        dtype = upcast(*[v.dtype for v in (start, stop, step)])
        if dtype.startswith("int") or dtype.startswith("uint"):
            dtype = "int64"
        elif all(getattr(v.tag, "weak", False) for v in (start, stop, step)):
            dtype = config.floatX
    return Arange(as_dtype(dtype))(start, stop, step)


class Eye(Op):
    """``eye(n, m, k)``: ones on the k-th diagonal."""

    __props__ = ("dtype",)

    def __init__(self, dtype):
        self.dtype = dtype

    def make_node(self, n, m, k):
        n, m, k = (cast(as_index_scalar(v, "eye"), "int64") for v in (n, m, k))
        return Apply(self, [n, m, k], [TensorType(self.dtype, (_static_int(n), _static_int(m)))()])

    def perform(self, xp, node, inputs):
        n, m, k = (int(v) for v in inputs)
        return [xp.eye(n, m, k, dtype=self.dtype)]

    def grad(self, inputs, output_grads):
        return [None, None, None]


def eye(n, m=None, k=0, dtype=None):
    """A 2-d ``(n, m)`` tensor with ones on the ``k``-th diagonal."""
    return Eye(as_dtype(dtype))(n, n if m is None else m, k)


def tri(N, M=None, k=0, dtype=None):
    """An ``(N, M)`` tensor with ones at and below the ``k``-th diagonal, zeros above (``numpy.tri``)."""
    from .math import ge

    M = N if M is None else M
    rows = arange(cast(as_tensor_variable(N), "int64")).dimshuffle(0, "x")
    cols = arange(cast(as_tensor_variable(M), "int64")).dimshuffle("x", 0)
    return cast(ge(rows + k, cols), dtype or config.floatX)


def tril(m, k=0):
    """``m`` with the elements above the ``k``-th diagonal zeroed (``numpy.tril`` of a matrix)."""
    m = as_tensor_variable(m)
    return m * tri(m.shape[0], m.shape[1], k=k, dtype=m.dtype)


def triu(m, k=0):
    """``m`` with the elements below the ``k``-th diagonal zeroed (``numpy.triu`` of a matrix)."""
    m = as_tensor_variable(m)
    return m * (1 - tri(m.shape[0], m.shape[1], k=k - 1, dtype=m.dtype))


def identity_like(x, dtype=None):
    """An identity matrix with the shape of the 2-d tensor ``x``."""
    from .shape import shape_tuple

    x = as_tensor_variable(x)
    rows, cols = shape_tuple(x)
    return eye(rows, cols, 0, dtype=dtype or x.dtype)


class Join(Op):
    """Concatenate tensors along ``axis`` (a constant)."""

    __props__ = ("axis",)

    def __init__(self, axis):
        self.axis = axis

    def make_node(self, *tensors):
        from .scalar import upcast

        tensors = [as_tensor_variable(t) for t in tensors]
        if not tensors:
            raise ValueError("join: expected at least one tensor")
        ndim = tensors[0].ndim
        if ndim == 0:
            raise TypeError("join: cannot join 0-d tensors (use stack)")
        if any(t.ndim != ndim for t in tensors):
            raise TypeError(f"join: expected tensors of equal rank, received ranks {[t.ndim for t in tensors]}")
        axis = self.axis % ndim
        dtype = upcast(*[t.dtype for t in tensors])
        tensors = [cast(t, dtype) for t in tensors]
        shape = []
        for d in range(ndim):
            sizes = [t.type.shape[d] for t in tensors]
            if d == axis:
                shape.append(None if None in sizes else sum(sizes))
            else:
                known = {s for s in sizes if s is not None}
                if len(known) > 1:
                    raise ValueError(f"join along axis {axis}: dimension {d} differs: "
                                     f"{[t.type.shape for t in tensors]}")
                shape.append(known.pop() if known else None)
        return Apply(self, tensors, [TensorType(dtype, tuple(shape))()])

    def make_thunk(self, node, xp):
        axis = self.axis % node.outputs[0].ndim
        return lambda *tensors: xp.concatenate(tensors, axis=axis)

    def grad(self, inputs, output_grads):
        from .shape import shape as _shape
        from .subtensor import getitem

        gz = output_grads[0]
        axis = self.axis % gz.ndim
        grads, start = [], constant(0)
        for t in inputs:
            stop = start + _shape(t)[axis]
            index = (slice(None),) * axis + (slice(start, stop),)
            g = getitem(gz, index)
            grads.append(g if t.dtype == gz.dtype else None)
            start = stop
        return grads


def join(axis, *tensors):
    """Theano's ``join(axis, t1, t2, ...)``."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    if len(tensors) == 1:
        return as_tensor_variable(tensors[0])
    return Join(int(axis))(*tensors)


def concatenate(tensor_list, axis=0):
    """Concatenate along ``axis``: ``concatenate([a, b], axis=1)``."""
    return join(axis, *tensor_list)


def stack(tensors, *more, axis=0):
    """Join tensors of equal shape along a new ``axis``: ``stack([a, b], axis)``, or Theano's older
    ``stack(a, b, c)`` (every argument a tensor)."""
    if isinstance(tensors, (list, tuple)):
        if len(more) > 1:
            raise TypeError("stack: pass a list of tensors and the axis, e.g. stack([a, b], axis=1)")
        if more:
            axis = more[0]
    else:
        tensors = [tensors, *more]
    if not tensors:
        raise TypeError("stack: expected a non-empty list of tensors")
    from .shape import expand_dims

    tensors = [as_tensor_variable(t) for t in tensors]
    ndim = tensors[0].ndim
    axis = axis % (ndim + 1)
    return join(axis, *[expand_dims(t, axis) for t in tensors])


def stacklists(arg):
    """A tensor from nested lists of scalars or tensors: ``stacklists([[a, b], [c, d]])`` is a 2x2 matrix.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> a, b = T.dscalars('a', 'b')
        >>> stacklists([[a, b], [b, a]]).eval({a: 1.0, b: 2.0}).tolist()
        [[1.0, 2.0], [2.0, 1.0]]
    """
    if isinstance(arg, (list, tuple)):
        return stack([stacklists(a) for a in arg])
    return as_tensor_variable(arg)


class _Grid:
    """``mgrid[0:5, 0:3]`` (dense coordinate tensors) and ``ogrid[...]`` (open ones), as NumPy's."""

    def __init__(self, sparse):
        self.sparse = sparse

    def __getitem__(self, slices):
        if not isinstance(slices, tuple):
            slices = (slices,)
        axes = []
        for sl in slices:
            if not isinstance(sl, slice) or sl.stop is None:
                raise TypeError(f"{self._name()}: expected slices with a stop, received {sl!r}")
            start = 0 if sl.start is None else sl.start
            step = 1 if sl.step is None else sl.step
            if isinstance(step, complex):  # 5j: that many points, stop included (numpy's convention)
                count = int(abs(step))
                axes.append(start + arange(count, dtype=config.floatX) * ((sl.stop - start) / max(count - 1, 1)))
            else:
                axes.append(arange(start, sl.stop, step))
        n = len(axes)
        shaped = [a.dimshuffle(*["x" if d != k else 0 for d in range(n)]) for k, a in enumerate(axes)]
        if self.sparse:
            return shaped
        full = [_size_of(a) for a in axes]
        return [alloc(s, *full) for s in shaped]

    def _name(self):
        return "ogrid" if self.sparse else "mgrid"


def _size_of(v):
    from .shape import shape_i

    return shape_i(v, 0)


mgrid = _Grid(sparse=False)
ogrid = _Grid(sparse=True)


class Split(Op):
    """Split ``x`` along ``axis`` into ``len_splits`` pieces whose sizes are the vector ``splits``."""

    __props__ = ("len_splits",)

    def __init__(self, len_splits):
        self.len_splits = int(len_splits)
        self.view_map = {i: [0] for i in range(self.len_splits)}  # the pieces are views of x

    def make_node(self, x, axis, splits):
        x = as_tensor_variable(x)
        axis = as_index_scalar(axis, "split axis")
        splits = as_tensor_variable(splits)
        if splits.ndim != 1 or splits.dtype not in INT_DTYPES:
            raise TypeError(f"split: sizes must be an integer vector, received {splits.type}")
        ax = _static_int(axis)
        sizes = splits.data.tolist() if isinstance(splits, TensorConstant) else [None] * self.len_splits
        outs = []
        for s in sizes:
            shape = list(x.type.shape)
            if ax is not None:
                shape[ax] = s
            else:
                shape = [None] * x.ndim
            outs.append(TensorType(x.dtype, tuple(shape))())
        return Apply(self, [x, axis, splits], outs)

    def perform(self, xp, node, inputs):
        x, axis, splits = inputs
        axis = int(axis)
        sizes = [int(s) for s in splits]
        if sum(sizes) != x.shape[axis]:
            raise ValueError(f"split: sizes {sizes} do not add up to dimension {axis} of size {x.shape[axis]}")
        bounds = np.cumsum(sizes)[:-1].tolist()
        return list(xp.split(x, bounds, axis=axis))

    def grad(self, inputs, output_grads):
        x, axis, _ = inputs
        ax = _static_int(axis)
        if ax is None:
            raise NotImplementedError("split: the gradient needs a constant axis")
        parts = [g if g is not None else zeros_like(o) for g, o in zip(output_grads, self(*inputs))]
        return [join(ax, *parts), None, None]

    def connection_pattern(self, node):
        return [[True] * self.len_splits, [False] * self.len_splits, [False] * self.len_splits]


def split(x, splits_size, n_splits, axis=0):
    """Theano's ``split(x, splits_size, n_splits, axis)``: a list of ``n_splits`` pieces."""
    return Split(n_splits)(x, axis, splits_size)
