"""Keras 3's weights files (``model.save_weights('m.weights.h5')``), read and written in Keras 3's layout.

Keras 3 stores each object's own variables under ``<path>/vars/0``, ``1``... where the path follows its object
tree: a model's layers are ``layers/<class name in snake_case>`` (``dense``, ``dense_1``... in layer order), and
a layer's sub-objects are found under the attribute that holds them (``lstm/cell``, ``bidirectional/forward_layer``,
``multi_head_attention/query_dense``); every object gets a ``vars`` group (with its name as an attribute) even
when it has no variables. A compiled model's optimizer state is ``optimizer/vars``: iterations, the learning
rate, then the slots in the order Keras 3 creates them. Files in Keras's legacy layout (``layer_names``
attribute) are read by :mod:`layerkit.saving.hdf5`; :func:`load_weights` tells them apart by their content.

Every value is read and checked against the model before any weight changes, so a file that does not fit leaves
the model as it was.

Example:
    >>> # model.save_weights("m.weights.h5")  # Keras 3 layout; keras_model.load_weights("m.weights.h5") reads it
"""
import os
import warnings

import numpy as np

from ..layers.base import Layer, to_snake_case
from . import hdf5

__all__ = ["save_weights", "load_weights", "is_keras3_weights_file", "write_weights", "read_weights"]

KERAS3_SUFFIX = ".weights.h5"


class _Node:
    """One object of Keras 3's tree: its name, own variables and (attribute, node or list of nodes) children."""

    def __init__(self, name, own=(), children=()):
        self.name, self.own, self.children = name, list(own), list(children)


def _own_variables(layer):
    # Keras 3 saves the variables a layer created itself, trainable ones first, whatever layer.trainable says now
    return list(layer._trainable_own) + list(layer._non_trainable_own)


def _attention_node(layer):
    """MultiHeadAttention: four EinsumDense sub-layers and its dropout and softmax layers (no own variables)."""
    variables = _own_variables(layer)
    per_dense = 2 if layer.use_bias else 1
    denses = {role: variables[k * per_dense:(k + 1) * per_dense]
              for k, role in enumerate(("query", "key", "value", "attention_output"))}
    return _Node(layer.name, (), [("_dropout_layer", _Node("dropout")), ("_softmax", _Node("softmax")),
                                  ("key_dense", _Node("key", denses["key"])),
                                  ("output_dense", _Node("attention_output", denses["attention_output"])),
                                  ("query_dense", _Node("query", denses["query"])),
                                  ("value_dense", _Node("value", denses["value"]))])


def _container(items):
    """A list of objects as Keras 3 names them: snake_case class names, repeats numbered ``_1``, ``_2``..."""
    used, named = {}, []
    for item in items:
        base = to_snake_case(type(item).__name__)
        count = used.get(base)
        used[base] = 0 if count is None else count + 1
        named.append((base if count is None else f"{base}_{count + 1}", _tree(item)))
    return named


def _attribute_key(name):
    return f"~{name}" if name.startswith("_") else name   # Keras visits private attributes last


def _tree(layer):
    """The Keras 3 object tree of ``layer``."""
    from ..layers.attention import MultiHeadAttention
    from ..models.functional import Model

    if isinstance(layer, Model):
        return _Node(layer.name, (), [("layers", _container(layer.layers))])
    if isinstance(layer, MultiHeadAttention):
        return _attention_node(layer)
    children = []
    for attribute in sorted(vars(layer), key=_attribute_key):
        value = vars(layer)[attribute]
        if isinstance(value, Layer) and any(value is sub for sub in layer._layers):
            children.append((attribute, _tree(value)))
        elif (isinstance(value, (list, tuple)) and value and all(isinstance(v, Layer) for v in value)
              and attribute != "_layers"):
            children.append((attribute, _container(value)))
    return _Node(layer.name, _own_variables(layer), children)


def _entries(node, path):
    """(group path, node) for every object of the tree, depth first."""
    yield path, node
    for attribute, child in node.children:
        child_path = f"{path}/{attribute}" if path else attribute
        if isinstance(child, list):
            for name, item in child:
                yield from _entries(item, f"{child_path}/{name}")
        else:
            yield from _entries(child, child_path)


# ----------------------------------------------------------------------------------------------- optimizer
# Which of layerkit's slot kinds Keras 3 creates together (interleaved per variable); others come kind by kind
_INTERLEAVED = {"Adadelta": ("accumulated_grad", "accumulated_delta_var"), "Adam": ("momentum", "velocity"),
                "AdamW": ("momentum", "velocity"), "Adamax": ("m", "u"), "Nadam": ("momentum", "velocity")}


def _optimizer_layout(optimizer):
    """Keras 3's order of the optimizer's state, as layerkit variables ('learning_rate' marks Keras's learning-rate
    variable, which layerkit keeps apart); None before the optimizer has made its slots."""
    params = list(getattr(optimizer, "_params", []))
    if not params:
        return None
    slots = optimizer._slot_vars
    together = _INTERLEAVED.get(type(optimizer).__name__, ())
    order = [optimizer.variables()[0]] + (["learning_rate"] if optimizer._schedule is None else [])
    order += [slots[kind][p] for p in range(len(params)) for kind in together]
    order += [v for kind in optimizer._slots if kind not in together for v in slots[kind]]
    return order + list(optimizer._global_vars)


def _optimizer_values(optimizer):
    layout = _optimizer_layout(optimizer)
    if layout is None:
        return None
    return [np.asarray(optimizer._lr_variable.get_value(), dtype="float32") if v == "learning_rate" else
            np.asarray(v.get_value()) for v in layout]


def _restore_optimizer(optimizer, values, where):
    layout = _optimizer_layout(optimizer)
    problem = None
    if layout is None:
        problem = "the optimizer has no state yet"
    elif len(layout) != len(values):
        problem = f"the optimizer holds {len(layout)} variables, the file {len(values)}"
    else:
        for variable, value in zip(layout, values):
            expected = () if variable == "learning_rate" else np.shape(variable.get_value(borrow=True))
            if tuple(np.shape(value)) != tuple(expected):
                problem = f"a variable of shape {tuple(expected)} meets one of shape {tuple(np.shape(value))}"
                break
    if problem is not None:
        warnings.warn(f"{where}: the optimizer state in the file is not restored ({problem})")
        return
    for variable, value in zip(layout, values):
        target = optimizer._lr_variable if variable == "learning_rate" else variable
        target.set_value(np.asarray(value, dtype=target.get_value(borrow=True).dtype))


# ----------------------------------------------------------------------------------------------- files
def is_keras3_weights_file(f):
    """True for an open HDF5 file in Keras 3's weights layout (not the legacy ``layer_names`` one)."""
    return "layer_names" not in f.attrs and ("layers" in f or "vars" in f)


def save_weights(model, filepath, overwrite=True):
    """Writes ``model``'s weights in Keras 3's layout if ``filepath`` ends in '.weights.h5' (as Keras 3 requires),
    else in Keras's legacy layout (:func:`layerkit.saving.hdf5.save_weights`).

    Example:
        >>> # model.save_weights("m.weights.h5")
    """
    if not os.fspath(filepath).endswith(KERAS3_SUFFIX):
        return hdf5.save_weights(model, filepath, overwrite)
    with hdf5._atomic_h5(filepath, overwrite) as f:
        write_weights(model, f)


def write_weights(model, f):
    """Writes ``model``'s variables (and its optimizer's state, once it has one) into the open HDF5 file ``f`` in
    Keras 3's layout (also the ``model.weights.h5`` of a ``.keras`` file)."""
    for path, node in _entries(_tree(model), ""):
        group = f.require_group(f"{path}/vars" if path else "vars")
        group.attrs["name"] = node.name.rsplit("/", 1)[-1]   # a cell's own name, without its layer's
        for index, variable in enumerate(node.own):
            group.create_dataset(str(index), data=np.asarray(variable.get_value()))
    optimizer = getattr(model, "optimizer", None)
    values = None if optimizer is None or not hasattr(optimizer, "_slot_vars") else _optimizer_values(optimizer)
    if values is not None:
        group = f.require_group("optimizer/vars")
        group.attrs["name"] = optimizer.name
        for index, value in enumerate(values):
            group.create_dataset(str(index), data=value)


def read_weights(model, f, skip_mismatch, where):
    """Reads a Keras 3 layout file ``f`` into ``model`` (and its optimizer's state, when the model is compiled):
    every value is read and checked before any variable changes."""
    assignments = _read_tree(f, model, skip_mismatch, where)
    optimizer_values = None
    if "optimizer/vars" in f and getattr(model, "optimizer", None) is not None:
        group = f["optimizer/vars"]
        optimizer_values = [np.asarray(group[str(i)]) for i in range(len(group))]
    for variable, value in assignments:
        variable.set_value(np.asarray(value, dtype=variable.type.dtype))
    if optimizer_values is not None and hasattr(model.optimizer, "_slot_vars"):
        hdf5._ensure_optimizer_slots(model)
        _restore_optimizer(model.optimizer, optimizer_values, where)


def load_weights(model, filepath, by_name=False, skip_mismatch=False):
    """Loads weights saved by Keras 3 (or by :func:`save_weights`) in Keras 3's layout, or any legacy ``.h5``
    weights or model file (:func:`layerkit.saving.hdf5.load_weights`), whatever the file's name.

    Keras 3's layout addresses objects by their place in the model, so ``by_name`` does not apply to it;
    ``skip_mismatch`` leaves layers whose variables do not fit as they are (with a warning) instead of raising.

    Example:
        >>> # model.load_weights("keras3_model.weights.h5")
    """
    where = f"load_weights({os.fspath(filepath)!r})"
    with hdf5._open_for_reading(filepath) as f:
        keras3 = is_keras3_weights_file(f)
        if keras3 and by_name:
            raise ValueError(f"{where}: a Keras 3 weights file addresses layers by position, not by name; load it "
                             f"with by_name=False")
        if keras3:
            read_weights(model, f, skip_mismatch, where)
    if not keras3:
        return hdf5.load_weights(model, filepath, by_name, skip_mismatch)
    return None


def _read_tree(f, model, skip_mismatch, where):
    """[(variable, value)] for every variable of the model. Each dataset's shape and dtype are checked on the
    file's metadata before it is read, and everything is read before anything is assigned."""
    assignments = []
    for path, node in _entries(_tree(model), ""):
        if not node.own:
            continue
        location = f"{path}/vars" if path else "vars"
        group = f[location] if location in f else None
        datasets = [] if group is None else [group.get(str(i)) for i in range(len(group))]
        problem = None
        if len(datasets) != len(node.own) or any(d is None for d in datasets):
            problem = (f"layer '{node.name}' has {len(node.own)} variable(s), the file's '{location}' holds "
                       f"{len(datasets)}")
        else:
            for variable, dataset in zip(node.own, datasets):
                expected = tuple(variable.get_value(borrow=True).shape)
                if tuple(dataset.shape) != expected or dataset.dtype.kind not in "fiub":
                    problem = (f"layer '{node.name}' variable '{variable.name}' has shape {expected}, the file's "
                               f"'{location}' holds {dataset.dtype} of shape {tuple(dataset.shape)}")
                    break
        if problem is not None:
            if not skip_mismatch:
                raise ValueError(f"{where}: {problem}")
            warnings.warn(f"{where}: skipping: {problem}")
            continue
        assignments.extend((variable, np.asarray(dataset)) for variable, dataset in zip(node.own, datasets))
    return assignments
