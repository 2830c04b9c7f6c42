"""A model's configuration in Keras 3's format: what a ``.keras`` file's ``config.json`` holds.

Keras 3 writes every object as ``{"module", "class_name", "config", "registered_name"}`` (``module`` names the
Keras namespace of a built-in, ``registered_name`` the ``'package>Name'`` of a registered custom class), layers
with a ``build_config`` (their input shape), dtypes as ``DTypePolicy`` objects, functional nodes as
``{"args": [...], "kwargs": {...}}`` holding ``__keras_tensor__`` records, and the model's ``compile()``
arguments as ``compile_config``. Reading needs nothing from here: ``model_config`` reads both formats and
ignores ``module`` (layerkit never imports what a file names).

Example:
    >>> # config = keras3_model_config(model); json.dumps(config)  # Keras 3's load_model reads it
"""
from ..layers import base
from ..layers.input_layer import InputLayer
from . import model_config

__all__ = ["keras3_model_config", "keras3_compile_config", "plain_compile_config"]

_BUILTIN_MODULES = {"initializer": "keras.initializers", "regularizer": "keras.regularizers",
                    "constraint": "keras.constraints"}
_LAYER_KEYS = ("layer", "backward_layer", "cell", "forward_layer")


def _policy(dtype):
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": dtype}, "registered_name": None}


def _is_builtin_layer(cls):
    return cls.__module__.startswith("layerkit.") and cls.__dict__.get("_registered_name") is None


def _object(value, module):
    """A nested ``{"class_name", "config"}`` with Keras 3's module and registered name."""
    registered = None
    if ">" in str(value.get("class_name", "")):
        registered = value["class_name"]
        module = None
    return {"module": module, "class_name": value["class_name"].split(">")[-1],
            "config": value.get("config", {}), "registered_name": registered}


def _convert_value(key, value):
    if isinstance(value, dict) and "class_name" in value and "config" in value:
        if key in _LAYER_KEYS:
            return _serialized_layer(value)
        suffix = key.rsplit("_", 1)[-1]
        if suffix in _BUILTIN_MODULES:
            return _object(value, _BUILTIN_MODULES[suffix])
        return value
    if isinstance(value, list) and key == "cells":
        return [_serialized_layer(v) if isinstance(v, dict) and "class_name" in v else v for v in value]
    return value


def _layer_config(config, input_layer=False):
    converted = {}
    for key, value in config.items():
        if key == "batch_input_shape":
            if input_layer:
                converted["batch_shape"] = value
            continue   # the input shape comes from the InputLayer (and the build_config)
        converted[key] = _policy(value) if key == "dtype" and isinstance(value, str) else _convert_value(key, value)
    return converted


def _serialized_layer(entry):
    """A layer serialized by ``get_config`` (``{"class_name", "config"}``) in Keras 3's form."""
    from .model_config import _builtin_layer_classes

    class_name = entry["class_name"]
    if class_name in ("Functional", "Sequential", "Model"):
        return entry
    builtin = class_name in _builtin_layer_classes()
    return {"module": "keras.layers" if builtin else None, "class_name": class_name.split(">")[-1],
            "config": _layer_config(entry.get("config") or {}),
            "registered_name": None if builtin else class_name}


def _input_layer_entry(layer):
    return {"module": "keras.layers", "class_name": "InputLayer",
            "config": {"batch_shape": list(layer.batch_input_shape), "dtype": layer.dtype, "sparse": False,
                       "ragged": False, "name": layer.name},
            "registered_name": None}


def _layer_entry(layer, input_shape):
    if isinstance(layer, InputLayer):
        return _input_layer_entry(layer)
    if model_config._is_model(layer):
        return _model_entry(layer)
    cls = type(layer)
    registered = cls.__dict__.get("_registered_name")
    entry = {"module": "keras.layers" if _is_builtin_layer(cls) else None,
             "class_name": cls.__name__ if registered is None else registered.split(">")[-1],
             "config": _layer_config(layer.get_config()),
             "registered_name": None if _is_builtin_layer(cls) else (registered or cls.__name__)}
    if input_shape is not None:
        entry["build_config"] = {"input_shape": input_shape}
    if entry["class_name"] == "MultiHeadAttention" and entry["module"]:
        _attention_entry(entry)
    return entry


def _attention_entry(entry):
    """Keras 3's MultiHeadAttention keeps its input shapes in ``build_config['shapes_dict']`` (layerkit's config
    holds them, as Keras 2's did)."""
    shapes = {key: entry["config"].pop(key, None) for key in ("query_shape", "value_shape", "key_shape")}
    if shapes["query_shape"]:
        entry["build_config"] = {"shapes_dict": {k: v for k, v in shapes.items() if v is not None}}


def _node_args(layer, node, record):
    """A node's positional arguments as Keras 3 calls the layer: MultiHeadAttention takes query, value (and
    key) as separate arguments where layerkit records them as one list."""
    if type(layer).__name__ == "MultiHeadAttention" and isinstance(node.inputs, (list, tuple)):
        return [record(t) for t in node.inputs] + [record(a) for a in node.args]
    return [record(node.inputs)] + [record(a) for a in node.args]


def _shape(structure):
    if isinstance(structure, (list, tuple)):
        return [_shape(s) for s in structure]
    if isinstance(structure, dict):
        return {k: _shape(v) for k, v in structure.items()}
    return list(structure.type.shape)


def _model_entry(model):
    if getattr(model, "_is_sequential", False):
        input_layer = model._input_layer
        layers = [_input_layer_entry(input_layer)] if input_layer is not None else []
        for layer, node_input in zip(model.layers, [model.inputs[0]] + list(model._chain[:-1])
                                     if model.inputs else [None] * len(model.layers)):
            layers.append(_layer_entry(layer, None if node_input is None else list(node_input.type.shape)))
        shape = list(input_layer.batch_input_shape) if input_layer is not None else None
        config = {"name": model.name, "trainable": model.trainable, "dtype": _policy(model.dtype),
                  "layers": layers, "build_input_shape": shape}
        return {"module": "keras", "class_name": "Sequential", "config": config, "registered_name": None,
                "build_config": {"input_shape": shape}}
    if not getattr(model, "_is_graph_network", False):
        raise NotImplementedError(f"Model '{model.name}' is a subclassed Model (its graph is Python code in call), "
                                  f"so it has no layer-graph config to write to a .keras file; save its weights "
                                  f"with save_weights('m.weights.h5') and rebuild it in code")
    return {"module": "keras.src.models.functional", "class_name": "Functional",
            "config": _functional_config(model), "registered_name": "Functional",
            "build_config": {"input_shape": None}}


def _functional_config(model):
    model_nodes, ref = model_config.graph_references(model)

    def record(value):
        if isinstance(value, (list, tuple)):
            return [record(v) for v in value]
        if isinstance(value, dict):
            return {k: record(v) for k, v in value.items()}
        if getattr(value, "_keras_history", None) is not None:
            return {"class_name": "__keras_tensor__",
                    "config": {"shape": list(value.type.shape), "dtype": value.dtype, "keras_history": ref(value)}}
        return base.serialize_value(value)

    layers = []
    for layer in model.layers:
        nodes = model_nodes(layer)
        shape = _shape(nodes[0].inputs) if nodes and not isinstance(layer, InputLayer) else None
        entry = _layer_entry(layer, shape)
        entry["name"] = layer.name
        entry["inbound_nodes"] = [] if isinstance(layer, InputLayer) else [
            {"args": _node_args(layer, node, record), "kwargs": record(node.arguments)}
            for node in nodes]
        layers.append(entry)
    inputs, outputs = [ref(t) for t in model.inputs], [ref(t) for t in model.outputs]
    return {"name": model.name, "trainable": model.trainable, "layers": layers,
            "input_layers": inputs[0] if len(inputs) == 1 else inputs,
            "output_layers": outputs[0] if len(outputs) == 1 else outputs}


# ----------------------------------------------------------------------------------------------- compile
def _serialized(obj, module):
    """A compile argument (name, object, function, or lists/dicts of them) in Keras 3's form."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [_serialized(o, module) for o in obj]
    if isinstance(obj, dict):
        return {k: _serialized(v, module) for k, v in obj.items()}
    if hasattr(obj, "get_config"):
        registered = getattr(type(obj), "_registered_name", None)
        builtin = type(obj).__module__.startswith("layerkit.") and registered is None
        return {"module": module if builtin else None, "class_name": type(obj).__name__,
                "config": base.serialize_value(obj.get_config()),
                "registered_name": None if builtin else (registered or type(obj).__name__)}
    name = getattr(obj, "__name__", None)
    if name is None:
        raise ValueError(f"compile argument {obj!r} cannot be written to a .keras file")
    return {"module": module, "class_name": "function", "config": name, "registered_name": name}


def keras3_compile_config(model):
    """``model``'s ``compile()`` arguments in Keras 3's ``compile_config`` form (``{}`` if not compiled)."""
    args = getattr(model, "_compile_args", None)
    if args is None:
        return {}
    optimizer = model.optimizer
    optimizer_config = optimizer.get_config()
    if isinstance(optimizer_config.get("learning_rate"), dict):
        schedule = optimizer_config["learning_rate"]
        optimizer_config["learning_rate"] = {"module": "keras.optimizers.schedules", "class_name":
                                             schedule["class_name"], "config": schedule["config"],
                                             "registered_name": None}
    return {"optimizer": {"module": "keras.optimizers", "class_name": type(optimizer).__name__,
                          "config": optimizer_config, "registered_name": None},
            "loss": _serialized(args["loss"], "keras.losses"), "loss_weights": args["loss_weights"],
            "metrics": _serialized(args["metrics"], "keras.metrics"),
            "weighted_metrics": _serialized(args["weighted_metrics"], "keras.metrics"),
            "run_eagerly": False, "steps_per_execution": 1, "jit_compile": False}


def plain_compile_config(config):
    """A Keras 3 ``compile_config`` as arguments for layerkit's ``compile``: functions by name, objects as
    ``{"class_name", "config"}`` (resolved by layerkit's own tables and registered objects, never imported)."""
    if isinstance(config, list):
        return [plain_compile_config(c) for c in config]
    if not isinstance(config, dict):
        return config
    if config.get("class_name") == "function":
        return config.get("registered_name") or config.get("config")
    if "class_name" in config and "config" in config:
        name = config.get("registered_name") or config["class_name"]
        return {"class_name": name, "config": config["config"]}
    return {k: plain_compile_config(v) for k, v in config.items()}


def keras3_model_config(model):
    """The ``config.json`` dictionary of ``model`` (Sequential or functional) in Keras 3's format."""
    entry = _model_entry(model)
    entry["compile_config"] = keras3_compile_config(model)
    return entry

