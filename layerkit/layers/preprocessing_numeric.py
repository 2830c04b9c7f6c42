"""Numeric preprocessing layers: ``Normalization`` (with ``adapt``), ``Rescaling``, ``Discretization`` (with
``adapt``) and ``CategoryEncoding``, with Keras 3's arguments and results.

They are ordinary layers of the graph: a model that starts with them takes raw features, and their state
(Normalization's mean and variance, Discretization's boundaries) is saved with the model.

Example:
    >>> import numpy as np, layerkit_backend.tensor as T
    >>> norm = Normalization()
    >>> norm.adapt(np.float32([[1, 10], [3, 30]]))
    >>> [w.tolist() for w in norm.get_weights()[:2]]
    [[2.0, 20.0], [1.0, 100.0]]
"""
import numpy as np

import layerkit_backend.tensor as T

from .. import backend as K
from .base import Layer
from .core import drop_keras3_keys, layer_config

__all__ = ["Normalization", "Rescaling", "Discretization", "CategoryEncoding"]

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


def encode_categories(indices, output_mode, depth, dtype, owner, count_weights=None):
    """Integer ``indices`` as Keras's categorical encodings: 'int' (a cast), 'one_hot' (a trailing axis of 1 is
    replaced by ``depth``), 'multi_hot' and 'count' (over axis 1, or the only axis of a vector)."""
    if output_mode == "int":
        return T.cast(indices, dtype)
    if output_mode not in OUTPUT_MODES:
        raise ValueError(f"{owner}: expected output_mode in {OUTPUT_MODES}, received {output_mode!r}")
    if indices.ndim == 0:
        indices = T.shape_padright(indices)
    if output_mode == "one_hot" and indices.ndim > 1 and indices.type.shape[-1] == 1:
        indices = T.squeeze(indices, axis=-1)
    one_hot = T.cast(T.eq(T.shape_padright(T.cast(indices, "int64")), T.arange(depth, dtype="int64")), dtype)
    if output_mode == "one_hot":
        return one_hot
    axis = 1 if indices.ndim > 1 else 0
    if output_mode == "multi_hot":
        return T.max(one_hot, axis=axis)
    if count_weights is not None:
        one_hot = one_hot * T.shape_padright(T.cast(count_weights, dtype))
    return T.sum(one_hot, axis=axis)


def _batches(data):
    """``data`` as a list of float arrays: one array, or the batches of an iterable."""
    if isinstance(data, np.ndarray) or np.isscalar(data) or (isinstance(data, list) and data and
                                                             np.isscalar(data[0])):
        return [np.asarray(data)]
    batches = [np.asarray(batch[0] if isinstance(batch, tuple) else batch) for batch in data]
    if not batches:
        raise ValueError("adapt() received no data: expected an array or an iterable of batches")
    return batches


class Normalization(Layer):
    """``(x - mean) / max(sqrt(variance), epsilon)`` per position of ``axis`` (``invert=True``: the inverse).

    Give ``mean`` and ``variance``, or call ``adapt(data)`` before training: it computes them over the other
    axes (batches of an iterable are combined exactly). The adapted statistics are the layer's non-trainable
    weights ``mean``, ``variance`` and ``count`` (Keras 3's).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> Normalization(mean=2.0, variance=4.0)(T.tensor("float32", shape=(None, 3))).type.shape
        (None, 3)
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**drop_keras3_keys(kwargs, "Normalization"))
        self._owner = f"Normalization '{self.name}'"
        if axis is None:
            axis = ()
        self.axis = (int(axis),) if isinstance(axis, (int, np.integer)) else tuple(int(a) for a in axis)
        if (mean is None) != (variance is None):
            raise ValueError(f"{self._owner}: give both mean and variance or neither, received mean={mean!r}, "
                             f"variance={variance!r}")
        self.input_mean, self.input_variance = mean, variance
        self.invert = bool(invert)
        self.supports_masking = True
        self.adapt_mean = self.adapt_variance = self.count = None

    def _layout(self, input_shape):
        ndim = len(input_shape)
        for a in self.axis:
            if not -ndim <= a < ndim:
                raise ValueError(f"{self._owner}: axis {a} is out of range for input shape {tuple(input_shape)}")
        keep = tuple(sorted(a % ndim for a in self.axis))
        for a in keep:
            if input_shape[a] is None:
                raise ValueError(f"{self._owner}: the kept axis {a} must have a known size, received shape "
                                 f"{tuple(input_shape)}")
        return keep, tuple(input_shape[a] for a in keep)

    def build(self, input_shape):
        self._ndim = len(input_shape)
        self._keep, shape = self._layout(input_shape)
        self._built_shape = tuple(input_shape)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight("mean", shape, "zeros", trainable=False)
            self.adapt_variance = self.add_weight("variance", shape, "ones", trainable=False)
            self.count = self.add_weight("count", (), "zeros", trainable=False, dtype="int64")
        self.built = True

    def adapt(self, data):
        """Sets ``mean`` and ``variance`` from ``data`` (an array or an iterable of batches)."""
        if self.input_mean is not None:
            raise ValueError(f"{self._owner}: cannot adapt a layer given mean and variance")
        batches = _batches(data)
        if not self.built:
            self.build((None,) + batches[0].shape[1:])
        reduce = tuple(a for a in range(self._ndim) if a not in self._keep)
        total_mean = total_var = None
        count = 0
        for batch in batches:
            batch = batch.astype(np.float64)
            if batch.ndim != self._ndim or any(batch.shape[a] != self._built_shape[a] for a in self._keep):
                raise ValueError(f"{self._owner}: adapt() data of shape {batch.shape} does not fit the layer's "
                                 f"input shape {self._built_shape}")
            mean, var = batch.mean(axis=reduce), batch.var(axis=reduce)
            n = int(np.prod([batch.shape[a] for a in reduce])) if reduce else 1
            if total_mean is None:
                total_mean, total_var, count = mean, var, n
                continue
            w = n / (count + n)
            new_mean = total_mean * (1 - w) + mean * w
            total_var = ((total_var + (total_mean - new_mean) ** 2) * (1 - w)
                         + (var + (mean - new_mean) ** 2) * w)
            total_mean, count = new_mean, count + n
        self.adapt_mean.set_value(np.asarray(total_mean, dtype=self.dtype).reshape(
            self.adapt_mean.get_value().shape))
        self.adapt_variance.set_value(np.asarray(total_var, dtype=self.dtype).reshape(
            self.adapt_variance.get_value().shape))

    def _broadcast(self, value, ndim):
        pattern = ["x"] * ndim
        for i, a in enumerate(self._keep):
            pattern[a] = i
        return value.dimshuffle(*pattern)

    def _statistics(self, ndim):
        if self.input_mean is None:
            return self._broadcast(self.adapt_mean, ndim), self._broadcast(self.adapt_variance, ndim)
        sizes = [self._built_shape[a] if a in self._keep else 1 for a in range(ndim)]
        values = []
        for given in (self.input_mean, self.input_variance):
            given = np.asarray(given, dtype=self.dtype)
            if given.ndim:
                expanded = [1] * ndim
                for i in range(1, given.ndim + 1):
                    expanded[self._keep[-i]] = given.shape[-i]
                given = given.reshape(expanded)
            values.append(T.constant(np.broadcast_to(given, sizes).copy()))
        return values

    def call(self, inputs):
        inputs = T.cast(inputs, self.dtype) if inputs.dtype != self.dtype else inputs
        mean, variance = self._statistics(inputs.ndim)
        scale = T.maximum(T.sqrt(variance), K.epsilon())
        return mean + inputs * scale if self.invert else (inputs - mean) / scale

    def get_config(self):
        def listed(value):
            return np.asarray(value).tolist() if value is not None else None
        return layer_config(self, axis=list(self.axis), invert=self.invert, mean=listed(self.input_mean),
                            variance=listed(self.input_variance))


class Rescaling(Layer):
    """``inputs * scale + offset`` (e.g. ``scale=1/255`` maps pixels to [0, 1]).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> Rescaling(1 / 255)(T.tensor("float32", shape=(None, 4, 4, 3))).type.shape
        (None, 4, 4, 3)
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**drop_keras3_keys(kwargs, "Rescaling"))
        self.scale, self.offset = scale, offset
        self.supports_masking = True

    def _constant(self, value, ndim):
        value = np.asarray(value, dtype=self.dtype)
        if value.ndim > 0 and value.ndim < ndim:   # a per-channel scale broadcasts over the last axes
            value = value.reshape((1,) * (ndim - value.ndim) + value.shape)
        return T.constant(value)

    def call(self, inputs):
        inputs = T.cast(inputs, self.dtype) if inputs.dtype != self.dtype else inputs
        return inputs * self._constant(self.scale, inputs.ndim) + self._constant(self.offset, inputs.ndim)

    def get_config(self):
        def plain(value):
            return np.asarray(value).tolist() if not np.isscalar(value) else float(value)
        return layer_config(self, scale=plain(self.scale), offset=plain(self.offset))


def _summary(values, epsilon):
    """(2, n) float64: quantile points of the sorted values every ``len * epsilon`` elements, and their weights."""
    values = np.sort(np.ravel(values).astype(np.float32))
    step = max(values.size * epsilon, 1)
    points = values[int(step - 1)::int(step)]
    return np.stack([points, np.full(points.shape, step)]).astype(np.float32)


def _compress(summary, epsilon):
    """The summary re-sampled at cumulative weight fractions epsilon, 2 epsilon, ..., 1 (interpolated)."""
    if summary.shape[1] * epsilon < 1:
        return summary
    fractions = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    share = cumulative / cumulative[-1]
    points = np.interp(fractions, share, summary[0])
    cumulative = np.interp(fractions, share, cumulative)
    weights = cumulative - np.concatenate(([0.0], cumulative[:-1]))
    return np.stack([points, weights]).astype(np.float32)


class Discretization(Layer):
    """Bucketizes values by ``bin_boundaries`` (``x < b[0]`` -> 0, ``b[i-1] <= x < b[i]`` -> i), or by
    ``num_bins`` quantiles found by ``adapt(data)`` (Keras's approximate quantiles with tolerance ``epsilon``).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.matrix("x")
        >>> Discretization(bin_boundaries=[0.0, 1.0])(x).eval({x: [[-1.0, 0.5, 2.0]]}).tolist()
        [[0, 1, 2]]
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int", sparse=False,
                 **kwargs):
        kwargs = drop_keras3_keys(kwargs, "Discretization")
        dtype = kwargs.pop("dtype", None)
        super().__init__(**kwargs)
        owner = self._owner = f"Discretization '{self.name}'"
        if sparse:
            raise ValueError(f"{owner}: sparse outputs are not supported by layerkit")
        if output_mode not in OUTPUT_MODES:
            raise ValueError(f"{owner}: expected output_mode in {OUTPUT_MODES}, received {output_mode!r}")
        if num_bins is None and bin_boundaries is None:
            raise ValueError(f"{owner}: expected bin_boundaries or num_bins, received neither")
        self.bin_boundaries = None if bin_boundaries is None else [float(b) for b in bin_boundaries]
        self.num_bins, self.epsilon, self.output_mode = num_bins, float(epsilon), output_mode
        self.dtype = dtype or ("int64" if output_mode == "int" else "float32")
        self._summary = np.zeros((2, 0), dtype=np.float32)

    def adapt(self, data):
        """Finds ``num_bins`` quantile boundaries of ``data`` (an array or an iterable of batches)."""
        if self.num_bins is None:
            raise ValueError(f"{self._owner}: adapt() needs a layer made with num_bins, not bin_boundaries")
        summary = np.zeros((2, 0), dtype=np.float32)
        for batch in _batches(data):
            merged = np.concatenate([summary, _summary(batch, self.epsilon)], axis=1)
            summary = _compress(merged[:, np.argsort(merged[0], kind="stable")], self.epsilon)
        self._summary = summary
        self.bin_boundaries = _compress(summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(f"{self._owner}: give bin_boundaries or call adapt() before using the layer")
        x = T.cast(inputs, "float32") if inputs.dtype not in ("float32", "float64") else inputs
        boundaries = T.constant(np.asarray(self.bin_boundaries, dtype=x.dtype))
        indices = T.sum(T.cast(T.ge(T.shape_padright(x), boundaries), "int64"), axis=-1)
        return encode_categories(indices, self.output_mode, len(self.bin_boundaries) + 1, self.dtype, self._owner)

    def get_config(self):
        return {"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins, "epsilon": self.epsilon,
                "output_mode": self.output_mode, "sparse": False, "name": self.name, "dtype": self.dtype,
                "trainable": self.trainable}


class CategoryEncoding(Layer):
    """Integer categories in [0, num_tokens) as 'one_hot', 'multi_hot' (default) or 'count' vectors.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.lmatrix("x")
        >>> CategoryEncoding(4, output_mode="count")(x).eval({x: [[0, 1, 1]]}).tolist()
        [[1.0, 2.0, 0.0, 0.0]]
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**drop_keras3_keys(kwargs, "CategoryEncoding"))
        owner = self._owner = f"CategoryEncoding '{self.name}'"
        if output_mode not in OUTPUT_MODES[1:]:
            raise ValueError(f"{owner}: expected output_mode 'one_hot', 'multi_hot' or 'count', received "
                             f"{output_mode!r}")
        if num_tokens is None or int(num_tokens) < 1:
            raise ValueError(f"{owner}: expected num_tokens >= 1, received {num_tokens!r}")
        if sparse:
            raise ValueError(f"{owner}: sparse outputs are not supported by layerkit")
        self.num_tokens, self.output_mode = int(num_tokens), output_mode

    def call(self, inputs, count_weights=None):
        if count_weights is not None and self.output_mode != "count":
            raise ValueError(f"{self._owner}: count_weights needs output_mode='count', received "
                             f"{self.output_mode!r}")
        return encode_categories(inputs, self.output_mode, self.num_tokens, self.dtype, self._owner,
                                 count_weights)

    def get_config(self):
        return layer_config(self, num_tokens=self.num_tokens, output_mode=self.output_mode, sparse=False)
