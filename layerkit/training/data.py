"""Turning user data into the arrays the compiled functions take, and batches of them.

``x``/``y``/``sample_weight`` may be one array, a list in input (output) order, or a dict keyed by input (output)
name. Python generators and ``Sequence`` objects yield ``(x, y)`` or ``(x, y, sample_weight)`` per batch.

Example:
    >>> import numpy as np
    >>> batches = list(array_batches([np.arange(5)], batch_size=2, shuffle=False))
    >>> [b[0].tolist() for b in batches]
    [[0, 1], [2, 3], [4]]
"""
import inspect

import numpy as np

__all__ = ["Sequence", "PyDataset", "to_arrays", "as_data_array", "check_batch_size", "check_sample_counts", "class_weights_to_sample_weights", "split_validation",
           "array_batches", "shard_slice", "is_batch_source", "check_targets"]


class Sequence:
    """Base for batch sources with ``__len__`` (batches per epoch) and ``__getitem__(index) -> (x, y[, w])``.

    Example:
        >>> import numpy as np
        >>> class Pairs(Sequence):
        ...     def __len__(self):
        ...         return 3
        ...     def __getitem__(self, index):
        ...         return np.full((2, 1), index, "float32"), np.zeros((2, 1), "float32")
        >>> len(Pairs()), Pairs()[1][0].ravel().tolist()
        (3, [1.0, 1.0])
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__}: a Sequence implements __getitem__(index)")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__}: a Sequence implements __len__()")

    def on_epoch_end(self):
        """Called after every epoch (e.g. to reshuffle)."""

    def __iter__(self):
        for index in range(len(self)):
            yield self[index]


class PyDataset(Sequence):
    """Keras 3's batch source: ``__len__`` (batches per epoch) and ``__getitem__(index)`` returning ``x``,
    ``(x, y)`` or ``(x, y, sample_weight)``. As in Keras 3, ``fit`` takes its batches in order (``shuffle`` does
    not apply: shuffle inside ``on_epoch_end`` if you want to) and calls ``on_epoch_begin``/``on_epoch_end``.
    ``workers``, ``use_multiprocessing`` and ``max_queue_size`` are accepted; batches are made in the calling
    thread.

    Example:
        >>> import numpy as np
        >>> class Ones(PyDataset):
        ...     def __len__(self):
        ...         return 2
        ...     def __getitem__(self, index):
        ...         return np.ones((4, 3), "float32"), np.zeros((4, 1), "float32")
        >>> Ones().num_batches
        2
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self.workers, self.use_multiprocessing, self.max_queue_size = workers, use_multiprocessing, max_queue_size

    @property
    def num_batches(self):
        """The number of batches per epoch (``len(self)``)."""
        return len(self)

    def on_epoch_begin(self):
        """Called before every epoch."""


def is_batch_source(data):
    """True for generators, iterators and Sequence-like objects (``__len__`` + ``__getitem__``, not arrays)."""
    if data is None or isinstance(data, (np.ndarray, list, tuple, dict)):
        return False
    if inspect.isgenerator(data) or isinstance(data, Sequence) or hasattr(data, "__next__"):
        return True
    return hasattr(data, "__getitem__") and hasattr(data, "__len__") and not hasattr(data, "shape")


def to_arrays(data, names, what, dtypes=None):
    """``data`` as a list of arrays in ``names`` order (``what``: 'input', 'target' or 'sample_weight')."""
    if data is None:
        return None
    if isinstance(data, dict):
        missing = [n for n in names if n not in data]
        unknown = sorted(set(data) - set(names))
        if missing or unknown:
            raise ValueError(f"{what} dict: expected keys {names}, received {sorted(data)}"
                             f"{f' (missing {missing})' if missing else ''}")
        data = [data[n] for n in names]
    elif isinstance(data, (list, tuple)) and len(names) > 1:
        data = list(data)
    elif isinstance(data, (list, tuple)) and data and not np.isscalar(data[0]) and _looks_like_arrays(data):
        data = list(data)
    else:
        data = [data]
    if len(data) != len(names):
        raise ValueError(f"The model has {len(names)} {what}(s) {names}, but {len(data)} array(s) were given")
    arrays = []
    for k, (name, value) in enumerate(zip(names, data)):
        declared = dtypes[k] if dtypes is not None else None
        array = as_data_array(value, what, name, strings=declared == "string")
        if declared is not None and declared != "string" and array.dtype != declared:
            array = array.astype(declared)
        if array.ndim == 0:
            raise ValueError(f"{what} '{name}': expected an array with a batch dimension, received a scalar")
        arrays.append(array)
    return arrays


def as_data_array(value, what, name, strings=False):
    """``value`` as a NumPy array of numbers or booleans (or of text, for an input declared
    ``Input(dtype='string')``: ``strings=True``), or one clear error naming ``what`` '``name``'."""
    if value is None:
        raise ValueError(f"{what} '{name}': expected an array, received None")
    try:
        array = np.asarray(value)
    except ValueError as error:   # NumPy refuses ragged nested lists
        raise ValueError(f"{what} '{name}': expected a rectangular array, received nested sequences of unequal "
                         f"lengths ({error}); pad them (layerkit.utils.pad_sequences) or give an array") from None
    if strings:
        if array.dtype.kind not in "USO" or (array.dtype.kind == "O" and not all(
                isinstance(v, (str, bytes)) for v in array.ravel().tolist())):
            raise ValueError(f"{what} '{name}': the input is declared dtype='string', received an array of dtype "
                             f"{array.dtype}")
        return array
    if array.dtype.kind not in "biuf":
        text = " (strings: only an input declared Input(dtype='string') takes text)"
        raise ValueError(f"{what} '{name}': expected numbers, received an array of dtype {array.dtype}"
                         f"{text if array.dtype.kind in 'US' else ''}" + (
                             " (ragged or mixed data?)" if array.dtype.kind == "O" else ""))
    return array


def check_batch_size(batch_size, where, default=32):
    """``batch_size`` as a positive int (``default`` for None), or a clear error."""
    if batch_size is None:
        return default
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise ValueError(f"{where}: batch_size must be a positive integer or None, received {batch_size!r}")
    return int(batch_size)


def _looks_like_arrays(data):
    return all(isinstance(d, np.ndarray) for d in data)


def check_sample_counts(groups):
    """``groups``: [(kind, names, arrays)]; raises if the arrays disagree on the number of samples."""
    counts = [(f"{kind} '{name}'", len(a), a.shape) for kind, names, arrays in groups if arrays is not None
              for name, a in zip(names, arrays)]
    if counts and len({c for _, c, _ in counts}) > 1:
        described = ", ".join(f"{label} has {n} samples (shape {shape})" for label, n, shape in counts)
        raise ValueError(f"Data arrays disagree on the number of samples: {described}")
    return counts[0][1] if counts else 0


def check_targets(output_name, output_shape, target_shape, loss_name):
    """Raises a clear error when a built-in loss cannot take these targets: sparse losses take labels of the
    output's rank minus one (or with a trailing 1); the others take targets of the output's shape, after Keras's
    squeeze-or-expand of a trailing axis of 1 (so (n,) fits (n, 1) and (n, t) fits (n, t, 1)) and broadcasting."""
    loss_name = loss_name or ""
    if loss_name == "ctc":   # label sequences (batch, max_label_length) for (batch, time, classes) scores
        return
    out_rank, y_rank = len(output_shape), len(target_shape)
    if "sparse" in loss_name:
        ok = y_rank == out_rank - 1 or (y_rank == out_rank and target_shape[-1] == 1)
        hint = "sparse losses take integer class labels of shape (batch,) or (batch, 1)"
    else:
        target, output = list(target_shape[1:]), list(output_shape[1:])
        if y_rank == out_rank + 1 and target and target[-1] == 1:
            target = target[:-1]
        elif out_rank == y_rank + 1 and output and output[-1] == 1:
            output = output[:-1]
        ok = len(target) == len(output) and all(t is None or o is None or t == o or t == 1 or o == 1
                                                for t, o in zip(target, output))
        hint = ("integer class labels need loss='sparse_categorical_crossentropy' or one-hot labels "
                "(layerkit.utils.to_categorical)" if "categorical" in loss_name and
                (y_rank == out_rank - 1 or target_shape[-1] == 1) else
                "the targets must have the output's shape")
    if not ok:
        raise ValueError(f"Output '{output_name}': targets of shape {tuple(target_shape)} do not match the output "
                         f"shape {tuple(output_shape)} for loss '{loss_name}'; {hint}")


def class_weights_to_sample_weights(y, class_weight, output_name):
    """Per-sample weights ``class_weight[class of sample]``: argmax of one-hot rows, else the label itself."""
    if y.ndim >= 2 and y.shape[-1] > 1:
        classes = np.argmax(y, axis=-1)
    elif y.ndim >= 2:
        classes = np.round(y[..., 0]).astype(np.int64) if y.dtype.kind == "f" else y[..., 0]
    else:
        classes = np.round(y).astype(np.int64) if y.dtype.kind == "f" else y
    classes = classes.reshape(len(y), -1)[:, 0] if classes.ndim > 1 else classes
    missing = sorted(set(np.unique(classes).tolist()) - set(int(k) for k in class_weight))
    if missing:
        raise ValueError(f"class_weight for output '{output_name}' has no entry for class(es) {missing}; "
                         f"given classes {sorted(class_weight)}")
    table = np.zeros(int(max(max(class_weight), classes.max())) + 1, dtype=np.float64)
    for k, w in class_weight.items():
        table[int(k)] = w
    return table[classes]


def split_validation(arrays, split):
    """(train arrays, validation arrays): the last ``split`` fraction is held out, before any shuffling."""
    if not 0.0 < split < 1.0:
        raise ValueError(f"validation_split must be in (0, 1), received {split}")
    n = len(arrays[0])
    cut = int(n * (1.0 - split))
    if cut == 0 or cut == n:
        raise ValueError(f"validation_split={split} leaves an empty training or validation set for {n} samples")
    return [a[:cut] for a in arrays], [a[cut:] for a in arrays]


def array_batches(arrays, batch_size, shuffle, steps=None, rng=np.random, shard=None):
    """Yields lists of batch slices; ``shuffle`` True (samples), 'batch' (batch order) or False.

    ``shard=(rank, size)`` yields only process ``rank``'s contiguous part of every batch (data-parallel training).
    """
    n = len(arrays[0])
    starts = list(range(0, n, batch_size))
    if steps is not None:
        starts = starts[:steps]
    if shuffle == "batch":
        order = rng.permutation(len(starts))
        starts = [starts[k] for k in order]
    if shuffle is True:
        perm = rng.permutation(n)
        for start in starts:
            index = perm[start:start + batch_size]
            if shard is not None:
                index = index[shard_slice(len(index), *shard)]
            yield [a[index] for a in arrays]
    else:
        for start in starts:
            stop = min(start + batch_size, n)
            if shard is not None:
                part = shard_slice(stop - start, *shard)
                start, stop = start + part.start, start + part.stop
            yield [a[start:stop] for a in arrays]


def shard_slice(count, rank, size):
    """Process ``rank``'s contiguous part of ``count`` items split over ``size`` processes (sizes differ by <= 1)."""
    return slice(count * rank // size, count * (rank + 1) // size)
