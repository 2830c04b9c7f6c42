"""Model architecture <-> Keras configuration dictionaries (what ``to_json`` and ``.h5`` files hold).

Writes Keras 2's format: ``{"class_name": "Sequential" | "Functional", "config": {"name", "layers": [...]}}``
where a functional model's layers carry ``inbound_nodes`` as ``[[[layer_name, node_index, tensor_index, kwargs],
...], ...]`` and the config lists ``input_layers``/``output_layers``. Reads that and Keras 3's format (nodes as
``{"args": [...], "kwargs": {...}}`` holding ``__keras_tensor__`` records; ``module``/``registered_name`` keys;
dtype policies). Models nest as layers. Layer classes are found in ``custom_objects``, then the registry of
``register_keras_serializable``, then layerkit's own layer modules. Nothing in a file is ever executed: a
``Lambda`` loads only from an importable ``'module:qualname'`` reference.

Example:
    >>> # config = model_to_config(model); clone = model_from_config(config)
"""
import contextlib

import numpy as np

from .. import layers
from ..layers import base
from ..layers.base import Layer, flatten
from ..layers.input_layer import InputLayer
from ..safe_mode import safe_mode_scope

__all__ = ["model_to_config", "model_from_config", "layer_from_config", "custom_object_scope", "json_default"]

# Keys newer Keras versions write whose value shown here means "feature off"; dropped on read so that layers and
# initializers with Keras 2's arguments accept the file.
_KERAS3_OFF_KEYS = {"quantization_config": None, "input_axes": None, "output_axes": None, "optional": False,
                    "lora_rank": None, "lora_alpha": None}

_MODEL_CLASS_NAMES = ("Functional", "Model", "Sequential")


def json_default(value):
    """``json.dumps``'s ``default=`` for configs: NumPy scalars and arrays and tuples as JSON values."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"model config: value {value!r} of type {type(value).__name__} is not JSON-serialisable")


# ----------------------------------------------------------------------------------------------- class lookup
def _builtin_layer_classes():
    # ``layerkit.layers`` re-exports every layer module's ``__all__``
    classes = {name: getattr(layers, name) for name in layers.__all__}
    return {name: obj for name, obj in classes.items() if isinstance(obj, type) and issubclass(obj, Layer)}


def _lookup_layer_class(entry, custom_objects):
    class_name = entry.get("class_name")
    candidates = [entry.get("registered_name"), class_name]
    for name in [c for c in candidates if c]:
        found = base.get_registered_object(name, custom_objects, _builtin_layer_classes())
        if found is not None:
            return found
    layer_name = (entry.get("config") or {}).get("name", entry.get("name"))
    raise ValueError(f"Unknown layer class {class_name!r} (layer {layer_name!r}) in the saved model. If it is a "
                     f"custom layer, pass custom_objects={{{class_name!r}: {class_name}}} to load_model / "
                     f"model_from_config / model_from_json, or decorate the class with "
                     f"@layerkit.saving.register_keras_serializable()")


@contextlib.contextmanager
def custom_object_scope(custom_objects):
    """Makes ``custom_objects`` visible to every nested ``deserialize`` (activations, initializers...) for a while.

    Example:
        >>> with custom_object_scope({"my_act": abs}):
        ...     base.get_registered_object("my_act") is abs
        True
    """
    custom_objects = dict(custom_objects or {})
    missing = object()
    previous = {name: base._REGISTRY.get(name, missing) for name in custom_objects}
    base._REGISTRY.update(custom_objects)
    try:
        yield
    finally:   # restore only the names this scope set: classes registered meanwhile stay registered
        for name, value in previous.items():
            if value is missing:
                base._REGISTRY.pop(name, None)
            else:
                base._REGISTRY[name] = value


# ----------------------------------------------------------------------------------------------- writing
def _class_name(obj):
    registered = type(obj).__dict__.get("_registered_name")
    if registered:
        return registered
    if _is_model(obj):
        return "Sequential" if getattr(obj, "_is_sequential", False) else "Functional"
    return type(obj).__name__


def _is_model(layer):
    return hasattr(layer, "_is_graph_network")


def model_to_config(model):
    """The ``{"class_name", "config"}`` dictionary of a Sequential or functional model (Keras 2's format).

    Example:
        >>> # model_to_config(Sequential([Dense(2, input_shape=(3,))]))["config"]["layers"][0]["class_name"]
        >>> # 'InputLayer'
    """
    if getattr(model, "_is_sequential", False):
        return {"class_name": _class_name(model), "config": _sequential_config(model)}
    if not getattr(model, "_is_graph_network", False):
        raise NotImplementedError(f"Model '{model.name}' is a subclassed Model (its graph is Python code in "
                                  f"call), so it has no layer-graph config; save its weights with save_weights "
                                  f"and rebuild it in code, or implement get_config/from_config")
    return {"class_name": _class_name(model), "config": _functional_config(model)}


def _layer_config(layer):
    if _is_model(layer):
        return {"class_name": _class_name(layer), "config": model_to_config(layer)["config"]}
    return {"class_name": _class_name(layer), "config": layer.get_config()}


def _sequential_config(model):
    layers = []
    input_layer = getattr(model, "_input_layer", None)
    if input_layer is not None:
        layers.append(_layer_config(input_layer))
    layers.extend(_layer_config(layer) for layer in model.layers)
    config = {"name": model.name, "layers": layers}
    if input_layer is not None:
        config["build_input_shape"] = list(input_layer.batch_input_shape)
    return config


def graph_references(model):
    """``(nodes, ref)`` for writing ``model``'s layer graph: ``nodes(layer)`` lists the layer's nodes that belong to
    this model, and ``ref(tensor)`` is ``[layer name, node index, tensor index]`` with a layer's nodes numbered among
    those (Keras's node reindexing; both file formats use it)."""
    node_ids = {id(node) for node in model._nodes_in_order}
    node_ids.update(id(t._keras_history[0]._inbound_nodes[t._keras_history[1]]) for t in model.inputs)
    renumber = {}
    for layer in model.layers:
        kept = [k for k, node in enumerate(layer._inbound_nodes) if id(node) in node_ids]
        renumber.update({(id(layer), old): new for new, old in enumerate(kept)})

    def nodes(layer):
        return [node for node in layer._inbound_nodes if id(node) in node_ids]

    def ref(tensor):
        layer, node_index, tensor_index = tensor._keras_history
        return [layer.name, renumber[(id(layer), node_index)], tensor_index]

    return nodes, ref


def _functional_config(model):
    model_nodes, tensor_ref = graph_references(model)
    layers = []
    for layer in model.layers:
        entry = _layer_config(layer)
        entry["name"] = layer.name
        nodes = []
        if not isinstance(layer, InputLayer):
            for node in model_nodes(layer):
                kwargs = _serialize_arguments(node.arguments, tensor_ref)
                nodes.append([tensor_ref(t) + [kwargs] for t in node.input_tensors])
        entry["inbound_nodes"] = nodes
        layers.append(entry)
    return {"name": model.name, "layers": layers,
            "input_layers": [tensor_ref(t) for t in model.inputs],
            "output_layers": [tensor_ref(t) for t in model.outputs]}


def _serialize_arguments(arguments, tensor_ref):
    # Tensors among call keyword arguments are written as Keras 3's tensor records (Keras 2 has no portable form).
    def convert(value):
        if isinstance(value, (list, tuple)):
            return [convert(v) for v in value]
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        if getattr(value, "_keras_history", None) is not None:
            return {"class_name": "__keras_tensor__", "config": {"keras_history": tensor_ref(value)}}
        return base.serialize_value(value)

    return {key: convert(value) for key, value in arguments.items()}


# ----------------------------------------------------------------------------------------------- reading
def _clean(value):
    """A Keras 2 or 3 layer config made digestible: dtype policies -> dtype names, 'off' Keras 3 keys removed."""
    if isinstance(value, dict):
        if value.get("class_name") in ("DTypePolicy", "Policy", "FloatDTypePolicy"):
            return (value.get("config") or {}).get("name", "float32")
        return {k: _clean(v) for k, v in value.items()
                if not (k in _KERAS3_OFF_KEYS and v == _KERAS3_OFF_KEYS[k])}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def _check_lambda(entry):
    config = entry.get("config") or {}
    function = config.get("function")
    stored_code = (config.get("function_type") == "lambda" or isinstance(function, (list, tuple))
                   or (isinstance(function, dict) and function.get("class_name") == "__lambda__"))
    if stored_code:
        raise ValueError(f"Lambda layer {config.get('name')!r}: the file stores its function as Python bytecode, "
                         f"and layerkit never executes code from a file. Define the function in an importable "
                         f"module (so it is saved as 'module:qualname'), or rebuild this layer in code and load "
                         f"only the weights with load_weights")


def layer_from_config(entry, custom_objects=None):
    """A layer (or nested model) from its ``{"class_name", "config"}`` entry.

    Example:
        >>> layer_from_config({"class_name": "InputLayer", "config": {"batch_input_shape": [None, 2]}}).name
        'input_layer'
    """
    entry = _clean(entry)
    class_name = entry.get("class_name")
    if class_name in _MODEL_CLASS_NAMES and not base.get_registered_object(class_name, custom_objects):
        return model_from_config(entry, custom_objects)
    if class_name == "Lambda":
        _check_lambda(entry)
    cls = _lookup_layer_class(entry, custom_objects)
    config = dict(entry.get("config") or {})
    if isinstance(cls, type) and issubclass(cls, Layer) and _is_model_class(cls):
        return model_from_config({"class_name": class_name, "config": config}, custom_objects)
    with custom_object_scope(custom_objects):
        try:
            return cls.from_config(config)
        except TypeError as error:
            raise TypeError(f"Layer {config.get('name')!r} of class {class_name!r}: from_config failed on the "
                            f"saved config (keys {sorted(config)}): {error}") from error


def _is_model_class(cls):
    return any(klass.__name__ == "Model" and klass.__module__.startswith("layerkit.models")
               for klass in cls.__mro__)


def model_from_config(config, custom_objects=None, safe_mode=None):
    """A new, untrained model from a ``{"class_name", "config"}`` dictionary (Keras 2 or Keras 3 format).

    Args:
        config: what :func:`model_to_config` (or Keras's ``model.get_config``/``to_json``) wrote.
        custom_objects: ``{name: class_or_function}`` for custom layers, activations, initializers...
        safe_mode: None (the default) follows the global setting, safe unless
            ``layerkit.config.enable_unsafe_deserialization()`` was called; True never imports a module the
            config names; False imports ``Lambda`` functions given as ``'module:qualname'`` (trusted files only).
            Bytecode is refused in every mode.

    Example:
        >>> # clone = model_from_config(model_to_config(model))
    """
    with safe_mode_scope(safe_mode):
        return _model_from_config(config, custom_objects)


def _model_from_config(config, custom_objects):
    if not isinstance(config, (dict, list)):
        raise ValueError(f"model_from_config: expected a dict with 'class_name' and 'config', received "
                         f"{type(config).__name__} {str(config)[:60]!r}")
    if isinstance(config, list):                # Keras 1/2.0 Sequential: a bare list of layers
        config = {"class_name": "Sequential", "config": {"layers": config}}
    if "class_name" not in config and "layers" in config:   # Keras's model.get_config(): the inner dict
        config = {"class_name": "Functional" if "input_layers" in config else "Sequential", "config": config}
    if "class_name" not in config:
        raise ValueError(f"model_from_config: expected a dict with 'class_name' and 'config', received keys "
                         f"{sorted(config)}")
    class_name = config["class_name"]
    inner = config.get("config") or {}
    with custom_object_scope(custom_objects):
        if class_name == "Sequential":
            return _sequential_from_config(inner, custom_objects)
        if class_name in ("Functional", "Model"):
            return _functional_from_config(inner, custom_objects)
        cls = _lookup_layer_class(config, custom_objects)
        if _is_model_class(cls):
            if "layers" in inner and "input_layers" in inner:
                return _functional_from_config(inner, custom_objects, cls)
            return cls.from_config(inner)
        raise ValueError(f"model_from_config: class {class_name!r} is not a model (a layer config was given)")


def _sequential_from_config(config, custom_objects):
    from ..models.sequential import Sequential

    if isinstance(config, list):
        config = {"layers": config}
    model = Sequential(name=config.get("name"))
    for entry in config.get("layers", []):
        model.add(layer_from_config(entry, custom_objects))
    shape = config.get("build_input_shape")
    if model.inputs is None and shape is not None:
        model.build(tuple(shape))
    return model


def _as_ref(item):
    """``[name, node_index, tensor_index(, kwargs)]`` -> ``(name, node_index, tensor_index)``."""
    return item[0], int(item[1]), int(item[2])


def _functional_from_config(config, custom_objects, cls=None):
    from ..models.functional import Model

    cls = cls or Model
    created, pending = {}, []
    for entry in config["layers"]:
        layer = layer_from_config(entry, custom_objects)
        name = entry.get("name") or entry.get("config", {}).get("name") or layer.name
        created[name] = layer
        pending.append((layer, name, list(entry.get("inbound_nodes", []))))
    outputs = {}   # (layer name, node index in the file) -> flat list of output tensors
    for layer, name, _ in pending:
        if isinstance(layer, InputLayer):
            outputs[(name, 0)] = [layer.output]
    done = {name: 0 for _, name, _ in pending}

    def tensor(history):
        layer_name, node_index, tensor_index = _as_ref(history)
        return outputs[(layer_name, node_index)][tensor_index]

    def ready(history):
        layer_name, node_index, _ = _as_ref(history)
        return (layer_name, node_index) in outputs

    progress = True
    while progress:
        progress = False
        for layer, name, nodes in pending:
            while done[name] < len(nodes):
                call = _parse_node(nodes[done[name]])
                if not all(ready(h) for h in call.histories):
                    break
                result = layer(call.build_args(tensor), **call.build_kwargs(tensor))
                outputs[(name, done[name])] = flatten(result)
                done[name] += 1
                progress = True
    missing = [(name, done[name]) for _, name, nodes in pending if done[name] < len(nodes)]
    if missing:
        raise ValueError(f"model_from_config: could not connect the layer graph; layers waiting for inputs that "
                         f"no layer produces: {missing}")
    inputs = [tensor(h) for h in _ref_list(config["input_layers"])]
    outputs_list = [tensor(h) for h in _ref_list(config["output_layers"])]
    return cls(inputs if len(inputs) > 1 else inputs[0],
               outputs_list if len(outputs_list) > 1 else outputs_list[0], name=config.get("name"))


def _ref_list(refs):
    # Keras writes a single [name, node, tensor] for one input/output, or a list of them.
    if refs and isinstance(refs[0], str):
        return [refs]
    return refs


class _Call:
    """One saved layer call: positional args and kwargs with tensor references to fill in."""

    def __init__(self, args, kwargs, histories):
        self.args, self.kwargs, self.histories = args, kwargs, histories

    def build_args(self, tensor):
        args = _fill(self.args, tensor)
        return args[0] if len(args) == 1 else list(args)

    def build_kwargs(self, tensor):
        return _fill(self.kwargs, tensor)


def _is_tensor_record(value):
    return isinstance(value, dict) and value.get("class_name") == "__keras_tensor__"


def _fill(value, tensor):
    if _is_tensor_record(value):
        return tensor(value["config"]["keras_history"])
    if isinstance(value, list):
        return [_fill(v, tensor) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, tensor) for k, v in value.items()}
    return value


def _histories(value):
    if _is_tensor_record(value):
        return [value["config"]["keras_history"]]
    if isinstance(value, list):
        return [h for v in value for h in _histories(v)]
    if isinstance(value, dict):
        return [h for v in value.values() for h in _histories(v)]
    return []


def _parse_node(node):
    if isinstance(node, dict):                                   # Keras 3: {"args": [...], "kwargs": {...}}
        args, kwargs = list(node.get("args", [])), dict(node.get("kwargs", {}))
        histories = _histories(args) + _histories(kwargs)
        call = _Call(args, kwargs, histories)
        # Keras 3 calls layer(*args): one positional argument is the inputs structure itself
        call.build_args = lambda tensor: _fill(args[0], tensor) if len(args) == 1 else _fill(args, tensor)
        return call
    records = [{"class_name": "__keras_tensor__", "config": {"keras_history": list(item[:3])}} for item in node]
    kwargs = dict(node[0][3]) if node and len(node[0]) > 3 and node[0][3] else {}
    histories = [list(item[:3]) for item in node] + _histories(kwargs)
    return _Call(records, kwargs, histories)
