"""Connectionist temporal classification (Graves et al., 2006), Keras 3's ``ctc`` loss: the negative log
probability of each label sequence summed over all its alignments with the outputs. Re-exported by
``layerkit.losses``.

``y_true`` holds (batch, max_label_length) integer labels padded with 0, which is also the blank class;
``y_pred`` (batch, time, classes) holds scores turned into log probabilities by a log-softmax (as Keras does). The
forward (alpha) recursion runs in log space in a ``scan`` over time, vectorised over the batch and the 2L + 1
positions of the blank-extended labels; its gradient comes from ``scan``'s. Impossible alignments carry a large
negative number instead of -inf, so no NaN reaches the gradient.

Example:
    >>> import numpy as np, layerkit_backend.tensor as T
    >>> y, p = T.lmatrix('y'), T.tensor3('p')
    >>> uniform = np.zeros((1, 2, 2), "float32")   # two steps, blank + one class, equal scores
    >>> round(float(ctc(y, p).eval({y: [[1]], p: uniform})[0]), 4)   # 3 alignments of 4: -log(3/4)
    0.2877
"""
import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit_backend.tensor import nnet

__all__ = ["ctc"]

_IMPOSSIBLE = -1e5   # log of a probability that is 0 (finite, so gradients stay finite)


def _logsumexp(*values):
    top = values[0]
    for v in values[1:]:
        top = T.maximum(top, v)
    return top + T.log(sum(T.exp(v - top) for v in values))


def ctc(y_true, y_pred):
    """Per-sample CTC loss of 0-padded labels ``y_true`` (batch, L) and scores ``y_pred`` (batch, T, classes)."""
    labels = T.cast(T.as_tensor_variable(y_true), "int64")
    scores = T.as_tensor_variable(y_pred)
    if labels.ndim != 2 or scores.ndim != 3:
        raise ValueError(f"ctc: expected labels of rank 2 (batch, max_label_length) and predictions of rank 3 "
                         f"(batch, time, classes), received shapes {labels.type.shape} and {scores.type.shape}")
    if scores.dtype not in ("float32", "float64"):
        scores = T.cast(scores, "float32")
    dtype = scores.dtype
    log_probs = nnet.log_softmax(scores, axis=2)
    batch, max_len, classes = T.shape(labels)[0], T.shape(labels)[1], T.shape(scores)[2]
    positions = 2 * max_len + 1
    # the blank-extended labels: blank, l1, blank, l2, ..., blank
    extended = T.zeros((batch, positions), dtype="int64")
    extended = T.set_subtensor(extended[:, 1::2], labels)
    one_hot = T.cast(T.eq(T.shape_padright(extended), T.arange(classes, dtype="int64")), dtype)  # (b, s, c)
    emissions = T.batched_dot(log_probs, one_hot.dimshuffle(0, 2, 1))                          # (b, t, s)
    previous_two = T.concatenate([T.zeros((batch, 2), dtype="int64"), extended[:, :-2]], axis=1)
    index = T.arange(positions, dtype="int64").dimshuffle("x", 0)
    may_skip = T.and_(T.and_(T.ge(index, 2), T.neq(extended, 0)), T.neq(extended, previous_two))
    impossible = T.constant(_IMPOSSIBLE, dtype=dtype)

    def shifted(alpha, by):
        return T.concatenate([T.alloc(impossible, batch, by), alpha[:, :-by]], axis=1)

    def step(emission, alpha, skip):
        one, two = shifted(alpha, 1), shifted(alpha, 2)
        two = T.switch(skip, two, impossible)
        return _logsumexp(alpha, one, two) + emission

    first = T.switch(T.lt(index, 2), emissions[:, 0], impossible)
    alphas, _ = lb.scan(step, sequences=[emissions.dimshuffle(1, 0, 2)[1:]], outputs_info=[first],
                        non_sequences=[may_skip], strict=True)
    last = T.concatenate([T.shape_padleft(first), alphas], axis=0)[-1]                       # (b, s)
    lengths = T.sum(T.cast(T.neq(labels, 0), "int64"), axis=1)
    ends = T.cast(T.eq(index, T.shape_padright(2 * lengths)), dtype)
    before_ends = T.cast(T.eq(index, T.shape_padright(2 * lengths - 1)), dtype)
    end = T.sum(last * ends, axis=1)
    before_end = T.switch(T.gt(lengths, 0), T.sum(last * before_ends, axis=1), impossible)
    return -_logsumexp(end, before_end)
