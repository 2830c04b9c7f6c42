"""``Input``: the symbolic placeholder a functional model starts from, and the ``InputLayer`` that owns it.

Example:
    >>> x = Input(shape=(3,), name="features")
    >>> x.type.shape, x.dtype
    ((None, 3), 'float32')
"""
import layerkit_backend as lb
import layerkit_backend.tensor as T

from .base import Layer, Node

__all__ = ["InputLayer", "Input"]


class InputLayer(Layer):
    """The layer behind :func:`Input`; its output is a fresh backend tensor of the given batch shape."""

    def __init__(self, input_shape=None, batch_size=None, dtype=None, input_tensor=None, sparse=False, name=None,
                 batch_input_shape=None, batch_shape=None, ragged=False, **kwargs):
        if sparse or ragged:
            raise ValueError("InputLayer: sparse and ragged inputs are not supported by layerkit")
        batch_input_shape = batch_shape if batch_shape is not None else batch_input_shape
        if input_tensor is not None:
            batch_input_shape = tuple(input_tensor.type.shape)
            dtype = dtype or input_tensor.dtype
        elif batch_input_shape is None:
            if input_shape is None:
                raise ValueError("InputLayer: give shape= (without the batch dimension) or batch_shape=")
            batch_input_shape = (batch_size,) + tuple(input_shape)
        super().__init__(name=name, dtype=dtype or lb.config.floatX, batch_input_shape=batch_input_shape, **kwargs)
        if input_tensor is None:
            input_tensor = T.tensor(self.dtype, shape=tuple(self.batch_input_shape), name=self.name)
        input_tensor._keras_history = (self, 0, 0)
        input_tensor._keras_mask = None
        self._inbound_nodes.append(Node(self, [], input_tensor, {}))
        self.built = True

    def get_config(self):
        return {"batch_input_shape": list(self.batch_input_shape), "dtype": self.dtype, "sparse": False,
                "name": self.name}


def Input(shape=None, batch_size=None, name=None, dtype=None, sparse=False, tensor=None, batch_shape=None):
    """A symbolic input of ``shape`` (without the batch dimension) to start a functional model.

    Example:
        >>> seq = Input(shape=(None, 8), dtype="float32")
        >>> seq.type.shape
        (None, None, 8)
    """
    layer = InputLayer(input_shape=shape, batch_size=batch_size, name=name, dtype=dtype, sparse=sparse,
                       input_tensor=tensor, batch_shape=batch_shape)
    return layer.output
