"""Searching and selecting: ``searchsorted``, ``unique`` (``Unique``), ``compress`` and ``choose``, as NumPy's
(Theano's ``extra_ops`` and ``tensor`` names).

``searchsorted`` and ``unique`` give integer results without gradients; ``compress`` is indexing (its gradient
is the indexing's); ``choose`` passes each element's gradient to the choice it picked.
"""
import numpy as np

from ..graph.basic import Apply, Op
from .type import FLOAT_DTYPES, INT_DTYPES, TensorType
from .variable import as_tensor_variable

__all__ = ["SearchsortedOp", "searchsorted", "Unique", "unique", "compress", "Choose", "choose"]


class SearchsortedOp(Op):
    """Indices where ``v`` would be inserted into the sorted vector ``x`` (``side`` 'left' or 'right'), int64."""

    __props__ = ("side",)

    def __init__(self, side="left"):
        if side not in ("left", "right"):
            raise ValueError(f"searchsorted: side must be 'left' or 'right', received {side!r}")
        self.side = side

    def make_node(self, x, v, sorter=None):
        x, v = as_tensor_variable(x), as_tensor_variable(v)
        if x.ndim != 1:
            raise ValueError(f"searchsorted: x must be a vector, received {x.type}")
        inputs = [x, v]
        if sorter is not None:
            sorter = as_tensor_variable(sorter)
            if sorter.ndim != 1 or sorter.dtype not in INT_DTYPES:
                raise TypeError(f"searchsorted: sorter must be an integer vector, received {sorter.type}")
            inputs.append(sorter)
        return Apply(self, inputs, [TensorType("int64", v.type.shape)()])

    def perform(self, xp, node, inputs):
        x, v = inputs[:2]
        sorter = inputs[2] if len(inputs) > 2 else None
        return [xp.asarray(xp.searchsorted(x, v, side=self.side, sorter=sorter), dtype="int64")]

    def grad(self, inputs, output_grads):
        return [None] * len(inputs)

    def connection_pattern(self, node):
        return [[False] for _ in node.inputs]


def searchsorted(x, v, side="left", sorter=None):
    """Where to insert ``v`` into the sorted vector ``x`` to keep it sorted, like ``numpy.searchsorted``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> searchsorted(x, 2.5).eval({x: [1.0, 2.0, 3.0]}).tolist()
        2
    """
    return SearchsortedOp(side)(x, v, sorter)


class Unique(Op):
    """The sorted unique values of ``x`` (flattened unless ``axis``), and optionally the index of each one's
    first occurrence, the inverse mapping and the counts (``numpy.unique``'s options, in that order)."""

    __props__ = ("return_index", "return_inverse", "return_counts", "axis")

    def __init__(self, return_index=False, return_inverse=False, return_counts=False, axis=None):
        self.return_index, self.return_inverse = bool(return_index), bool(return_inverse)
        self.return_counts, self.axis = bool(return_counts), axis

    def make_node(self, x):
        x = as_tensor_variable(x)
        values = TensorType(x.dtype, (None,) if self.axis is None else (None,) * x.ndim)()
        outs = [values]
        if self.return_index:
            outs.append(TensorType("int64", (None,))())
        if self.return_inverse:
            outs.append(TensorType("int64", (None,))())
        if self.return_counts:
            outs.append(TensorType("int64", (None,))())
        return Apply(self, [x], outs)

    def perform(self, xp, node, inputs):
        out = np.unique(xp.to_host(inputs[0]), return_index=self.return_index, return_inverse=self.return_inverse,
                        return_counts=self.return_counts, axis=self.axis)
        out = out if isinstance(out, tuple) else (out,)
        results = [xp.asarray(out[0])]
        results += [xp.asarray(np.asarray(o).reshape(-1), dtype="int64") for o in out[1:]]
        return results

    def grad(self, inputs, output_grads):
        return [None]

    def connection_pattern(self, node):
        return [[False] * len(node.outputs)]


def unique(x, return_index=False, return_inverse=False, return_counts=False, axis=None):
    """``numpy.unique``: the sorted distinct values (a list of outputs when an option is set)."""
    out = Unique(return_index, return_inverse, return_counts, axis)(x)
    return out


def compress(condition, x, axis=None):
    """The slices of ``x`` along ``axis`` where ``condition`` (a vector) is true, like ``numpy.compress``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> compress(x > 1, x).eval({x: [0.5, 2.0, 3.0]}).tolist()
        [2.0, 3.0]
    """
    from .shape import flatten
    from .subtensor import flatnonzero, take

    condition, x = as_tensor_variable(condition), as_tensor_variable(x)
    indices = flatnonzero(condition)
    if axis is None:
        return take(flatten(x), indices)
    return take(x, indices, axis=axis)


class Choose(Op):
    """``numpy.choose(a, choices, mode)``: each element from the choice ``a`` names (``choices`` stacked on a
    first axis, all broadcast together)."""

    __props__ = ("mode",)

    def __init__(self, mode="raise"):
        if mode not in ("raise", "wrap", "clip"):
            raise ValueError(f"choose: mode must be 'raise', 'wrap' or 'clip', received {mode!r}")
        self.mode = mode

    def make_node(self, a, choices):
        from .elemwise import broadcast_shapes_static
        from .scalar import upcast

        a, choices = as_tensor_variable(a), as_tensor_variable(choices)
        if a.dtype not in INT_DTYPES:
            raise TypeError(f"choose: the index tensor must be of an integer dtype, received {a.type}")
        if choices.ndim < 1:
            raise TypeError(f"choose: choices must have at least one dimension, received {choices.type}")
        inner = choices.type.shape[1:]
        ndim = max(a.ndim, len(inner))
        pad = lambda s: (1,) * (ndim - len(s)) + tuple(s)  # noqa: E731
        shape = broadcast_shapes_static([pad(a.type.shape), pad(inner)], "choose")
        return Apply(self, [a, choices], [TensorType(upcast(choices.dtype), shape)()])

    def perform(self, xp, node, inputs):
        a, choices = inputs
        return [xp.asarray(np.choose(xp.to_host(a), list(xp.to_host(choices)), mode=self.mode))]

    def grad(self, inputs, output_grads):
        from . import math
        from .basic import cast, stack
        from .elemwise import sum_to_shape_of
        from .reduce import sum as reduce_sum

        (a, choices), (g,) = inputs, output_grads
        if choices.dtype not in FLOAT_DTYPES:
            return [None, None]
        if choices.type.shape[0] is None:
            raise NotImplementedError("choose: the gradient needs a static number of choices")
        n = choices.shape[0]
        index = a % n if self.mode == "wrap" else (math.clip(a, 0, n - 1) if self.mode == "clip" else a)
        parts = []
        for k in range(choices.type.shape[0]):
            gk = g * cast(math.eq(index, k), g.dtype)
            extra = gk.ndim - (choices.ndim - 1)
            if extra:
                gk = reduce_sum(gk, axis=tuple(range(extra)))
            parts.append(sum_to_shape_of(gk, choices[k]))
        return [None, stack(parts)]

    def connection_pattern(self, node):
        return [[False], [True]]


def choose(a, choices, out=None, mode="raise"):
    """``numpy.choose``: for each element, the value at that position of ``choices[a]`` (``choices`` a list of
    tensors or one tensor with the choices along its first axis).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> i = T.lvector('i'); x, y = T.dvectors('x', 'y')
        >>> choose(i, [x, y]).eval({i: [0, 1], x: [1.0, 2.0], y: [10.0, 20.0]}).tolist()
        [1.0, 20.0]
    """
    from .basic import stack

    if out is not None:
        raise ValueError("choose: out= is not supported (symbolic results are new tensors)")
    if isinstance(choices, (list, tuple)):
        choices = stack(_broadcast_together([as_tensor_variable(c) for c in choices]))
    return Choose(mode)(a, choices)


def _broadcast_together(tensors):
    """The tensors broadcast to their common shape."""
    from .basic import alloc, broadcast_sizes

    if all(t.type.shape == tensors[0].type.shape and None not in t.type.shape for t in tensors):
        return tensors
    common = broadcast_sizes(tensors)
    return [alloc(t, *common) for t in tensors]
