"""``K.rnn``: iterate a step function over the time axis, unrolled in Python or with the backend's ``scan``.

Masked steps keep the previous states and repeat the previous output (or output zeros, with
``zero_output_for_mask``), so padding never changes a result.
"""
import layerkit_backend as lb
import layerkit_backend.tensor as T

__all__ = ["rnn"]


def _expand_to(mask_t, ndim):
    """A (batch,) boolean mask with trailing axes for a (batch, ...) tensor of rank ``ndim``."""
    while mask_t.ndim < ndim:
        mask_t = T.shape_padright(mask_t)
    return mask_t


def _masked(mask_t, new, old):
    return T.switch(_expand_to(mask_t, new.ndim), new, old)


def _call_step(step_function, x_t, states, constants):
    output, new_states = step_function(x_t, list(states) + list(constants))
    new_states = list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]
    if len(new_states) != len(states):
        raise ValueError(f"rnn: the step function returned {len(new_states)} states, expected {len(states)} "
                         f"(one per initial state)")
    return output, new_states


def rnn(step_function, inputs, initial_states, go_backwards=False, mask=None, constants=None, unroll=False,
        input_length=None, time_major=False, zero_output_for_mask=False):
    """Run ``step_function`` over the time axis of ``inputs``.

    Args:
        step_function: ``f(inputs_t, states + constants) -> (output_t, new_states)``; ``inputs_t`` is
            (batch, ...) and ``new_states`` a list shaped like ``states``.
        inputs: (batch, time, ...) (or (time, batch, ...) when ``time_major``).
        initial_states: a list of (batch, ...) tensors.
        go_backwards: iterate from the last step to the first; outputs come in that (reversed) order, as Keras's.
        mask: (batch, time) booleans or 0/1; where 0, states and output keep their previous values.
        constants: tensors passed to every step after the states.
        unroll: True loops in Python over the static time dimension; False uses ``layerkit_backend.scan``.
        input_length: unused (the length comes from ``inputs``), accepted for Keras compatibility.
        zero_output_for_mask: masked steps output zeros instead of repeating the previous output.

    Returns:
        ``(last_output, outputs, new_states)``: (batch, ...), (batch, time, ...) and a list of (batch, ...).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x, h0 = T.tensor('float32', shape=(None, 4, 3)), T.matrix('h0')
        >>> last, seq, states = rnn(lambda x_t, s: (x_t + s[0], [x_t + s[0]]), x, [h0], unroll=True)
        >>> seq.type.shape
        (None, 4, 3)
    """
    inputs = T.as_tensor_variable(inputs)
    if inputs.ndim < 3:
        raise ValueError(f"rnn: expected inputs of rank >= 3 (batch, time, ...), received {inputs.type}")
    constants = list(constants or [])
    initial_states = list(initial_states)
    axes = list(range(inputs.ndim))
    time_first = inputs if time_major else inputs.dimshuffle(1, 0, *axes[2:])
    if mask is not None:
        mask = T.as_tensor_variable(mask)
        if mask.ndim != 2:
            raise ValueError(f"rnn: expected a mask of shape (batch, time), received {mask.type}")
        mask = T.neq(mask if time_major else mask.dimshuffle(1, 0), 0)
    if go_backwards:
        time_first = time_first[::-1]
        mask = None if mask is None else mask[::-1]
    if unroll:
        last, outputs, states = _unrolled(step_function, time_first, initial_states, mask, constants,
                                          zero_output_for_mask)
    else:
        last, outputs, states = _scanned(step_function, time_first, initial_states, mask, constants,
                                         zero_output_for_mask)
    if not time_major:
        outputs = outputs.dimshuffle(1, 0, *range(2, outputs.ndim))
    return last, outputs, states


def _unrolled(step_function, inputs, states, mask, constants, zero_output_for_mask):
    steps = inputs.type.shape[0]
    if steps is None:
        raise ValueError(f"rnn: unroll=True needs a static number of time steps, received inputs {inputs.type} "
                         f"(time-major); give the input a fixed length or use unroll=False")
    outputs, prev_output = [], None
    for t in range(steps):
        output, new_states = _call_step(step_function, inputs[t], states, constants)
        if mask is not None:
            if prev_output is None:
                prev_output = T.zeros_like(output)
            fallback = T.zeros_like(output) if zero_output_for_mask else prev_output
            output = _masked(mask[t], output, fallback)
            new_states = [_masked(mask[t], new, old) for new, old in zip(new_states, states)]
            prev_output = _masked(mask[t], output, prev_output)
        outputs.append(output)
        states = new_states
    last = prev_output if (mask is not None and not zero_output_for_mask) else outputs[-1]
    return last, T.stack(outputs, axis=0), states


def _scanned(step_function, inputs, states, mask, constants, zero_output_for_mask):
    scan = lb.scan
    n_states = len(states)
    if mask is None:
        def step(x_t, *rest):
            output, new_states = _call_step(step_function, x_t, rest[:n_states], rest[n_states:])
            return [output] + new_states

        results, _ = scan(step, sequences=[inputs], outputs_info=[None] + states, non_sequences=constants)
        results = results if isinstance(results, (list, tuple)) else [results]
        outputs = results[0]
        return outputs[-1], outputs, [r[-1] for r in results[1:]]

    # the first step's output, times zero, gives the initial "previous output" its shape
    first_output, _ = _call_step(step_function, inputs[0], states, constants)
    initial_output = T.zeros_like(first_output)

    def masked_step(x_t, m_t, prev_output, *rest):
        old = rest[:n_states]
        output, new_states = _call_step(step_function, x_t, old, rest[n_states:])
        fallback = T.zeros_like(output) if zero_output_for_mask else prev_output
        output = _masked(m_t, output, fallback)
        return [output] + [_masked(m_t, new, o) for new, o in zip(new_states, old)]

    results, _ = scan(masked_step, sequences=[inputs, mask], outputs_info=[initial_output] + states,
                      non_sequences=constants)
    outputs = results[0]
    return outputs[-1], outputs, [r[-1] for r in results[1:]]
