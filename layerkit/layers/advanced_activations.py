"""Activation layers with parameters: ``LeakyReLU``, ``PReLU`` (learned slopes), ``ELU``, ``ReLU``, ``Softmax``.

Example:
    >>> import layerkit_backend.tensor as T
    >>> PReLU(shared_axes=[1])(T.tensor("float32", shape=(None, 5, 3))).type.shape
    (None, 5, 3)
"""
import layerkit_backend.tensor as T

from .. import activations, constraints, initializers, regularizers
from .base import InputSpec, Layer
from .core import drop_keras3_keys, layer_config, ser

__all__ = ["LeakyReLU", "PReLU", "ELU", "ReLU", "Softmax"]


class LeakyReLU(Layer):
    """``x`` for x >= 0, ``alpha * x`` otherwise (Keras 2's ``alpha=0.3``; Keras 3 calls it ``negative_slope``).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> LeakyReLU(alpha=0.1)(T.tensor("float32", shape=(None, 2))).type.shape
        (None, 2)
    """

    def __init__(self, alpha=0.3, negative_slope=None, **kwargs):
        super().__init__(**drop_keras3_keys(kwargs, "LeakyReLU"))
        self.alpha = float(alpha if negative_slope is None else negative_slope)
        self.supports_masking = True

    def call(self, inputs):
        return T.switch(T.ge(inputs, 0), inputs, inputs * self.alpha)

    def get_config(self):
        return layer_config(self, alpha=self.alpha)


class PReLU(Layer):
    """Leaky ReLU with a learned slope ``alpha`` per element of the input's non-batch shape; ``shared_axes``
    (counted from 1) share one slope along those axes (weight shape has 1 there, as Keras's).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> p = PReLU(shared_axes=[1]); _ = p(T.tensor("float32", shape=(None, 5, 3)))
        >>> p.alpha.get_value().shape
        (1, 3)
    """

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None,
                 **kwargs):
        super().__init__(**drop_keras3_keys(kwargs, "PReLU"))
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes = None
        else:
            self.shared_axes = [int(a) for a in (shared_axes if isinstance(shared_axes, (list, tuple))
                                                 else [shared_axes])]
        self.supports_masking = True

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if not 1 <= axis < len(input_shape):
                raise ValueError(f"PReLU '{self.name}': shared axis {axis} is out of range for input shape "
                                 f"{tuple(input_shape)}")
            shape[axis - 1] = 1
        if any(s is None for s in shape):
            raise ValueError(f"PReLU '{self.name}': every non-shared axis must have a known size, received "
                             f"{tuple(input_shape)} with shared_axes={self.shared_axes}")
        self.alpha = self.add_weight("alpha", shape, self.alpha_initializer, self.alpha_regularizer,
                                     self.alpha_constraint)
        axes = {i: input_shape[i] for i in range(1, len(input_shape)) if i not in (self.shared_axes or [])}
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)
        self.built = True

    def call(self, inputs):
        alpha = T.patternbroadcast(self.alpha, [s == 1 for s in self.alpha.type.shape]) \
            if self.shared_axes else self.alpha
        return T.switch(T.ge(inputs, 0), inputs, alpha * inputs)

    def get_config(self):
        return layer_config(self, alpha_initializer=initializers.serialize(self.alpha_initializer),
                            alpha_regularizer=ser(regularizers, self.alpha_regularizer),
                            alpha_constraint=ser(constraints, self.alpha_constraint),
                            shared_axes=self.shared_axes)


class ELU(Layer):
    """``x`` for x > 0, ``alpha * (exp(x) - 1)`` otherwise."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**drop_keras3_keys(kwargs, "ELU"))
        self.alpha = float(alpha)
        self.supports_masking = True

    def call(self, inputs):
        return activations.elu(inputs, alpha=self.alpha)

    def get_config(self):
        return layer_config(self, alpha=self.alpha)


class ReLU(Layer):
    """Keras's ``ReLU(max_value, negative_slope, threshold)``: ``x`` above ``threshold`` (capped at
    ``max_value``), ``negative_slope * (x - threshold)`` below."""

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**drop_keras3_keys(kwargs, "ReLU"))
        if max_value is not None and max_value < 0:
            raise ValueError(f"ReLU '{self.name}': max_value must be >= 0, received {max_value}")
        if negative_slope < 0:
            raise ValueError(f"ReLU '{self.name}': negative_slope must be >= 0, received {negative_slope}")
        self.max_value = None if max_value is None else float(max_value)
        self.negative_slope = float(negative_slope)
        self.threshold = float(threshold)
        self.supports_masking = True

    def call(self, inputs):
        return activations.relu(inputs, negative_slope=self.negative_slope, max_value=self.max_value,
                                threshold=self.threshold)

    def get_config(self):
        return layer_config(self, max_value=self.max_value, negative_slope=self.negative_slope,
                            threshold=self.threshold)


class Softmax(Layer):
    """Softmax along ``axis``; a mask (1 = keep) sends masked entries to probability 0, as Keras."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**drop_keras3_keys(kwargs, "Softmax"))
        self.axis = axis
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is not None:
            mask = T.cast(mask, inputs.dtype)
            while mask.ndim < inputs.ndim:   # a (batch, steps) mask covers every feature of a step
                mask = T.shape_padright(mask)
            inputs = inputs + (1.0 - mask) * -1e9
        if isinstance(self.axis, (list, tuple)):
            axes = [a % inputs.ndim for a in self.axis]
            shifted = inputs - T.max(inputs, axis=axes, keepdims=True)
            e = T.exp(shifted)
            return e / T.sum(e, axis=axes, keepdims=True)
        return T.nnet.softmax(inputs, axis=self.axis % inputs.ndim)

    def get_config(self):
        return layer_config(self, axis=list(self.axis) if isinstance(self.axis, tuple) else self.axis)
