"""Merge layers: combine a list of tensors elementwise (``Add``...), by ``Concatenate`` or by ``Dot``.

Each class has a lowercase function that builds the layer and calls it: ``add([a, b])``.

Example:
    >>> import layerkit_backend.tensor as T
    >>> a = T.tensor("float32", shape=(None, 3)); b = T.tensor("float32", shape=(None, 3))
    >>> Concatenate()([a, b]).type.shape
    (None, 6)
"""
import functools

import layerkit_backend.tensor as T

from .base import Layer
from .core import drop_keras3_keys, layer_config

__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
           "add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot"]


class _Merge(Layer):
    """Elementwise merge of two or more tensors of broadcast-compatible shapes; masks are and-ed."""

    min_inputs = 2
    max_inputs = None

    def __init__(self, **kwargs):
        super().__init__(**drop_keras3_keys(kwargs, type(self).__name__))
        self.supports_masking = True

    def _check_list(self, input_shape):
        if not isinstance(input_shape, list) or not input_shape or not isinstance(input_shape[0], (tuple, list)):
            raise ValueError(f"{type(self).__name__} '{self.name}': expected a list of inputs, received one input "
                             f"of shape {input_shape}")
        count = len(input_shape)
        if count < self.min_inputs or (self.max_inputs is not None and count > self.max_inputs):
            expected = self.min_inputs if self.max_inputs == self.min_inputs else f"at least {self.min_inputs}"
            raise ValueError(f"{type(self).__name__} '{self.name}': expected {expected} inputs, received {count}")

    def build(self, input_shape):
        self._check_list(input_shape)
        shapes = [tuple(s) for s in input_shape]
        rank = max(len(s) for s in shapes)
        for axis in range(1, rank + 1):
            sizes = {s[-axis] for s in shapes if len(s) >= axis and s[-axis] not in (None, 1)}
            if len(sizes) > 1 and axis < rank:
                raise ValueError(f"{type(self).__name__} '{self.name}': inputs have incompatible shapes "
                                 f"{[tuple(s) for s in shapes]}")
        self.built = True

    def call(self, inputs):
        return functools.reduce(self._merge, inputs[1:], inputs[0]) if len(inputs) > 1 else inputs[0]

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        masks = [m for m in (mask if isinstance(mask, (list, tuple)) else [mask]) if m is not None]
        if not masks:
            return None
        return functools.reduce(T.and_, [T.cast(m, "bool") for m in masks])

    def get_config(self):
        return layer_config(self)


class Add(_Merge):
    """Sum of the inputs. Example: ``Add()([a, b])`` (same shapes)."""
    _merge = staticmethod(T.add)


class Subtract(_Merge):
    """``inputs[0] - inputs[1]`` (exactly two inputs)."""
    min_inputs = max_inputs = 2
    _merge = staticmethod(T.sub)


class Multiply(_Merge):
    """Elementwise product of the inputs."""
    _merge = staticmethod(T.mul)


class Maximum(_Merge):
    """Elementwise maximum of the inputs."""
    _merge = staticmethod(T.maximum)


class Minimum(_Merge):
    """Elementwise minimum of the inputs."""
    _merge = staticmethod(T.minimum)


class Average(_Merge):
    """Elementwise mean of the inputs."""

    def call(self, inputs):
        return functools.reduce(T.add, inputs[1:], inputs[0]) / float(len(inputs))


class Concatenate(_Merge):
    """Joins the inputs along ``axis`` (default -1); the other sizes must match.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> a = T.tensor("float32", shape=(None, 2, 3)); b = T.tensor("float32", shape=(None, 4, 3))
        >>> Concatenate(axis=1)([a, b]).type.shape
        (None, 6, 3)
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def build(self, input_shape):
        self._check_list(input_shape)
        shapes = [tuple(s) for s in input_shape]
        rank = len(shapes[0])
        axis = self.axis % rank if rank else 0
        for shape in shapes:
            if len(shape) != rank or any(a is not None and b is not None and a != b
                                         for i, (a, b) in enumerate(zip(shape, shapes[0])) if i != axis):
                raise ValueError(f"Concatenate '{self.name}': inputs must match in every axis but the concatenation "
                                 f"axis {self.axis}; received shapes {shapes}")
        self.built = True

    def call(self, inputs):
        return T.concatenate(list(inputs), axis=self.axis % inputs[0].ndim)

    def compute_mask(self, inputs, mask=None):
        if mask is None or all(m is None for m in mask):
            return None
        masks = []
        for tensor, m in zip(inputs, mask):
            if m is None:
                m = T.ones_like(tensor, dtype="bool")
            elif m.ndim < tensor.ndim:   # (batch, steps) -> the input's full shape
                m = T.and_(T.ones_like(tensor, dtype="bool"), T.shape_padright(T.cast(m, "bool")))
            masks.append(T.cast(m, "bool"))
        return T.all(T.concatenate(masks, axis=self.axis % inputs[0].ndim), axis=-1)

    def get_config(self):
        return layer_config(self, axis=self.axis)


def _l2_normalize(x, axis):
    return x / T.sqrt(T.maximum(T.sum(T.sqr(x), axis=axis, keepdims=True), 1e-12))


class Dot(_Merge):
    """Batched dot product of two inputs along ``axes`` (an int, or one per input); ``normalize=True`` takes
    the cosine similarity. Inputs of rank 2 or 3, as Keras's ``batch_dot``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> a = T.tensor("float32", shape=(None, 2, 5)); b = T.tensor("float32", shape=(None, 3, 5))
        >>> Dot(axes=2)([a, b]).type.shape
        (None, 2, 3)
    """

    min_inputs = max_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        self.axes = [int(a) for a in axes] if isinstance(axes, (list, tuple)) else int(axes)
        self.normalize = bool(normalize)
        self.supports_masking = False

    def _axes(self, shapes):
        axes = self.axes if isinstance(self.axes, list) else [self.axes, self.axes]
        return [a % len(s) for a, s in zip(axes, shapes)]

    def build(self, input_shape):
        self._check_list(input_shape)
        shapes = [tuple(s) for s in input_shape]
        if any(len(s) not in (2, 3) for s in shapes):
            raise ValueError(f"Dot '{self.name}': expected inputs of rank 2 or 3, received shapes {shapes}")
        ax, ay = self._axes(shapes)
        if 0 in (ax, ay):
            raise ValueError(f"Dot '{self.name}': cannot contract the batch axis (axes={self.axes})")
        if shapes[0][ax] is not None and shapes[1][ay] is not None and shapes[0][ax] != shapes[1][ay]:
            raise ValueError(f"Dot '{self.name}': sizes along axes {(ax, ay)} differ: shapes {shapes}")
        self.built = True

    def call(self, inputs):
        x, y = inputs
        ax, ay = self._axes([x.type.shape, y.type.shape])
        if self.normalize:
            x, y = _l2_normalize(x, ax), _l2_normalize(y, ay)
        if x.ndim == 2 and y.ndim == 2:
            return T.sum(x * y, axis=1, keepdims=True)
        # move the contracted axis of x last and of y to position 1, then one batched matrix product
        x3 = x.dimshuffle(0, "x", 1) if x.ndim == 2 else (x if ax == 2 else x.dimshuffle(0, 2, 1))
        y3 = y.dimshuffle(0, 1, "x") if y.ndim == 2 else (y if ay == 1 else y.dimshuffle(0, 2, 1))
        out = T.matmul(x3, y3)
        if x.ndim == 2:
            out = out[:, 0]
        elif y.ndim == 2:
            out = out[:, :, 0]
        return out

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return layer_config(self, axes=self.axes, normalize=self.normalize)


def _functional(cls):
    def build_and_call(inputs, **kwargs):
        return cls(**kwargs)(inputs)

    build_and_call.__name__ = cls.__name__.lower()
    build_and_call.__doc__ = (f"``{cls.__name__}(**kwargs)(inputs)``: builds the layer and calls it on the list "
                              f"``inputs``.")
    return build_and_call


add, subtract, multiply = _functional(Add), _functional(Subtract), _functional(Multiply)
average, maximum, minimum = _functional(Average), _functional(Maximum), _functional(Minimum)
concatenate, dot = _functional(Concatenate), _functional(Dot)
