"""``keras.ops``'s searches: ``searchsorted``, ``digitize``, ``isin``, ``nonzero``, ``unravel_index``.

``searchsorted`` and ``digitize`` count comparisons against the sorted sequence (one comparison per pair, so
they suit the small bin lists they are used with); ``nonzero`` has a data-dependent shape, so it runs eagerly or
in a graph, but its result's size is known only when the graph runs.

Example:
    >>> import numpy as np
    >>> searchsorted(np.array([1.0, 2.0, 3.0]), np.array([2.0, 0.5])).tolist()
    [1, 0]
"""
import layerkit_backend.tensor as T

from ..eager import eager_function
from .core import tensor

__all__ = ["searchsorted", "digitize", "isin", "nonzero", "unravel_index"]


@eager_function
def searchsorted(sorted_sequence, values, side="left"):
    """Where ``values`` would go in the 1-d ``sorted_sequence`` to keep it sorted (``side`` 'left' or 'right')."""
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', received {side!r}")
    sequence, values = tensor(sorted_sequence), tensor(values)
    if sequence.ndim != 1:
        raise ValueError(f"searchsorted: expected a 1-d sorted sequence, received shape {sequence.type.shape}")
    compare = T.lt if side == "left" else T.le
    return T.sum(T.cast(compare(sequence, T.shape_padright(values)), "int64"), axis=-1)


@eager_function
def digitize(x, bins):
    """The index of the bin of each entry: ``i`` with ``bins[i - 1] <= x < bins[i]`` (increasing ``bins``)."""
    x, bins = tensor(x), tensor(bins)
    return T.sum(T.cast(T.ge(T.shape_padright(x), bins), "int64"), axis=-1)


@eager_function
def isin(x1, x2, assume_unique=False, invert=False):
    """True where an entry of ``x1`` equals some entry of ``x2``."""
    x1, x2 = tensor(x1), T.flatten(tensor(x2))
    found = T.any(T.eq(T.shape_padright(x1), x2), axis=-1)
    return T.invert(found) if invert else found


@eager_function
def nonzero(x):
    """The indices of the nonzero entries, one vector per axis (their length is known when the graph runs)."""
    return tuple(T.nonzero(tensor(x)))


@eager_function
def unravel_index(indices, shape):
    """Flat ``indices`` as coordinates in an array of ``shape``, one tensor per axis."""
    return tuple(T.unravel_index(T.cast(tensor(indices), "int64"), tuple(shape)))
