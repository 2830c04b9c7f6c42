"""``Sequential``: a plain stack of layers, each called on the previous one's output.

Example:
    >>> from layerkit.layers import Layer
    >>> model = Sequential([Layer(input_shape=(4,), name="first"), Layer(name="second")])
    >>> model.output_shape, [layer.name for layer in model.layers]
    ((None, 4), ['first', 'second'])
"""
import layerkit_backend as lb

from ..layers.base import Layer
from ..layers.input_layer import Input, InputLayer
from .functional import Model

__all__ = ["Sequential"]


class Sequential(Model):
    """A model made of a list of single-input, single-output layers.

    The input shape comes from the first layer (``input_shape=``, ``input_dim=``, ``batch_input_shape=``), from an
    ``Input``/``InputLayer`` added first, or, failing both, from the first data given to ``fit``/``predict``.

    Args:
        layers: layers to ``add`` in order.
        name: the model's name (default ``'sequential'``, ``'sequential_1'``...).

    Example:
        >>> from layerkit.layers import Input, Layer
        >>> model = Sequential(name="stack")
        >>> model.add(Input(shape=(3,)))
        >>> model.add(Layer())
        >>> model.inputs[0].type.shape
        (None, 3)
    """

    _is_sequential = True

    def __init__(self, layers=None, name=None, **kwargs):
        super().__init__(name=name, **kwargs)
        self.__dict__["_layers"] = []
        self._input_layer = None
        self._chain = []          # output tensor after each layer, once the input is known
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self):
        return [layer for layer in self._layers if not isinstance(layer, InputLayer)]

    def add(self, layer):
        """Appends ``layer`` (or sets the input from an ``Input`` tensor / ``InputLayer``)."""
        history = getattr(layer, "_keras_history", None)
        if isinstance(layer, lb.Variable) and history is not None and isinstance(history[0], InputLayer):
            layer = history[0]
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential '{self.name}': add() expects a Layer instance, received {layer!r}")
        if isinstance(layer, InputLayer):
            if self.layers or self._input_layer is not None:
                raise ValueError(f"Sequential '{self.name}': an Input/InputLayer can only be added first")
            self._input_layer = layer
            return
        names = [l.name for l in self.layers]
        if layer.name in names:
            raise ValueError(f"Sequential '{self.name}': a layer named {layer.name!r} is already in the model; "
                             f"layer names must be unique")
        layers = self.layers + [layer]
        if self._input_layer is None and len(layers) == 1 and layer.batch_input_shape is not None:
            self._input_layer = InputLayer(batch_input_shape=layer.batch_input_shape, dtype=layer.dtype,
                                           name=f"{layer.name}_input")
        if self._input_layer is not None:
            source = self._chain[-1] if self._chain else self._input_layer.output
            self._chain.append(layer(source))
            self._init_graph(self._input_layer.output, self._chain[-1])
        else:
            self.__dict__["_layers"] = layers

    def pop(self):
        """Removes the last layer."""
        layers = self.layers
        if not layers:
            raise TypeError(f"Sequential '{self.name}': pop() on a model without layers")
        if self._chain:
            self._chain.pop()
        if self._chain:
            self._init_graph(self._input_layer.output, self._chain[-1])
        else:
            self.__dict__["_layers"] = layers[:-1]
            self.inputs, self.outputs, self._is_graph_network = None, None, False

    def build(self, input_shape=None):
        """Creates the input and every layer's weights for ``input_shape`` (batch dimension included)."""
        if self.outputs is None:
            if input_shape is None:
                raise ValueError(f"Sequential '{self.name}': build() needs input_shape (no layer declares one)")
            self._build_on(Input(batch_shape=tuple(input_shape), dtype=self.dtype))
        self.built = True

    def _build_on(self, input_tensor):
        layers = self.layers
        self._input_layer = input_tensor._keras_history[0]
        self._chain = []
        for layer in layers:
            self._chain.append(layer(self._chain[-1] if self._chain else input_tensor))
        if not self._chain:
            raise ValueError(f"Sequential '{self.name}': the model has no layers")
        self._init_graph(input_tensor, self._chain[-1])

    def _set_inputs_from_data(self, arrays):
        if len(arrays) != 1:
            raise ValueError(f"Sequential '{self.name}': expected one input array, received {len(arrays)}")
        a = arrays[0]
        self._build_on(Input(batch_shape=(None,) + tuple(a.shape[1:]),
                             dtype=self.dtype if a.dtype.kind == "f" else a.dtype.name))

    def call(self, inputs, training=None, mask=None):
        """Calls each layer on the previous one's output."""
        x = inputs
        for layer in self.layers:
            x = layer(x, training=training)
        self._last_output_masks = [getattr(x, "_keras_mask", None)]
        return x
