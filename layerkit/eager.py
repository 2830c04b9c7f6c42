"""Keras 3's eager calls: a function of tensors called on NumPy arrays runs now and returns NumPy arrays.

layerkit computes by compiling graphs. A call on concrete values (``ops.sum(array)``, ``layer(array)``,
``loss(y_true, y_pred)``, ``metric.update_state(...)``) is therefore run as: build the graph once on placeholders
of the arguments' shapes and dtypes, compile it, cache it under that signature, and call it. The next call with
the same signature (shapes, dtypes, the non-array arguments, the training flag) costs one compiled call plus a
dictionary lookup (``docs/keras3.md`` gives the measured overhead).

The rule for what is concrete: NumPy arrays and scalars, and shared variables (their current values) outside a
traced step. A symbolic tensor among the arguments, or a call while a graph is being built
(``layerkit.tracing.is_tracing()``), builds the graph instead (the symbolic path).

Example:
    >>> import numpy as np
    >>> import layerkit_backend.tensor as T
from layerkit_backend.bounded_cache import BoundedCache
    >>> double = eager_function(lambda x: 2 * T.as_tensor_variable(x))
    >>> double(np.ones(3, "float32")).tolist()
    [2.0, 2.0, 2.0]
"""
import functools
import threading

import numpy as np

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit_backend.bounded_cache import BoundedCache

from . import tracing

__all__ = ["is_symbolic", "is_concrete", "wants_eager", "eager_function", "CompiledCache", "run_compiled",
           "trace_call", "as_placeholder_value", "flatten_structure", "rebuild_structure"]

_CACHE_SIZE = 1024


def is_symbolic(value):
    """True for a symbolic tensor that is not a shared variable."""
    return isinstance(value, lb.Variable) and not isinstance(value, lb.SharedVariable)


def is_concrete(value):
    """True for NumPy arrays and NumPy scalars (the values an eager call accepts as data)."""
    return isinstance(value, (np.ndarray, np.generic))


def flatten_structure(structure):
    """(leaves, rebuild description) of nested lists, tuples and dicts (dict keys in insertion order)."""
    leaves = []

    def walk(value):
        kind = type(value)
        if kind is tuple or kind is list or isinstance(value, (list, tuple)):
            return (type(value), tuple([walk(v) for v in value]))
        if kind is dict or isinstance(value, dict):
            return (dict, tuple([(k, walk(v)) for k, v in value.items()]))
        leaves.append(value)
        return None

    return leaves, walk(structure)


def rebuild_structure(description, leaves):
    """The structure of :func:`flatten_structure`'s ``description`` with ``leaves`` (an iterator) in place."""
    leaves = iter(leaves)

    def build(node):
        if node is None:
            return next(leaves)
        kind, items = node
        if kind is dict:
            return {k: build(v) for k, v in items}
        values = [build(v) for v in items]
        return kind(values) if kind in (list, tuple) else kind(*values)   # namedtuples take positionals

    return build(description)


def wants_eager(leaves):
    """True if a call on ``leaves`` should run now: not tracing, and no symbolic tensor among them."""
    return not tracing.is_tracing() and not any(is_symbolic(leaf) for leaf in leaves)


_FLOAT64 = np.dtype("float64")


def as_placeholder_value(value):
    """((dtype, shape) of the placeholder standing for a concrete ``value``, the array to feed it): a float64
    array counts as floatX, as Keras converts NumPy data."""
    if isinstance(value, lb.SharedVariable):
        array = value.get_value(borrow=True)
        return (array.dtype, array.shape), array
    array = value if type(value) is np.ndarray else np.asarray(value)
    if array.dtype == _FLOAT64:
        array = array.astype(lb.config.floatX)
    elif array.dtype.kind in "USO":
        return ("string", array.shape), array   # text: the backend's string tensors (Input(dtype='string'))
    return (array.dtype, array.shape), array


def CompiledCache(size=_CACHE_SIZE):
    """A bounded least-recently-used map from a call signature to its compiled function (thread-safe)."""
    return BoundedCache(size)


_FUNCTIONS = CompiledCache()
_DATA = (np.ndarray, np.generic, lb.SharedVariable)
_STATIC = "static"   # marks a non-array argument in a call signature (an array's entry is (dtype, shape))


class _Compiled:
    """A compiled eager call: the function and how to rebuild the output structure."""

    __slots__ = ("function", "description", "kinds", "constants")

    def __init__(self, function, description, kinds, constants):
        self.function, self.description, self.kinds, self.constants = function, description, kinds, constants

    def __call__(self, arrays):
        computed = iter(self.function(*arrays)) if self.function is not None else iter(())
        constants = iter(self.constants)
        leaves = [np.array(next(computed), copy=True) if kind == "tensor" else next(constants)
                  for kind in self.kinds]
        return rebuild_structure(self.description, leaves)


def trace_call(fn, args, kwargs):
    """(result, update pairs) of ``fn(*args, **kwargs)`` on symbolic arguments: the variable assignments it
    makes become the compiled function's updates."""
    with tracing.collecting_assignments() as assignments:
        result = fn(*args, **kwargs)
    return result, assignments.pairs()


def _compile(fn, args, kwargs, leaves, description, concrete, trace):
    placeholders, traced_leaves = [], []
    for leaf, is_data in zip(leaves, concrete):
        if is_data:
            (dtype, shape), _ = as_placeholder_value(leaf)
            placeholder = T.tensor(dtype if isinstance(dtype, str) else dtype.name, shape=shape, name="eager_input")
            placeholders.append(placeholder)
            traced_leaves.append(placeholder)
        else:
            traced_leaves.append(leaf)
    traced_args, traced_kwargs = rebuild_structure(description, traced_leaves)
    with tracing.tracing():
        result, updates = trace(fn, traced_args, traced_kwargs)
    out_leaves, out_description = flatten_structure(result)
    kinds = ["tensor" if isinstance(leaf, lb.Variable) else "constant" for leaf in out_leaves]
    outputs = [leaf for leaf in out_leaves if isinstance(leaf, lb.Variable)]
    constants = [leaf for leaf in out_leaves if not isinstance(leaf, lb.Variable)]
    function = None
    if outputs or updates:
        function = lb.function(placeholders, outputs, updates=list(updates), on_unused_input="ignore",
                               name=f"eager/{getattr(fn, '__name__', 'call')}")
    return _Compiled(function, out_description, kinds, constants)


def run_compiled(fn, args, kwargs, cache=_FUNCTIONS, key_prefix=(), trace=trace_call, flat=None):
    """Runs ``fn(*args, **kwargs)`` on concrete values through a cached compiled graph; NumPy results.

    ``trace(fn, args, kwargs) -> (result, updates)`` builds the graph on placeholders (default:
    :func:`trace_call`); the updates are applied by every call of the compiled function. ``flat``: the
    arguments already flattened, ``flatten_structure((args, kwargs))``.
    """
    leaves, description = flat if flat is not None else flatten_structure((tuple(args), dict(kwargs)))
    concrete = [isinstance(leaf, _DATA) for leaf in leaves]
    signature, arrays = [], []
    for leaf, is_data in zip(leaves, concrete):
        if is_data:
            spec, array = as_placeholder_value(leaf)
            signature.append(spec)
            arrays.append(array)
        else:
            signature.append((_STATIC, type(leaf), leaf))
    key = (fn, description, *key_prefix, *signature)
    try:
        hash(key)
    except TypeError:
        key = None   # an unhashable argument: compiled for this call only
    compiled = cache.get(key) if key is not None else None
    if compiled is None:
        compiled = _compile(fn, args, kwargs, leaves, description, concrete, trace)
        if key is not None:
            cache[key] = compiled
    return compiled(arrays)


def eager_function(fn):
    """Decorator: ``fn`` (written with symbolic tensors) also runs on concrete values, returning NumPy arrays.

    Example:
        >>> import numpy as np
        >>> @eager_function
        ... def norm(x, axis=-1):
        ...     return T.sqrt(T.sum(T.square(T.as_tensor_variable(x)), axis=axis))
        >>> norm(np.array([[3.0, 4.0]])).tolist()
        [5.0]
    """
    @functools.wraps(fn)
    def dispatch(*args, **kwargs):
        if tracing.is_tracing():
            return fn(*args, **kwargs)
        flat = flatten_structure((args, kwargs))
        if any(is_symbolic(leaf) for leaf in flat[0]):
            return fn(*args, **kwargs)
        return run_compiled(fn, args, kwargs, flat=flat)

    dispatch.symbolic = fn
    return dispatch


# ----------------------------------------------------------------------------------------------- metrics
_METRIC_CALLS = threading.local()


def _metric_depth():
    return getattr(_METRIC_CALLS, "depth", 0)


class _InMetric:
    """Marks a metric method running: calls it makes to other metric methods (``super().update_state``) run
    as plain calls."""

    def __enter__(self):
        _METRIC_CALLS.depth = _metric_depth() + 1

    def __exit__(self, *exc):
        _METRIC_CALLS.depth -= 1


def _metric_cache(metric):
    cache = metric.__dict__.get("_eager_calls")
    if cache is None:
        cache = metric.__dict__["_eager_calls"] = CompiledCache(size=64)
    return cache


def _update_pairs(metric, update_state, *args, **kwargs):
    """The ``(variable, new value)`` pairs of one symbolic ``update_state`` call: the pairs it returns (layerkit's
    metrics) and the assignments it makes (``self.total.assign_add(...)``, Keras 3's way)."""
    with _InMetric(), tracing.collecting_assignments() as assignments:
        returned = update_state(metric, *args, **kwargs)
    pairs = list(returned or [])
    seen = {id(variable) for variable, _ in pairs}
    return pairs + [(v, new) for v, new in assignments.pairs() if id(v) not in seen]


def metric_update_state(update_state):
    """Wraps a ``Metric.update_state``: on concrete values it updates the metric now (a compiled call, cached per
    signature); on symbolic values it returns the update pairs (also recording them in a step that collects
    assignments, such as a custom ``train_step``)."""
    @functools.wraps(update_state)
    def update(self, *args, **kwargs):
        if _metric_depth():
            return update_state(self, *args, **kwargs)
        leaves, _ = flatten_structure((args, kwargs))
        if wants_eager(leaves):
            run_compiled(_update_pairs, (self, update_state) + args, kwargs, cache=_metric_cache(self),
                         trace=lambda fn, a, k: (None, fn(*a, **k)))
            return None
        pairs = _update_pairs(self, update_state, *args, **kwargs)
        outer = tracing.active_assignments()
        if outer is not None:
            for variable, value in pairs:
                outer.record(variable, value)
        return pairs

    update._eager_wrapped = True
    return update


def _result_graph(metric, result, accepts_values, values=None):
    """``result`` built symbolically; the metric's variables read as ``values`` (the engine's pairs) or as the
    values a step has assigned them so far."""
    with _InMetric():
        output = result(metric, values=values) if accepts_values else result(metric)
    replace = {}
    if values and not accepts_values:
        replace.update({v: values[v] for v in metric.variables if v in values})
    assignments = tracing.active_assignments()
    if values is None and assignments is not None:
        replace.update({v: assignments.current(v) for v in metric.variables if assignments.current(v) is not v})
    if not replace:
        return output
    leaves, description = flatten_structure(output)
    replaced = iter(lb.clone_replace([leaf for leaf in leaves if isinstance(leaf, lb.Variable)], replace=replace))
    return rebuild_structure(description, [next(replaced) if isinstance(leaf, lb.Variable) else leaf
                                           for leaf in leaves])


def metric_result(result):
    """Wraps a ``Metric.result``: outside a traced step it returns the current result as NumPy; inside, the
    symbolic result (reading the values the step assigns)."""
    import inspect

    accepts_values = "values" in inspect.signature(result).parameters

    @functools.wraps(result)
    def wrapped(self, values=None):
        if _metric_depth():
            return result(self, values=values) if accepts_values else result(self)
        if values is None and not tracing.is_tracing():
            return run_compiled(_result_graph, (self, result, accepts_values), {}, cache=_metric_cache(self))
        return _result_graph(self, result, accepts_values, values)

    wrapped._eager_wrapped = True
    return wrapped
