"""Connectionist temporal classification (Theano's ``nnet.ctc``, which wrapped Baidu's warp-ctc).

``ctc(activations, labels, input_lengths)``: ``activations`` (time, batch, alphabet) are unnormalised scores (a
softmax over the alphabet is applied inside); class 0 is the blank; ``labels`` (batch, max label length) are
padded with -1; ``input_lengths`` gives each sequence's number of time steps. The result is each sequence's
negative log-likelihood. Computed by the forward-backward recursions in log space, which also give the gradient
with respect to the activations (the softmax minus the posterior of each class at each step).
"""
import numpy as np

from ...graph.basic import Apply, Op
from ..type import FLOAT_DTYPES, INT_DTYPES, TensorType
from ..variable import as_tensor_variable

__all__ = ["ConnectionistTemporalClassification", "ctc"]

BLANK = 0


def _logsumexp(*terms):
    stacked = np.stack(terms)
    m = stacked.max(axis=0)
    safe = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        return np.log(np.exp(stacked - safe).sum(axis=0)) + safe


def _one_sequence(scores, label):
    """``(cost, gradient)`` for one sequence: ``scores`` (steps, alphabet), ``label`` without padding."""
    steps = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    ext = np.full(2 * len(label) + 1, BLANK, dtype=np.int64)
    ext[1::2] = label
    S = ext.size
    skip = np.zeros(S, dtype=bool)  # s may come from s - 2: a label differing from the one two back
    skip[2:] = (ext[2:] != BLANK) & (ext[2:] != ext[:-2])
    emit = log_probs[:, ext]  # (steps, S)
    alpha = np.full((steps, S), -np.inf)
    beta = np.full((steps, S), -np.inf)
    alpha[0, 0] = emit[0, 0]
    if S > 1:
        alpha[0, 1] = emit[0, 1]
    for t in range(1, steps):
        prev = alpha[t - 1]
        one = np.concatenate([[-np.inf], prev[:-1]])
        two = np.where(skip, np.concatenate([[-np.inf, -np.inf], prev[:-2]]), -np.inf)
        alpha[t] = _logsumexp(prev, one, two) + emit[t]
    beta[-1, -1] = emit[-1, -1]
    if S > 1:
        beta[-1, -2] = emit[-1, -2]
    skip_back = np.concatenate([skip[2:], [False, False]])  # s + 2 may come from s
    for t in range(steps - 2, -1, -1):
        nxt = beta[t + 1]
        one = np.concatenate([nxt[1:], [-np.inf]])
        two = np.where(skip_back, np.concatenate([nxt[2:], [-np.inf, -np.inf]]), -np.inf)
        beta[t] = _logsumexp(nxt, one, two) + emit[t]
    log_likelihood = _logsumexp(alpha[-1, -1], alpha[-1, -2]) if S > 1 else alpha[-1, -1]
    cost = -log_likelihood
    grad = np.exp(log_probs)
    if np.isfinite(log_likelihood):
        posterior = np.exp(alpha + beta - emit - log_likelihood)  # (steps, S)
        np.add.at(grad, (slice(None), ext), -posterior)
    return cost, grad


class ConnectionistTemporalClassification(Op):
    """``(activations, labels, input_lengths) -> (costs, gradients)``; ``ctc`` returns the costs and uses the
    gradients for ``grad``."""

    def make_node(self, activations, labels, input_lengths):
        acts = as_tensor_variable(activations)
        labels, lengths = as_tensor_variable(labels), as_tensor_variable(input_lengths)
        if acts.ndim != 3 or acts.dtype not in FLOAT_DTYPES:
            raise TypeError(f"ctc: activations must be a float 3-d tensor (time, batch, alphabet), received "
                            f"{acts.type}")
        if labels.ndim != 2 or labels.dtype not in INT_DTYPES:
            raise TypeError(f"ctc: labels must be an integer matrix (batch, label length), received {labels.type}")
        if lengths.ndim != 1 or lengths.dtype not in INT_DTYPES:
            raise TypeError(f"ctc: input_lengths must be an integer vector, received {lengths.type}")
        return Apply(self, [acts, labels, lengths], [TensorType(acts.dtype, (acts.type.shape[1],))(),
                                                      TensorType(acts.dtype, acts.type.shape)()])

    def perform(self, xp, node, inputs):
        acts, labels, lengths = (xp.to_host(v) for v in inputs)
        steps, batch, _ = acts.shape
        if labels.shape[0] != batch or lengths.shape[0] != batch:
            raise ValueError(f"ctc: {batch} sequences of activations but {labels.shape[0]} label rows and "
                             f"{lengths.shape[0]} lengths")
        costs = np.zeros(batch)
        grads = np.zeros(acts.shape)
        for b in range(batch):
            n = int(lengths[b])
            if not 0 < n <= steps:
                raise ValueError(f"ctc: input length {n} of sequence {b} is not in [1, {steps}]")
            row = labels[b]
            label = row[:np.argmax(row < 0)] if (row < 0).any() else row
            costs[b], grads[:n, b] = _one_sequence(acts[:n, b].astype(np.float64), label.astype(np.int64))
        dtype = node.outputs[0].dtype
        return [xp.asarray(costs, dtype=dtype), xp.asarray(grads, dtype=dtype)]

    def grad(self, inputs, output_grads):
        _, gradients = self(*inputs)
        g_costs = output_grads[0]
        return [gradients * g_costs.dimshuffle("x", 0, "x"), None, None]

    def connection_pattern(self, node):
        return [[True, True], [False, False], [False, False]]


def ctc(activations, labels, input_lengths):
    """The CTC loss of each sequence (see the module docstring).

    Example:
        >>> import numpy as np
        >>> import layerkit_backend.tensor as T
        >>> acts, labels, lengths = T.dtensor3('a'), T.imatrix('l'), T.ivector('n')
        >>> cost = ctc(acts, labels, lengths)
        >>> float(cost.eval({acts: np.zeros((2, 1, 2)), labels: np.array([[1]], 'int32'),
        ...                  lengths: np.array([2], 'int32')})[0].round(4))
        0.2877
    """
    return ConnectionistTemporalClassification()(activations, labels, input_lengths)[0]
