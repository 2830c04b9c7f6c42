"""``keras.ops`` core: conversion, shapes, casts and control flow (``cond``, ``scan``, ``fori_loop``,
``while_loop``, ``map``, ``switch``), slicing and scattering, ``segment_sum``, ``top_k``.

The loops are the backend's ``scan`` (``while_loop`` a scan that stops with ``until``); ``cond`` is the backend's
lazy ``ifelse``, or a Python choice when the predicate is a concrete value (as Keras does eagerly).

Example:
    >>> import numpy as np
    >>> carry, ys = scan(lambda c, x: (c + x, c * x), np.float32(0), np.arange(1, 4, dtype="float32"))
    >>> float(carry), ys.tolist()
    (6.0, [0.0, 2.0, 9.0])
"""
import builtins

import numpy as np

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit_backend.ifelse import ifelse

from .. import tracing
from ..eager import eager_function, flatten_structure, is_symbolic, rebuild_structure

__all__ = ["convert_to_tensor", "convert_to_numpy", "is_tensor", "shape", "dtype", "cast", "saturate_cast",
           "stop_gradient", "cond", "switch", "scan", "fori_loop", "while_loop", "map", "vectorized_map", "slice",
           "slice_update", "scatter", "scatter_update", "segment_sum", "segment_max", "segment_min", "segment_prod", "top_k", "in_top_k", "unstack",
           "erf", "erfinv", "logsumexp", "tensor"]


def tensor(x, dtype=None):
    """``x`` as a symbolic tensor: NumPy float64 data becomes floatX (Keras converts NumPy data so); lists holding
    tensors are stacked. Used by every op on its tensor arguments."""
    if isinstance(x, lb.Variable):
        result = x
    elif isinstance(x, (np.ndarray, np.floating)) and x.dtype == np.float64:
        result = T.constant(np.asarray(x, dtype=lb.config.floatX))
    else:
        result = T.as_tensor_variable(x)
    return result if dtype is None or result.dtype == dtype else T.cast(result, dtype)


def _concrete_array(x):
    if isinstance(x, lb.SharedVariable):
        return x.get_value()
    array = np.asarray(x)
    return array.astype(lb.config.floatX) if array.dtype == np.float64 else array


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """``x`` as a tensor: symbolic while a graph is built (or for symbolic ``x``), else a NumPy array (float64
    data as floatX, as Keras does)."""
    if tracing.is_tracing() or is_symbolic(x):
        return tensor(x, dtype)
    array = _concrete_array(x)
    return array if dtype is None else array.astype(dtype)


def convert_to_numpy(x):
    """The NumPy value of a concrete tensor or variable (a symbolic tensor has none yet: ValueError)."""
    if is_symbolic(x):
        raise ValueError(f"convert_to_numpy: {x} is symbolic (it is being traced into a graph), so it has no value "
                         f"yet; call it on concrete values, outside train_step and call()")
    return np.array(_concrete_array(x), copy=True)


def is_tensor(x):
    """True for layerkit tensors: symbolic tensors, variables (NumPy arrays count too: they are the eager
    tensors here)."""
    return isinstance(x, (lb.Variable, np.ndarray))


def shape(x):
    """The shape as a tuple: ints where known, symbolic scalars for sizes known only when the graph runs."""
    if isinstance(x, lb.Variable):
        static = x.type.shape
        return tuple(size if size is not None else x.shape[k] for k, size in enumerate(static))
    return tuple(np.shape(x))


def dtype(x):
    """The dtype name of ``x``."""
    return x.dtype if isinstance(x, lb.Variable) else _concrete_array(x).dtype.name


@eager_function
def cast(x, dtype):
    """``x`` as ``dtype``."""
    return T.cast(tensor(x), dtype)


@eager_function
def saturate_cast(x, dtype):
    """``x`` as ``dtype``, clipped first to the range ``dtype`` can hold."""
    x = tensor(x)
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else np.finfo(dtype)
    return T.cast(T.clip(x, max(info.min, _lowest(x.dtype)), min(info.max, _highest(x.dtype))), dtype)


def _lowest(dtype):
    return np.iinfo(dtype).min if np.dtype(dtype).kind in "iu" else -np.inf


def _highest(dtype):
    return np.iinfo(dtype).max if np.dtype(dtype).kind in "iu" else np.inf


@eager_function
def stop_gradient(variable):
    """``variable`` with no gradient flowing back through it."""
    return lb.gradient.disconnected_grad(tensor(variable))


@eager_function
def erf(x):
    """The error function."""
    return T.erf(tensor(x))


@eager_function
def erfinv(x):
    """The inverse error function."""
    x = tensor(x)
    return T.erfinv(x if x.dtype.startswith("float") else T.cast(x, "float32"))


@eager_function
def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x), axis))`` without overflow."""
    from layerkit_backend.tensor import nnet
    return nnet.logsumexp(tensor(x), axis=axis, keepdims=keepdims)


# ------------------------------------------------------------------------------------------- control flow
def _leaves(structure):
    leaves, description = flatten_structure(structure)
    return [None if leaf is None else tensor(leaf) for leaf in leaves], description


def cond(pred, true_fn, false_fn):
    """``true_fn()`` if ``pred`` else ``false_fn()``. A concrete predicate chooses in Python; a symbolic one
    builds the backend's lazy ``ifelse`` (both branches are traced, only one runs), and both branches must return
    the same structure.

    Example:
        >>> float(cond(np.float32(1.0) > 0, lambda: np.float32(2.0), lambda: np.float32(3.0)))
        2.0
    """
    if not isinstance(pred, lb.Variable) or (isinstance(pred, lb.SharedVariable) and not tracing.is_tracing()):
        return true_fn() if bool(np.asarray(_concrete_array(pred))) else false_fn()
    pred = tensor(pred)
    if pred.ndim != 0:
        raise ValueError(f"cond: expected a scalar predicate, received a tensor of shape {pred.type.shape}")
    then_leaves, then_description = _leaves(true_fn())
    else_leaves, else_description = _leaves(false_fn())
    if then_description != else_description or len(then_leaves) != len(else_leaves):
        raise ValueError("cond: true_fn and false_fn must return the same structure of tensors")
    chosen = []
    for then_value, else_value in zip(then_leaves, else_leaves):
        if then_value is None or else_value is None:
            chosen.append(None)
            continue
        dtype = T.as_tensor_variable(then_value + else_value).dtype if then_value.dtype != else_value.dtype \
            else then_value.dtype
        chosen.append(ifelse(pred, T.cast(then_value, dtype), T.cast(else_value, dtype)))
    return rebuild_structure(then_description, chosen)


def switch(index, branches, *operands):
    """Calls the branch at ``index`` (clipped to the valid range, as Keras does) on ``operands``."""
    if not isinstance(index, lb.Variable):
        chosen = int(np.clip(int(np.asarray(_concrete_array(index))), 0, len(branches) - 1))
        return branches[chosen](*operands)
    index = T.clip(T.cast(tensor(index), "int64"), 0, len(branches) - 1)
    result = branches[-1](*operands)
    for k in range(len(branches) - 2, -1, -1):
        result = cond(T.eq(index, k), lambda k=k: branches[k](*operands), lambda r=result: r)
    return result


def _scan_symbolic(f, init, xs, length, reverse):
    carry, carry_description = _leaves(init)
    sequences, xs_description = ([], None) if xs is None else _leaves(xs)
    if not sequences and length is None:
        raise ValueError("scan: give xs or length (the number of steps)")
    outputs_description = {}

    def step(*values):
        x_values, carry_values = values[:len(sequences)], values[len(sequences):len(sequences) + len(carry)]
        x = None if xs is None else rebuild_structure(xs_description, list(x_values))
        new_carry, y = f(rebuild_structure(carry_description, list(carry_values)), x)
        new_leaves, new_description = _leaves(new_carry)
        y_leaves, y_description = _leaves(y)
        if new_description != carry_description or len(new_leaves) != len(carry):
            raise ValueError("scan: f must return a carry of the structure of init")
        outputs_description["y"] = y_description
        outputs_description["y_none"] = [leaf is None for leaf in y_leaves]
        return [T.cast(new, old.dtype) for new, old in zip(new_leaves, carry)] + \
            [leaf for leaf in y_leaves if leaf is not None]

    # a first trace learns how many per-step outputs f has (the backend's scan needs their count up front)
    probe = [T.tensor(s.dtype, shape=s.type.shape[1:]) for s in sequences] + \
        [T.tensor(c.dtype, shape=c.type.shape) for c in carry]
    with tracing.tracing():
        n_outputs = len(step(*probe)) - len(carry)
        results, _ = lb.scan(step, sequences=sequences or None, outputs_info=list(carry) + [None] * n_outputs,
                             n_steps=length, go_backwards=reverse, return_list=True)
    final = [_last(stacked, initial, length, sequences) for stacked, initial in zip(results[:len(carry)], carry)]
    ys = iter(r[::-1] if reverse else r for r in results[len(carry):])
    y_leaves = [None if none else next(ys) for none in outputs_description["y_none"]]
    return rebuild_structure(carry_description, final), rebuild_structure(outputs_description["y"], y_leaves)


def _last(stacked, initial, length, sequences):
    """The last step's value of a stacked loop output; the initial value after 0 steps."""
    steps = length if length is not None else (sequences[0].type.shape[0] if sequences else None)
    if isinstance(steps, (int, np.integer)) and steps > 0:
        return stacked[-1]
    return T.concatenate([T.shape_padleft(T.cast(initial, stacked.dtype)), stacked], axis=0)[-1]


@eager_function
def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """Loops ``carry, y = f(carry, x)`` over the leading axis of ``xs`` (or ``length`` times with ``x=None``);
    returns ``(final carry, stacked ys)``. ``reverse=True`` runs from the end and stacks the ys in ``xs``'s order.
    The loop is the backend's ``scan`` (gradients flow through it); ``unroll`` is accepted and ignored.

    Example:
        >>> carry, ys = scan(lambda c, x: (c + x, c), np.float32(0), np.ones(3, "float32"))
        >>> float(carry), ys.tolist()
        (3.0, [0.0, 1.0, 2.0])
    """
    return _scan_symbolic(f, init, xs, length, reverse)


@eager_function
def fori_loop(lower, upper, body_fun, init_val):
    """``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)``; returns the final ``val``.

    Example:
        >>> int(fori_loop(0, 4, lambda i, v: v + i, np.int64(0)))
        6
    """
    if isinstance(lower, (int, np.integer)) and isinstance(upper, (int, np.integer)) and upper <= lower:
        return init_val
    carry, _ = _scan_symbolic(lambda val, i: (body_fun(i, val), None), init_val,
                              T.arange(tensor(lower, "int64"), tensor(upper, "int64"), dtype="int64"), None, False)
    return carry


@eager_function
def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """``while cond(*loop_vars): loop_vars = body(*loop_vars)`` (a non-tuple ``loop_vars`` is passed as one
    argument); at most ``maximum_iterations`` steps. A backend ``scan`` stopped by ``until``.

    Example:
        >>> while_loop(lambda i, s: i < 4, lambda i, s: (i + 1, s * 2), (np.int64(0), np.float32(1)))[1].item()
        16.0
    """
    unpack = isinstance(loop_vars, (list, tuple))
    leaves, description = _leaves(loop_vars)

    def call(function, values):
        structure = rebuild_structure(description, list(values))
        return function(*structure) if unpack else function(structure)

    def step(*values):
        go = tensor(call(cond, values))
        new_leaves, new_description = _leaves(call(body, values))
        if new_description != description:
            raise ValueError("while_loop: body must return loop_vars' structure")
        new = [T.switch(go, T.cast(n, v.dtype), v) for n, v in zip(new_leaves, values)]
        return new, lb.until(T.invert(T.cast(tensor(call(cond, new)), "bool")))

    steps = maximum_iterations if maximum_iterations is not None else 2 ** 31 - 1
    with tracing.tracing():
        results, _ = lb.scan(step, outputs_info=list(leaves), n_steps=steps, return_list=True)
    final = [_last(r, v, steps, []) for r, v in zip(results, leaves)]   # r[-1]: a loop keeps only its last row
    return rebuild_structure(description, final)


@eager_function
def map(f, xs):  # noqa: A001 - keras.ops's name
    """``[f(x) for x in xs]`` along the leading axis, stacked (a backend ``scan`` without carry)."""
    _, ys = _scan_symbolic(lambda carry, x: (carry, f(x)), np.float32(0), xs, None, False)
    return ys


vectorized_map = map   # keras.ops's second name (a public alias): a loop here, with the same results


# ------------------------------------------------------------------------------------------- slicing, scattering
@eager_function
def slice(inputs, start_indices, shape):  # noqa: A001 - keras.ops's name
    """``inputs[start:start + shape]`` along every axis (starts may be symbolic)."""
    inputs = tensor(inputs)
    starts = [start_indices[k] for k in range(inputs.ndim)]
    return inputs[tuple(builtins.slice(s, s + n) for s, n in zip(starts, shape))]


@eager_function
def slice_update(inputs, start_indices, updates):
    """``inputs`` with the block starting at ``start_indices`` replaced by ``updates``."""
    inputs, updates = tensor(inputs), tensor(updates)
    sizes = [updates.type.shape[k] if updates.type.shape[k] is not None else updates.shape[k]
             for k in range(updates.ndim)]
    index = tuple(builtins.slice(start_indices[k], start_indices[k] + sizes[k]) for k in range(inputs.ndim))
    return T.set_subtensor(inputs[index], T.cast(updates, inputs.dtype))


def _index_tuple(indices):
    indices = T.cast(tensor(indices), "int64")
    depth = indices.type.shape[-1]
    if depth is None:
        raise ValueError(f"scatter: the last axis of indices (the index depth) must have a static size, received "
                         f"shape {indices.type.shape}")
    return tuple(indices[..., k] for k in range(depth))


@eager_function
def scatter(indices, values, shape):
    """Zeros of ``shape`` with ``values`` added at ``indices`` (``(..., depth)``; repeated indices add up)."""
    values = tensor(values)
    return T.inc_subtensor(T.zeros(tuple(shape), dtype=values.dtype)[_index_tuple(indices)], values)


@eager_function
def scatter_update(inputs, indices, updates):
    """``inputs`` with the entries (or slices) at ``indices`` (``(n, depth)``) set to ``updates``."""
    inputs = tensor(inputs)
    return T.set_subtensor(inputs[_index_tuple(indices)], T.cast(tensor(updates), inputs.dtype))


def _segments(data, segment_ids, num_segments):
    data, ids = tensor(data), T.cast(tensor(segment_ids), "int64")
    count = T.max(ids) + 1 if num_segments is None else num_segments
    return data, ids, count


@eager_function
def segment_sum(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """Sums of the rows of ``data`` that share a segment id (``num_segments`` rows; default max id + 1)."""
    data, ids, count = _segments(data, segment_ids, num_segments)
    shape = (count,) + tuple(T.shape_tuple(data)[1:])
    return T.inc_subtensor(T.zeros(shape, dtype=data.dtype)[ids], data)


def _segment_reduce(data, segment_ids, num_segments, reduce, identity):
    """``reduce`` over axis 1 of (segments, rows, ...) where rows outside a segment hold ``identity``."""
    data, ids, count = _segments(data, segment_ids, num_segments)
    member = T.eq(T.shape_padright(ids), T.arange(count, dtype="int64"))   # (rows, segments)
    member = member.dimshuffle(1, 0, *(["x"] * (data.ndim - 1)))
    return reduce(T.switch(member, T.shape_padleft(data), T.constant(identity(data.dtype), dtype=data.dtype)),
                  axis=1)


@eager_function
def segment_max(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """Maxima of the rows of ``data`` that share a segment id (an empty segment holds the lowest value)."""
    return _segment_reduce(data, segment_ids, num_segments, T.max, _lowest)


@eager_function
def segment_min(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """Minima of the rows of ``data`` that share a segment id (an empty segment holds the highest value)."""
    return _segment_reduce(data, segment_ids, num_segments, T.min, _highest)


@eager_function
def segment_prod(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002
    """Products of the rows of ``data`` that share a segment id (an empty segment holds 1)."""
    return _segment_reduce(data, segment_ids, num_segments, T.prod, lambda dtype: 1)


@eager_function
def top_k(x, k, sorted=True):  # noqa: A002
    """The ``k`` largest entries along the last axis and their indices, largest first (ties: lower index first).

    Example:
        >>> values, indices = top_k(np.array([1.0, 3.0, 2.0]), 2)
        >>> values.tolist(), indices.tolist()
        ([3.0, 2.0], [1, 2])
    """
    x = tensor(x)
    indices = T.argsort(-x, axis=-1)[..., :k]
    return _take_last(x, indices), indices


def _take_last(x, indices):
    """``x`` gathered along its last axis at ``indices`` (same leading shape)."""
    lead = [T.arange(T.shape(x)[a], dtype="int64").dimshuffle(*(["x"] * a), 0, *(["x"] * (x.ndim - 1 - a)))
            for a in range(x.ndim - 1)]
    return x[tuple(lead) + (indices,)]


@eager_function
def in_top_k(targets, predictions, k):
    """True where the target class scores among the ``k`` highest predictions (ties count as in)."""
    predictions, targets = tensor(predictions), T.cast(tensor(targets), "int64")
    scores = _take_last(predictions, T.shape_padright(targets))
    return T.lt(T.sum(T.cast(T.gt(predictions, scores), "int64"), axis=-1), k)


def unstack(x, num=None, axis=0):
    """The slices of ``x`` along ``axis`` as a list (the axis needs a static size, or ``num``)."""
    if not isinstance(x, lb.Variable) and not tracing.is_tracing():
        return list(np.moveaxis(_concrete_array(x), axis, 0))
    x = tensor(x)
    size = x.type.shape[axis] if num is None else num
    if size is None:
        raise ValueError(f"unstack: axis {axis} of a tensor of shape {x.type.shape} has no static size; give num")
    index = [builtins.slice(None)] * x.ndim
    return [x[tuple(index[:axis % x.ndim] + [k])] for k in range(size)]
