"""Indexing: ``x[idx]``, its updates ``set_subtensor`` / ``inc_subtensor``, and ``take`` / ``nonzero``.

Basic indices (ints, slices, None, Ellipsis) make a ``Subtensor``, whose output is a view of its input; integer
arrays and boolean masks make an ``AdvancedSubtensor`` (a copy), with NumPy's rules for where the indexed
dimensions go. An op holds the index *structure* in its ``idx_list`` prop, one entry per index item:

    "int"                   an integer scalar (drops the dimension)
    ("slice", a, b, c)      a slice; a, b, c say whether start, stop, step are inputs (else they are None)
    "newaxis", "ellipsis"   None and ``...``
    "array"                 an integer array (advanced indexing)
    "mask"                  a boolean array, consuming as many dimensions as it has

The values, constants included, are the node's inputs after ``x`` (and ``y``): ops compare by structure, and
nodes merge and fold like any other. ``x[1:n, 0]`` is ``Subtensor((("slice", True, True, False), "int"))``
applied to ``(x, 1, n, 0)``.
"""
import operator

import numpy as np

from ..graph.basic import Apply, Constant, Op, Variable
from .basic import NotScalarConstantError, cast, get_scalar_constant_value, zeros_like
from .elemwise import broadcast_shapes_static, sum_to_shape_of
from .shape import Shape, flatten, shape_i
from .type import FLOAT_DTYPES, INT_DTYPES, TensorType
from .variable import TensorConstant, as_tensor_variable, constant

__all__ = ["Subtensor", "AdvancedSubtensor", "IncSubtensor", "AdvancedIncSubtensor", "Nonzero", "getitem",
           "set_subtensor", "inc_subtensor", "take", "nonzero", "nonzero_values", "flatnonzero"]

INT, NEWAXIS, ELLIPSIS, ARRAY, MASK = "int", "newaxis", "ellipsis", "array", "mask"
_FULL_SLICE = ("slice", False, False, False)
_UNKNOWN = object()
# Indexing a constant with constant indices gives a constant when the result is this small (shape vectors, their
# elements): then ``T.zeros((x.shape[0], 3))`` keeps a static shape.
_FOLD_SIZE = 64


# -- the index structure ----------------------------------------------------------------------------------------
def _describe(idx_list):
    """``idx_list`` as text: ``int, i:, ::i, array``."""
    names = {INT: "int", NEWAXIS: "None", ELLIPSIS: "...", ARRAY: "array", MASK: "mask"}
    parts = []
    for e in idx_list:
        if isinstance(e, tuple):
            start, stop, step = ("i" if flag else "" for flag in e[1:])
            parts.append(f"{start}:{stop}" + (f":{step}" if step else ""))
        else:
            parts.append(names[e])
    return ", ".join(parts)


def _n_inputs(entry):
    return sum(entry[1:]) if isinstance(entry, tuple) else int(entry in (INT, ARRAY, MASK))


def _group(idx_list, inputs):
    """The inputs of each entry of ``idx_list``, a list per entry."""
    groups, k = [], 0
    for e in idx_list:
        n = _n_inputs(e)
        groups.append(list(inputs[k:k + n]))
        k += n
    if k != len(inputs):
        raise TypeError(f"index [{_describe(idx_list)}] takes {k} index inputs, received {len(inputs)}")
    return groups


def _is_advanced(idx_list):
    return any(e in (ARRAY, MASK) for e in idx_list)


def _int_constant(i):
    return constant(np.asarray(int(i), dtype="int64"))


def _slice_bound(part, where):
    if part is None:
        return None
    if isinstance(part, (int, np.integer)):
        return _int_constant(part)
    if isinstance(part, Variable):
        v = as_tensor_variable(part)
        if v.ndim == 0 and v.dtype in INT_DTYPES:
            return v
        raise TypeError(f"{where}: slice bounds must be integer scalars, received {v} of type {v.type}")
    raise TypeError(f"{where}: slice bounds must be integers, None or integer scalar variables, received "
                    f"{part!r} of type {type(part).__name__}")


def _index_variable(item, where):
    """An index item other than a slice, None or Ellipsis, as a tensor of integer or boolean dtype."""
    if isinstance(item, Variable):
        v = as_tensor_variable(item)
    elif isinstance(item, (bool, np.bool_)):
        v = constant(np.asarray(item, dtype=bool))  # NumPy: a Python bool is a 0-d mask, not the integer 0/1
    elif isinstance(item, (int, np.integer)):
        v = _int_constant(item)
    elif isinstance(item, (list, tuple, np.ndarray)):
        if not isinstance(item, np.ndarray) and any(isinstance(e, Variable) for e in item):
            v = as_tensor_variable(item)
        else:
            arr = np.asarray(item)
            v = constant(arr.astype("int64") if arr.size == 0 and arr.dtype.kind == "f" else arr)  # x[[]]
    else:
        raise TypeError(f"{where}: invalid index {item!r} of type {type(item).__name__}; expected an integer, "
                        f"a slice, None, Ellipsis, an integer array or a boolean mask")
    if v.dtype != "bool" and v.dtype not in INT_DTYPES:
        raise TypeError(f"{where}: index {v} has dtype {v.dtype}; indices must be integers (or booleans, for a "
                        f"mask)")
    return v


def _parse(x, index):
    """``(idx_list, inputs)`` for ``x[index]``."""
    items = index if isinstance(index, tuple) else (index,)
    where = f"indexing {x}"
    idx_list, inputs = [], []
    for item in items:
        if item is None:
            idx_list.append(NEWAXIS)
        elif item is Ellipsis:
            if ELLIPSIS in idx_list:
                raise IndexError(f"{where}: an index can only have a single ellipsis ('...')")
            idx_list.append(ELLIPSIS)
        elif isinstance(item, slice):
            bounds = [_slice_bound(p, where) for p in (item.start, item.stop, item.step)]
            if isinstance(bounds[2], TensorConstant):
                if bounds[2].data == 0:
                    raise ValueError(f"{where}: slice step cannot be zero")
                if bounds[2].data == 1:
                    bounds[2] = None
            idx_list.append(("slice",) + tuple(b is not None for b in bounds))
            inputs += [b for b in bounds if b is not None]
        else:
            v = _index_variable(item, where)
            idx_list.append(MASK if v.dtype == "bool" else INT if v.ndim == 0 else ARRAY)
            inputs.append(v)
    while idx_list and idx_list[-1] in (_FULL_SLICE, ELLIPSIS):  # x[0, :] and x[0, ...] are x[0]
        idx_list.pop()
    return tuple(idx_list), inputs


def _check_inputs(op, index):
    """The index inputs of ``op`` as tensors, checked against its structure."""
    index = [as_tensor_variable(v) for v in index]
    if _is_advanced(op.idx_list) != op.advanced:
        kind = "integer arrays or boolean masks" if op.advanced else "only ints, slices, None and Ellipsis"
        raise TypeError(f"{type(op).__name__} needs an index with {kind}, received [{_describe(op.idx_list)}]")
    for e, group in zip(op.idx_list, _group(op.idx_list, index)):
        for v in group:
            if e == MASK:
                ok, want = v.dtype == "bool", "a boolean tensor"
            elif e == ARRAY:
                ok, want = v.dtype in INT_DTYPES and v.ndim >= 1, "an integer tensor of at least 1 dimension"
            else:
                ok, want = v.dtype in INT_DTYPES and v.ndim == 0, "an integer scalar"
            if not ok:
                raise TypeError(f"{op}: index entry {_describe((e,))} expects {want}, received {v} of type {v.type}")
    return index


# -- static shapes ------------------------------------------------------------------------------------------------
def _static_scalar(v):
    try:
        return int(get_scalar_constant_value(v))
    except NotScalarConstantError:
        return _UNKNOWN


def _slice_size(entry, parts, n):
    it = iter(parts)
    bounds = [_static_scalar(next(it)) if flag else None for flag in entry[1:]]
    if n == 0:
        return 0
    if n is None or any(b is _UNKNOWN for b in bounds):
        return None
    return len(range(*slice(*bounds).indices(n)))


def _check_bounds(v, n, dim, where):
    if n is None or not isinstance(v, TensorConstant) or v.data.size == 0:
        return
    lo, hi = int(v.data.min()), int(v.data.max())
    if lo < -n or hi >= n:
        raise IndexError(f"{where}: index {lo if lo < -n else hi} is out of bounds for dimension {dim} with size {n}")


def _fmt(shape):
    return "(" + ", ".join("?" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _infer_shape(idx_list, x, inputs, where):
    """The static shape of ``x[idx]``; IndexError for an index that is wrong whatever the run-time values."""
    shape, groups = x.type.shape, _group(idx_list, inputs)
    widths = [g[0].ndim if e == MASK else int(e not in (NEWAXIS, ELLIPSIS)) for e, g in zip(idx_list, groups)]
    rest = x.ndim - sum(widths)
    if rest < 0:
        raise IndexError(f"{where}: too many indices for a {x.ndim}-d tensor (the index [{_describe(idx_list)}] "
                         f"uses {sum(widths)} dimensions)")
    advanced = _is_advanced(idx_list)
    out, adv_shapes, adv_pos, adv_at, dim = [], [], [], None, 0
    for pos, (e, group) in enumerate(zip(idx_list, groups)):
        if e == NEWAXIS:
            out.append(1)
            continue
        if e == ELLIPSIS:
            out += shape[dim:dim + rest]
            dim += rest
            continue
        if isinstance(e, tuple):
            out.append(_slice_size(e, group, shape[dim]))
            dim += 1
            continue
        v = group[0]
        if e == MASK:
            sizes = shape[dim:dim + v.ndim]
            if any(m is not None and s is not None and m != s for m, s in zip(v.type.shape, sizes)):
                raise IndexError(f"{where}: boolean mask of shape {v.type.shape_str()} does not match the shape "
                                 f"{_fmt(sizes)} of the dimensions {dim}..{dim + v.ndim - 1} it indexes")
            this = (int(np.count_nonzero(v.data)) if isinstance(v, TensorConstant) else None,)
            dim += v.ndim
        else:
            _check_bounds(v, shape[dim], dim, where)
            dim += 1
            if not advanced:
                continue
            this = v.type.shape  # NumPy: among advanced indices, an integer is a 0-d index array
        adv_at = len(out) if adv_at is None else adv_at
        adv_shapes.append(this)
        adv_pos.append(pos)
    out += shape[dim:]
    if adv_shapes:
        rank = max(len(s) for s in adv_shapes)
        padded = [(1,) * (rank - len(s)) + tuple(s) for s in adv_shapes]
        try:
            adv = list(broadcast_shapes_static(padded, where))
        except ValueError as err:
            raise IndexError(f"index arrays cannot be broadcast together: {err}") from None
        # NumPy puts the broadcast index dimensions in place when the advanced entries are adjacent, else first.
        adjacent = adv_pos[-1] - adv_pos[0] == len(adv_pos) - 1
        out = out[:adv_at] + adv + out[adv_at:] if adjacent else adv + out
    return tuple(out)


# -- run time -----------------------------------------------------------------------------------------------------
def _combine(parts, make):
    """``(True, value)`` when every part is fixed, else ``(False, f(index_values) -> value)``."""
    if all(fixed for fixed, _ in parts):
        return True, make(*[v for _, v in parts])
    fns = [(lambda args, v=v: v) if fixed else v for fixed, v in parts]
    return False, lambda args: make(*[f(args) for f in fns])


def _index_maker(idx_list, index_vars, xp):
    """``(True, index_tuple)`` when every index part is a constant (prebuilt once), else
    ``(False, f(index_values) -> index_tuple)``."""
    def scalar(v, k):
        return (True, int(v.data)) if isinstance(v, Constant) else (False, lambda args: int(args[k]))

    items, k = [], 0
    for e in idx_list:
        if e in (NEWAXIS, ELLIPSIS):
            items.append((True, None if e == NEWAXIS else Ellipsis))
        elif e == INT:
            items.append(scalar(index_vars[k], k))
        elif e in (ARRAY, MASK):
            v = index_vars[k]
            items.append((True, xp.asarray(v.data)) if isinstance(v, Constant) else (False, operator.itemgetter(k)))
        else:
            parts = []
            for flag in e[1:]:
                parts.append(scalar(index_vars[k], k) if flag else (True, None))
                k += flag
            items.append(_combine(parts, slice))
            continue
        k += _n_inputs(e)
    return _combine(items, lambda *vs: vs)


# -- the ops ------------------------------------------------------------------------------------------------------
class _Indexing(Op):
    """``x[idx]`` (shared by Subtensor and AdvancedSubtensor). Inputs: x, then the index values."""

    __props__ = ("idx_list",)
    advanced = False

    def __init__(self, idx_list):
        self.idx_list = tuple(idx_list)

    def __str__(self):
        return f"{type(self).__name__}{{{_describe(self.idx_list)}}}"

    __repr__ = __str__

    def make_node(self, x, *index):
        x = as_tensor_variable(x)
        index = _check_inputs(self, index)
        shape = _infer_shape(self.idx_list, x, index, f"{x}[{_describe(self.idx_list)}]")
        return Apply(self, [x] + index, [TensorType(x.dtype, shape)()])

    def make_thunk(self, node, xp):
        fixed, index = _index_maker(self.idx_list, node.inputs[1:], xp)
        if fixed:
            return lambda x, *_: x[index]
        return lambda x, *idx: x[index(idx)]

    def grad(self, inputs, output_grads):
        x, index = inputs[0], inputs[1:]
        if x.dtype not in FLOAT_DTYPES:
            return [None] * len(inputs)
        inc = _OPS[self.advanced][1](self.idx_list)
        return [inc(zeros_like(x), output_grads[0], *index)] + [None] * len(index)

    def connection_pattern(self, node):
        return [[True]] + [[False]] * (len(node.inputs) - 1)


class Subtensor(_Indexing):
    """Basic indexing ``x[idx]`` (ints, slices, None, Ellipsis); the output is a view of ``x``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.tensor('float64', shape=(None, 5), name='x')
        >>> x[1:3, 0].owner.op, x[1:3, 0].type.shape
        (Subtensor{i:i, int}, (None,))
    """

    view_map = {0: [0]}


class AdvancedSubtensor(_Indexing):
    """Indexing with integer arrays and/or boolean masks (and any basic entries), following NumPy's rules.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.tensor('float64', shape=(4, 5), name='x')
        >>> x[:, [0, 0, 3]].type.shape, x[x > 0].type.shape
        ((4, 3), (None,))
    """

    advanced = True


class _IndexUpdate(Op):
    """``x`` with ``x[idx]`` set to (or incremented by) ``y``, in a new buffer. Inputs: x, y, the index values."""

    __props__ = ("idx_list", "set_instead_of_inc")
    advanced = False

    def __init__(self, idx_list, set_instead_of_inc=False):
        self.idx_list = tuple(idx_list)
        self.set_instead_of_inc = bool(set_instead_of_inc)

    def __str__(self):
        name = type(self).__name__
        return f"{name.replace('Inc', 'Set') if self.set_instead_of_inc else name}{{{_describe(self.idx_list)}}}"

    __repr__ = __str__

    def make_node(self, x, y, *index):
        x = as_tensor_variable(x)
        index = _check_inputs(self, index)
        where = f"{'set' if self.set_instead_of_inc else 'inc'}_subtensor({x}[{_describe(self.idx_list)}], y)"
        region = _infer_shape(self.idx_list, x, index, where)
        y = _value_for(x, y, where)
        if y.ndim > len(region):
            raise TypeError(f"{where}: y has {y.ndim} dimensions, more than the {len(region)} of the indexed "
                            f"region {_fmt(region)}")
        for ys, rs in zip(reversed(y.type.shape), reversed(region)):
            if ys not in (None, 1) and rs is not None and ys != rs:
                raise ValueError(f"{where}: y of shape {y.type.shape_str()} cannot be broadcast to the indexed "
                                 f"region of shape {_fmt(region)}")
        return Apply(self, [x, y] + index, [TensorType(x.dtype, x.type.shape)()])

    def make_thunk(self, node, xp):
        fixed, index = _index_maker(self.idx_list, node.inputs[2:], xp)
        copy = (lambda x: x.copy()) if node.inputs[0].ndim else xp.array  # a 0-d value may be a NumPy scalar
        if self.set_instead_of_inc:
            def write(out, i, y):
                out[i] = y  # repeated indices: the last write wins (NumPy's assignment)
        elif ARRAY in self.idx_list:
            write = xp.scatter_add  # repeated indices accumulate, like np.add.at
        else:
            def write(out, i, y):
                out[i] += y

        def update(x, y, *idx):
            out = copy(x)  # never in place: an in-place variant would declare destroy_map
            write(out, index if fixed else index(idx), y)
            return out

        return update

    def grad(self, inputs, output_grads):
        from .reduce import sum as _sum

        x, y, index = inputs[0], inputs[1], inputs[2:]
        (g,) = output_grads
        if x.dtype not in FLOAT_DTYPES:
            return [None] * len(inputs)
        gx = g
        if self.set_instead_of_inc:  # the overwritten region of x does not reach the output
            gx = type(self)(self.idx_list, True)(g, constant(np.zeros((), dtype=g.dtype)), *index)
        gy = _OPS[self.advanced][0](self.idx_list)(g, *index)
        if gy.ndim > y.ndim:  # y was broadcast over leading dimensions of the region
            gy = _sum(gy, axis=tuple(range(gy.ndim - y.ndim)))
        return [gx, sum_to_shape_of(gy, y)] + [None] * len(index)

    def connection_pattern(self, node):
        return [[True], [True]] + [[False]] * (len(node.inputs) - 2)


class IncSubtensor(_IndexUpdate):
    """``x`` with its basic-indexed region ``x[idx]`` incremented by (or set to) ``y``; see ``inc_subtensor``."""


class AdvancedIncSubtensor(_IndexUpdate):
    """``x`` with ``x[idx]`` incremented by (or set to) ``y`` for advanced indices; repeated indices accumulate
    when incrementing (``np.add.at``) and the last write wins when setting."""

    advanced = True


_OPS = {False: (Subtensor, IncSubtensor), True: (AdvancedSubtensor, AdvancedIncSubtensor)}


def _value_for(x, y, where):
    """``y`` in the dtype of ``x``; a cast that would lose information (float into int) is a TypeError."""
    y = as_tensor_variable(y)
    if y.dtype == x.dtype:
        return y
    if isinstance(y, TensorConstant) and getattr(y.tag, "weak", False):
        converted = y.data.astype(x.dtype)
        if np.can_cast(y.dtype, x.dtype, "same_kind") or converted == y.data:  # a Python 1.0 may fill ints
            return constant(converted)
    elif np.can_cast(y.dtype, x.dtype, "same_kind"):
        return cast(y, x.dtype)
    raise TypeError(f"{where}: cannot write y of dtype {y.dtype} into a tensor of dtype {x.dtype} without losing "
                    f"information; cast y first (y.astype('{x.dtype}'))")


class Nonzero(Op):
    """The indices of the nonzero elements of ``a``, as an int64 matrix of shape ``(a.ndim, count)``."""

    def make_node(self, a):
        a = as_tensor_variable(a)
        if a.ndim == 0:
            raise ValueError(f"nonzero: expected a tensor of at least 1 dimension, received the scalar {a}")
        return Apply(self, [a], [TensorType("int64", (a.ndim, None))()])

    def make_thunk(self, node, xp):
        return lambda a: xp.stack(xp.nonzero(a)).astype("int64", copy=False)

    def grad(self, inputs, output_grads):
        return [None]

    def connection_pattern(self, node):
        return [[False]]


# -- user functions -----------------------------------------------------------------------------------------------
def getitem(x, index):
    """``x[index]`` with NumPy's semantics: what ``TensorVariable.__getitem__`` calls.

    Ints, slices (bounds may be integer scalar variables), None, Ellipsis, integer arrays and boolean masks
    (constants or variables) are accepted. Constant indices that fall outside a static size raise IndexError.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.tensor('float64', shape=(3, 4), name='x')
        >>> x[:, 0].type.shape, x[1:, None].type.shape, x[[0, 0]].type.shape
        ((3,), (2, 1, 4), (2, 4))
    """
    x = as_tensor_variable(x)
    if x.owner is not None and isinstance(x.owner.op, Shape) and isinstance(index, (int, np.integer)) \
            and not isinstance(index, (bool, np.bool_)):
        n = x.type.shape[0]
        if not -n <= index < n:
            raise IndexError(f"{x}[{index}]: index {index} is out of bounds for a shape of {n} dimensions")
        return shape_i(x.owner.inputs[0], int(index))  # a constant when that size is static
    idx_list, inputs = _parse(x, index)
    op = _OPS[_is_advanced(idx_list)][0](idx_list)
    out = op(x, *inputs)
    if isinstance(x, TensorConstant) and not op.advanced and all(isinstance(v, Constant) for v in inputs) \
            and None not in out.type.shape and int(np.prod(out.type.shape)) <= _FOLD_SIZE:
        _, fixed_index = _index_maker(idx_list, inputs, np)
        folded = constant(np.array(x.data[fixed_index]))
        folded.tag.indexed_from = (op, x, inputs)  # so that set_subtensor(folded, y) still works
        return folded
    return out


def _indexing_origin(v):
    """``(op, x, index_inputs)`` when ``v`` is ``x[idx]``, else None."""
    if isinstance(v, Variable) and v.owner is not None and isinstance(v.owner.op, _Indexing):
        return v.owner.op, v.owner.inputs[0], v.owner.inputs[1:]
    return getattr(getattr(v, "tag", None), "indexed_from", None)


def inc_subtensor(x, y, inplace=False, set_instead_of_inc=False, tolerate_inplace_aliasing=False):
    """A new tensor equal to the indexed tensor with ``x``'s region incremented by ``y`` (set to it with
    ``set_instead_of_inc``). ``x`` must be the result of indexing, e.g. ``a[1:, idx]``; ``y`` is broadcast to the
    region and cast to its dtype. Repeated advanced indices accumulate. ``inplace`` and
    ``tolerate_inplace_aliasing`` are accepted for Theano compatibility; the rewrites decide what runs in place.

    Example:
        >>> import numpy as np
        >>> import layerkit_backend.tensor as T
        >>> a = T.dvector('a')
        >>> inc_subtensor(a[[0, 0, 2]], 1.0).eval({a: np.zeros(3)}).tolist()
        [2.0, 0.0, 1.0]
    """
    origin = _indexing_origin(x)
    what = "set_subtensor" if set_instead_of_inc else "inc_subtensor"
    if origin is None:
        made = f"computed by {x.owner.op}" if getattr(x, "owner", None) is not None else "not the result of indexing"
        raise TypeError(f"{what}: the first argument must be an indexed tensor such as a[idx]; received {x!r} "
                        f"({made})")
    op, base, index = origin
    return _OPS[op.advanced][1](op.idx_list, set_instead_of_inc)(base, y, *index)


def set_subtensor(x, y, inplace=False, tolerate_inplace_aliasing=False):
    """A new tensor equal to the indexed tensor with the region ``x`` (e.g. ``a[1:, 0]``) replaced by ``y``.

    Example:
        >>> import numpy as np
        >>> import layerkit_backend.tensor as T
        >>> a = T.dmatrix('a')
        >>> set_subtensor(a[:, 0], 5.0).eval({a: np.zeros((2, 2))}).tolist()
        [[5.0, 0.0], [5.0, 0.0]]
    """
    return inc_subtensor(x, y, inplace, set_instead_of_inc=True)


def take(a, indices, axis=None, mode="raise"):
    """Elements of ``a`` at ``indices`` along ``axis`` (of the flattened ``a`` when None), like ``numpy.take``.

    ``mode``: 'raise' (out-of-range indices fail at run time; negative ones count from the end), 'wrap' or 'clip'.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> a = T.tensor('float64', shape=(3, 4), name='a')
        >>> take(a, T.lmatrix('i'), axis=1).type.shape
        (3, None, None)
    """
    from .math import clip

    a = as_tensor_variable(a)
    if axis is None:
        a, axis = flatten(a), 0
    if not -a.ndim <= axis < a.ndim:
        raise ValueError(f"take: axis {axis} is out of range for a {a.ndim}-d tensor")
    axis %= a.ndim
    indices = _index_variable(indices, "take")
    if indices.dtype not in INT_DTYPES:
        raise TypeError(f"take: indices must be integers, received {indices} of dtype {indices.dtype}")
    if mode == "wrap":
        indices = indices % shape_i(a, axis)
    elif mode == "clip":
        indices = clip(indices, 0, shape_i(a, axis) - 1)
    elif mode != "raise":
        raise ValueError(f"take: mode must be 'raise', 'wrap' or 'clip', received {mode!r}")
    return getitem(a, (slice(None),) * axis + (indices,))


def nonzero(a, return_matrix=False):
    """The indices of the nonzero elements of ``a``: a tuple of ``a.ndim`` int64 vectors (NumPy's form), or the
    ``(a.ndim, count)`` matrix with ``return_matrix=True``.

    Example:
        >>> import numpy as np
        >>> import layerkit_backend.tensor as T
        >>> a = T.dmatrix('a')
        >>> [v.eval({a: np.eye(2)}).tolist() for v in nonzero(a)]
        [[0, 1], [0, 1]]
    """
    matrix = Nonzero()(a)
    if return_matrix:
        return matrix
    return tuple(getitem(matrix, i) for i in range(matrix.type.shape[0]))


def flatnonzero(a):
    """The indices of the nonzero elements of the flattened ``a`` (an int64 vector), like ``numpy.flatnonzero``."""
    a = as_tensor_variable(a)
    if a.ndim == 0:
        raise ValueError(f"flatnonzero: expected a tensor of at least 1 dimension, received the scalar {a}")
    return getitem(Nonzero()(flatten(a)), 0)


def nonzero_values(a):
    """The nonzero elements of ``a``, flattened in C order: ``a.flatten()[flatnonzero(a)]``."""
    a = as_tensor_variable(a)
    return getitem(flatten(a), flatnonzero(a))
