"""Two-level hierarchical softmax (Theano's ``h_softmax``): classes of outputs, then outputs within a class.

With ``n_classes * n_outputs_per_class >= n_outputs`` outputs split into classes, ``p(output) =
p(class) * p(output | class)``. Training with ``target`` costs ``O(n_classes + n_outputs_per_class)`` per example
instead of ``O(n_outputs)``.
"""
from ..basic import arange
from ..linalg import dot, tensordot
from ..reduce import sum as reduce_sum
from ..shape import reshape
from ..variable import as_tensor_variable
from .softmax import softmax

__all__ = ["h_softmax"]


def h_softmax(x, batch_size, n_outputs, n_classes, n_outputs_per_class, W1, b1, W2, b2, target=None):
    """Hierarchical softmax probabilities, all of them or only those of ``target``.

    Args:
        x: (batch, n_in) features.
        batch_size: the batch size (a Python int or a symbolic scalar; used for the output's shape).
        n_outputs: how many outputs there are.
        n_classes, n_outputs_per_class: the two levels; their product must be >= ``n_outputs``.
        W1, b1: (n_in, n_classes) and (n_classes,): the class level.
        W2, b2: (n_classes, n_in, n_outputs_per_class) and (n_classes, n_outputs_per_class): the output level.
        target: optional integer vector (batch,) of outputs; when given, only their probabilities are computed.

    Returns:
        (batch, n_outputs) probabilities, or (batch,) probabilities of ``target``.

    Example:
        >>> import numpy as np, layerkit_backend.tensor as T
        >>> x = T.dmatrix('x')
        >>> W1, b1 = np.zeros((3, 2)), np.zeros(2)
        >>> W2, b2 = np.zeros((2, 3, 2)), np.zeros((2, 2))
        >>> p = h_softmax(x, 1, 4, 2, 2, W1, b1, W2, b2)
        >>> p.eval({x: np.ones((1, 3))}).tolist()
        [[0.25, 0.25, 0.25, 0.25]]
    """
    if n_classes * n_outputs_per_class < n_outputs:
        raise ValueError(f"h_softmax: n_classes * n_outputs_per_class = {n_classes * n_outputs_per_class} is "
                         f"smaller than n_outputs = {n_outputs}")
    x = as_tensor_variable(x)
    class_probs = softmax(dot(x, W1) + b1, axis=-1)
    if target is None:
        scores = tensordot(x, W2, axes=[[1], [1]]) + b2               # (batch, classes, per_class)
        output_probs = softmax(scores, axis=-1) * class_probs.dimshuffle(0, 1, "x")
        flat = reshape(output_probs, (batch_size, n_classes * n_outputs_per_class))
        return flat[:, :n_outputs]
    target = as_tensor_variable(target)
    target_class = target // n_outputs_per_class
    target_in_class = target % n_outputs_per_class
    W2 = as_tensor_variable(W2)
    scores = reduce_sum(x.dimshuffle(0, 1, "x") * W2[target_class], axis=1) + as_tensor_variable(b2)[target_class]
    rows = arange(x.shape[0])
    return softmax(scores, axis=-1)[rows, target_in_class] * class_probs[rows, target_class]
