"""``clone_model``: a new model with the same architecture and new layers (freshly initialised weights).

Example:
    >>> from layerkit.layers import Input, Dense
    >>> from layerkit.models import Sequential
    >>> model = Sequential([Input(shape=(3,)), Dense(2)])
    >>> twin = clone_model(model)
    >>> twin.layers[0] is model.layers[0], twin.output_shape
    (False, (None, 2))
"""
from ..layers.base import flatten, map_structure
from ..layers.input_layer import Input, InputLayer

__all__ = ["clone_model"]


def _default_clone(layer):
    return type(layer).from_config(layer.get_config())


def clone_model(model, input_tensors=None, clone_function=None, call_function=None, recursive=False, **kwargs):
    """A copy of a Sequential or functional ``model`` made of new layers (``clone_function(layer)``, by default
    ``layer.__class__.from_config(layer.get_config())``): the same architecture, weights initialised anew, not
    compiled (Keras's ``clone_model``). ``input_tensors`` (``Input`` tensors) replace the model's inputs.

    Example:
        >>> # twin = clone_model(model); twin.set_weights(model.get_weights())
    """
    if call_function is not None or recursive or kwargs:
        raise ValueError(f"clone_model: call_function, recursive and {sorted(kwargs)} are not supported")
    clone_function = clone_function or _default_clone
    if getattr(model, "_is_sequential", False):
        return _clone_sequential(model, input_tensors, clone_function)
    if not getattr(model, "_is_graph_network", False):
        raise ValueError(f"clone_model: model '{model.name}' is a subclassed Model (its graph is Python code in "
                         f"call); clone it by constructing it again")
    return _clone_functional(model, input_tensors, clone_function)


def _clone_sequential(model, input_tensors, clone_function):
    from .sequential import Sequential

    layers = [clone_function(layer) for layer in model.layers]
    if input_tensors is not None:
        layers = flatten(input_tensors)[:1] + layers
    elif model._input_layer is not None:
        source = model._input_layer
        layers = [Input(batch_shape=source.batch_input_shape, dtype=source.dtype, name=source.name)] + layers
    return Sequential(layers, name=model.name)


def _clone_functional(model, input_tensors, clone_function):
    from .functional import Model

    if input_tensors is None:
        new_inputs = [Input(batch_shape=tuple(t.type.shape), dtype=t.dtype, name=t._keras_history[0].name)
                      for t in model.inputs]
    else:
        new_inputs = flatten(input_tensors)
        if len(new_inputs) != len(model.inputs):
            raise ValueError(f"clone_model: model '{model.name}' has {len(model.inputs)} inputs, received "
                             f"{len(new_inputs)} input_tensors")
    computed = {id(old): new for old, new in zip(model.inputs, new_inputs)}
    clones = {}
    for node in model._nodes_in_order:
        layer = node.layer
        if isinstance(layer, InputLayer):
            continue
        if id(layer) not in clones:
            clones[id(layer)] = clone_function(layer)
        args = map_structure(lambda t: computed[id(t)], node.inputs)
        more = map_structure(lambda a: computed.get(id(a), a), list(node.args))
        results = clones[id(layer)](args, *more, **node.arguments)
        for original, new in zip(node.output_tensors, flatten(results)):
            computed[id(original)] = new
    outputs = map_structure(lambda t: computed[id(t)], model._nested_outputs)
    input_ids = [id(i) for i in model.inputs]
    inputs = map_structure(lambda t: new_inputs[input_ids.index(id(t))], model._nested_inputs)
    return Model(inputs, outputs, name=model.name)
