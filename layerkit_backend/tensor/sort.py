"""Sorting along an axis: ``sort``, ``argsort``, and the permutation ops that carry sort's gradient.

``Sort`` and ``Argsort`` follow NumPy (a stable sort by default, so equal values keep their order and the gradient
of ``sort`` is well defined). The gradient of ``sort`` sends each output gradient back to the position its value
came from: ``PermuteBack(axis)(g, argsort(x))``, the adjoint of ``Permute(axis)(x, argsort(x)) == sort(x)``.
"""
from ..graph.basic import Apply, Op
from .type import FLOAT_DTYPES, INT_DTYPES, TensorType
from .variable import as_tensor_variable

__all__ = ["Sort", "Argsort", "Permute", "PermuteBack", "sort", "argsort"]

_KINDS = ("stable", "quicksort", "mergesort", "heapsort")


def _check_axis(x, axis, where):
    """``axis`` as a non-negative int for ``x``, or a ValueError naming the op."""
    if x.ndim == 0:
        raise ValueError(f"{where}: cannot sort a 0-d tensor along axis {axis} (pass axis=None to flatten it)")
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"{where}: axis {axis} is out of range for a tensor of {x.ndim} dimensions")
    return axis % x.ndim


def _check_kind(kind, where):
    if kind not in _KINDS:
        raise ValueError(f"{where}: kind must be one of {_KINDS}, received {kind!r}")
    return kind


class Sort(Op):
    """Sort ``x`` along ``axis`` (non-negative int). The output is a new array; NaNs sort last, as in NumPy."""

    __props__ = ("axis", "kind")

    def __init__(self, axis, kind="stable"):
        self.axis, self.kind = int(axis), _check_kind(kind, "sort")

    def make_node(self, x):
        x = as_tensor_variable(x)
        _check_axis(x, self.axis, "sort")
        return Apply(self, [x], [x.type()])

    def make_thunk(self, node, xp):
        axis, kind = self.axis, self.kind
        return lambda x: xp.sort(x, axis=axis, kind=kind)

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        if x.dtype not in FLOAT_DTYPES:
            return [None]
        # Output position i holds x[perm[i]]: its gradient goes back to position perm[i].
        return [PermuteBack(self.axis)(gz, Argsort(self.axis, self.kind)(x))]


class Argsort(Op):
    """The int64 indices that sort ``x`` along ``axis``; piecewise constant, so it has no gradient."""

    __props__ = ("axis", "kind")

    def __init__(self, axis, kind="stable"):
        self.axis, self.kind = int(axis), _check_kind(kind, "argsort")

    def make_node(self, x):
        x = as_tensor_variable(x)
        _check_axis(x, self.axis, "argsort")
        return Apply(self, [x], [TensorType("int64", x.type.shape)()])

    def make_thunk(self, node, xp):
        axis, kind = self.axis, self.kind
        return lambda x: xp.argsort(x, axis=axis, kind=kind).astype("int64", copy=False)

    def grad(self, inputs, output_grads):
        return [None]

    def connection_pattern(self, node):
        return [[False]]


def _permutation_node(op, x, perm, where):
    x, perm = as_tensor_variable(x), as_tensor_variable(perm)
    if perm.dtype not in INT_DTYPES:
        raise TypeError(f"{where}: indices must be integers, received {perm.type}")
    if perm.ndim != x.ndim:
        raise TypeError(f"{where}: indices of {perm.ndim} dimensions for a tensor of {x.ndim}")
    _check_axis(x, op.axis, where)
    shape = tuple(a if a is not None else b for a, b in zip(x.type.shape, perm.type.shape))
    return Apply(op, [x, perm], [TensorType(x.dtype, shape)()])


class Permute(Op):
    """``take_along_axis(x, perm, axis)`` where ``perm`` permutes each lane along ``axis`` (as argsort gives).

    Because ``perm`` is a permutation, the adjoint is ``PermuteBack`` (a scatter with no collisions).
    """

    __props__ = ("axis",)

    def __init__(self, axis):
        self.axis = int(axis)

    def make_node(self, x, perm):
        return _permutation_node(self, x, perm, "Permute")

    def make_thunk(self, node, xp):
        axis = self.axis
        return lambda x, perm: xp.take_along_axis(x, perm, axis=axis)

    def grad(self, inputs, output_grads):
        x, perm = inputs
        return [PermuteBack(self.axis)(output_grads[0], perm), None]

    def connection_pattern(self, node):
        return [[True], [False]]


class PermuteBack(Op):
    """The inverse of ``Permute``: ``out`` with ``out[perm[i]] = g[i]`` along ``axis`` (``put_along_axis`` on
    zeros), where ``perm`` permutes each lane."""

    __props__ = ("axis",)

    def __init__(self, axis):
        self.axis = int(axis)

    def make_node(self, g, perm):
        return _permutation_node(self, g, perm, "PermuteBack")

    def make_thunk(self, node, xp):
        axis = self.axis

        def permute_back(g, perm):
            out = xp.zeros(g.shape, dtype=g.dtype)
            xp.put_along_axis(out, perm, g, axis=axis)
            return out

        return permute_back

    def grad(self, inputs, output_grads):
        g, perm = inputs
        return [Permute(self.axis)(output_grads[0], perm), None]

    def connection_pattern(self, node):
        return [[True], [False]]


def _flat_or_axis(a, axis):
    from .shape import flatten

    a = as_tensor_variable(a)
    if axis is None:
        return flatten(a, 1), 0
    return a, int(axis)


def sort(a, axis=-1, kind="stable", order=None):
    """A sorted copy of ``a`` along ``axis`` (of the flattened tensor when ``axis`` is None), like ``numpy.sort``.

    The gradient sends each output gradient back to where its value came from.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dmatrix('x')
        >>> sort(x, axis=0).eval({x: [[3.0, 1.0], [2.0, 4.0]]}).tolist()
        [[2.0, 1.0], [3.0, 4.0]]
    """
    if order is not None:
        raise ValueError("sort: order= (sorting structured arrays by field) is not supported")
    a, axis = _flat_or_axis(a, axis)
    return Sort(_check_axis(a, axis, "sort"), kind)(a)


def argsort(a, axis=-1, kind="stable", order=None):
    """The int64 indices that sort ``a`` along ``axis`` (of the flattened tensor when None), like ``numpy.argsort``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> argsort(x).eval({x: [3.0, 1.0, 2.0]}).tolist()
        [1, 2, 0]
    """
    if order is not None:
        raise ValueError("argsort: order= (sorting structured arrays by field) is not supported")
    a, axis = _flat_or_axis(a, axis)
    return Argsort(_check_axis(a, axis, "argsort"), kind)(a)
