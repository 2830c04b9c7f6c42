"""Recurrent cells: one time step of ``SimpleRNN``, ``LSTM`` and ``GRU``, and ``StackedRNNCells``.

A cell maps ``(inputs_t, states) -> (output_t, new_states)`` (Keras's ``cell.call``). The ``RNN`` layer drives it
through a split form that keeps the time loop cheap:

- ``step_constants(batch_size, training)``: ordered ``(name, tensor)`` pairs the step reads (weights, dropout masks
  drawn once per sequence); the layer passes them to ``scan`` as non-sequences.
- ``project(inputs, constants)``: the input half of the step, ``inputs . kernel + bias``, for any leading axes, so
  the layer computes it for all time steps with one ``dot`` before the loop.
- ``step(projected_t, states, constants)``: the recurrent half.

Weights carry Keras's names, shapes and gate orders (LSTM ``i, f, c, o``; GRU ``z, r, h``) so saved files interchange.
Dropout follows Keras 3: one input mask and one recurrent mask shared by all gates, only when ``training`` is True.

Example:
    >>> import layerkit_backend.tensor as T
    >>> cell = LSTMCell(4)
    >>> x, h, c = T.matrix('x'), T.matrix('h'), T.matrix('c')
    >>> cell.build((None, 3))
    >>> out, states = cell(x, [h, c])
    >>> [w.get_value().shape for w in cell.weights]
    [(3, 16), (4, 16), (16,)]
"""
import inspect

import numpy as np

import layerkit_backend.tensor as T
from layerkit_backend.tensor.shared_randomstreams import RandomStreams

from .. import activations, constraints, initializers, regularizers
from .base import Layer, serialize_value
from .core import drop_keras3_keys, seed_or_fresh, set_kernel_bias_options

__all__ = ["SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells"]


class _RecurrentCell(Layer):
    """What the three built-in cells share: arguments, weights' options, dropout masks and Keras's ``call``."""

    _gates = 1

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        super().__init__(**drop_keras3_keys(kwargs, type(self).__name__))
        if int(units) <= 0:
            raise ValueError(f"{type(self).__name__}: expected a positive number of units, received {units}")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        set_kernel_bias_options(self, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
                                kernel_constraint, bias_constraint)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        self._streams = None
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape):
        width = self._gates * self.units
        self.kernel = self.add_weight("kernel", (input_shape[-1], width), self.kernel_initializer,
                                      self.kernel_regularizer, self.kernel_constraint)
        self.recurrent_kernel = self.add_weight("recurrent_kernel", (self.units, width),
                                                self.recurrent_initializer, self.recurrent_regularizer,
                                                self.recurrent_constraint)
        if self.use_bias:
            self.bias = self.add_weight("bias", self._bias_shape(), self._bias_initial_value(),
                                        self.bias_regularizer, self.bias_constraint)
        self.built = True

    def _bias_shape(self):
        return (self._gates * self.units,)

    def _bias_initial_value(self):
        return self.bias_initializer

    # ------------------------------------------------------------------------------------ the split step
    def _mask(self, size, rate):
        if self._streams is None:
            self._streams = RandomStreams(seed_or_fresh(self.seed))   # set_random_seed reaches unseeded cells
        keep = 1.0 - rate
        return self._streams.binomial(size=size, p=keep, dtype=self.dtype) * np.asarray(1.0 / keep, self.dtype)

    def step_constants(self, batch_size, training=None):
        """``[(name, tensor)]`` read by ``project``/``step``; the sizes shape the dropout masks."""
        constants = [("kernel", self.kernel), ("recurrent_kernel", self.recurrent_kernel)]
        if self.use_bias:
            constants.append(("bias", self.bias))
        if training is True and 0.0 < self.dropout < 1.0:
            constants.append(("input_mask", self._mask((batch_size, self.kernel.get_value(borrow=True).shape[0]),
                                                       self.dropout)))
        if training is True and 0.0 < self.recurrent_dropout < 1.0:
            constants.append(("recurrent_mask", self._mask((batch_size, self.units),
                                                           self.recurrent_dropout)))
        return constants

    def project(self, inputs, constants):
        """``inputs . kernel (+ input bias)`` for inputs of any rank (the last axis is the features)."""
        if "input_mask" in constants:
            inputs = inputs * constants["input_mask"]
        projected = T.dot(inputs, constants["kernel"])
        if self.use_bias:
            bias = constants["bias"]
            projected = projected + (bias[0] if bias.ndim == 2 else bias)
        return projected

    def _dropped(self, h_tm1, constants):
        return h_tm1 * constants["recurrent_mask"] if "recurrent_mask" in constants else h_tm1

    def call(self, inputs, states, training=None):
        """One step: ``(output, new_states)`` from ``inputs`` (batch, features) and the previous ``states``."""
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        constants = dict(self.step_constants(inputs.shape[0], training))
        return self.step(self.project(inputs, constants), states, constants)

    def get_initial_state(self, batch_size, dtype=None):
        """Zero states, one (batch, size) tensor per entry of ``state_size``."""
        sizes = self.state_size if isinstance(self.state_size, (list, tuple)) else [self.state_size]
        return [T.zeros((batch_size, size), dtype=dtype or self.dtype) for size in sizes]

    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype, "units": self.units,
                  "activation": activations.serialize(self.activation), "use_bias": self.use_bias}
        for key in ("kernel_initializer", "recurrent_initializer", "bias_initializer", "kernel_regularizer",
                    "recurrent_regularizer", "bias_regularizer", "kernel_constraint", "recurrent_constraint",
                    "bias_constraint"):
            config[key] = serialize_value(getattr(self, key))
        config.update(dropout=self.dropout, recurrent_dropout=self.recurrent_dropout, seed=self.seed)
        return config


class SimpleRNNCell(_RecurrentCell):
    """``h = activation(x . kernel + h_tm1 . recurrent_kernel + bias)``; the output is ``h``.

    Example:
        >>> cell = SimpleRNNCell(3); cell.build((None, 2)); cell.kernel.get_value().shape
        (2, 3)
    """

    def step(self, projected_t, states, constants):
        h = projected_t + T.dot(self._dropped(states[0], constants), constants["recurrent_kernel"])
        h = self.activation(h)
        return h, [h]


class LSTMCell(_RecurrentCell):
    """Long short-term memory, Keras's gate order ``i, f, c, o``; states ``[h, c]``.

    ``unit_forget_bias`` starts the forget-gate bias at 1; ``implementation`` is accepted and ignored (the whole
    step is always one matrix product).

    Example:
        >>> cell = LSTMCell(2); cell.build((None, 3)); cell.bias.get_value().tolist()
        [0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    """

    _gates = 4

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", unit_forget_bias=True, kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 implementation=2, seed=None, **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                         kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                         recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.implementation = implementation
        self.state_size = [self.units, self.units]

    def _bias_initial_value(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        u, init = self.units, self.bias_initializer

        def forget_bias_one(shape, dtype=None):
            return np.concatenate([init((u,), dtype=dtype), np.ones(u, dtype), init((2 * u,), dtype=dtype)])

        return forget_bias_one

    def step(self, projected_t, states, constants):
        h_tm1, c_tm1 = states
        u = self.units
        z = projected_t + T.dot(self._dropped(h_tm1, constants), constants["recurrent_kernel"])
        i = self.recurrent_activation(z[:, :u])
        f = self.recurrent_activation(z[:, u:2 * u])
        c = f * c_tm1 + i * self.activation(z[:, 2 * u:3 * u])
        o = self.recurrent_activation(z[:, 3 * u:])
        h = o * self.activation(c)
        return h, [h, c]

    def get_config(self):
        config = super().get_config()
        config.update(recurrent_activation=activations.serialize(self.recurrent_activation),
                      unit_forget_bias=self.unit_forget_bias, implementation=self.implementation)
        return config


class GRUCell(_RecurrentCell):
    """Gated recurrent unit, Keras's gate order ``z, r, h``.

    ``reset_after=True`` (Keras 3, cuDNN-compatible) applies the reset gate after the recurrent product and keeps
    separate input and recurrent biases (bias shape ``(2, 3 * units)``); ``False`` is Keras 2's original form
    (bias ``(3 * units,)``).

    Example:
        >>> cell = GRUCell(2); cell.build((None, 3)); cell.bias.get_value().shape
        (2, 6)
    """

    _gates = 3

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal",
                 bias_initializer="zeros", kernel_regularizer=None, recurrent_regularizer=None,
                 bias_regularizer=None, kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
                 dropout=0.0, recurrent_dropout=0.0, implementation=2, reset_after=True, seed=None, **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                         kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                         recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.implementation = implementation
        self.reset_after = bool(reset_after)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def step(self, projected_t, states, constants):
        h_tm1 = states[0]
        u = self.units
        dropped = self._dropped(h_tm1, constants)
        kernel = constants["recurrent_kernel"]
        if self.reset_after:
            inner = T.dot(dropped, kernel)
            if self.use_bias:
                inner = inner + constants["bias"][1]
            z = self.recurrent_activation(projected_t[:, :u] + inner[:, :u])
            r = self.recurrent_activation(projected_t[:, u:2 * u] + inner[:, u:2 * u])
            hh = self.activation(projected_t[:, 2 * u:] + r * inner[:, 2 * u:])
        else:
            inner = T.dot(dropped, kernel[:, :2 * u])
            z = self.recurrent_activation(projected_t[:, :u] + inner[:, :u])
            r = self.recurrent_activation(projected_t[:, u:2 * u] + inner[:, u:])
            hh = self.activation(projected_t[:, 2 * u:] + T.dot(r * dropped, kernel[:, 2 * u:]))
        h = z * h_tm1 + (1.0 - z) * hh
        return h, [h]

    def get_config(self):
        config = super().get_config()
        config.update(recurrent_activation=activations.serialize(self.recurrent_activation),
                      implementation=self.implementation, reset_after=self.reset_after)
        return config


class StackedRNNCells(Layer):
    """Several cells run as one: each step feeds the previous cell's output to the next cell.

    States are the cells' states concatenated in order; the output is the last cell's output.

    Example:
        >>> cells = StackedRNNCells([SimpleRNNCell(4), LSTMCell(2)])
        >>> cells.state_size, cells.output_size
        ([4, 2, 2], 2)
    """

    def __init__(self, cells, **kwargs):
        super().__init__(**drop_keras3_keys(kwargs, "StackedRNNCells"))
        self.cells = [deserialize_cell(c) if isinstance(c, dict) else c for c in cells]
        for cell in self.cells:
            if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
                raise ValueError(f"StackedRNNCells: every cell needs call() and state_size, received {cell!r}")

    @staticmethod
    def _sizes(cell):
        return list(cell.state_size) if isinstance(cell.state_size, (list, tuple)) else [cell.state_size]

    @property
    def state_size(self):
        return [size for cell in self.cells for size in self._sizes(cell)]

    @property
    def output_size(self):
        last = self.cells[-1]
        return getattr(last, "output_size", self._sizes(last)[0])

    def build(self, input_shape):
        for cell in self.cells:
            if not cell.built:
                cell.build(input_shape)
                cell.built = True
            input_shape = (input_shape[0], cell.output_size if hasattr(cell, "output_size")
                           else self._sizes(cell)[0])
        self.built = True

    def _split(self, states):
        groups, start = [], 0
        for cell in self.cells:
            count = len(self._sizes(cell))
            groups.append(list(states[start:start + count]))
            start += count
        return groups

    def call(self, inputs, states, training=None):
        new_states = []
        for cell, cell_states in zip(self.cells, self._split(list(states))):
            inputs, cell_new = call_cell(cell, inputs, cell_states, training)
            new_states.extend(cell_new)
        return inputs, new_states

    def step_constants(self, batch_size, training=None):
        """Every fused cell's constants, named ``'<cell index>/<name>'``."""
        return [(f"{index}/{name}", tensor) for index, cell in enumerate(self.cells) if is_fused(cell)
                for name, tensor in cell.step_constants(batch_size, training)]

    @staticmethod
    def _own(index, constants):
        prefix = f"{index}/"
        return {key[len(prefix):]: value for key, value in constants.items() if key.startswith(prefix)}

    def project(self, inputs, constants):
        first = self.cells[0]
        return first.project(inputs, self._own(0, constants)) if is_fused(first) else inputs

    def step(self, projected_t, states, constants):
        outputs, new_states = projected_t, []
        for index, (cell, cell_states) in enumerate(zip(self.cells, self._split(list(states)))):
            if is_fused(cell):
                own = self._own(index, constants)
                if index:
                    outputs = cell.project(outputs, own)
                outputs, cell_new = cell.step(outputs, cell_states, own)
            else:
                outputs, cell_new = cell.call(outputs, cell_states)
            new_states.extend(cell_new)
        return outputs, new_states

    def get_initial_state(self, batch_size, dtype=None):
        return [T.zeros((batch_size, size), dtype=dtype or self.dtype) for size in self.state_size]

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype,
                "cells": [serialize_value(cell) for cell in self.cells]}


def call_cell(cell, inputs, states, training=None):
    """``cell.call(inputs, states)`` (with ``training`` if it accepts it) -> ``(output, list of new states)``."""
    parameters = inspect.signature(cell.call).parameters
    accepts = "training" in parameters or any(p.kind == p.VAR_KEYWORD for p in parameters.values())
    output, new_states = cell.call(inputs, states, training=training) if accepts else cell.call(inputs, states)
    return output, list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]


def is_fused(cell):
    """Whether ``cell`` offers the split step (``step_constants``, ``project``, ``step``) of built-in cells."""
    return all(hasattr(cell, name) for name in ("step_constants", "project", "step"))


def deserialize_cell(config):
    """A cell from ``{"class_name": ..., "config": ...}``: built-in, registered or (inside a custom object scope)
    custom classes, found like any layer of a saved model."""
    from ..saving.model_config import layer_from_config   # saving imports the layer modules: import it late
    return layer_from_config(config)
