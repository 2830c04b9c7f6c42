"""``keras.ops`` NumPy-like creation, shape and indexing functions over ``layerkit_backend.tensor``.

Example:
    >>> import numpy as np
    >>> reshape(arange(6), (2, 3)).tolist(), concatenate([np.ones(2), np.zeros(1)]).tolist()
    ([[0, 1, 2], [3, 4, 5]], [1.0, 1.0, 0.0])
"""
import builtins

import numpy as np

import layerkit_backend as lb
import layerkit_backend.tensor as T

from ..eager import eager_function
from .core import tensor

__all__ = ["arange", "linspace", "logspace", "eye", "identity", "zeros", "ones", "full", "empty", "zeros_like",
           "ones_like", "full_like", "empty_like", "tri", "tril", "triu", "diag", "diagonal", "meshgrid", "array",
           "reshape", "ravel", "transpose", "swapaxes", "moveaxis", "expand_dims", "squeeze", "broadcast_to",
           "concatenate", "append", "stack", "hstack", "vstack", "dstack", "split", "tile", "repeat", "flip",
           "fliplr", "flipud", "roll", "pad", "take", "take_along_axis", "sort", "argsort", "size", "ndim",
           "bincount", "get_item", "hsplit", "vsplit", "dsplit", "array_split", "rot90", "diagflat", "vander",
           "geomspace"]


def _dtype(dtype, default=None):
    return dtype if dtype is not None else (default or lb.config.floatX)


# ------------------------------------------------------------------------------------------- creation
@eager_function
def arange(start, stop=None, step=1, dtype=None):
    """``start, start + step, ...`` below ``stop`` (NumPy's ``arange``; int64 for integer bounds)."""
    return T.arange(start, stop, step, dtype=dtype)


@eager_function
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """``num`` evenly spaced values from ``start`` to ``stop`` (included if ``endpoint``)."""
    dtype = _dtype(dtype)
    start, stop = T.cast(tensor(start), dtype), T.cast(tensor(stop), dtype)
    divisor = (num - 1) if endpoint else num
    step = (stop - start) / builtins.max(divisor, 1)
    values = start + T.arange(num, dtype=dtype) * step if num > 1 or not endpoint else T.reshape(start, (1,))[:num]
    if axis != 0:
        values = moveaxis.symbolic(values, 0, axis)
    return (values, step) if retstep else values


@eager_function
def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    """``base ** linspace(start, stop, num)``."""
    return T.cast(T.pow(T.cast(base, _dtype(dtype)), linspace.symbolic(start, stop, num, endpoint, dtype=dtype)),
                  _dtype(dtype))


@eager_function
def eye(N, M=None, k=0, dtype=None):  # noqa: N803 - keras.ops's argument names
    """A 2-d tensor with ones on the ``k``-th diagonal."""
    return T.eye(N, M, k, dtype=_dtype(dtype))


@eager_function
def identity(n, dtype=None):
    """The ``(n, n)`` identity matrix."""
    return T.eye(n, dtype=_dtype(dtype))


@eager_function
def zeros(shape, dtype=None):
    """Zeros of ``shape``."""
    return T.zeros(tuple(np.atleast_1d(shape)) if np.ndim(shape) else (shape,), dtype=_dtype(dtype))


@eager_function
def ones(shape, dtype=None):
    """Ones of ``shape``."""
    return T.ones(tuple(np.atleast_1d(shape)) if np.ndim(shape) else (shape,), dtype=_dtype(dtype))


@eager_function
def full(shape, fill_value, dtype=None):
    """``fill_value`` everywhere in ``shape``."""
    fill_value = tensor(fill_value)
    dtype = dtype or (fill_value.dtype if not getattr(fill_value.tag, "weak", False) else
                      lb.config.floatX if fill_value.dtype.startswith("float") else fill_value.dtype)
    return T.alloc(T.cast(fill_value, dtype), *(tuple(shape) if np.ndim(shape) else (shape,)))


empty = zeros   # keras.ops's name for uninitialised memory: zeros here (a public alias)


@eager_function
def zeros_like(x, dtype=None):
    """Zeros of ``x``'s shape (and dtype)."""
    return T.zeros_like(tensor(x), dtype=dtype)


@eager_function
def ones_like(x, dtype=None):
    """Ones of ``x``'s shape (and dtype)."""
    return T.ones_like(tensor(x), dtype=dtype)


@eager_function
def full_like(x, fill_value, dtype=None):
    """``fill_value`` in ``x``'s shape (and dtype)."""
    return T.full_like(tensor(x), fill_value, dtype=dtype)


empty_like = zeros_like   # keras.ops's name (a public alias)


def _lower_mask(rows, cols, k):
    return T.ge(T.arange(rows, dtype="int64").dimshuffle(0, "x") + k, T.arange(cols, dtype="int64"))


@eager_function
def tri(N, M=None, k=0, dtype=None):  # noqa: N803
    """Ones at and below the ``k``-th diagonal of an ``(N, M)`` matrix."""
    return T.cast(_lower_mask(N, N if M is None else M, k), _dtype(dtype))


@eager_function
def tril(x, k=0):
    """``x`` with the entries above the ``k``-th diagonal (of the last two axes) set to 0."""
    x = tensor(x)
    mask = _lower_mask(T.shape(x)[-2], T.shape(x)[-1], k)
    return T.switch(mask, x, T.zeros_like(x))


@eager_function
def triu(x, k=0):
    """``x`` with the entries below the ``k``-th diagonal (of the last two axes) set to 0."""
    x = tensor(x)
    mask = _lower_mask(T.shape(x)[-2], T.shape(x)[-1], k - 1)
    return T.switch(mask, T.zeros_like(x), x)


@eager_function
def diag(x, k=0):
    """A vector's diagonal matrix, or a matrix's ``k``-th diagonal."""
    x = tensor(x)
    if x.ndim == 1:
        n = T.shape(x)[0] + builtins.abs(k)
        rows = T.arange(T.shape(x)[0], dtype="int64") + builtins.max(-k, 0)
        cols = T.arange(T.shape(x)[0], dtype="int64") + builtins.max(k, 0)
        return T.set_subtensor(T.zeros((n, n), dtype=x.dtype)[rows, cols], x)
    if x.ndim != 2:
        raise ValueError(f"diag: expected a vector or a matrix, received shape {x.type.shape}")
    return diagonal.symbolic(x, offset=k)


@eager_function
def diagonal(x, offset=0, axis1=0, axis2=1):
    """The ``offset``-th diagonal of the (axis1, axis2) planes, as the last axis."""
    x = tensor(x)
    a1, a2 = axis1 % x.ndim, axis2 % x.ndim
    moved = x.dimshuffle(*[a for a in range(x.ndim) if a not in (a1, a2)], a1, a2)
    rows, cols = T.shape(moved)[-2], T.shape(moved)[-1]
    count = T.maximum(T.minimum(rows + T.minimum(offset, 0), cols - T.maximum(offset, 0)), 0)
    index = T.arange(count, dtype="int64")
    return moved[..., index + builtins.max(-offset, 0), index + builtins.max(offset, 0)]


@eager_function
def meshgrid(*x, indexing="xy"):
    """Coordinate grids of 1-d tensors (``indexing`` 'xy' or 'ij')."""
    vectors = [T.flatten(tensor(v)) for v in x]
    n = len(vectors)
    grids = []
    for k, v in enumerate(vectors):   # 'ij' grids, of shape (len(x0), len(x1), ...)
        pattern = ["x"] * n
        pattern[k] = 0
        grids.append(T.broadcast_to(v.dimshuffle(*pattern), [T.shape(u)[0] for u in vectors]))
    if indexing == "xy" and n >= 2:   # Cartesian indexing swaps the first two axes
        grids = [g.dimshuffle(1, 0, *range(2, n)) for g in grids]
    return grids


@eager_function
def array(x, dtype=None):
    """``x`` as a tensor (of ``dtype``)."""
    return tensor(x, dtype)


# ------------------------------------------------------------------------------------------- shape
@eager_function
def reshape(x, newshape):
    """``x`` with ``newshape`` (one entry may be -1)."""
    return T.reshape(tensor(x), newshape)


@eager_function
def ravel(x):
    """The entries of ``x`` as a vector."""
    return T.flatten(tensor(x))


@eager_function
def transpose(x, axes=None):
    """``x`` with its axes permuted (reversed if ``axes`` is None)."""
    return T.transpose(tensor(x), axes)


@eager_function
def swapaxes(x, axis1, axis2):
    """``x`` with two axes exchanged."""
    x = tensor(x)
    order = list(range(x.ndim))
    order[axis1 % x.ndim], order[axis2 % x.ndim] = order[axis2 % x.ndim], order[axis1 % x.ndim]
    return x.dimshuffle(*order)


@eager_function
def moveaxis(x, source, destination):
    """``x`` with axes moved from ``source`` to ``destination`` (ints or lists)."""
    x = tensor(x)
    source = [s % x.ndim for s in np.atleast_1d(source)]
    destination = [d % x.ndim for d in np.atleast_1d(destination)]
    order = [a for a in range(x.ndim) if a not in source]
    for d, s in sorted(builtins.zip(destination, source)):
        order.insert(d, s)
    return x.dimshuffle(*order)


@eager_function
def expand_dims(x, axis):
    """``x`` with new axes of length 1 at ``axis`` (an int or a tuple)."""
    x = tensor(x)
    axes = sorted(a % (x.ndim + len(np.atleast_1d(axis))) for a in np.atleast_1d(axis))
    for a in axes:
        x = T.expand_dims(x, a)
    return x


@eager_function
def squeeze(x, axis=None):
    """``x`` without the axes of length 1 (those in ``axis``, or every static one)."""
    x = tensor(x)
    if axis is None:
        axis = [a for a, s in enumerate(x.type.shape) if s == 1]
    return T.squeeze(x, axis=axis)


@eager_function
def broadcast_to(x, shape):
    """``x`` broadcast to ``shape``."""
    return T.broadcast_to(tensor(x), tuple(shape))


@eager_function
def concatenate(xs, axis=0):
    """The tensors ``xs`` joined along ``axis`` (None: flattened first)."""
    xs = [tensor(x) for x in xs]
    if axis is None:
        xs, axis = [T.flatten(x) for x in xs], 0
    dtype = T.as_tensor_variable(builtins.sum(T.zeros((), dtype=x.dtype) for x in xs)).dtype
    return T.concatenate([T.cast(x, dtype) for x in xs], axis=axis % xs[0].ndim)


@eager_function
def append(x1, x2, axis=None):
    """``x2`` appended to ``x1`` along ``axis`` (flattened if None)."""
    return concatenate.symbolic([x1, x2], axis=axis)


@eager_function
def stack(x, axis=0):
    """The tensors ``x`` (of one shape) stacked along a new ``axis``."""
    return T.stack([tensor(v) for v in x], axis=axis)


@eager_function
def hstack(xs):
    """Joined along axis 1 (axis 0 for vectors)."""
    xs = [tensor(x) for x in xs]
    return T.concatenate(xs, axis=0 if xs[0].ndim == 1 else 1)


@eager_function
def vstack(xs):
    """Joined along axis 0 (vectors become rows)."""
    return T.concatenate([T.shape_padleft(t) if t.ndim == 1 else t for t in (tensor(x) for x in xs)], axis=0)


@eager_function
def dstack(xs):
    """Joined along axis 2 (lower ranks padded as NumPy's ``atleast_3d``)."""
    def three(t):
        return t.dimshuffle("x", 0, "x") if t.ndim == 1 else t.dimshuffle(0, 1, "x") if t.ndim == 2 else t
    return T.concatenate([three(tensor(x)) for x in xs], axis=2)


@eager_function
def split(x, indices_or_sections, axis=0):
    """Pieces of ``x`` along ``axis``: ``sections`` equal ones, or cut at the given ``indices``."""
    x = tensor(x)
    size = x.type.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        if size is None:
            raise ValueError(f"split: axis {axis} of shape {x.type.shape} has no static size")
        if size % indices_or_sections:
            raise ValueError(f"split: {size} entries along axis {axis} do not split into {indices_or_sections} "
                             f"equal sections")
        step = size // indices_or_sections
        cuts = [step * k for k in range(1, indices_or_sections)]
    else:
        cuts = list(indices_or_sections)
    bounds = [0] + cuts + [None]
    index = [builtins.slice(None)] * x.ndim
    pieces = []
    for start, stop in builtins.zip(bounds[:-1], bounds[1:]):
        index[axis % x.ndim] = builtins.slice(start, stop)
        pieces.append(x[tuple(index)])
    return pieces


@eager_function
def array_split(x, indices_or_sections, axis=0):
    """``split`` that allows sections of unequal sizes (the first ``size % sections`` get one more entry)."""
    x = tensor(x)
    if not isinstance(indices_or_sections, (int, np.integer)):
        return split.symbolic(x, indices_or_sections, axis)
    size = x.type.shape[axis]
    if size is None:
        raise ValueError(f"array_split: axis {axis} of shape {x.type.shape} has no static size")
    base, extra = divmod(size, indices_or_sections)
    sizes = [base + (1 if k < extra else 0) for k in range(indices_or_sections)]
    return split.symbolic(x, list(np.cumsum(sizes)[:-1]), axis)


@eager_function
def hsplit(x, indices_or_sections):
    """``split`` along axis 1 (axis 0 for vectors)."""
    x = tensor(x)
    return split.symbolic(x, indices_or_sections, 0 if x.ndim == 1 else 1)


@eager_function
def vsplit(x, indices_or_sections):
    """``split`` along axis 0."""
    return split.symbolic(x, indices_or_sections, 0)


@eager_function
def dsplit(x, indices_or_sections):
    """``split`` along axis 2."""
    return split.symbolic(x, indices_or_sections, 2)


@eager_function
def tile(x, repeats):
    """``x`` repeated ``repeats`` times along each axis."""
    return T.tile(tensor(x), tuple(np.atleast_1d(repeats)))


@eager_function
def repeat(x, repeats, axis=None):
    """Each entry repeated ``repeats`` times along ``axis`` (flattened if None)."""
    return T.repeat(tensor(x), repeats, axis=axis)


@eager_function
def flip(x, axis=None):
    """``x`` reversed along ``axis`` (all axes if None)."""
    x = tensor(x)
    axes = range(x.ndim) if axis is None else [a % x.ndim for a in np.atleast_1d(axis)]
    index = [builtins.slice(None, None, -1) if a in axes else builtins.slice(None) for a in range(x.ndim)]
    return x[tuple(index)]


@eager_function
def fliplr(x):
    """``x`` reversed along axis 1."""
    return flip.symbolic(x, axis=1)


@eager_function
def flipud(x):
    """``x`` reversed along axis 0."""
    return flip.symbolic(x, axis=0)


@eager_function
def roll(x, shift, axis=None):
    """``x`` rotated by ``shift`` places along ``axis`` (flattened if None)."""
    x = tensor(x)
    if axis is None:
        return T.reshape(roll.symbolic(T.flatten(x), shift, 0), T.shape(x))
    for s, a in builtins.zip(np.atleast_1d(shift), np.atleast_1d(axis)):
        a = int(a) % x.ndim
        n = T.shape(x)[a]
        cut = (n - int(s) % n) % n if x.type.shape[a] is None else (x.type.shape[a] - int(s)) % builtins.max(
            x.type.shape[a], 1)
        head = [builtins.slice(None)] * x.ndim
        tail = [builtins.slice(None)] * x.ndim
        head[a], tail[a] = builtins.slice(cut, None), builtins.slice(None, cut)
        x = T.concatenate([x[tuple(head)], x[tuple(tail)]], axis=a)
    return x


@eager_function
def pad(x, pad_width, mode="constant", constant_values=None):
    """``x`` padded by ``pad_width`` ((before, after) per axis) with ``constant_values`` (mode 'constant'),
    or by mirroring ('reflect', 'symmetric')."""
    x = tensor(x)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (x.ndim, 2))
    if mode == "constant":
        value = 0 if constant_values is None else constant_values
        sizes = [T.shape(x)[k] + int(b) + int(a) for k, (b, a) in enumerate(widths)]
        out = T.alloc(T.cast(value, x.dtype), *sizes)
        index = tuple(builtins.slice(int(b), int(b) + T.shape(x)[k]) for k, (b, _) in enumerate(widths))
        return T.set_subtensor(out[index], x)
    if mode not in ("reflect", "symmetric"):
        raise ValueError(f"pad: expected mode 'constant', 'reflect' or 'symmetric', received {mode!r}")
    skip = 1 if mode == "reflect" else 0
    for axis, (before, after) in enumerate(widths):
        parts = []
        if before:
            parts.append(flip.symbolic(_axis_slice(x, axis, skip, skip + int(before)), axis))
        parts.append(x)
        if after:
            n = T.shape(x)[axis]
            parts.append(flip.symbolic(_axis_slice(x, axis, n - skip - int(after), n - skip), axis))
        x = T.concatenate(parts, axis=axis) if len(parts) > 1 else x
    return x


@eager_function
def rot90(array, k=1, axes=(0, 1)):
    """``array`` rotated by 90 degrees ``k`` times in the plane of ``axes``."""
    x = tensor(array)
    a, b = (axis % x.ndim for axis in axes)
    for _ in range(k % 4):
        x = swapaxes.symbolic(flip.symbolic(x, axis=b), a, b)
    return x


@eager_function
def diagflat(x, k=0):
    """The flattened ``x`` on the ``k``-th diagonal of a square matrix."""
    return diag.symbolic(T.flatten(tensor(x)), k)


@eager_function
def vander(x, N=None, increasing=False):  # noqa: N803 - keras.ops's argument name
    """The Vandermonde matrix of the vector ``x``: columns ``x ** (N - 1)`` ... ``x ** 0`` (or increasing)."""
    x = tensor(x)
    n = N if N is not None else x.type.shape[0]
    if n is None:
        raise ValueError(f"vander: give N for a vector of unknown length ({x.type.shape})")
    powers = T.arange(n, dtype="int64") if increasing else T.arange(n - 1, -1, -1, dtype="int64")
    return T.pow(T.shape_padright(x), T.cast(powers, x.dtype))


@eager_function
def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """``num`` values spaced evenly on a log scale from ``start`` to ``stop``."""
    dtype = _dtype(dtype)
    start, stop = T.cast(tensor(start), dtype), T.cast(tensor(stop), dtype)
    return T.exp(linspace.symbolic(T.log(start), T.log(stop), num, endpoint, dtype=dtype, axis=axis))


def _axis_slice(x, axis, start, stop):
    index = [builtins.slice(None)] * x.ndim
    index[axis] = builtins.slice(start, stop)
    return x[tuple(index)]


# ------------------------------------------------------------------------------------------- indexing
@eager_function
def take(x, indices, axis=None):
    """Entries of ``x`` at ``indices`` along ``axis`` (of the flattened ``x`` if None; negative indices count
    from the end)."""
    x, indices = tensor(x), T.cast(tensor(indices), "int64")
    if axis is None:
        x, axis = T.flatten(x), 0
    size = T.shape(x)[axis]
    indices = T.switch(T.lt(indices, 0), indices + size, indices)
    return T.take(x, indices, axis=axis)


@eager_function
def take_along_axis(x, indices, axis=None):
    """``x`` gathered along ``axis`` at ``indices`` (of ``x``'s rank; other axes broadcast)."""
    x, indices = tensor(x), T.cast(tensor(indices), "int64")
    if axis is None:
        x, axis = T.flatten(x), 0
    axis = axis % x.ndim
    index = []
    for a in range(x.ndim):
        if a == axis:
            index.append(indices)
        else:
            pattern = ["x"] * x.ndim
            pattern[a] = 0
            index.append(T.arange(T.shape(x)[a], dtype="int64").dimshuffle(*pattern))
    return x[tuple(index)]


@eager_function
def get_item(x, key):
    """``x[key]``."""
    return tensor(x)[key]


@eager_function
def sort(x, axis=-1):
    """``x`` sorted along ``axis`` (stable)."""
    x = tensor(x)
    return T.sort(T.flatten(x) if axis is None else x, axis=0 if axis is None else axis)


@eager_function
def argsort(x, axis=-1):
    """The indices that sort ``x`` along ``axis`` (stable)."""
    x = tensor(x)
    return T.argsort(T.flatten(x) if axis is None else x, axis=0 if axis is None else axis)


@eager_function
def bincount(x, weights=None, minlength=0, sparse=False):
    """Counts (or summed ``weights``) of each non-negative integer in ``x``."""
    return T.bincount(T.cast(tensor(x), "int64"), weights=None if weights is None else tensor(weights),
                      minlength=minlength)


def size(x):
    """The number of entries (an int when static, else symbolic)."""
    if isinstance(x, lb.Variable):
        static = x.type.shape
        return int(np.prod(static)) if all(s is not None for s in static) else T.prod(T.shape(x))
    return int(np.size(x))


def ndim(x):
    """The rank of ``x``."""
    return x.ndim if isinstance(x, lb.Variable) else int(np.ndim(x))

