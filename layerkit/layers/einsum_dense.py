"""``EinsumDense``: a dense layer whose product is an einsum equation ``'input,kernel->output'`` (Keras 3's).

The kernel's shape is read from the equation, the input shape and ``output_shape`` (the output without its
batch axis); ``...`` on the left or right of the input stands for axes carried through unchanged. The product is
one batched matrix product after grouping the letters: shared by all three (batch), summed (contracted), and
kept from one side only.

Example:
    >>> import layerkit_backend.tensor as T
    >>> layer = EinsumDense("abc,cde->abde", output_shape=(None, 2, 4), bias_axes="de")
    >>> layer(T.tensor("float32", shape=(None, 5, 3))).type.shape, layer.kernel.get_value().shape
    ((None, 5, 2, 4), (3, 2, 4))
"""
import re

import numpy as np

import layerkit_backend.tensor as T

from .. import activations
from .base import Layer
from .core import drop_keras3_keys, kernel_bias_config, layer_config, set_kernel_bias_options

__all__ = ["EinsumDense"]


def _parse(equation, owner):
    """(input letters, kernel letters, output letters, 'left' | 'right' | None elision) of an equation."""
    plain = equation.replace(" ", "").replace("...", "0")
    for pattern, elided in ((r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$", None),
                            (r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)$", "left"),
                            (r"([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0$", "right")):
        match = re.match(pattern, plain)
        if match:
            return match.group(1), match.group(2), match.group(3), elided
    raise ValueError(f"{owner}: expected an equation 'input,kernel->output' with letters (and '...' at the "
                     f"start or end of input and output), received {equation!r}")


def _two_operand_einsum(spec_x, spec_w, spec_out, x, w):
    """``einsum(f'{spec_x},{spec_w}->{spec_out}', x, w)`` as one batched matrix product."""
    batch = [c for c in spec_x if c in spec_w and c in spec_out]
    contracted = [c for c in spec_x if c in spec_w and c not in spec_out]
    x_kept = [c for c in spec_x if c not in spec_w and c in spec_out]
    w_kept = [c for c in spec_w if c not in spec_x and c in spec_out]
    for spec, tensor, name in ((spec_x, x, "x"), (spec_w, w, "w")):
        summed = [i for i, c in enumerate(spec) if c not in spec_out and c not in (spec_w if name == "x" else
                                                                                    spec_x)]
        if summed:
            tensor = T.sum(tensor, axis=summed)
            spec = "".join(c for i, c in enumerate(spec) if i not in summed)
        if name == "x":
            spec_x, x = spec, tensor
        else:
            spec_w, w = spec, tensor
    xs, ws = T.shape_tuple(x), T.shape_tuple(w)
    size = {c: xs[spec_x.index(c)] for c in spec_x}
    size.update({c: ws[spec_w.index(c)] for c in spec_w if c not in size})

    def product(letters):
        total = 1
        for c in letters:
            total = total * size[c]
        return total

    xt = x.dimshuffle(*[spec_x.index(c) for c in batch + x_kept + contracted])
    wt = w.dimshuffle(*[spec_w.index(c) for c in batch + contracted + w_kept])
    x3 = T.reshape(xt, (product(batch), product(x_kept), product(contracted)), ndim=3)
    w3 = T.reshape(wt, (product(batch), product(contracted), product(w_kept)), ndim=3)
    out = T.batched_dot(x3, w3)
    letters = batch + x_kept + w_kept
    out = T.reshape(out, tuple(size[c] for c in letters), ndim=len(letters))
    return out.dimshuffle(*[letters.index(c) for c in spec_out])


class EinsumDense(Layer):
    """``activation(einsum(equation, inputs, kernel) + bias)``; ``bias_axes`` names the output letters the bias
    spans.

    Args:
        equation: e.g. ``'ab,bc->ac'`` (a Dense layer), ``'abc,cd->abd'`` (on sequences), ``'...b,bc->...c'``.
        output_shape: the output's shape without the batch axis (an int for one axis; None entries are taken
            from the input).
        activation, bias_axes, kernel_* and bias_*: as in ``Dense``.
    """

    def __init__(self, equation, output_shape, activation=None, bias_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **drop_keras3_keys(kwargs, "EinsumDense"))
        self._owner = f"EinsumDense '{self.name}'"
        self.equation = str(equation)
        self._specs = _parse(self.equation, self._owner)
        self.partial_output_shape = ([int(output_shape)] if isinstance(output_shape, (int, np.integer))
                                     else [None if s is None else int(s) for s in output_shape])
        self.activation = activations.get(activation)
        self.bias_axes = bias_axes
        set_kernel_bias_options(self, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                                kernel_constraint, bias_constraint)

    def _shapes(self, input_shape):
        spec_x, spec_w, spec_out, elided_side = self._specs
        input_shape = list(input_shape)
        elided = len(input_shape) - len(spec_x)
        output = [input_shape[0]] + list(self.partial_output_shape)
        if elided > 0 and elided_side == "left":
            for i in range(1, elided):
                output.insert(1, input_shape[i])
        elif elided > 0:
            output.extend(input_shape[len(input_shape) - elided:])
        if elided_side == "left":
            x_axis = {c: i + elided - len(input_shape) for i, c in enumerate(spec_x)}
            out_axis = {c: i + elided - len(output) for i, c in enumerate(spec_out)}
        else:
            x_axis = {c: i for i, c in enumerate(spec_x)}
            out_axis = {c: i for i, c in enumerate(spec_out)}
        for c in spec_x:
            if c in out_axis:
                if output[out_axis[c]] is None:
                    output[out_axis[c]] = input_shape[x_axis[c]]
                elif input_shape[x_axis[c]] is not None and output[out_axis[c]] != input_shape[x_axis[c]]:
                    raise ValueError(f"{self._owner}: output axis {c!r} of size {output[out_axis[c]]} differs from "
                                     f"the input's {input_shape[x_axis[c]]} (input shape {tuple(input_shape)})")
        for c in spec_out:
            if c not in spec_x and c not in spec_w:
                raise ValueError(f"{self._owner}: output letter {c!r} is in neither the input nor the kernel")
        kernel = []
        for c in spec_w:
            size = input_shape[x_axis[c]] if c in x_axis else output[out_axis[c]] if c in out_axis else None
            if size is None:
                raise ValueError(f"{self._owner}: kernel letter {c!r} needs a known size from the input "
                                 f"{tuple(input_shape)} or output_shape {self.partial_output_shape}")
            kernel.append(size)
        bias = None
        if self.bias_axes is not None:
            for c in self.bias_axes:
                if c not in spec_out:
                    raise ValueError(f"{self._owner}: bias axis {c!r} is not an output letter of {self.equation!r}")
            first = min(spec_out.find(c) for c in self.bias_axes)
            bias = [output[out_axis[c]] if c in self.bias_axes else 1 for c in spec_out[first:]]
            if elided_side != "left":
                bias += [1] * max(elided, 0)
        return kernel, bias, output

    def build(self, input_shape):
        kernel, bias, self.full_output_shape = self._shapes(input_shape)
        self.kernel = self.add_weight("kernel", tuple(kernel), self.kernel_initializer, self.kernel_regularizer,
                                      self.kernel_constraint)
        self.bias = None if bias is None else self.add_weight("bias", tuple(bias), self.bias_initializer,
                                                              self.bias_regularizer, self.bias_constraint)
        self.built = True

    def call(self, inputs):
        spec_x, spec_w, spec_out, elided_side = self._specs
        extra = inputs.ndim - len(spec_x)
        if extra > 0:
            # '...' axes: give them letters not used by the equation
            spare = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in spec_x + spec_w + spec_out][:extra]
            spare = "".join(spare)
            spec_x, spec_out = ((spare + spec_x, spare + spec_out) if elided_side == "left"
                                else (spec_x + spare, spec_out + spare))
        out = _two_operand_einsum(spec_x, spec_w, spec_out, inputs, self.kernel)
        if self.bias is not None:
            out = out + self.bias
        return self.activation(out)

    def get_config(self):
        return layer_config(self, output_shape=self.partial_output_shape, equation=self.equation,
                            activation=activations.serialize(self.activation), bias_axes=self.bias_axes,
                            **kernel_bias_config(self))
