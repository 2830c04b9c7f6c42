"""Recurrent layers: ``RNN(cell)`` runs a cell over the time axis; ``SimpleRNN``, ``LSTM`` and ``GRU`` wrap the
built-in cells with Keras's constructor arguments and configs.

The time loop is ``layerkit_backend.scan`` over time-major sequences: the input projection ``x . kernel + bias`` of
every step is one ``dot`` before the loop, and the weights enter the loop as non-sequences. ``unroll=True`` builds
the steps as a Python loop instead (the time dimension must then be static).

Masking (from ``Embedding(mask_zero=True)`` or ``Masking``): a masked step keeps the previous states and repeats the
previous output, so padding before or after a sequence never changes its result.

Example:
    >>> from layerkit.layers import Input
    >>> x = Input(shape=(5, 3))
    >>> LSTM(4, return_sequences=True)(x).type.shape
    (None, 5, 4)
"""
import numpy as np

import layerkit_backend as lb
import layerkit_backend.tensor as T

from .base import InputSpec, Layer, serialize_value
from .core import drop_keras3_keys
from .cells import GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells, call_cell, deserialize_cell, is_fused

__all__ = ["RNN", "SimpleRNN", "LSTM", "GRU"]

_CELL_ATTRIBUTES = ("units", "activation", "recurrent_activation", "use_bias", "kernel_initializer",
                    "recurrent_initializer", "bias_initializer", "unit_forget_bias", "kernel_regularizer",
                    "recurrent_regularizer", "bias_regularizer", "kernel_constraint", "recurrent_constraint",
                    "bias_constraint", "dropout", "recurrent_dropout", "implementation", "reset_after", "seed")
_RNN_KEYS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll", "time_major")


def _state_sizes(cell):
    return list(cell.state_size) if isinstance(cell.state_size, (list, tuple)) else [cell.state_size]


def _output_size(cell):
    return getattr(cell, "output_size", _state_sizes(cell)[0])


def _run_loop(step, sequences, outputs_info, non_sequences, unroll, strict=True):
    """Applies ``step`` along axis 0 of ``sequences``; returns the stacked results, one per ``outputs_info``."""
    if not unroll:
        results, _ = lb.scan(step, sequences=sequences, outputs_info=outputs_info, non_sequences=non_sequences,
                             strict=strict, return_list=True)
        return results
    steps = sequences[0].type.shape[0]
    if steps is None:
        raise ValueError(f"RNN: unroll=True needs a static number of time steps, received sequences of shape "
                         f"{sequences[0].type.shape} (time first)")
    previous, collected = list(outputs_info), [[] for _ in outputs_info]
    for t in range(steps):
        previous = step(*[s[t] for s in sequences], *previous, *non_sequences)
        for store, value in zip(collected, previous):
            store.append(value)
    return [T.stack(values, axis=0) for values in collected]


class RNN(Layer):
    """Runs ``cell`` over the time axis of (batch, time, features) inputs.

    Args:
        cell: a cell (``call(inputs, states) -> (output, new_states)`` and ``state_size``), or a list of cells
            (stacked with ``StackedRNNCells``).
        return_sequences: return the output of every step (batch, time, units) instead of the last one.
        return_state: also return the final states: ``[output] + states``.
        go_backwards: process the sequence in reverse (returned sequences are then in processing order, as Keras).
        stateful: the final states of a batch are the initial states of the next; needs a fixed batch size
            (``batch_input_shape``/``batch_size``); ``reset_states()`` zeroes them.
        unroll: build the steps as a Python loop (static time dimension) instead of a ``scan``.
        time_major: inputs are (time, batch, features).

    Call with ``initial_state=[tensors]`` to start from given states.

    Example:
        >>> from layerkit.layers import Input
        >>> out, h = RNN(SimpleRNNCell(2), return_state=True)(Input(shape=(None, 3)))
        >>> out.type.shape, h.type.shape
        ((None, 2), (None, 2))
    """

    _cell_suffix = None   # SimpleRNN/LSTM/GRU name their own cell '<layer name>/<suffix>' when built

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, time_major=False, zero_output_for_mask=False, **kwargs):
        if isinstance(cell, dict):
            cell = deserialize_cell(cell)
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        if not hasattr(cell, "call") or not hasattr(cell, "state_size"):
            raise ValueError(f"RNN: expected a cell with call() and state_size, received {cell!r}")
        super().__init__(**drop_keras3_keys(kwargs, type(self).__name__))
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.time_major = bool(time_major)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self.input_spec = InputSpec(min_ndim=3)
        self.states = None

    # ------------------------------------------------------------------------------------ building
    def __call__(self, inputs, initial_state=None, **kwargs):
        if isinstance(inputs, (list, tuple)) and initial_state is None and len(inputs) > 1:
            inputs, initial_state = inputs[0], list(inputs[1:])
        if initial_state is None:
            return super().__call__(inputs, **kwargs)
        initial_state = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        # initial states travel as inputs so the functional API sees them as part of the graph
        return super().__call__([inputs] + initial_state, **kwargs)

    def build(self, input_shape):
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        input_shape = tuple(input_shape)
        batch = input_shape[1] if self.time_major else input_shape[0]
        if self._cell_suffix is not None:
            self.cell.name = f"{self.name}/{self._cell_suffix}"
        if not self.cell.built:
            self.cell.build((batch,) + input_shape[2:])
            self.cell.built = True
        if self.stateful:
            if batch is None:
                raise ValueError(f"{self.name}: a stateful RNN needs a fixed batch size; give the first layer "
                                 f"batch_input_shape=(batch, time, features) or Input(batch_size=...), received "
                                 f"input shape {input_shape}")
            self.states = [lb.shared(np.zeros((batch, size), dtype=self.dtype), name=f"{self.name}/state_{i}")
                           for i, size in enumerate(_state_sizes(self.cell))]
        self.built = True

    def reset_states(self, states=None):
        """Sets the states of a stateful layer to zeros, or to ``states`` (arrays of shape (batch, size))."""
        if not self.stateful:
            raise AttributeError(f"{self.name}: reset_states() needs a layer created with stateful=True")
        if self.states is None:
            raise ValueError(f"{self.name}: the layer has not been built yet, so it has no states to reset")
        if states is None:
            values = [np.zeros_like(s.get_value(borrow=True)) for s in self.states]
        else:
            values = [np.asarray(v, dtype=self.dtype) for v in (states if isinstance(states, (list, tuple))
                                                                 else [states])]
            if len(values) != len(self.states):
                raise ValueError(f"{self.name}: reset_states expected {len(self.states)} arrays, received "
                                 f"{len(values)}")
        for variable, value in zip(self.states, values):
            expected = variable.get_value(borrow=True).shape
            if value.shape != expected:
                raise ValueError(f"{self.name}: state {variable.name!r} expects shape {expected}, "
                                 f"received {value.shape}")
            variable.set_value(value)

    reset_state = reset_states   # Keras 3's name (public alias)

    # ------------------------------------------------------------------------------------ calling

    def call(self, inputs, mask=None, training=None):
        initial_state = None
        if isinstance(inputs, (list, tuple)):
            inputs, initial_state = inputs[0], list(inputs[1:])
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        sequence = inputs if self.time_major else inputs.dimshuffle(1, 0, *range(2, inputs.ndim))
        batch = sequence.shape[1]
        initial_state = self._initial_states(initial_state, batch)
        if mask is not None:
            mask = T.cast(mask, "bool").dimshuffle(1, 0)   # (batch, time) -> time-major like the sequence
        if self.go_backwards:
            sequence = sequence[::-1]
            mask = None if mask is None else mask[::-1]

        cell, n_states = self.cell, len(initial_state)
        if is_fused(cell):
            pairs = cell.step_constants(batch, training)
            names = [name for name, _ in pairs]
            constants = [tensor for _, tensor in pairs]
            sequence = cell.project(sequence, dict(pairs))   # every step's input half in one dot

            def cell_step(x_t, states, inner):
                return cell.step(x_t, states, dict(zip(names, inner)))
        else:
            constants = []   # a custom cell reads its weights itself, so the loop is not strict

            def cell_step(x_t, states, inner):
                return call_cell(cell, x_t, states, training)

        # built-in cells output their first state, so only other cells carry the output through the loop
        carry_output = not isinstance(cell, (SimpleRNNCell, LSTMCell, GRUCell))

        def step(*args):
            x_t, args = args[0], args[1:]
            if mask is not None:
                keep, args = args[0].dimshuffle(0, "x"), args[1:]
            if carry_output:
                previous_output, args = args[0], args[1:]
            states, inner = list(args[:n_states]), list(args[n_states:])
            output, new_states = cell_step(x_t, states, inner)
            if mask is not None:
                new_states = [T.switch(keep, new, old) for new, old in zip(new_states, states)]
                if carry_output:
                    output = T.switch(keep, output, previous_output)
            return ([output] if carry_output else []) + list(new_states)

        sequences = [sequence] if mask is None else [sequence, mask]
        outputs_info = list(initial_state)
        if carry_output:
            outputs_info.insert(0, T.zeros((batch, _output_size(cell)), dtype=self.dtype))
        results = _run_loop(step, sequences, outputs_info, constants, self.unroll, strict=is_fused(cell))
        outputs, states_seq = (results[0], results[1:]) if carry_output else (results[0], results)
        if mask is not None and self.zero_output_for_mask:
            outputs = T.switch(mask.dimshuffle(0, 1, "x"), outputs, T.zeros_like(outputs))
        final_states = [s[-1] for s in states_seq]
        if self.stateful:
            self.add_update([(variable, T.cast(state, variable.dtype))
                             for variable, state in zip(self.states, final_states)])
        if self.return_sequences:
            output = outputs if self.time_major else outputs.dimshuffle(1, 0, *range(2, outputs.ndim))
        else:
            output = outputs[-1]
        return [output] + final_states if self.return_state else output

    def _initial_states(self, given, batch):
        expected = _state_sizes(self.cell)
        if given:
            if len(given) != len(expected):
                raise ValueError(f"{self.name}: initial_state expected {len(expected)} tensors (state sizes "
                                 f"{expected}), received {len(given)}")
            return [T.cast(s, self.dtype) if T.as_tensor_variable(s).dtype != self.dtype
                    else T.as_tensor_variable(s) for s in given]
        if self.stateful:
            return list(self.states)
        if hasattr(self.cell, "get_initial_state"):
            return list(self.cell.get_initial_state(batch, dtype=self.dtype))
        return [T.zeros((batch, size), dtype=self.dtype) for size in expected]

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask] + [None] * len(_state_sizes(self.cell))
        return output_mask

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, list):
            input_shape = input_shape[0]
        batch, steps = (input_shape[1], input_shape[0]) if self.time_major else input_shape[:2]
        units = _output_size(self.cell)
        output = ((steps, batch, units) if self.time_major else (batch, steps, units)) \
            if self.return_sequences else (batch, units)
        if self.return_state:
            return [output] + [(batch, size) for size in _state_sizes(self.cell)]
        return output

    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self.batch_input_shape is not None:
            config["batch_input_shape"] = list(self.batch_input_shape)
        config.update({key: getattr(self, key) for key in _RNN_KEYS if key != "time_major"})
        if self.time_major:   # Keras 3 rejects the key, so it is written only when it matters
            config["time_major"] = True
        if self.zero_output_for_mask:
            config["zero_output_for_mask"] = True
        if self._cell_suffix is None:
            config["cell"] = serialize_value(self.cell)
        return config


class _CellLayer(RNN):
    """An ``RNN`` over one built-in cell whose arguments are the layer's (Keras's SimpleRNN/LSTM/GRU)."""

    _cell_class = None

    def __init__(self, cell_arguments, rnn_arguments, kwargs):
        cell_arguments = dict(cell_arguments)
        cell_arguments.pop("self", None)
        cell_arguments.pop("__class__", None)
        kwargs.pop("use_cudnn", None)   # Keras 3 writes it; there is one implementation here
        kwargs = drop_keras3_keys(kwargs, type(self).__name__)
        cell = self._cell_class(name=self._cell_suffix, dtype=kwargs.get("dtype"), **cell_arguments)
        super().__init__(cell, **rnn_arguments, **kwargs)

    def __getattr__(self, name):
        # Keras exposes the cell's hyper-parameters (units, dropout, ...) on the layer
        cell = self.__dict__.get("cell")
        if cell is not None and name in _CELL_ATTRIBUTES and name in cell.__dict__:
            return cell.__dict__[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def get_config(self):
        config = super().get_config()
        cell_config = self.cell.get_config()
        for key in ("name", "trainable", "dtype"):
            cell_config.pop(key)
        config.update(cell_config)
        config["activity_regularizer"] = serialize_value(self.activity_regularizer)
        return config


class SimpleRNN(_CellLayer):
    """Fully-connected RNN: ``h_t = activation(x_t . kernel + h_{t-1} . recurrent_kernel + bias)``.

    Example:
        >>> from layerkit.layers import Input
        >>> SimpleRNN(3)(Input(shape=(7, 2))).type.shape
        (None, 3)
    """

    _cell_class = SimpleRNNCell
    _cell_suffix = "simple_rnn_cell"

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False, unroll=False,
                 time_major=False, **kwargs):
        arguments = dict(locals())
        rnn = {key: arguments.pop(key) for key in _RNN_KEYS}
        arguments.pop("kwargs")
        super().__init__(arguments, rnn, kwargs)


class LSTM(_CellLayer):
    """Long short-term memory (Hochreiter 1997) with Keras's weights: kernel (in, 4u), recurrent_kernel (u, 4u),
    bias (4u), gates ``i, f, c, o``; states ``[h, c]``.

    Example:
        >>> from layerkit.layers import Input
        >>> out, h, c = LSTM(4, return_sequences=True, return_state=True)(Input(shape=(6, 3)))
        >>> out.type.shape, c.type.shape
        ((None, 6, 4), (None, 4))
    """

    _cell_class = LSTMCell
    _cell_suffix = "lstm_cell"

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 kernel_constraint=None, recurrent_constraint=None, bias_constraint=None, dropout=0.0,
                 recurrent_dropout=0.0, implementation=2, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, time_major=False, **kwargs):
        arguments = dict(locals())
        rnn = {key: arguments.pop(key) for key in _RNN_KEYS}
        arguments.pop("kwargs")
        super().__init__(arguments, rnn, kwargs)


class GRU(_CellLayer):
    """Gated recurrent unit; ``reset_after=True`` is Keras 3's (bias (2, 3u)), ``False`` Keras 2's (bias (3u)).

    Example:
        >>> from layerkit.layers import Input
        >>> GRU(5, reset_after=False)(Input(shape=(4, 2))).type.shape
        (None, 5)
    """

    _cell_class = GRUCell
    _cell_suffix = "gru_cell"

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                 recurrent_constraint=None, bias_constraint=None, dropout=0.0, recurrent_dropout=0.0,
                 implementation=2, reset_after=True, seed=None, return_sequences=False, return_state=False,
                 go_backwards=False, stateful=False, unroll=False, time_major=False, **kwargs):
        arguments = dict(locals())
        rnn = {key: arguments.pop(key) for key in _RNN_KEYS}
        arguments.pop("kwargs")
        super().__init__(arguments, rnn, kwargs)
