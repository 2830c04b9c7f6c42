"""Array helpers: one-hot labels (``to_categorical``) and L-p normalisation (``normalize``)."""
import numpy as np

__all__ = ["to_categorical", "normalize"]


def to_categorical(y, num_classes=None, dtype="float32"):
    """One-hot encodes integer class labels: shape ``y.shape + (num_classes,)`` (a trailing 1 is dropped).

    Args:
        y: integer labels in ``[0, num_classes)``.
        num_classes: number of classes; default ``max(y) + 1``.
        dtype: dtype of the result.

    Example:
        >>> to_categorical([[1], [0]]).shape
        (2, 2)
    """
    y = np.asarray(y)
    if y.dtype.kind == "f":
        if not np.all(y == np.round(y)):
            raise ValueError(f"to_categorical: expected integer class labels, received non-integer values "
                             f"such as {y[y != np.round(y)].ravel()[:3].tolist()}")
    elif y.dtype.kind not in "iub":
        raise ValueError(f"to_categorical: expected integer class labels, received dtype {y.dtype}")
    y = y.astype("int64")
    shape = y.shape
    if shape and shape[-1] == 1 and len(shape) > 1:
        shape = shape[:-1]
    y = y.ravel()
    if num_classes is None:
        num_classes = int(y.max()) + 1 if y.size else 0
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"to_categorical: labels must lie in [0, {num_classes}), received values in "
                         f"[{int(y.min())}, {int(y.max())}]")
    result = np.zeros((y.size, num_classes), dtype=dtype)
    result[np.arange(y.size), y] = 1
    return result.reshape(shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """Scales ``x`` to unit L-``order`` norm along ``axis`` (zero vectors stay zero).

    Example:
        >>> normalize([[3.0, 4.0]]).tolist()
        [[0.6, 0.8]]
    """
    x = np.asarray(x)
    norm = np.atleast_1d(np.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / np.expand_dims(norm, axis)
