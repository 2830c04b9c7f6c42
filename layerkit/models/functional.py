"""``Model``: a graph of layers from ``Input`` tensors to outputs (functional API), or a subclass with ``call``.

A functional model records the layer calls (``Node``) between its inputs and outputs and replays them on new
tensors: ``model(x, training=True)`` rebuilds the graph, so one model serves as a layer of another. Training
methods (``compile``, ``fit``, ``evaluate``, ``predict``...) come from :class:`layerkit.training.TrainingMixin`.

Example:
    >>> from layerkit.layers import Input, Layer
    >>> x = Input(shape=(3,), name="x")
    >>> model = Model(x, Layer(name="identity")(x), name="m")
    >>> [layer.name for layer in model.layers], model.output_names
    (['x', 'identity'], ['identity'])
"""
from ..layers.base import CallContext, Layer, flatten, map_structure, suspend_node_recording, unique_names
from ..layers.input_layer import InputLayer
from ..training.engine import TrainingMixin

__all__ = ["Model"]


class Model(TrainingMixin, Layer):
    """A trainable graph of layers: ``Model(inputs, outputs, name=None)``, or subclass it and write ``call``.

    Args:
        inputs: an ``Input`` tensor, or a list (or dict) of them.
        outputs: a tensor computed from ``inputs`` by layer calls, or a list (or dict) of them.
        name: the model's name (default ``'model'``, ``'model_1'``...).

    Example:
        >>> from layerkit.layers import Input
        >>> class Twice(Model):
        ...     def call(self, inputs):
        ...         return 2 * inputs
        >>> Twice()(Input(shape=(2,))).type.shape
        (None, 2)
    """

    _is_sequential = False

    def __init__(self, inputs=None, outputs=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self._init_training()
        self._is_graph_network = False
        self.inputs, self.outputs = None, None
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise ValueError(f"Model '{self.name}': give both inputs and outputs (received only "
                                 f"{'outputs' if inputs is None else 'inputs'})")
            self._init_graph(inputs, outputs)

    # ------------------------------------------------------------------------------------ the graph
    def _init_graph(self, inputs, outputs):
        self._nested_inputs, self._nested_outputs = inputs, outputs
        outputs_given = outputs
        inputs, outputs = flatten(inputs), flatten(outputs)
        for k, tensor in enumerate(inputs):
            history = getattr(tensor, "_keras_history", None)
            if history is None or not isinstance(history[0], InputLayer):
                raise ValueError(f"Model '{self.name}': input {k} is not a tensor made by Input(...) "
                                 f"(received {tensor!r})")
        for k, tensor in enumerate(outputs):
            if getattr(tensor, "_keras_history", None) is None:
                raise ValueError(f"Model '{self.name}': output {k} was not produced by a layer call "
                                 f"(received {tensor!r}); wrap raw backend operations in a Lambda layer")
        self.inputs, self.outputs = list(inputs), list(outputs)
        self._nodes_in_order, layers = _walk_graph(inputs, outputs, self.name)
        self.__dict__["_layers"] = layers
        self._is_graph_network = True
        self.built = True
        self.input_names = [t._keras_history[0].name for t in self.inputs]
        if isinstance(outputs_given, dict) and all(not isinstance(v, (list, tuple, dict))
                                                   for v in outputs_given.values()):
            # a dict of outputs: its keys name them (in flatten's order); per-output losses are reported in the
            # dict's own order (Keras 3)
            self.output_names = sorted(outputs_given)
            self._reported_output_order = list(outputs_given)
        else:
            self.output_names = unique_names([t._keras_history[0].name for t in self.outputs])

    def _set_inputs_from_data(self, arrays):
        """Subclassed models and deferred Sequentials: builds the graph from the first data's shapes."""
        from ..layers.input_layer import Input

        inputs = [Input(batch_shape=(None,) + tuple(a.shape[1:]),
                        dtype=self.dtype if a.dtype.kind == "f" else a.dtype.name) for a in arrays]
        nested = inputs[0] if len(inputs) == 1 else inputs
        with CallContext():   # losses added by this construction call would be counted twice
            outputs = self(nested)
        self.inputs = inputs
        self.outputs = flatten(outputs)
        self._nested_inputs, self._nested_outputs = nested, outputs
        self.input_names = [t.name for t in inputs]
        self.output_names = [f"output_{k + 1}" for k in range(len(self.outputs))]

    def call(self, inputs, training=None, mask=None):
        """Replays the recorded graph on ``inputs`` (same structure as the model's inputs)."""
        if not self._is_graph_network:
            raise NotImplementedError(f"Model '{self.name}': a subclassed Model must define call(inputs)")
        given = flatten(inputs)
        if len(given) != len(self.inputs):
            raise ValueError(f"Model '{self.name}': expected {len(self.inputs)} input(s) {self.input_names}, "
                             f"received {len(given)}")
        computed = {id(original): new for original, new in zip(self.inputs, given)}
        masks = mask if isinstance(mask, (list, tuple)) else [mask] * len(given)
        for new, m in zip(given, masks):
            if m is not None and getattr(new, "_keras_mask", None) is None:
                new._keras_mask = m
        with suspend_node_recording():
            for node in self._nodes_in_order:
                args = map_structure(lambda t: computed[id(t)], node.inputs)
                more = map_structure(lambda a: computed.get(id(a), a), list(node.args))
                kwargs = dict(node.arguments)
                if training is not None:
                    kwargs["training"] = training
                results = node.layer(args, *more, **kwargs)
                for original, new in zip(node.output_tensors, flatten(results)):
                    computed[id(original)] = new
        outputs = map_structure(lambda t: computed[id(t)], self._nested_outputs)
        self._last_output_masks = [getattr(t, "_keras_mask", None) for t in flatten(outputs)]
        return outputs

    def compute_mask(self, inputs, mask=None):
        """The masks of the outputs of the call just made (the last layers' masks), so that a model used as a
        layer, and the loss of a compiled model, see them."""
        masks = getattr(self, "_last_output_masks", None) or [None]
        return masks if len(masks) > 1 else masks[0]

    # ------------------------------------------------------------------------------------ layers
    @property
    def weights(self):
        """Every weight, layer by layer (each layer's trainable then non-trainable ones), as Keras 2 orders them."""
        found, seen = [], set()
        for w in self._trainable_own + self._non_trainable_own + [w for l in self._layers for w in l.weights]:
            if id(w) not in seen:
                seen.add(id(w))
                found.append(w)
        return found

    variables = weights

    @property
    def layers(self):
        return list(self._layers)

    def reset_states(self):
        """Resets the state of every stateful layer (recurrent layers with ``stateful=True``) to zeros."""
        for layer in self._layers:
            if hasattr(layer, "reset_states") and (getattr(layer, "stateful", False) or isinstance(layer, Model)):
                layer.reset_states()

    def get_layer(self, name=None, index=None):
        """The layer called ``name`` or at position ``index`` of ``layers``."""
        layers = self.layers
        if index is not None:
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"Model '{self.name}': get_layer(index={index}) but the model has only "
                                 f"{len(layers)} layers")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"Model '{self.name}': no layer named {name!r}; layers are {[l.name for l in layers]}")

    @property
    def input(self):
        if self.inputs is not None and not self._inbound_nodes:
            return self._nested_inputs
        return super().input

    @property
    def output(self):
        if self.outputs is not None and not self._inbound_nodes:
            return self._nested_outputs
        return super().output

    @property
    def input_shape(self):
        if self.inputs is not None and not self._inbound_nodes:
            shapes = [tuple(t.type.shape) for t in self.inputs]
            return shapes[0] if len(shapes) == 1 else shapes
        return super().input_shape

    @property
    def output_shape(self):
        if self.outputs is not None and not self._inbound_nodes:
            shapes = [tuple(t.type.shape) for t in self.outputs]
            return shapes[0] if len(shapes) == 1 else shapes
        return super().output_shape

    # ------------------------------------------------------------------------------------ summary and saving
    def summary(self, line_length=None, positions=None, print_fn=None):
        """Prints the layer table: name (type), output shape, parameter count (and connections if functional)."""
        from .summary import print_summary
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn)

    def count_params(self):
        if not self.built:
            raise ValueError(f"Model '{self.name}': count_params needs a built model; call it on data or give "
                             f"the first layer an input shape")
        return super().count_params()

    def save(self, filepath, overwrite=True, include_optimizer=True):
        """Saves the architecture, weights and training state (see ``layerkit.saving.save_model``)."""
        from .. import saving
        return saving.save_model(self, filepath, overwrite, include_optimizer)

    def save_weights(self, filepath, overwrite=True):
        from .. import saving
        return saving.save_weights(self, filepath, overwrite)

    def load_weights(self, filepath, by_name=False, skip_mismatch=False):
        from .. import saving
        return saving.load_weights(self, filepath, by_name, skip_mismatch)

    def to_json(self, **kwargs):
        from .. import saving
        return saving.model_to_json(self, **kwargs)

    def get_config(self):
        from ..saving import model_config
        return model_config.model_to_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from ..saving import model_config
        return model_config.model_from_config(config, custom_objects)




def _walk_graph(inputs, outputs, model_name):
    """(nodes to replay in order, layers in Keras's order: deepest first, ties in discovery order)."""
    input_ids = {id(t) for t in inputs}
    order, visited = [], set()

    def visit(tensor, path):
        layer, node_index, _ = tensor._keras_history
        node = layer._inbound_nodes[node_index]
        if id(node) in visited:
            return node
        if id(node) in path:
            raise ValueError(f"Model '{model_name}': the graph has a cycle through layer '{layer.name}'")
        path.add(id(node))
        if id(tensor) not in input_ids:
            if isinstance(layer, InputLayer):
                raise ValueError(f"Model '{model_name}': output depends on Input '{layer.name}', which is not "
                                 f"among the model's inputs")
            for parent in node.input_tensors:
                if getattr(parent, "_keras_history", None) is None:
                    raise ValueError(f"Model '{model_name}': layer '{layer.name}' was called on a tensor that no "
                                     f"layer or Input produced ({parent!r})")
                visit(parent, path)
        path.discard(id(node))
        visited.add(id(node))
        order.append((node, id(tensor) in input_ids))
        return node

    for tensor in inputs:
        visit(tensor, set())
    for tensor in outputs:
        visit(tensor, set())
    # depth: outputs are 0, a node's parents are deeper than it
    depth = {id(n): 0 for n, _ in order}
    for node, is_input in reversed(order):
        if is_input:
            continue
        for parent in node.input_tensors:
            layer, node_index, _ = parent._keras_history
            pnode = layer._inbound_nodes[node_index]
            depth[id(pnode)] = max(depth[id(pnode)], depth[id(node)] + 1)
    position = {id(n): k for k, (n, _) in enumerate(order)}
    nodes = sorted((n for n, is_input in order if not is_input), key=lambda n: (-depth[id(n)], position[id(n)]))
    layer_depth, first_seen = {}, {}
    for node, _ in order:
        lid = id(node.layer)
        layer_depth[lid] = max(layer_depth.get(lid, 0), depth[id(node)])
        first_seen.setdefault(lid, (position[id(node)], node.layer))
    layers = [layer for _, layer in sorted(first_seen.values(), key=lambda p: (-layer_depth[id(p[1])], p[0]))]
    # Input layers first, in the order of the model's inputs (as Keras lists them)
    input_layers = [t._keras_history[0] for t in inputs]
    layers = input_layers + [l for l in layers if all(l is not i for i in input_layers)]
    return nodes, layers
