"""The ``Layer`` base class: Keras's contract (build, call, compute_output_shape, get_config, add_weight).

A layer turns symbolic backend tensors into symbolic backend tensors. Calling it the first time builds its weights
from the static shapes of its inputs; every top-level call is recorded as a :class:`Node` so that the functional
API can walk from outputs back to inputs. Training-time differences are plain Python: ``call`` receives
``training=True`` or ``False`` (or ``None`` while a model is being defined).

Example:
    >>> import layerkit_backend.tensor as T
    >>> class Scale(Layer):
    ...     def build(self, input_shape):
    ...         self.w = self.add_weight("w", (input_shape[-1],), initializer="ones")
    ...     def call(self, inputs):
    ...         return inputs * self.w
    >>> x = T.tensor("float32", shape=(None, 3), name="x")
    >>> Scale()(x).type.shape
    (None, 3)
"""
import collections
import contextlib
import functools
import inspect
import os
import re
import threading
import warnings

import numpy as np

import layerkit_backend as lb
import layerkit_backend.tensor as T

from .. import eager, tracing
from ..variables import Variable

__all__ = ["Layer", "InputSpec", "Node", "CallContext", "register_keras_serializable", "get_registered_object",
           "serialize_value", "to_snake_case", "suspend_node_recording", "flatten", "clear_name_counts", "auto_name"]

# ----------------------------------------------------------------------------------------------- registration
_REGISTRY = {}


def register_keras_serializable(package="Custom", name=None):
    """Class decorator: registers a custom layer (or initializer, loss...) so saved models load it by name.

    The class is found under its own name and under ``'package>name'`` (the name Keras writes in files).

    Example:
        >>> @register_keras_serializable(package="demo")
        ... class Twice(Layer):
        ...     def call(self, inputs):
        ...         return 2 * inputs
        >>> get_registered_object("demo>Twice") is Twice
        True
    """
    def decorate(obj):
        registered = name or obj.__name__
        key = f"{package}>{registered}"
        _REGISTRY[key] = obj
        _REGISTRY.setdefault(registered, obj)
        obj._registered_name = key
        return obj

    return decorate


def _physical_memory():
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):   # not on every platform
        return None


def _check_weight_size(layer_name, weight_name, shape, dtype):
    """Refuses a weight that cannot fit in this machine's memory (e.g. a config declaring 1.5e9 units) before the
    initializer tries to fill it: a clear error instead of a MemoryError or the out-of-memory killer."""
    if any(s < 0 for s in shape):
        raise ValueError(f"{layer_name}: weight {weight_name!r} has a negative size in shape {shape}")
    nbytes = int(np.prod(shape, dtype=object)) * np.dtype(dtype).itemsize
    memory = _physical_memory()
    if memory is not None and nbytes > memory:
        raise ValueError(f"{layer_name}: weight {weight_name!r} of shape {shape} ({dtype}) needs "
                         f"{nbytes / 2 ** 30:.1f} GiB, more than this machine's {memory / 2 ** 30:.1f} GiB of memory")


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The class or function called ``name``: from ``custom_objects``, the registry, then ``module_objects``."""
    for table in (custom_objects or {}, _REGISTRY, module_objects or {}):
        if name in table:
            return table[name]
    return None


def serialize_value(value):
    """A JSON-able form of a constructor argument: configurable objects become ``{class_name, config}``."""
    if isinstance(value, Layer):
        return {"class_name": type(value).__dict__.get("_registered_name", type(value).__name__),
                "config": value.get_config()}
    if hasattr(value, "get_config") and not isinstance(value, type):
        return {"class_name": getattr(type(value), "_registered_name", type(value).__name__),
                "config": value.get_config()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [serialize_value(v) for v in value]
    if isinstance(value, dict):
        return {k: serialize_value(v) for k, v in value.items()}
    if callable(value) and hasattr(value, "__name__"):
        return value.__name__
    return value


# ----------------------------------------------------------------------------------------------- names
def to_snake_case(name):
    """Keras's default layer names: ``Conv2D`` -> ``conv2d``, ``SimpleRNN`` -> ``simple_rnn``."""
    name = re.sub(r"(.)([A-Z][a-z0-9]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


_NAME_COUNTS = collections.defaultdict(int)


def auto_name(base):
    """``base``, then ``base_1``, ``base_2``... on later calls: Keras's automatic names of layers and metrics."""
    count = _NAME_COUNTS[base]
    _NAME_COUNTS[base] += 1
    return base if count == 0 else f"{base}_{count}"


def unique_names(names):
    """``names`` with repeats suffixed as Keras does: ``['a', 'a', 'b']`` -> ``['a', 'a_1', 'b']``."""
    seen, result = {}, []
    for name in names:
        count = seen.get(name, 0)
        seen[name] = count + 1
        result.append(name if count == 0 else f"{name}_{count}")
    return result


def clear_name_counts():
    """Restart automatic names at ``dense``, ``dense_1``... (``layerkit.backend.clear_session`` calls it)."""
    _NAME_COUNTS.clear()


# ----------------------------------------------------------------------------------------------- call state
_STATE = threading.local()


def _state():
    if not hasattr(_STATE, "contexts"):
        _STATE.contexts = []
        _STATE.recording_suspended = 0
    return _STATE


class CallContext:
    """Collects the losses and updates that layers add while a model graph is built.

    Example:
        >>> with CallContext() as ctx:
        ...     pass  # out = model(x, training=True)
        >>> ctx.losses, ctx.updates
        ([], [])
    """

    def __init__(self):
        self.losses = []
        self.updates = []

    def __enter__(self):
        state = _state()
        state.contexts.append(self)
        state.recording_suspended += 1
        return self

    def __exit__(self, *exc):
        state = _state()
        state.contexts.remove(self)
        state.recording_suspended -= 1
        return False


@contextlib.contextmanager
def suspend_node_recording():
    """Calls made inside do not add functional-API nodes (used when a model re-runs its graph)."""
    state = _state()
    state.recording_suspended += 1
    try:
        yield
    finally:
        state.recording_suspended -= 1


def _current_context():
    contexts = _state().contexts
    return contexts[-1] if contexts else None


# ----------------------------------------------------------------------------------------------- helpers
def map_structure(fn, structure):
    """``structure`` (nested lists, tuples and dicts) with ``fn`` applied to each leaf, containers kept."""
    if isinstance(structure, (list, tuple)):
        return type(structure)(map_structure(fn, s) for s in structure)
    if isinstance(structure, dict):
        return {k: map_structure(fn, v) for k, v in structure.items()}
    return fn(structure)


def flatten(structure):
    """The tensors of a nested list/tuple/dict (dict values in key order, as Keras 3 flattens them)."""
    if isinstance(structure, dict):
        return [t for key in sorted(structure) for t in flatten(structure[key])]
    if isinstance(structure, (list, tuple)):
        return [t for item in structure for t in flatten(item)]
    return [structure]


def _is_tensor(value):
    return isinstance(value, lb.Variable)


def _shape_of(structure):
    if isinstance(structure, (list, tuple)):
        return [_shape_of(s) for s in structure]
    return tuple(structure.type.shape)


def _accepts(function, argument):
    params = inspect.signature(function).parameters
    return argument in params or any(p.kind == p.VAR_KEYWORD for p in params.values())


class InputSpec:
    """What a layer accepts: ``ndim``, ``min_ndim``, ``max_ndim``, ``dtype`` and fixed sizes ``axes={-1: 5}``."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None):
        self.dtype = dtype
        self.shape = shape
        self.ndim = len(shape) if shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = dict(axes or {})

    def check(self, layer_name, index, shape):
        where = f"{layer_name}: input {index}"
        if self.ndim is not None and len(shape) != self.ndim:
            raise ValueError(f"{where}: expected ndim={self.ndim}, received ndim={len(shape)} (shape {shape})")
        if self.min_ndim is not None and len(shape) < self.min_ndim:
            raise ValueError(f"{where}: expected ndim >= {self.min_ndim}, received shape {shape}")
        if self.max_ndim is not None and len(shape) > self.max_ndim:
            raise ValueError(f"{where}: expected ndim <= {self.max_ndim}, received shape {shape}")
        for axis, size in self.axes.items():
            if size is not None and shape[axis] is not None and shape[axis] != size:
                raise ValueError(f"{where}: expected axis {axis} of size {size}, received shape {shape}")
        if self.shape is not None:
            for expected, got in zip(self.shape, shape):
                if expected is not None and got is not None and expected != got:
                    raise ValueError(f"{where}: expected shape {self.shape}, received shape {shape}")


class Node:
    """One top-level call of a layer: which tensors went in, which came out, with which keyword arguments."""

    def __init__(self, layer, inputs, outputs, arguments, args=()):
        self.layer = layer
        self.inputs = inputs            # the structure the layer was called with
        self.outputs = outputs          # the structure it returned
        self.arguments = arguments      # other keyword arguments (not training/mask)
        self.args = tuple(args)         # further positional arguments (tensors among them are graph inputs too)
        self.input_tensors = flatten(inputs) + [a for a in flatten(list(self.args)) if _is_tensor(a)]
        self.output_tensors = flatten(outputs)

    @property
    def parent_nodes(self):
        return [t._keras_history[0]._inbound_nodes[t._keras_history[1]]
                for t in self.input_tensors if getattr(t, "_keras_history", None) is not None]


_BASE_KEYS = ("name", "trainable", "dtype", "input_shape", "input_dim", "batch_input_shape", "batch_size",
              "batch_shape")


class Layer:
    """Base class of every layer; subclass it with ``build`` and ``call`` (see the module docstring)."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is None or getattr(init, "_captures_config", False):
            return

        @functools.wraps(init)
        def init_capturing_config(self, *args, **kw):
            if "_captured_config" not in self.__dict__:
                self.__dict__["_captured_config"] = _bound_arguments(init, self, args, kw)
            init(self, *args, **kw)

        init_capturing_config._captures_config = True
        cls.__init__ = init_capturing_config

    def __init__(self, name=None, trainable=True, dtype=None, input_shape=None, input_dim=None,
                 batch_input_shape=None, batch_size=None, batch_shape=None, activity_regularizer=None,
                 **kwargs):
        if kwargs:
            raise TypeError(f"{type(self).__name__}: unexpected keyword argument(s) {sorted(kwargs)}")
        self.__dict__.setdefault("_layers", [])
        self.__dict__.setdefault("_captured_config", None)
        self.name = name or auto_name(to_snake_case(type(self).__name__))
        self._trainable = bool(trainable)
        if isinstance(dtype, dict):   # Keras 3's DTypePolicy {"class_name": "DTypePolicy", "config": {"name": ...}}
            dtype = dtype.get("config", {}).get("name")
        self.dtype = dtype or lb.config.floatX
        self.built = False
        self.supports_masking = getattr(self, "supports_masking", False)
        self.input_spec = getattr(self, "input_spec", None)
        self.stateful = getattr(self, "stateful", False)
        self._trainable_own = []
        self._non_trainable_own = []
        self._own_losses = []       # regularisation penalties of weights (always part of the loss)
        self._call_losses = []      # losses added by calls outside a CallContext (functional construction)
        self._call_updates = []
        self.constraints = {}
        self._inbound_nodes = []
        if activity_regularizer is not None:
            from .. import regularizers
            activity_regularizer = regularizers.get(activity_regularizer)
        self.activity_regularizer = activity_regularizer
        if batch_shape is not None:
            batch_input_shape = batch_shape
        if batch_input_shape is None and (input_shape is not None or input_dim is not None):
            shape = tuple(input_shape) if input_shape is not None else (input_dim,)
            batch_input_shape = (batch_size,) + shape
        self.batch_input_shape = None if batch_input_shape is None else tuple(batch_input_shape)

    # ------------------------------------------------------------------------------------ tracking
    def __setattr__(self, name, value):
        layers = self.__dict__.setdefault("_layers", [])
        candidates = value if isinstance(value, (list, tuple)) else [value]
        for candidate in candidates:
            if isinstance(candidate, Layer) and candidate is not self and all(candidate is not l for l in layers):
                layers.append(candidate)
        object.__setattr__(self, name, value)

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        self._trainable = bool(value)
        for callback in getattr(self, "_on_trainable_change", []):   # first, so a warning names this layer
            callback(self)
        for layer in self._layers:
            layer.trainable = value

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        return _unique(self._trainable_own + [w for l in self._layers for w in l.trainable_weights])

    @property
    def non_trainable_weights(self):
        own = self._non_trainable_own if self.trainable else self._trainable_own + self._non_trainable_own
        nested = [w for l in self._layers for w in (l.non_trainable_weights if self.trainable else l.weights)]
        return _unique(own + nested)

    @property
    def weights(self):
        return _unique(self.trainable_weights + self.non_trainable_weights)

    # Keras 2 spelling
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    @property
    def losses(self):
        """Regularisation penalties of this layer's (and nested layers') weights, plus losses added by calls."""
        return self._own_losses + self._call_losses + [loss for l in self._layers for loss in l.losses]

    @property
    def updates(self):
        return self._call_updates + [u for l in self._layers for u in l.updates]

    def get_weights(self):
        """The current values of ``weights`` as NumPy arrays."""
        return [w.get_value() for w in self.weights]

    def set_weights(self, weights):
        """Sets ``weights`` from NumPy arrays in the same order; checks the count and every shape first."""
        variables = self.weights
        if len(weights) != len(variables):
            raise ValueError(f"{self.name}: set_weights expected {len(variables)} arrays "
                             f"({[w.name for w in variables]}), received {len(weights)}")
        values = []
        for variable, value in zip(variables, weights):
            value = np.asarray(value)
            expected = variable.get_value(borrow=True).shape
            if value.shape != expected:
                raise ValueError(f"{self.name}: weight {variable.name!r} expects shape {expected}, "
                                 f"received {value.shape}")
            values.append(value.astype(variable.type.dtype, copy=False))
        for variable, value in zip(variables, values):
            variable.set_value(value)

    def count_params(self):
        """How many numbers the layer's weights hold (the layer must be built)."""
        if not self.built:
            raise ValueError(f"{self.name}: count_params needs a built layer; call it on an input or build() it")
        return int(sum(np.prod(w.get_value(borrow=True).shape) for w in self.weights))

    # ------------------------------------------------------------------------------------ building
    def add_weight(self, *args, **kwargs):
        """A shared variable ``'<layer>/<name>'`` of ``shape``, initialised now; tracked by this layer.

        Keyword arguments: ``shape``, ``initializer`` (default 'glorot_uniform'), ``dtype``, ``trainable``,
        ``regularizer``, ``constraint``, ``name``. Positionally, Keras 3's order when the first argument is a shape
        (``add_weight((3, 4), 'zeros')``) and layerkit's (Keras 2's) when it is the name
        (``add_weight('kernel', (3, 4), 'zeros', regularizer, constraint, trainable, dtype)``).

        Example:
            >>> layer = Layer(name='demo')
            >>> layer.add_weight(shape=(2, 3), initializer='zeros', name='w').get_value().shape
            (2, 3)
        """
        from .. import constraints, initializers, regularizers

        name, shape, initializer, regularizer, constraint, trainable, dtype = self._weight_arguments(args, kwargs)
        shape = tuple(int(s) for s in shape)
        dtype = dtype or self.dtype
        _check_weight_size(self.name, name, shape, dtype)
        value = np.asarray(initializers.get(initializer)(shape, dtype=dtype), dtype=dtype)
        if value.shape != shape:
            raise ValueError(f"{self.name}: initializer of weight {name!r} returned shape {value.shape}, "
                             f"expected {shape}")
        variable = Variable(value, name=f"{self.name}/{name}", trainable=trainable)
        (self._trainable_own if trainable else self._non_trainable_own).append(variable)
        regularizer = regularizers.get(regularizer)
        if regularizer is not None:
            with tracing.tracing():   # the penalty is a graph of the variable, also for regularizers using ops
                self._own_losses.append(regularizer(variable))
        constraint = constraints.get(constraint)
        variable.constraint = constraint
        if constraint is not None:
            self.constraints[variable] = constraint
        return variable

    _KERAS3_ORDER = ("shape", "initializer", "dtype", "trainable", "autocast", "regularizer", "constraint",
                     "aggregation", "overwrite_with_gradient", "name")
    _NAME_FIRST_ORDER = ("name", "shape", "initializer", "regularizer", "constraint", "trainable", "dtype")

    def _weight_arguments(self, args, kwargs):
        order = self._NAME_FIRST_ORDER if args and isinstance(args[0], str) else self._KERAS3_ORDER
        if len(args) > len(order):
            raise TypeError(f"{self.name}: add_weight takes at most {len(order)} positional arguments "
                            f"{list(order)}, received {len(args)}")
        given = dict(zip(order, args))
        twice = sorted(set(given) & set(kwargs))
        unknown = sorted(set(kwargs) - set(self._KERAS3_ORDER) - set(self._NAME_FIRST_ORDER))
        if twice or unknown:
            raise TypeError(f"{self.name}: add_weight got {'repeated' if twice else 'unexpected'} argument(s) "
                            f"{twice or unknown}")
        given.update(kwargs)
        if given.get("shape") is None:
            raise ValueError(f"{self.name}: add_weight needs a shape, received {given.get('shape')!r}")
        shape = (given["shape"],) if isinstance(given["shape"], int) else given["shape"]
        taken = {v.name.rsplit("/", 1)[-1] for v in self._trainable_own + self._non_trainable_own}
        name = given.get("name") or next(n for n in ("variable", *(f"variable_{k}" for k in range(1, 10 ** 6)))
                                         if n not in taken)
        trainable = True if given.get("trainable") is None else given["trainable"]
        return (name, shape, given.get("initializer") or "glorot_uniform", given.get("regularizer"),
                given.get("constraint"), trainable, given.get("dtype"))

    def build(self, input_shape):
        """Creates the weights; ``input_shape`` is a tuple (``None`` for unknown sizes) or a list of them."""
        self.built = True

    def call(self, inputs):
        """The computation; the base returns its input unchanged."""
        return inputs

    def compute_output_shape(self, input_shape):
        """Output shape(s) for ``input_shape``: by default, runs ``call`` on placeholders and reads static shapes."""
        def placeholder(shape):
            return T.tensor(self.dtype, shape=tuple(shape), name="shape_probe")

        is_list = isinstance(input_shape, list) and input_shape and isinstance(input_shape[0], (tuple, list))
        probes = [placeholder(s) for s in input_shape] if is_list else placeholder(input_shape)
        with tracing.tracing():
            if not self.built:
                self._build_once(probes)
            with suspend_node_recording(), CallContext():
                outputs = self._call_with_options(probes, None, None, {})
        return _shape_of(outputs)

    def compute_mask(self, inputs, mask=None):
        """The output mask: passed through if ``supports_masking``, else ``None``."""
        return mask if self.supports_masking else None

    # ------------------------------------------------------------------------------------ calling
    def __call__(self, inputs, *args, **kwargs):
        """Called on symbolic tensors: records the call and returns symbolic outputs (the functional API). Called
        on NumPy arrays outside a traced step (Keras 3's eager call): returns NumPy arrays now, through a graph
        compiled once per (input shapes and dtypes, other arguments, training flag); updates the layer makes when
        called so (moving statistics with ``training=True``, variable assignments) are applied."""
        if not tracing.is_tracing() and _is_eager_call(inputs, args, kwargs):
            return self._eager_call(inputs, args, kwargs)
        with tracing.tracing():
            return self._symbolic_call(inputs, *args, **kwargs)

    def _eager_call(self, inputs, args, kwargs):
        cache = self.__dict__.get("_eager_calls")
        if cache is None:
            cache = self.__dict__["_eager_calls"] = eager.CompiledCache(size=64)
        return eager.run_compiled(Layer._symbolic_call, (self, inputs) + tuple(args), kwargs, cache=cache,
                                  trace=_trace_layer_call)

    def _symbolic_call(self, inputs, *args, **kwargs):
        mask = kwargs.pop("mask", None)
        training = kwargs.pop("training", None)
        inputs = _as_tensors(inputs)
        if mask is None:
            masks = [getattr(t, "_keras_mask", None) for t in flatten(inputs)]
            if any(m is not None for m in masks):
                mask = masks if isinstance(inputs, (list, tuple)) else masks[0]
        if not self.built:
            self._build_once(inputs)
        self._check_input_spec(inputs)
        outputs = self._call_with_options(inputs, training, mask, kwargs, *args)
        assignments = tracing.active_assignments()
        if assignments is not None and len(assignments):
            outputs = _read_assigned_weights(self, inputs, outputs, assignments)
        out_list = flatten(outputs)
        inputs_list = flatten(inputs)
        if any(o is i for o in out_list for i in inputs_list):   # never re-label the caller's tensor
            outputs = map_structure(lambda o: T.tensor_copy(o) if any(o is i for i in inputs_list) else o,
                                     outputs)
            out_list = flatten(outputs)
        out_masks = self.compute_mask(inputs, mask)
        out_masks = out_masks if isinstance(out_masks, (list, tuple)) else [out_masks] * len(out_list)
        for tensor, out_mask in zip(out_list, out_masks):
            tensor._keras_mask = out_mask
        if self.activity_regularizer is not None:
            for tensor in out_list:
                batch = T.cast(tensor.shape[0], tensor.dtype)
                self.add_loss(self.activity_regularizer(tensor) / batch)
        if not _state().recording_suspended:
            node = Node(self, inputs, outputs, dict(kwargs), args)
            self._inbound_nodes.append(node)
            for index, tensor in enumerate(out_list):
                tensor._keras_history = (self, len(self._inbound_nodes) - 1, index)
        return outputs

    def _call_with_options(self, inputs, training, mask, kwargs, *args):
        options = dict(kwargs)
        if _accepts(self.call, "training"):
            options["training"] = training
        if mask is not None and _accepts(self.call, "mask"):
            options["mask"] = mask
        with suspend_node_recording():
            return self.call(inputs, *args, **options)

    def _build_once(self, inputs):
        shapes = _shape_of(inputs)
        self._check_input_spec(inputs)
        with suspend_node_recording():
            self.build(shapes)
        self.built = True

    def _check_input_spec(self, inputs):
        if self.input_spec is None:
            return
        specs = self.input_spec if isinstance(self.input_spec, (list, tuple)) else [self.input_spec]
        tensors = flatten(inputs)
        if len(specs) != len(tensors) and len(specs) > 1:
            raise ValueError(f"{self.name}: expected {len(specs)} inputs, received {len(tensors)}")
        for index, (spec, tensor) in enumerate(zip(specs, tensors)):
            if spec is not None:
                spec.check(self.name, index, tuple(tensor.type.shape))

    def add_loss(self, loss):
        """Adds a scalar loss term (e.g. an activity penalty) to the model's training loss."""
        context = _current_context()
        (context.losses if context is not None else self._call_losses).append(loss)

    def add_update(self, updates):
        """Adds ``(variable, new_value)`` pairs applied by the training step (e.g. moving averages)."""
        if isinstance(updates, tuple) and len(updates) == 2 and isinstance(updates[0], lb.SharedVariable):
            updates = [updates]
        context = _current_context()
        (context.updates if context is not None else self._call_updates).extend(updates)

    # ------------------------------------------------------------------------------------ functional API views
    def _node_view(self, attribute):
        if not self._inbound_nodes:
            raise AttributeError(f"Layer {self.name} has never been called and thus has no defined {attribute}")
        if len(self._inbound_nodes) > 1:
            raise AttributeError(f"Layer {self.name} has been called {len(self._inbound_nodes)} times, so "
                                 f"{attribute} is ambiguous; use get_{attribute}_at(node_index)")
        return self._inbound_nodes[0]

    @property
    def input(self):
        return self._node_view("input").inputs

    @property
    def output(self):
        return self._node_view("output").outputs

    @property
    def input_shape(self):
        return _shape_of(self._node_view("input_shape").inputs)

    @property
    def output_shape(self):
        return _shape_of(self._node_view("output_shape").outputs)

    def get_input_at(self, node_index):
        return self._inbound_nodes[node_index].inputs

    def get_output_at(self, node_index):
        return self._inbound_nodes[node_index].outputs

    # ------------------------------------------------------------------------------------ configuration
    def get_config(self):
        """Constructor arguments as JSON-able values (captured automatically from ``__init__``)."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self.batch_input_shape is not None:
            config["batch_input_shape"] = list(self.batch_input_shape)
        captured = self.__dict__.get("_captured_config") or {}
        for key, value in captured.items():
            if key not in _BASE_KEYS:
                config[key] = serialize_value(value)
        return config

    @classmethod
    def from_config(cls, config):
        """A new layer from ``get_config()``'s dictionary."""
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def _bound_arguments(init, self, args, kwargs):
    try:
        bound = inspect.signature(init).bind(self, *args, **kwargs)
    except TypeError:
        return None   # the constructor itself raises the clear error
    bound.apply_defaults()
    captured = {}
    params = inspect.signature(init).parameters
    for key, value in list(bound.arguments.items())[1:]:
        if params[key].kind == params[key].VAR_KEYWORD:
            captured.update(value)
        elif params[key].kind == params[key].VAR_POSITIONAL:
            # a Model subclass passing *args to Model (Keras 3's pattern) has no layer config to lose
            if value and not hasattr(type(self), "train_step"):
                warnings.warn(f"{type(self).__name__}: positional *args are not part of get_config()")
        else:
            captured[key] = value
    return captured


def _unique(variables):
    seen, result = set(), []
    for v in variables:
        if id(v) not in seen:
            seen.add(id(v))
            result.append(v)
    return result


def _as_tensors(inputs):
    if isinstance(inputs, (list, tuple)):
        return type(inputs)(_as_tensors(i) for i in inputs)
    if isinstance(inputs, dict):
        return {k: _as_tensors(v) for k, v in inputs.items()}
    if _is_tensor(inputs):
        return inputs
    return T.as_tensor_variable(np.asarray(inputs, dtype=lb.config.floatX)
                                if np.asarray(inputs).dtype.kind == "f" else np.asarray(inputs))


def _is_eager_call(inputs, args, kwargs):
    """True for a call on NumPy arrays (and other concrete values) with no symbolic tensor anywhere."""
    leaves, _ = eager.flatten_structure((inputs, args, kwargs))
    input_leaves, _ = eager.flatten_structure(inputs)
    return any(eager.is_concrete(leaf) for leaf in input_leaves) and not any(eager.is_symbolic(leaf)
                                                                             for leaf in leaves)


def _read_assigned_weights(layer, inputs, outputs, assignments):
    """``outputs`` computed with the values the step has already assigned to ``layer``'s own weights (an
    optimizer step earlier in the same ``train_step``), as a step run statement by statement would compute them
    (see ``Assignments.read`` for the gradient)."""
    own = layer._trainable_own + layer._non_trainable_own
    replace = {v: assignments.read(v) for v in own if assignments.current(v) is not v}
    if not replace:
        return outputs
    leaves, description = eager.flatten_structure(outputs)
    symbolic = [leaf for leaf in leaves if isinstance(leaf, lb.Variable)]
    boundary = {t: t for t in flatten(inputs) if _is_tensor(t)}   # what came in was computed before: kept
    replaced = iter(lb.clone_replace(symbolic, replace={**boundary, **replace}))
    return eager.rebuild_structure(description, [next(replaced) if isinstance(leaf, lb.Variable) else leaf
                                                 for leaf in leaves])


def _trace_layer_call(fn, args, kwargs):
    """(outputs, updates) of a layer call traced for an eager call: the updates layers add (``add_update``) and
    the variable assignments they make."""
    with CallContext() as context, tracing.collecting_assignments() as assignments:
        outputs = fn(*args, **kwargs)
    return outputs, list(context.updates) + assignments.pairs()
