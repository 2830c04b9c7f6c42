"""Models and weights in Keras's legacy HDF5 layout (``.h5``), readable by Keras and from Keras.

File layout (root of a full model file; a weights-only file is the ``model_weights`` group at the root)::

    attrs: keras_version, backend, model_config (JSON), training_config (JSON, if compiled)
    model_weights/            attrs: layer_names, backend, keras_version
        <layer name>/         attrs: weight_names ('dense/kernel:0', ...)
            <weight name>     dataset
    optimizer_weights/        attrs: weight_names; datasets ([iterations] + slots, Keras 2's order)

List attributes larger than HDF5's 64 KB object-header limit are split into ``name0``, ``name1``... as Keras does.
Every write goes to a temporary file in the target's directory that replaces the target only once complete, so a
save that fails midway leaves the previous file intact.

Example:
    >>> # save_model(model, "m.h5"); clone = load_model("m.h5")
"""
import contextlib
import json
import os
import warnings

import numpy as np

from ..layers.base import unique_names
from ..training import resume_state
from .atomic_file import atomic_path
from .model_config import custom_object_scope, json_default, model_from_config, model_to_config

__all__ = ["save_model", "load_model", "save_weights", "load_weights", "model_to_json", "model_from_json",
           "save_attributes", "load_attributes", "LAYERKIT_VERSION"]

# What layerkit writes as ``keras_version``: the Keras file-format generation it follows (Keras 2's legacy h5).
LAYERKIT_VERSION = "2.15.0"
_BACKEND_NAME = "layerkit_backend"
HDF5_OBJECT_HEADER_LIMIT = 64512   # bytes; Keras's limit for one attribute


def _h5py():
    try:
        import h5py
    except ImportError as error:   # pragma: no cover - h5py is a dependency
        raise ImportError("layerkit.saving: HDF5 files need the h5py package (pip install h5py)") from error
    return h5py


# ----------------------------------------------------------------------------------------------- attributes
def save_attributes(group, name, data):
    """Stores a list of strings as attribute ``name``, split into ``name0``, ``name1``... if over 64 KB.

    Example:
        >>> # save_attributes(group, "layer_names", ["dense", "dense_1"])
    """
    data = [d.encode("utf8") if isinstance(d, str) else bytes(d) for d in data]
    too_big = [d for d in data if len(d) > HDF5_OBJECT_HEADER_LIMIT]
    if too_big:
        raise ValueError(f"save_attributes: cannot store attribute {name!r}: items longer than "
                         f"{HDF5_OBJECT_HEADER_LIMIT} bytes ({[d[:40] for d in too_big]}...)")
    array = np.asarray(data) if data else np.zeros((0,), dtype="S1")
    chunks = 1
    pieces = np.array_split(array, chunks)
    while any(piece.nbytes > HDF5_OBJECT_HEADER_LIMIT for piece in pieces):
        chunks += 1
        pieces = np.array_split(array, chunks)
    if chunks > 1:
        for index, piece in enumerate(pieces):
            group.attrs[f"{name}{index}"] = piece
    else:
        group.attrs[name] = array


def load_attributes(group, name):
    """Reads a list-of-strings attribute written by :func:`save_attributes` (whole or chunked) as ``str``s."""
    if name in group.attrs:
        values = list(group.attrs[name])
    else:
        values, index = [], 0
        while f"{name}{index}" in group.attrs:
            values.extend(group.attrs[f"{name}{index}"])
            index += 1
    return [v.decode("utf8") if isinstance(v, bytes) else str(v) for v in values]


def _text_attr(group, name):
    value = group.attrs.get(name)
    if isinstance(value, bytes):
        return value.decode("utf8")
    return None if value is None else str(value)


# ----------------------------------------------------------------------------------------------- atomic files
@contextlib.contextmanager
def _atomic_h5(filepath, overwrite):
    """An open HDF5 file that becomes ``filepath`` only if the block completes (see atomic_file.py)."""
    h5py = _h5py()
    filepath = os.fspath(filepath)
    if filepath.endswith(".keras"):   # writing HDF5 under that name would make a file nothing can load as .keras
        raise ValueError(f"{filepath!r}: this writes Keras's HDF5 format; a '.keras' file is written by "
                         f"model.save / layerkit.saving.save_model")
    with atomic_path(filepath, overwrite) as temporary:
        with h5py.File(temporary, "w") as f:
            yield f


def _open_for_reading(filepath):
    h5py = _h5py()
    filepath = os.fspath(filepath)
    if filepath.endswith(".keras") and os.path.exists(filepath):
        raise ValueError(f"{filepath!r} is a Keras 3 '.keras' archive, not an HDF5 file: load it with "
                         f"layerkit.models.load_model (weights alone: model.load_weights on a '.weights.h5' file)")
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No such file: {filepath!r}")
    if not h5py.is_hdf5(filepath):
        raise ValueError(f"{filepath!r} is not an HDF5 file (layerkit reads Keras's legacy '.h5' format)")
    return h5py.File(filepath, "r")


# ----------------------------------------------------------------------------------------------- weights
def _weight_names(layer, variables):
    names, seen = [], set()
    for index, variable in enumerate(variables):
        name = variable.name or f"{layer.name}/weight_{index}"
        name = name if ":" in name else f"{name}:0"
        base, suffix = name, 1
        while name in seen:                       # HDF5 needs distinct dataset names within a group
            name = f"{base}_{suffix}"
            suffix += 1
        seen.add(name)
        names.append(name)
    return names


def _layer_variables(layer):
    return list(layer.trainable_weights) + [w for w in layer.non_trainable_weights
                                            if all(w is not t for t in layer.trainable_weights)]


def _write_variables(group, names, variables):
    save_attributes(group, "weight_names", names)
    for name, variable in zip(names, variables):
        value = np.asarray(variable.get_value())
        group.create_dataset(name, data=value)


def _write_model_weights(group, model):
    layers = list(model.layers)
    save_attributes(group, "layer_names", [layer.name for layer in layers])
    group.attrs["backend"] = _BACKEND_NAME.encode("utf8")
    group.attrs["keras_version"] = LAYERKIT_VERSION.encode("utf8")
    for layer in sorted(layers, key=lambda l: l.name):   # Keras sorts so group names grow strictly
        variables = _layer_variables(layer)
        _write_variables(group.create_group(layer.name), _weight_names(layer, variables), variables)


def _layer_datasets(group, layer_name, where):
    """(weight names, datasets) of a layer group in ``weight_names`` order; reads metadata only, never data."""
    layer_group = group.get(layer_name)
    if not isinstance(layer_group, _h5py().Group):
        raise ValueError(f"{where}: the file lists layer '{layer_name}' in layer_names but has no group for it")
    names = load_attributes(layer_group, "weight_names")
    return names, [_numeric_dataset(layer_group, name, f"{where}: layer '{layer_name}'") for name in names]


def _numeric_dataset(group, name, where):
    dataset = group.get(name)
    if not isinstance(dataset, _h5py().Dataset):
        raise ValueError(f"{where}: the file lists weight '{name}' but holds no dataset of that name")
    if dataset.dtype.kind not in "fiub":
        raise ValueError(f"{where}: weight '{name}' holds {dataset.dtype} data, expected numbers")
    return dataset


def _fits(layer, variables, names, datasets, skip_mismatch, where):
    """True if ``datasets`` match ``variables`` in count and shapes (checked on metadata, before any read);
    otherwise raises, or warns and returns False with ``skip_mismatch``."""
    problem = None
    if len(datasets) != len(variables):
        problem = (f"{where}: layer '{layer.name}' expects {len(variables)} weight(s) "
                   f"{[v.name for v in variables]}, the file has {len(datasets)} ({names})")
    else:
        for variable, name, dataset in zip(variables, names, datasets):
            expected = tuple(variable.get_value(borrow=True).shape)
            if tuple(dataset.shape) != expected:
                problem = (f"{where}: layer '{layer.name}' weight '{variable.name}' has shape {expected}, the "
                           f"file's '{name}' has shape {tuple(dataset.shape)}")
                break
    if problem is None:
        return True
    if skip_mismatch:
        warnings.warn(f"Skipping loading of weights: {problem}")
        return False
    raise ValueError(problem)


def _read_then_assign(pairs):
    """Reads every matched dataset, then sets every variable: a failed read leaves all variables untouched."""
    values = [np.asarray(dataset[()], dtype=variable.type.dtype) for variable, dataset in pairs]
    for (variable, _), value in zip(pairs, values):
        variable.set_value(value)


def _load_model_weights(group, model, by_name=False, skip_mismatch=False, where="load_weights"):
    """Validates every layer's datasets against the model (shapes from metadata), then reads, then assigns."""
    layer_names = load_attributes(group, "layer_names")
    saved = {name: _layer_datasets(group, name, where) for name in layer_names}
    pairs = []
    if by_name:
        by_layer = {}
        for layer in model.layers:
            by_layer.setdefault(layer.name, []).append(layer)
        for name in layer_names:
            names, datasets = saved[name]
            for layer in by_layer.get(name, []):
                variables = _layer_variables(layer)
                if _fits(layer, variables, names, datasets, skip_mismatch, where):
                    pairs.extend(zip(variables, datasets))
    else:
        layers = [layer for layer in model.layers if _layer_variables(layer)]
        saved_names = [name for name in layer_names if saved[name][0]]
        if len(saved_names) != len(layers):
            raise ValueError(f"{where}: the model has {len(layers)} layer(s) with weights "
                             f"{[l.name for l in layers]}, the file has {len(saved_names)} {saved_names}; load by "
                             f"name with by_name=True to match layers by their names")
        for layer, name in zip(layers, saved_names):
            names, datasets = saved[name]
            variables = _layer_variables(layer)
            if _fits(layer, variables, names, datasets, skip_mismatch, f"{where} (file layer '{name}')"):
                pairs.extend(zip(variables, datasets))
    _read_then_assign(pairs)


# ----------------------------------------------------------------------------------------------- optimizer
def _optimizer_variables(optimizer):
    variables = getattr(optimizer, "variables", None)
    if callable(variables):
        return list(variables())
    return list(variables if variables is not None else getattr(optimizer, "weights", []))


def _ensure_optimizer_slots(model):
    """Creates the optimizer's slot variables now, in the order the train function will use.

    Slots are normally made when the train function is first built; restoring a saved state needs them earlier.
    """
    resolve = getattr(model, "_resolve_compile", None)
    if callable(resolve):
        resolve()
    params = getattr(model, "_compiled_trainable", None) or list(model.trainable_weights)
    build = getattr(model.optimizer, "_build", None)
    if callable(build):
        build(list(params))


def _from_keras3_slot_order(names, values, optimizer):
    """Keras 3 writes ``[iteration, learning_rate, p0_slot0, p0_slot1, p1_slot0, ...]``; layerkit (as Keras 2)
    holds ``[iterations, all params' slot0, all params' slot1, ...]``. Other layouts pass through unchanged."""
    if len(names) < 2 or not names[1].split(":")[0].endswith("learning_rate"):
        return values
    rest = values[2:]
    params = len(getattr(optimizer, "_params", []))
    expected = len(_optimizer_variables(optimizer))
    if not params or len(rest) % params or expected != 1 + len(rest):
        return values
    kinds = len(rest) // params
    reordered = [rest[p * kinds + k] for k in range(kinds) for p in range(params)]
    return [values[0]] + reordered


def _restore_optimizer(f, model):
    if "optimizer_weights" not in f or getattr(model, "optimizer", None) is None:
        return
    group = f["optimizer_weights"]
    names = load_attributes(group, "weight_names")
    datasets = [_numeric_dataset(group, name, "load_model: optimizer_weights") for name in names]
    _ensure_optimizer_slots(model)
    datasets = _from_keras3_slot_order(names, datasets, model.optimizer)
    variables = _optimizer_variables(model.optimizer)
    shapes = [tuple(v.get_value(borrow=True).shape) for v in variables]
    if len(datasets) == 1 and datasets[0].shape == () and variables:   # saved before any step: no slots yet
        variables = variables[:1]
        shapes = shapes[:1]
    if shapes != [tuple(d.shape) for d in datasets]:
        warnings.warn(f"load_model: the optimizer state in the file (shapes {[tuple(d.shape) for d in datasets]}) "
                      f"does not fit the model's optimizer (shapes {shapes}), so the optimizer starts fresh")
        return
    _read_then_assign(list(zip(variables, datasets)))


# ----------------------------------------------------------------------------------------------- training config
def _serialize_compile_value(value, module):
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return [_serialize_compile_value(v, module) for v in value]
    if isinstance(value, dict):
        return {k: _serialize_compile_value(v, module) for k, v in value.items()}
    if hasattr(value, "get_config") and not isinstance(value, type):
        return module.serialize(value)
    name = getattr(value, "__name__", None)
    if name is None:
        raise ValueError(f"save_model: cannot write compile argument {value!r} to the training config")
    return name


def _training_config(model):
    from .. import losses, metrics, optimizers

    arguments = dict(getattr(model, "_compile_args", None) or {})
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return None
    config = {"optimizer_config": optimizers.serialize(optimizer),
              "loss": _serialize_compile_value(arguments.get("loss"), losses),
              "metrics": _serialize_compile_value(arguments.get("metrics"), metrics),
              "weighted_metrics": _serialize_compile_value(arguments.get("weighted_metrics"), metrics),
              "loss_weights": _serialize_compile_value(arguments.get("loss_weights"), losses)}
    return config


def _deserialize_compile_value(value, module, custom_objects):
    if isinstance(value, dict) and "class_name" in value:
        return module.deserialize(value, custom_objects)
    if isinstance(value, list):
        return [_deserialize_compile_value(v, module, custom_objects) for v in value]
    if isinstance(value, dict):
        return {k: _deserialize_compile_value(v, module, custom_objects) for k, v in value.items()}
    return value


def _compile_from_training_config(model, config, custom_objects):
    from .. import losses, metrics, optimizers

    optimizer = optimizers.deserialize(config["optimizer_config"], custom_objects)
    model.compile(optimizer=optimizer,
                  loss=_deserialize_compile_value(config.get("loss"), losses, custom_objects),
                  metrics=_deserialize_compile_value(config.get("metrics"), metrics, custom_objects),
                  loss_weights=config.get("loss_weights"),
                  weighted_metrics=_deserialize_compile_value(config.get("weighted_metrics"), metrics,
                                                              custom_objects))


# ----------------------------------------------------------------------------------------------- public API
def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Saves architecture, weights, compile arguments and optimizer state to ``filepath`` (Keras's .h5 layout).

    Args:
        model: a Sequential or functional model.
        filepath: the ``.h5`` file to write (replaced atomically).
        overwrite: if False and the file exists, raise ``FileExistsError``.
        include_optimizer: also write the training config and the optimizer's state.

    Example:
        >>> # save_model(model, "m.h5"); load_model("m.h5").predict(x)
    """
    config = json.dumps(model_to_config(model), default=json_default)
    training = _training_config(model) if include_optimizer else None
    with _atomic_h5(filepath, overwrite) as f:
        f.attrs["keras_version"] = LAYERKIT_VERSION.encode("utf8")
        f.attrs["backend"] = _BACKEND_NAME.encode("utf8")
        f.attrs["model_config"] = config.encode("utf8")
        if training is not None:
            f.attrs["training_config"] = json.dumps(training, default=json_default).encode("utf8")
        f.attrs["layerkit_resume_state"] = json.dumps(resume_state.capture(model)).encode("utf8")
        _write_model_weights(f.create_group("model_weights"), model)
        if training is not None:
            variables = _optimizer_variables(model.optimizer)
            if variables:
                group = f.create_group("optimizer_weights")
                names = [v.name if ":" in (v.name or "") else f"{v.name or 'optimizer_weight'}:0"
                         for v in variables]
                _write_variables(group, unique_names(names), variables)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=None):
    """A model (architecture, weights, and if saved compiled, optimizer and its state) from an ``.h5`` file.

    Files written by Keras 2 or Keras 3 (``model.save('m.h5')``) and by layerkit load the same way. Custom
    layers, losses... are found via ``custom_objects`` or ``register_keras_serializable``. No code stored in the
    file is ever executed, and a ``Lambda``'s ``'module:qualname'`` is imported only with ``safe_mode=False``
    (see :func:`model_from_config`).

    Example:
        >>> # model = load_model("m.h5", custom_objects={"MyLayer": MyLayer})
    """
    with _open_for_reading(filepath) as f:
        text = _text_attr(f, "model_config")
        if text is None:
            raise ValueError(f"{os.fspath(filepath)!r} holds no model_config (a weights-only file?); build the "
                             f"model in code and call model.load_weights")
        model = model_from_config(_json_dict(text, "model_config", filepath), custom_objects, safe_mode=safe_mode)
        group = f["model_weights"] if "model_weights" in f else f
        _load_model_weights(group, model, where=f"load_model({os.fspath(filepath)!r})")
        training = _text_attr(f, "training_config")
        if compile and training is not None:
            with custom_object_scope(custom_objects):
                _compile_from_training_config(model, _json_dict(training, "training_config", filepath),
                                              custom_objects)
                _restore_optimizer(f, model)
        resumable = _text_attr(f, "layerkit_resume_state")   # data order, random streams, learning rate
        if resumable is not None:
            resume_state.restore(model, _json_dict(resumable, "layerkit_resume_state", filepath),
                                 f"load_model({os.fspath(filepath)!r})")
    return model


def _json_dict(text, attribute, filepath):
    """The JSON object stored in a file's ``attribute``, or a clear error naming the file and attribute."""
    where = f"{os.fspath(filepath)!r}: attribute {attribute!r}"
    try:
        value = json.loads(text)
    except ValueError as error:
        raise ValueError(f"{where} is not valid JSON ({error}); the file is damaged or not a Keras model file") \
            from None
    if not isinstance(value, dict):
        raise ValueError(f"{where}: expected a JSON object, received a JSON {type(value).__name__}")
    return value


def save_weights(model, filepath, overwrite=True):
    """Writes only the weights (Keras's weights-file layout: ``layer_names`` and layer groups at the root).

    Example:
        >>> # model.save_weights("w.h5"); model.load_weights("w.h5")
    """
    with _atomic_h5(filepath, overwrite) as f:
        _write_model_weights(f, model)


def load_weights(model, filepath, by_name=False, skip_mismatch=False):
    """Loads weights from a weights file or a full model file into ``model``.

    Args:
        by_name: match layers by name (layers absent from either side are left alone); otherwise by the order of
            the layers that have weights.
        skip_mismatch: warn and skip layers whose weight count or shapes differ, instead of raising.

    Example:
        >>> # model.load_weights("w.h5", by_name=True, skip_mismatch=True)
    """
    with _open_for_reading(filepath) as f:
        group = f["model_weights"] if "model_weights" in f and "layer_names" not in f.attrs else f
        _load_model_weights(group, model, by_name=by_name, skip_mismatch=skip_mismatch,
                            where=f"load_weights({os.fspath(filepath)!r})")


def model_to_json(model, **json_kwargs):
    """The model's architecture as a JSON string (Keras 2's config format); ``json_kwargs`` go to ``json.dumps``.

    Example:
        >>> # model_from_json(model_to_json(model))
    """
    config = dict(model_to_config(model), keras_version=LAYERKIT_VERSION, backend=_BACKEND_NAME)
    return json.dumps(config, default=json_default, **json_kwargs)


def model_from_json(json_string, custom_objects=None, safe_mode=None):
    """A new model from :func:`model_to_json`'s (or Keras's ``to_json``) string; ``safe_mode`` as in
    :func:`model_from_config`.

    Example:
        >>> # clone = model_from_json(model.to_json())
    """
    try:
        config = json.loads(json_string)
    except (TypeError, ValueError) as error:
        raise ValueError(f"model_from_json: expected a JSON string, received {type(json_string).__name__} "
                         f"({error})") from None
    return model_from_config(config, custom_objects, safe_mode=safe_mode)

