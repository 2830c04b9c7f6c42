"""Sequence preprocessing: ``pad_sequences`` (Keras's exact semantics) and ``TimeseriesGenerator``.

Example:
    >>> pad_sequences([[1, 2, 3], [4]], maxlen=2).tolist()
    [[2, 3], [0, 4]]
"""
import numpy as np

__all__ = ["pad_sequences", "TimeseriesGenerator"]


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """Pads (or truncates) a list of sequences to one length, giving a NumPy array ``(len(sequences), maxlen)``.

    Each sequence may itself hold vectors (shape ``(length, ...)``); the trailing shape is kept. Sequences longer
    than ``maxlen`` lose values from the start (``truncating='pre'``) or the end (``'post'``); shorter ones are
    filled with ``value`` at the start (``padding='pre'``) or the end (``'post'``). Empty sequences become all
    ``value``.

    Args:
        sequences: a list (or iterable) of sequences (lists or arrays).
        maxlen: the length of the result; default: the longest sequence.
        dtype: the result's dtype (a string dtype such as 'str' or 'object' allows string values).
        padding: 'pre' or 'post'. truncating: 'pre' or 'post'. value: the fill value.

    Example:
        >>> pad_sequences([[1], [2, 3]], padding="post", value=-1).tolist()
        [[1, -1], [2, 3]]
    """
    if padding not in ("pre", "post"):
        raise ValueError(f"pad_sequences: padding must be 'pre' or 'post', received {padding!r}")
    if truncating not in ("pre", "post"):
        raise ValueError(f"pad_sequences: truncating must be 'pre' or 'post', received {truncating!r}")
    if not hasattr(sequences, "__len__"):
        raise ValueError(f"pad_sequences: `sequences` must be iterable with a length, received {type(sequences)}")
    sequences = list(sequences)
    lengths, sample_shape = [], ()
    for index, seq in enumerate(sequences):
        if not hasattr(seq, "__len__"):
            raise ValueError(f"pad_sequences: `sequences` must be a list of iterables; found non-iterable "
                             f"{seq!r} at position {index}")
        lengths.append(len(seq))
        if len(seq) and not sample_shape:
            sample_shape = np.asarray(seq).shape[1:]
    if maxlen is None:
        maxlen = max(lengths) if lengths else 0
    is_text = np.issubdtype(np.dtype(dtype), np.str_) or np.issubdtype(np.dtype(dtype), np.object_)
    if isinstance(value, str) and not is_text:
        raise ValueError(f"pad_sequences: dtype {dtype!r} cannot hold the padding value {value!r}; use "
                         f"dtype='object' or a string dtype")
    result = np.full((len(sequences), maxlen) + tuple(sample_shape), value, dtype=dtype)
    for index, seq in enumerate(sequences):
        if not len(seq) or maxlen == 0:
            continue
        kept = seq[-maxlen:] if truncating == "pre" else seq[:maxlen]
        kept = np.asarray(kept, dtype=dtype)
        if kept.shape[1:] != tuple(sample_shape):
            raise ValueError(f"pad_sequences: shape of sample {kept.shape[1:]} of sequence at position {index} "
                             f"is different from expected shape {tuple(sample_shape)}")
        if padding == "post":
            result[index, :len(kept)] = kept
        else:
            result[index, maxlen - len(kept):] = kept
    return result


class TimeseriesGenerator:
    """Batches of sliding windows over a time series: ``(samples[, targets])`` for ``fit``.

    Window ``i`` holds ``data[j - length : j : sampling_rate]`` and its target is ``targets[j]``, where
    ``j = start_index + length + i * stride`` (``start_index`` defaults to 0, ``end_index`` to the last index).

    Example:
        >>> gen = TimeseriesGenerator(np.arange(10), np.arange(10), length=3, batch_size=2)
        >>> x, y = gen[0]; x.tolist(), y.tolist()
        ([[0, 1, 2], [1, 2, 3]], [3, 4])
    """

    def __init__(self, data, targets, length, sampling_rate=1, stride=1, start_index=0, end_index=None,
                 shuffle=False, reverse=False, batch_size=128):
        if len(data) != len(targets):
            raise ValueError(f"TimeseriesGenerator: data and targets must have the same length, received "
                             f"{len(data)} and {len(targets)}")
        self.data, self.targets = data, targets
        self.length, self.sampling_rate, self.stride = length, sampling_rate, stride
        self.start_index = start_index + length
        self.end_index = len(data) - 1 if end_index is None else end_index
        self.shuffle, self.reverse, self.batch_size = shuffle, reverse, batch_size
        if self.start_index > self.end_index:
            raise ValueError(f"TimeseriesGenerator: start_index + length ({self.start_index}) is greater than "
                             f"end_index ({self.end_index}); no batch would be produced")

    def __len__(self):
        return (self.end_index - self.start_index + self.batch_size * self.stride) // (self.batch_size *
                                                                                        self.stride)

    def __getitem__(self, index):
        if self.shuffle:
            rows = np.random.randint(self.start_index, self.end_index + 1, size=self.batch_size)
        else:
            first = self.start_index + self.batch_size * self.stride * index
            rows = np.arange(first, min(first + self.batch_size * self.stride, self.end_index + 1), self.stride)
        samples = np.array([self.data[row - self.length:row:self.sampling_rate] for row in rows])
        targets = np.array([self.targets[row] for row in rows])
        if self.reverse:
            samples = samples[:, ::-1, ...]
        return samples, targets
