"""``scan_checkpoints``: a scan whose gradient stores one state every ``save_every_N`` steps and recomputes the
rest (Theano's ``theano.scan_checkpoints``), trading about one extra forward pass for memory.

It is a scan over chunks of N steps whose step is a scan over the N steps of one chunk. The outer loop keeps the
state at each chunk boundary; the backward pass of the outer loop re-runs each chunk's inner loop to get the
states it needs, so the gradient holds O(n_steps / N + N) states instead of O(n_steps).
"""
from ..tensor import math as M
from ..tensor.basic import arange, cast, concatenate, zeros
from ..tensor.shape import shape_tuple
from ..tensor.type import TensorType
from ..tensor.variable import as_tensor_variable
from .builder import _as_list, scan

__all__ = ["scan_checkpoints"]


def scan_checkpoints(fn, sequences=None, outputs_info=None, non_sequences=None, name="checkpointscan_fn",
                     n_steps=None, save_every_N=10, padding=True):
    """Like ``scan``, but the outputs hold only every ``save_every_N``-th state (the last state of each chunk
    of N steps; the final chunk may be shorter) and the gradient recomputes the states in between.

    Limits (as in Theano): sequences have the single tap 0, every output has an initial value with tap -1, and
    the step returns no updates and no ``until``.

    Example:
        >>> import numpy as np, layerkit_backend as lb, layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> s, _ = scan_checkpoints(lambda v, acc: acc + v, sequences=[x], outputs_info=[T.constant(0.0)],
        ...                         save_every_N=2)
        >>> lb.function([x], s)(np.arange(5.0)).tolist()
        [1.0, 6.0, 10.0]
    """
    where = f"scan_checkpoints (step function {getattr(fn, '__name__', 'fn')!r})"
    seqs = [as_tensor_variable(s) for s in _as_list(sequences)]
    states = _as_list(outputs_info)
    nonseqs = _as_list(non_sequences)
    for k, s in enumerate(states):
        if s is None or isinstance(s, dict):
            raise ValueError(f"{where}: outputs_info[{k}] must be an initial value (tap -1); taps and outputs "
                             f"that are not fed back are not supported here")
    if not padding:
        raise ValueError(f"{where}: padding=False is not supported; the sequences are padded to a multiple of "
                         f"save_every_N (the padded steps leave the state unchanged)")
    N = int(save_every_N)
    if N < 1:
        raise ValueError(f"{where}: save_every_N must be >= 1, received {save_every_N}")
    if n_steps is None and not seqs:
        raise ValueError(f"{where}: give n_steps or at least one sequence")
    n = None
    for s in seqs:
        n = s.shape[0] if n is None else M.minimum(n, s.shape[0])
    if n_steps is not None:
        n = as_tensor_variable(n_steps) if n is None else M.minimum(n, n_steps)
    n = M.cast(n, "int64")
    n_chunks = (n + (N - 1)) // N
    padded = n_chunks * N
    chunked = []
    for s in seqs:
        rest = shape_tuple(s)[1:]
        pad = zeros((padded - n,) + tuple(rest), dtype=s.dtype)
        chunked.append(concatenate([s[:n], pad]).reshape((n_chunks, N) + tuple(rest), ndim=s.ndim + 1))
    index = arange(padded).reshape((n_chunks, N), ndim=2)
    n_seqs, n_states = len(seqs), len(states)
    states = _settle_dtypes(fn, seqs, [as_tensor_variable(s) for s in states], nonseqs)

    def chunk_step(*args):
        idx, rows = args[0], list(args[1:1 + n_seqs])
        prev = list(args[1 + n_seqs:1 + n_seqs + n_states])
        consts = list(args[1 + n_seqs + n_states:])

        def one_step(i, *a):
            new = fn(*(list(a[:n_seqs + n_states]) + list(a[n_seqs + n_states + 1:])))
            new = list(new) if isinstance(new, (list, tuple)) else [new]
            if len(new) != n_states:
                raise ValueError(f"{where}: the step returned {len(new)} outputs, expected {n_states}")
            valid = M.lt(i, a[n_seqs + n_states])  # padded steps keep the state
            return [M.switch(valid, v, p) for v, p in zip(new, a[n_seqs:n_seqs + n_states])]

        outs, _ = scan(one_step, sequences=[idx] + rows, outputs_info=prev, non_sequences=[n] + consts,
                       name=f"{name}_inner", return_list=True)
        return [o[-1] for o in outs]

    return scan(chunk_step, sequences=[index] + chunked, outputs_info=states, non_sequences=nonseqs, name=name)


def _settle_dtypes(fn, seqs, states, nonseqs):
    """Initial values given as Python numbers take the dtype the step gives them (as ``scan`` does)."""
    if not any(getattr(s.tag, "weak", False) for s in states):
        return states
    rows = [TensorType(s.dtype, s.type.shape[1:])() for s in seqs]
    new = fn(*(rows + [s.type() for s in states] + list(nonseqs)))
    new = list(new) if isinstance(new, (list, tuple)) else [new]
    if len(new) != len(states):  # chunk_step reports the mismatch with its context
        return states
    return [cast(s, as_tensor_variable(v).dtype) if getattr(s.tag, "weak", False) else s
            for s, v in zip(states, new)]
