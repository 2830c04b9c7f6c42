"""``Model.summary``: the table of layers, output shapes and parameter counts.

Example:
    >>> from layerkit.models import Sequential
    >>> from layerkit.layers import Layer
    >>> lines = []
    >>> Sequential([Layer(input_shape=(3,), name="only")], name="tiny").summary(print_fn=lines.append)
    >>> lines[0]
    'Model: "tiny"'
"""
import numpy as np

from ..layers.input_layer import InputLayer

__all__ = ["print_summary"]


def _count(variables):
    return int(sum(np.prod(v.get_value(borrow=True).shape) for v in variables))


def _shape_text(layer, model):
    try:
        shape = layer.output_shape
    except AttributeError:
        nodes = [n for n in layer._inbound_nodes if any(n is m for m in getattr(model, "_nodes_in_order", []))]
        if not nodes:
            return "multiple" if layer._inbound_nodes else "?"
        shape = [tuple(t.type.shape) for t in nodes[0].output_tensors]
        shape = shape[0] if len(shape) == 1 else shape
    return str(shape)


def _connections(layer, model):
    nodes = [n for n in layer._inbound_nodes if any(n is m for m in getattr(model, "_nodes_in_order", []))]
    names = []
    for node in nodes:
        for tensor in node.input_tensors:
            source, node_index, tensor_index = tensor._keras_history
            names.append(f"{source.name}[{node_index}][{tensor_index}]")
    return names


def print_summary(model, line_length=None, positions=None, print_fn=None):
    """Prints (with ``print_fn``, default ``print``) one row per layer and the parameter totals."""
    print_fn = print_fn or print
    functional = model._is_graph_network and not model._is_sequential
    line_length = line_length or (98 if functional else 65)
    fractions = positions or ([0.33, 0.55, 0.67, 1.0] if functional else [0.45, 0.85, 1.0])
    stops = [int(line_length * p) if p <= 1 else int(p) for p in fractions]
    headers = ["Layer (type)", "Output Shape", "Param #"] + (["Connected to"] if functional else [])

    def row(fields):
        text = ""
        for field, stop in zip(fields, stops):
            text = (text + str(field))[:stop - 1].ljust(stop)   # a long name never runs into the next column
        return text.rstrip()

    print_fn(f'Model: "{model.name}"')
    print_fn("_" * line_length)
    print_fn(row(headers))
    print_fn("=" * line_length)
    layers = model.layers
    for k, layer in enumerate(layers):
        built = layer.built
        params = _count(layer.weights) if built else 0
        fields = [f"{layer.name} ({type(layer).__name__})",
                  _shape_text(layer, model) if model.built else "(unbuilt)", params]
        connections = _connections(layer, model) if functional else []
        if functional:
            fields.append(connections[0] if connections else "")
        print_fn(row(fields))
        for extra in connections[1:]:
            print_fn(row(["", "", "", extra]))
        print_fn(("=" if k == len(layers) - 1 else "_") * line_length)
    trainable = _count(model.trainable_weights)
    non_trainable = _count(model.non_trainable_weights)
    print_fn(f"Total params: {trainable + non_trainable:,}")
    print_fn(f"Trainable params: {trainable:,}")
    print_fn(f"Non-trainable params: {non_trainable:,}")
    print_fn("_" * line_length)
