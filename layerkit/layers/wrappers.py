"""Layer wrappers: ``Bidirectional`` (an RNN run both ways) and ``TimeDistributed`` (a layer on every time step).

Example:
    >>> from layerkit.layers import Input
    >>> from layerkit.layers.recurrent import LSTM
    >>> Bidirectional(LSTM(4, return_sequences=True))(Input(shape=(6, 3))).type.shape
    (None, 6, 8)
"""
import layerkit_backend.tensor as T

from .base import InputSpec, Layer, serialize_value

__all__ = ["Wrapper", "Bidirectional", "TimeDistributed"]

_MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _deserialize_layer(config):
    from ..saving.model_config import layer_from_config   # saving imports the layer modules: import it late
    return layer_from_config(config)


class Wrapper(Layer):
    """Base of layers that wrap one other layer (``self.layer``), whose weights they own."""

    def __init__(self, layer, **kwargs):
        if isinstance(layer, dict):
            layer = _deserialize_layer(layer)
        if not isinstance(layer, Layer):
            raise ValueError(f"{type(self).__name__}: expected a Layer to wrap, received {layer!r}")
        super().__init__(**kwargs)
        self.layer = layer

    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype,
                  "layer": serialize_value(self.layer)}
        if self.batch_input_shape is not None:
            config["batch_input_shape"] = list(self.batch_input_shape)
        return config


class Bidirectional(Wrapper):
    """Runs a recurrent layer forwards and a copy backwards, and merges their outputs.

    Args:
        layer: an ``RNN`` layer (its config makes the forward and the backward copies).
        merge_mode: 'concat' (default), 'sum', 'mul', 'ave', or None (return ``[forward, backward]``).
        backward_layer: an ``RNN`` to use for the backward direction (it must have ``go_backwards=True``).

    With ``return_state=True`` the result is ``[merged] + forward_states + backward_states`` (with
    ``merge_mode=None``: ``[forward, backward] + forward_states + backward_states``). An ``initial_state`` list is
    split in halves: forward states, then backward states.

    Example:
        >>> from layerkit.layers import Input
        >>> from layerkit.layers.recurrent import GRU
        >>> out, h_f, h_b = Bidirectional(GRU(2, return_state=True), merge_mode="sum")(Input(shape=(5, 3)))
        >>> out.type.shape, h_b.type.shape
        ((None, 2), (None, 2))
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Bidirectional: expected merge_mode in {list(_MERGE_MODES)}, received {merge_mode!r}")
        super().__init__(layer, **kwargs)
        # only the two copies own weights; the template layer stays untracked
        self.__dict__["_layers"] = [l for l in self._layers if l is not self.layer]
        config = serialize_value(self.layer)
        # a name that already carries the prefix (a config Keras 3 wrote) keeps one prefix, as Keras's
        forward = dict(config["config"], name=f"forward_{_without_prefix(self.layer.name, 'forward_')}")
        self.forward_layer = type(self.layer).from_config(forward)
        if backward_layer is None:
            backward = dict(config["config"], name=f"backward_{_without_prefix(self.layer.name, 'forward_')}",
                            go_backwards=not self.layer.go_backwards)
            self.backward_layer = type(self.layer).from_config(backward)
            self._custom_backward = False
        else:
            if isinstance(backward_layer, dict):
                backward_layer = _deserialize_layer(backward_layer)
            for key in ("return_sequences", "return_state"):
                if getattr(backward_layer, key) != getattr(self.layer, key):
                    raise ValueError(f"Bidirectional: forward and backward layers must agree on {key}, received "
                                     f"{getattr(self.layer, key)} and {getattr(backward_layer, key)}")
            self.backward_layer = backward_layer
            self._custom_backward = True
        self.merge_mode = merge_mode
        self.return_sequences = self.layer.return_sequences
        self.return_state = self.layer.return_state
        self.stateful = self.layer.stateful
        self.supports_masking = True
        self.input_spec = InputSpec(min_ndim=3)
        self._initial_weights = weights

    def __call__(self, inputs, initial_state=None, **kwargs):
        if initial_state is None:
            return super().__call__(inputs, **kwargs)
        initial_state = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        if len(initial_state) % 2:
            raise ValueError(f"{self.name}: initial_state must hold forward then backward states (an even "
                             f"count), received {len(initial_state)} tensors")
        return super().__call__([inputs] + initial_state, **kwargs)

    def build(self, input_shape):
        self.built = True
        if self._initial_weights is not None:
            sequence_shape = input_shape[0] if isinstance(input_shape, list) else input_shape
            probe = T.tensor(self.dtype, shape=tuple(sequence_shape), name="bidirectional_probe")
            for layer in (self.forward_layer, self.backward_layer):
                layer._build_once(probe)
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def call(self, inputs, mask=None, training=None):
        forward_state = backward_state = None
        if isinstance(inputs, (list, tuple)):
            inputs, states = inputs[0], list(inputs[1:])
            half = len(states) // 2
            forward_state, backward_state = states[:half], states[half:]
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        y_forward = self.forward_layer(inputs, mask=mask, training=training, initial_state=forward_state)
        y_backward = self.backward_layer(inputs, mask=mask, training=training, initial_state=backward_state)
        states = []
        if self.return_state:
            states = list(y_forward[1:]) + list(y_backward[1:])
            y_forward, y_backward = y_forward[0], y_backward[0]
        if self.return_sequences:
            time_axis = 0 if getattr(self.backward_layer, "time_major", False) else 1
            y_backward = y_backward[::-1] if time_axis == 0 else y_backward[:, ::-1]
        if self.merge_mode == "concat":
            output = T.concatenate([y_forward, y_backward], axis=-1)
        elif self.merge_mode == "sum":
            output = y_forward + y_backward
        elif self.merge_mode == "ave":
            output = (y_forward + y_backward) / 2
        elif self.merge_mode == "mul":
            output = y_forward * y_backward
        else:
            output = [y_forward, y_backward]
        outputs = output if isinstance(output, list) else [output]
        return outputs + states if self.return_state else output

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        masks = [output_mask, output_mask] if self.merge_mode is None else [output_mask]
        if self.return_state:
            count = len(self.forward_layer.cell.state_size) \
                if isinstance(self.forward_layer.cell.state_size, (list, tuple)) else 1
            return masks + [None] * (2 * count)
        return masks if self.merge_mode is None else output_mask

    def reset_states(self, states=None):
        """Resets both directions' states (``states``: forward states then backward states)."""
        if states is None:
            self.forward_layer.reset_states()
            self.backward_layer.reset_states()
            return
        half = len(states) // 2
        self.forward_layer.reset_states(states[:half])
        self.backward_layer.reset_states(states[half:])

    reset_state = reset_states   # Keras 3's name (public alias)

    def get_config(self):
        config = super().get_config()
        config["merge_mode"] = self.merge_mode
        if self._custom_backward:
            config["backward_layer"] = serialize_value(self.backward_layer)
        return config


class TimeDistributed(Wrapper):
    """Applies ``layer`` to every time step of a (batch, time, ...) input by folding time into the batch.

    Example:
        >>> from layerkit.layers import Input
        >>> from layerkit.layers.recurrent import SimpleRNN
        >>> TimeDistributed(SimpleRNN(2))(Input(shape=(5, 4, 3))).type.shape
        (None, 5, 2)
    """

    def __init__(self, layer, **kwargs):
        super().__init__(layer, **kwargs)
        self.supports_masking = True
        self.input_spec = InputSpec(min_ndim=3)

    def _inner_shape(self, input_shape):
        batch, steps = input_shape[:2]
        return (batch * steps if batch is not None and steps is not None else None,) + tuple(input_shape[2:])

    def build(self, input_shape):
        if not self.layer.built:
            probe = T.tensor(self.dtype, shape=self._inner_shape(tuple(input_shape)), name="time_distributed_probe")
            self.layer._build_once(probe)
        self.built = True

    def call(self, inputs, training=None):
        static = inputs.type.shape
        symbolic = inputs.shape
        inner_shape = [-1] + [s if s is not None else symbolic[i + 2] for i, s in enumerate(static[2:])]
        folded = T.reshape(inputs, inner_shape, ndim=len(inner_shape))
        outputs = self.layer(folded, training=training)
        out_static = outputs.type.shape
        out_shape = [s if s is not None else symbolic[i] for i, s in enumerate(static[:2])] + \
            [s if s is not None else outputs.shape[i + 1] for i, s in enumerate(out_static[1:])]
        return T.reshape(outputs, out_shape, ndim=len(out_shape))

    def compute_mask(self, inputs, mask=None):
        return mask


def _without_prefix(name, prefix):
    return name[len(prefix):] if name.startswith(prefix) else name
