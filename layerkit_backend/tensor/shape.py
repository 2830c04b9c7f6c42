"""Shapes as values: ``x.shape``, ``reshape``, ``flatten``, ``transpose``, ``squeeze``, ``specify_shape``..."""
import numpy as np

from ..graph.basic import Apply, Op
from ..graph.traversal import note_depends_on
from .elemwise import DimShuffle
from .type import INT_DTYPES, TensorType
from .variable import TensorConstant, as_tensor_variable, constant

__all__ = ["Shape", "shape", "Shape_i", "shape_i", "shape_tuple", "Reshape", "reshape", "flatten", "transpose",
           "squeeze", "expand_dims", "shape_padleft", "shape_padright", "shape_padaxis", "SpecifyShape",
           "specify_shape", "addbroadcast", "unbroadcast", "Unbroadcast", "patternbroadcast", "roll", "swapaxes"]


class Shape(Op):
    """``x.shape`` as an int64 vector."""

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [TensorType("int64", (x.ndim,))()])

    def make_thunk(self, node, xp):
        import numpy

        return lambda x: numpy.asarray(x.shape, dtype="int64")

    def perform(self, xp, node, inputs):
        return [np.asarray(inputs[0].shape, dtype="int64")]

    def grad(self, inputs, output_grads):
        return [None]

    def connection_pattern(self, node):
        return [[False]]


class Shape_i(Op):
    """``x.shape[i]`` as an int64 scalar."""

    __props__ = ("i",)

    def __init__(self, i):
        self.i = int(i)

    def make_node(self, x):
        x = as_tensor_variable(x)
        if not 0 <= self.i < x.ndim:
            raise ValueError(f"shape_i({self.i}) of a {x.ndim}-d tensor")
        return Apply(self, [x], [TensorType("int64", ())()])

    def make_thunk(self, node, xp):
        i = self.i
        return lambda x: np.int64(x.shape[i])

    def perform(self, xp, node, inputs):
        return [np.int64(inputs[0].shape[self.i])]

    def grad(self, inputs, output_grads):
        return [None]

    def connection_pattern(self, node):
        return [[False]]


_shape = Shape()


def shape(x):
    """The symbolic shape vector of ``x`` (a constant when every size is static)."""
    x = as_tensor_variable(x)
    if all(s is not None for s in x.type.shape):
        return note_depends_on(constant(np.asarray(x.type.shape, dtype="int64")), x)
    return _shape(x)


def shape_i(x, i):
    """``x.shape[i]``: a constant when the size is static."""
    x = as_tensor_variable(x)
    size = x.type.shape[i]
    return note_depends_on(constant(np.int64(size)), x) if size is not None else Shape_i(i % x.ndim)(x)


def shape_tuple(x):
    """A tuple of int64 scalars, one per dimension of ``x``."""
    x = as_tensor_variable(x)
    return tuple(shape_i(x, i) for i in range(x.ndim))


class Reshape(Op):
    """Reshape to the int64 vector ``shp`` of length ``ndim`` (one entry may be -1)."""

    __props__ = ("ndim",)
    view_map = {0: [0]}

    def __init__(self, ndim):
        self.ndim = int(ndim)

    def make_node(self, x, shp):
        x = as_tensor_variable(x)
        shp = as_tensor_variable(shp)
        if shp.ndim != 1 or shp.dtype not in INT_DTYPES:
            raise TypeError(f"reshape: the shape must be an integer vector, received {shp.type}")
        static = [None] * self.ndim
        if isinstance(shp, TensorConstant):
            static = [None if s == -1 else int(s) for s in shp.data]
            if -1 in shp.data.tolist() and all(s is not None for s in x.type.shape):
                total = int(np.prod(x.type.shape))
                known = int(np.prod([s for s in static if s is not None]))
                static = [total // known if s is None else s for s in static] if known else static
            if all(s is not None for s in static) and all(s is not None for s in x.type.shape) \
                    and int(np.prod(static)) != int(np.prod(x.type.shape)):
                raise ValueError(f"reshape: cannot reshape {x.type.shape_str()} into {tuple(shp.data.tolist())}")
        else:
            static = _stacked_entries(shp, self.ndim)
        return Apply(self, [x, shp], [TensorType(x.dtype, tuple(static))()])

    def make_thunk(self, node, xp):
        def reshape(x, shp):
            try:
                return xp.reshape(x, tuple(int(s) for s in shp))
            except ValueError:
                raise ValueError(f"reshape: cannot reshape an array of shape {x.shape} into "
                                 f"{tuple(int(s) for s in shp)}") from None

        return reshape

    def grad(self, inputs, output_grads):
        x, _ = inputs
        return [reshape(output_grads[0], shape(x), ndim=x.ndim), None]

    def connection_pattern(self, node):
        return [[True], [False]]


def _stacked_entries(shp, ndim):
    """The build-time-known entries of a shape vector made by ``stack`` (None where unknown or -1)."""
    from .basic import Join, NotScalarConstantError, get_scalar_constant_value
    from .elemwise import DimShuffle

    node = shp.owner
    if node is None or not isinstance(node.op, Join) or len(node.inputs) != ndim:
        return [None] * ndim
    out = []
    for part in node.inputs:
        inner = part.owner
        if inner is None or not isinstance(inner.op, DimShuffle) or inner.op.new_order != ("x",):
            out.append(None)
            continue
        try:
            value = int(get_scalar_constant_value(inner.inputs[0]))
        except NotScalarConstantError:
            value = -1
        out.append(None if value < 0 else value)
    return out


def reshape(x, newshape, ndim=None):
    """``x`` with shape ``newshape`` (ints and scalar variables, or an int vector; -1 infers one size)."""
    from .basic import stack, cast

    x = as_tensor_variable(x)
    if isinstance(newshape, (int, np.integer)):
        newshape = (newshape,)
    if isinstance(newshape, (list, tuple)):
        static = [_static_size(s) for s in newshape]
        if all(s is not None for s in static):  # sizes known at build time (x.shape[0] of a static x) stay known
            shp = constant(np.asarray(static, dtype="int64"))
        else:
            shp = stack([cast(as_tensor_variable(s), "int64") for s in newshape])
        ndim = len(newshape)
    else:
        shp = as_tensor_variable(newshape)
        if ndim is None:
            ndim = shp.type.shape[0]
            if ndim is None:
                raise ValueError("reshape: the length of a symbolic shape vector must be static, or pass ndim=")
    return Reshape(ndim)(x, shp)


def _static_size(s):
    from .basic import NotScalarConstantError, get_scalar_constant_value

    if isinstance(s, (int, np.integer)):
        return int(s)
    try:
        return int(get_scalar_constant_value(as_tensor_variable(s)))
    except (NotScalarConstantError, TypeError):
        return None


def flatten(x, ndim=1):
    """Keep the first ``ndim - 1`` dimensions and flatten the rest into the last: ``flatten(x4, 2)`` is (N, C*H*W)."""
    x = as_tensor_variable(x)
    if not 1 <= ndim <= max(x.ndim, 1):
        raise ValueError(f"flatten: ndim must be in [1, {x.ndim}], received {ndim}")
    from .basic import stack

    lead = list(shape_tuple(x)[: ndim - 1])
    if all(s is not None for s in x.type.shape):
        sizes = list(x.type.shape[: ndim - 1]) + [int(np.prod(x.type.shape[ndim - 1:], dtype=np.int64))]
        return Reshape(ndim)(x, constant(np.asarray(sizes, dtype="int64")))
    trailing = x.type.shape[ndim - 1:]
    if not lead:
        return Reshape(ndim)(x, constant(np.asarray([-1])))
    if all(s is not None for s in trailing):
        last = constant(np.int64(int(np.prod(trailing, dtype=np.int64))))
    else:  # the product of the sizes, not -1: NumPy cannot infer -1 when the array is empty
        last = shape_i(x, ndim - 1)
        for k in range(ndim, x.ndim):
            last = last * shape_i(x, k)
    return Reshape(ndim)(x, stack(lead + [last]))


def transpose(x, axes=None):
    """Permute the dimensions of ``x`` (reverse them by default)."""
    x = as_tensor_variable(x)
    axes = tuple(range(x.ndim))[::-1] if axes is None else tuple(a % x.ndim for a in axes)
    return DimShuffle(x.ndim, axes)(x)


def swapaxes(x, axis1, axis2):
    """``x`` with dimensions ``axis1`` and ``axis2`` exchanged (``numpy.swapaxes``)."""
    x = as_tensor_variable(x)
    order = list(range(x.ndim))
    order[axis1], order[axis2] = order[axis2], order[axis1]
    return DimShuffle(x.ndim, tuple(order))(x)


def squeeze(x, axis=None):
    """Drop size-1 dimensions: the statically broadcastable ones, or those in ``axis``."""
    x = as_tensor_variable(x)
    if axis is None:
        drop = [i for i, s in enumerate(x.type.shape) if s == 1]
    else:
        drop = [a % x.ndim for a in (axis if isinstance(axis, (list, tuple)) else [axis])]
    return DimShuffle(x.ndim, tuple(i for i in range(x.ndim) if i not in drop))(x)


def expand_dims(x, axis):
    """Insert a size-1 dimension at ``axis``."""
    x = as_tensor_variable(x)
    axis = axis % (x.ndim + 1)
    order = list(range(x.ndim))
    order.insert(axis, "x")
    return DimShuffle(x.ndim, tuple(order))(x)


def shape_padleft(x, n_ones=1):
    """``x`` with ``n_ones`` broadcastable dimensions added on the left."""
    x = as_tensor_variable(x)
    return DimShuffle(x.ndim, ("x",) * n_ones + tuple(range(x.ndim)))(x)


def shape_padright(x, n_ones=1):
    """``x`` with ``n_ones`` broadcastable dimensions added on the right."""
    x = as_tensor_variable(x)
    return DimShuffle(x.ndim, tuple(range(x.ndim)) + ("x",) * n_ones)(x)


def shape_padaxis(x, axis):
    """``x`` with a broadcastable dimension inserted at ``axis`` (``expand_dims``)."""
    return expand_dims(x, axis)


class SpecifyShape(Op):
    """Assert at run time that ``x`` has ``shape`` (None entries are free); refines the static shape."""

    __props__ = ("shape",)
    view_map = {0: [0]}

    def __init__(self, shape):
        self.shape = tuple(None if s is None else int(s) for s in shape)

    def make_node(self, x):
        x = as_tensor_variable(x)
        if len(self.shape) != x.ndim:
            raise ValueError(f"specify_shape: {len(self.shape)} sizes for a {x.ndim}-d tensor")
        out = []
        for i, (have, want) in enumerate(zip(x.type.shape, self.shape)):
            if have is not None and want is not None and have != want:
                raise ValueError(f"specify_shape: dimension {i} is statically {have}, not {want}")
            out.append(want if want is not None else have)
        return Apply(self, [x], [TensorType(x.dtype, tuple(out))()])

    def make_thunk(self, node, xp):
        want = self.shape

        def specify_shape(x):
            if len(x.shape) != len(want) or any(w is not None and w != s for w, s in zip(want, x.shape)):
                raise ValueError(f"specify_shape: expected shape {want}, received {x.shape}")
            return x

        return specify_shape

    def grad(self, inputs, output_grads):
        return [output_grads[0]]


def specify_shape(x, shape):
    """``x``, checked at run time to have ``shape`` (ints or None), with that static shape from now on."""
    return SpecifyShape(tuple(shape))(x)


def addbroadcast(x, *axes):
    """Declare dimensions ``axes`` of ``x`` to be of size 1 (checked at run time)."""
    x = as_tensor_variable(x)
    want = tuple(1 if i in axes else s for i, s in enumerate(x.type.shape))
    return specify_shape(x, want)


class Unbroadcast(Op):
    """``x`` unchanged, with dimensions ``axes`` no longer known to be of size 1 (Theano's ``Rebroadcast``)."""

    __props__ = ("axes",)
    view_map = {0: [0]}

    def __init__(self, axes):
        self.axes = tuple(sorted(set(int(a) for a in axes)))

    def make_node(self, x):
        x = as_tensor_variable(x)
        shape = tuple(None if i in self.axes and s == 1 else s for i, s in enumerate(x.type.shape))
        return Apply(self, [x], [TensorType(x.dtype, shape)()])

    def make_thunk(self, node, xp):
        return lambda x: x

    def grad(self, inputs, output_grads):
        return [output_grads[0]]


def unbroadcast(x, *axes):
    """Forget that dimensions ``axes`` of ``x`` are broadcastable (size 1); values are unchanged."""
    x = as_tensor_variable(x)
    axes = [a % x.ndim for a in axes if x.type.shape[a % x.ndim] == 1]
    return Unbroadcast(axes)(x) if axes else x


def roll(x, shift, axis=None):
    """``x`` with its elements shifted by ``shift`` along ``axis`` (of the flattened ``x`` when None), wrapping
    around, like ``numpy.roll``; ``shift`` may be a symbolic scalar.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> v = T.dvector('v')
        >>> roll(v, 1).eval({v: [1.0, 2.0, 3.0]}).tolist()
        [3.0, 1.0, 2.0]
    """
    from .basic import concatenate
    from .subtensor import getitem

    x = as_tensor_variable(x)
    if axis is None:
        return reshape(roll(flatten(x), shift, 0), shape(x), ndim=x.ndim) if x.ndim != 1 else roll(x, shift, 0)
    if not -x.ndim <= axis < max(x.ndim, 1):
        raise ValueError(f"roll: axis {axis} is out of range for a {x.ndim}-d tensor")
    axis %= x.ndim
    n = shape_i(x, axis)
    k = as_tensor_variable(shift) % n if not isinstance(shift, int) else None
    lead = (slice(None),) * axis
    if k is None:
        static = x.type.shape[axis]
        if static is not None and static:
            k = shift % static
            if k == 0:
                return x
        else:
            k = shift % n
    return concatenate([getitem(x, lead + (slice(-k, None),)), getitem(x, lead + (slice(None, -k),))], axis=axis)


def patternbroadcast(x, broadcastable):
    """Theano compatibility: declare the dimensions flagged True in ``broadcastable`` to be of size 1."""
    axes = [i for i, b in enumerate(broadcastable) if b]
    return addbroadcast(x, *axes)
