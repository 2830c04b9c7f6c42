"""Keras's metrics: per-sample functions, and stateful classes that accumulate over batches.

A stateful metric holds backend shared variables. ``update_state(y_true, y_pred, sample_weight=None)`` returns
update pairs ``[(variable, new_value), ...]`` for the compiled function; ``result(values=None)`` builds the
result, reading ``values[variable]`` in place of a variable when given (the engine passes ``dict(updates)`` so one
call returns the result after this batch); ``reset_state()`` zeroes the variables on the host.

``get('accuracy')`` (or ``'acc'``) returns an ``AccuracyMarker``; the engine turns it into the right function
with ``resolve_accuracy(y_true, y_pred)`` once the targets are known (Keras 3's rule: from their shapes).

Every built-in metric function brings targets one rank below the predictions to the predictions' rank first
(``losses.squeeze_or_expand_to_same_rank``), so ``(n,)`` targets mean what ``(n, 1)`` targets mean.

Example:
    >>> import numpy as np, layerkit_backend as lb, layerkit_backend.tensor as T
    >>> m = Mean()
    >>> v = T.vector('v')
    >>> updates = m.update_state(v)
    >>> f = lb.function([v], m.result(dict(updates)), updates=updates)
    >>> float(f(np.float32([1, 2]))), float(f(np.float32([6])))
    (1.5, 3.0)
"""
import numpy as np

import layerkit_backend.tensor as T

from . import backend as K
from . import losses as _losses
from .layers.base import to_snake_case
from .metrics_confusion import (AUC, FalseNegatives, FalsePositives, Metric, Precision, Recall, TrueNegatives,
                                TruePositives)
from .metrics_scores import BinaryIoU, F1Score, FBetaScore, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU

__all__ = ["binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy", "top_k_categorical_accuracy",
           "sparse_top_k_categorical_accuracy", "accuracy", "mse", "mae", "mape", "msle", "mean_squared_error",
           "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_logarithmic_error", "hinge",
           "squared_hinge", "categorical_hinge", "logcosh", "log_cosh", "kld", "kl_divergence", "poisson",
           "cosine_similarity", "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
           "binary_focal_crossentropy", "categorical_focal_crossentropy", "huber", "Metric", "Mean", "Sum",
           "MeanMetricWrapper", "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
           "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy", "MeanSquaredError", "MeanAbsoluteError",
           "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "RootMeanSquaredError", "CosineSimilarity",
           "LogCoshError", "Poisson", "KLDivergence", "Hinge", "SquaredHinge", "CategoricalHinge",
           "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "AUC", "Precision",
           "Recall", "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives", "R2Score", "FBetaScore",
           "F1Score", "IoU", "MeanIoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU", "AccuracyMarker",
           "resolve_accuracy", "serialize", "deserialize", "get"]

# Loss functions double as metrics (Keras does the same), except cosine similarity (positive as a metric).
from .losses import (binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,  # noqa
                     categorical_focal_crossentropy, categorical_hinge, hinge, huber, kl_divergence, kld, log_cosh,
                     logcosh, mae, mape, mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
                     mean_squared_logarithmic_error, mse, msle, poisson, sparse_categorical_crossentropy,
                     squared_hinge)


def _float(x):
    return T.cast(x, K.floatx())


def _same_rank(y_true, y_pred):
    y_pred = T.as_tensor_variable(y_pred)
    return _losses.squeeze_or_expand_to_same_rank(T.as_tensor_variable(y_true), y_pred)


def accuracy(y_true, y_pred):
    """Elementwise ``y_true == y_pred`` as floats (Keras's ``Accuracy``)."""
    y_true, y_pred = _same_rank(y_true, y_pred)
    return _float(T.eq(y_true, y_pred))


def cosine_similarity(y_true, y_pred, axis=-1):
    """Cosine similarity along ``axis`` (1 for parallel vectors; 0 if either is zero): Keras's metric, the
    negative of the loss of the same name.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> y, p = T.dmatrix('y'), T.dmatrix('p')
        >>> cosine_similarity(y, p).eval({y: [[1.0, 0.0]], p: [[2.0, 0.0]]}).tolist()
        [1.0]
    """
    return -_losses.cosine_similarity(y_true, y_pred, axis=axis)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """``mean(y_true == (y_pred > threshold), axis=-1)``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> y, p = T.dmatrix('y'), T.dmatrix('p')
        >>> binary_accuracy(y, p).eval({y: [[1.0, 0.0]], p: [[0.7, 0.6]]}).tolist()
        [0.5]
    """
    y_true, y_pred = _same_rank(y_true, y_pred)
    predicted = T.cast(T.gt(y_pred, threshold), y_pred.dtype)
    return T.mean(_float(T.eq(T.cast(y_true, y_pred.dtype), predicted)), axis=-1)


def categorical_accuracy(y_true, y_pred):
    """1 where ``argmax(y_true) == argmax(y_pred)`` (last axis), else 0.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> y, p = T.dmatrix('y'), T.dmatrix('p')
        >>> categorical_accuracy(y, p).eval({y: [[0, 1], [1, 0]], p: [[0.2, 0.8], [0.3, 0.7]]}).tolist()
        [1.0, 0.0]
    """
    return _float(T.eq(T.argmax(y_true, axis=-1), T.argmax(y_pred, axis=-1)))


def _labels(y_true, y_pred):
    y_pred = T.as_tensor_variable(y_pred)
    return _losses._sparse_labels(y_true, y_pred, "sparse accuracy"), y_pred


def sparse_categorical_accuracy(y_true, y_pred):
    """1 where the integer label equals ``argmax(y_pred)``; labels (batch,) or (batch, 1).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> y, p = T.lvector('y'), T.dmatrix('p')
        >>> sparse_categorical_accuracy(y, p).eval({y: [1, 1], p: [[0.2, 0.8], [0.3, 0.1]]}).tolist()
        [1.0, 0.0]
    """
    labels, y_pred = _labels(y_true, y_pred)
    return _float(T.eq(labels, T.argmax(y_pred, axis=-1)))


def _in_top_k(y_pred, labels, k):
    """True where fewer than ``k`` classes score strictly higher than the label (ties count as in)."""
    one_hot = T.eq(T.shape_padright(labels), T.arange(T.shape(y_pred)[-1], dtype="int64"))
    target = T.sum(y_pred * T.cast(one_hot, y_pred.dtype), axis=-1, keepdims=True)
    return _float(T.lt(T.sum(T.cast(T.gt(y_pred, target), "int64"), axis=-1), k))


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the one-hot target's class is among the ``k`` highest predictions.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> y, p = T.dmatrix('y'), T.dmatrix('p')
        >>> top_k_categorical_accuracy(y, p, k=2).eval({y: [[0, 0, 1]], p: [[0.5, 0.2, 0.3]]}).tolist()
        [1.0]
    """
    return _in_top_k(T.as_tensor_variable(y_pred), T.argmax(y_true, axis=-1), k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the integer label is among the ``k`` highest predictions.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> y, p = T.lvector('y'), T.dmatrix('p')
        >>> sparse_top_k_categorical_accuracy(y, p, k=1).eval({y: [2], p: [[0.5, 0.2, 0.3]]}).tolist()
        [0.0]
    """
    labels, y_pred = _labels(y_true, y_pred)
    return _in_top_k(y_pred, labels, k)


# ---------------------------------------------------------------------------------------------- accuracy marker
class AccuracyMarker:
    """What ``get('accuracy')`` returns: the engine replaces it by ``resolve_accuracy(...)``; ``name`` is the
    spelling the user gave ('accuracy' or 'acc'), used for the history key."""

    def __init__(self, name="accuracy"):
        self.name = name
        self.__name__ = name

    def __call__(self, y_true, y_pred):
        raise TypeError(f"metrics: '{self.name}' depends on the loss and output shape; resolve it with "
                        f"metrics.resolve_accuracy(loss, output_shape, target_dtype) before calling it")

    def __repr__(self):
        return f"AccuracyMarker({self.name!r})"


def resolve_accuracy(y_true, y_pred):
    """The accuracy function Keras 3 picks for ``'accuracy'`` from the shapes of the targets and the output:
    binary accuracy for an output whose last axis is 1; sparse categorical accuracy for targets of lower rank
    than the output, or ending in an axis of 1 when the output's last axis is longer; categorical otherwise
    (also for several sigmoid units with binary cross-entropy).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> labels, p = T.lvector('labels'), T.tensor('float32', shape=(None, 10))
        >>> resolve_accuracy(labels, p) is sparse_categorical_accuracy
        True
    """
    true_shape, pred_shape = tuple(y_true.type.shape), tuple(y_pred.type.shape)
    if pred_shape and pred_shape[-1] == 1:
        return binary_accuracy
    longer = pred_shape and pred_shape[-1] is not None and pred_shape[-1] > 1
    if y_true.ndim < y_pred.ndim or (true_shape and true_shape[-1] == 1 and longer):
        return sparse_categorical_accuracy
    return categorical_accuracy


# ---------------------------------------------------------------------------------------------- stateful metrics
def _weights_like(values, sample_weight):
    """``sample_weight`` broadcast against ``values`` (trailing axes added; a trailing 1 squeezed)."""
    w = T.cast(T.as_tensor_variable(sample_weight), values.dtype)
    if w.ndim == values.ndim + 1 and w.type.shape[-1] == 1:
        w = T.squeeze(w, axis=-1)
    while w.ndim < values.ndim:
        w = T.shape_padright(w)
    return w * T.ones_like(values)


class Sum(Metric):
    """The running (weighted) sum of the values."""

    def __init__(self, name="sum", dtype=None):
        super().__init__(name, dtype)
        self.total = self.add_weight("total")

    def update_state(self, values, sample_weight=None):
        values = T.cast(T.as_tensor_variable(values), self.dtype)
        if sample_weight is not None:
            values = values * _weights_like(values, sample_weight)
        return [(self.total, self.total + T.sum(values))]

    def result(self, values=None):
        return self._read(self.total, values)


class Mean(Metric):
    """The running (weighted) mean of all values seen, 0 before any."""

    def __init__(self, name="mean", dtype=None):
        super().__init__(name, dtype)
        self.total = self.add_weight("total")
        self.count = self.add_weight("count")

    def update_state(self, values, sample_weight=None):
        values = T.cast(T.as_tensor_variable(values), self.dtype)
        if sample_weight is None:
            weighted, count = T.sum(values), T.cast(T.prod(T.shape(values)), self.dtype) if values.ndim else 1.0
        else:
            w = _weights_like(values, sample_weight)
            weighted, count = T.sum(values * w), T.sum(w)
        return [(self.total, self.total + weighted), (self.count, self.count + count)]

    def result(self, values=None):
        total, count = self._read(self.total, values), self._read(self.count, values)
        return T.switch(T.eq(count, 0), T.zeros_like(total), total / T.switch(T.eq(count, 0), 1, count))


class MeanMetricWrapper(Mean):
    """The running mean of a per-sample function ``fn(y_true, y_pred, **kwargs)``."""

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name or fn.__name__, dtype=dtype)
        self._fn, self._fn_kwargs = fn, kwargs

    def update_state(self, y_true, y_pred, sample_weight=None):
        return super().update_state(self._fn(y_true, y_pred, **self._fn_kwargs), sample_weight)

    def get_config(self):
        return {**super().get_config(), **self._fn_kwargs}


def _wrapper(class_name, fn, keras_name, **defaults):
    def __init__(self, name=keras_name, dtype=None, **kwargs):
        unknown = set(kwargs) - set(defaults)
        if unknown:
            raise TypeError(f"{class_name}: unexpected arguments {sorted(unknown)}")
        MeanMetricWrapper.__init__(self, fn, name=name, dtype=dtype, **{**defaults, **kwargs})

    doc = f"Keras's ``{class_name}``: the running mean of ``{fn.__name__}``."
    return type(class_name, (MeanMetricWrapper,), {"__init__": __init__, "__doc__": doc, "__module__": __name__})


Accuracy = _wrapper("Accuracy", accuracy, "accuracy")
BinaryAccuracy = _wrapper("BinaryAccuracy", binary_accuracy, "binary_accuracy", threshold=0.5)
CategoricalAccuracy = _wrapper("CategoricalAccuracy", categorical_accuracy, "categorical_accuracy")
SparseCategoricalAccuracy = _wrapper("SparseCategoricalAccuracy", sparse_categorical_accuracy,
                                     "sparse_categorical_accuracy")
TopKCategoricalAccuracy = _wrapper("TopKCategoricalAccuracy", top_k_categorical_accuracy,
                                   "top_k_categorical_accuracy", k=5)
SparseTopKCategoricalAccuracy = _wrapper("SparseTopKCategoricalAccuracy", sparse_top_k_categorical_accuracy,
                                         "sparse_top_k_categorical_accuracy", k=5)
MeanSquaredError = _wrapper("MeanSquaredError", mean_squared_error, "mean_squared_error")
MeanAbsoluteError = _wrapper("MeanAbsoluteError", mean_absolute_error, "mean_absolute_error")
MeanAbsolutePercentageError = _wrapper("MeanAbsolutePercentageError", mean_absolute_percentage_error,
                                       "mean_absolute_percentage_error")
MeanSquaredLogarithmicError = _wrapper("MeanSquaredLogarithmicError", mean_squared_logarithmic_error,
                                       "mean_squared_logarithmic_error")
CosineSimilarity = _wrapper("CosineSimilarity", cosine_similarity, "cosine_similarity", axis=-1)
LogCoshError = _wrapper("LogCoshError", log_cosh, "logcosh")
Poisson = _wrapper("Poisson", poisson, "poisson")
KLDivergence = _wrapper("KLDivergence", kl_divergence, "kl_divergence")
Hinge = _wrapper("Hinge", hinge, "hinge")
SquaredHinge = _wrapper("SquaredHinge", squared_hinge, "squared_hinge")
CategoricalHinge = _wrapper("CategoricalHinge", categorical_hinge, "categorical_hinge")
BinaryCrossentropy = _wrapper("BinaryCrossentropy", binary_crossentropy, "binary_crossentropy", from_logits=False,
                              label_smoothing=0.0)
CategoricalCrossentropy = _wrapper("CategoricalCrossentropy", categorical_crossentropy, "categorical_crossentropy",
                                   from_logits=False, label_smoothing=0.0, axis=-1)
SparseCategoricalCrossentropy = _wrapper("SparseCategoricalCrossentropy", sparse_categorical_crossentropy,
                                         "sparse_categorical_crossentropy", from_logits=False, axis=-1)


def _squared_error(y_true, y_pred):
    y_true, y_pred = _losses._pair(y_true, y_pred)
    return T.square(y_pred - y_true)


class RootMeanSquaredError(Mean):
    """The square root of the running mean of the squared errors."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        return super().update_state(_squared_error(y_true, y_pred), sample_weight)

    def result(self, values=None):
        return T.sqrt(super().result(values))


class R2Score(Metric):
    """The coefficient of determination ``1 - SSE / SST`` per target column, from running sums (Keras 3's):
    ``class_aggregation`` 'uniform_average' (mean over columns), 'variance_weighted_average' or None (one per
    column); ``num_regressors > 0`` gives the adjusted score."""

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score", dtype=None):
        super().__init__(name, dtype)
        if class_aggregation not in ("uniform_average", "variance_weighted_average", None):
            raise ValueError(f"R2Score: expected class_aggregation 'uniform_average', 'variance_weighted_average' or "
                             f"None, received {class_aggregation!r}")
        if int(num_regressors) < 0:
            raise ValueError(f"R2Score: expected num_regressors >= 0, received {num_regressors!r}")
        self.class_aggregation, self.num_regressors = class_aggregation, int(num_regressors)
        self._sums = None

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = _same_rank(T.cast(T.as_tensor_variable(y_true), self.dtype),
                                    T.cast(T.as_tensor_variable(y_pred), self.dtype))
        if y_true.ndim != 2 or y_true.type.shape[-1] is None:
            raise ValueError(f"R2Score: expected 2-d (batch, outputs) targets with a known number of outputs, "
                             f"received shape {y_true.type.shape}")
        if self._sums is None:
            width = (y_true.type.shape[-1],)
            self._sums = {name: self.add_weight(name, width) for name in ("squared_sum", "sum", "total_mse",
                                                                         "count")}
            self._sums["num_samples"] = self.add_weight("num_samples", (), dtype="int64")
        w = T.ones_like(y_true) if sample_weight is None else _weights_like(y_true, sample_weight)
        terms = {"sum": T.sum(y_true * w, axis=0), "squared_sum": T.sum(y_true * y_true * w, axis=0),
                 "total_mse": T.sum(T.sqr(y_true - y_pred) * w, axis=0), "count": T.sum(w, axis=0),
                 "num_samples": T.cast(T.prod(T.shape(y_true)), "int64")}
        return [(var, var + T.cast(terms[name], var.dtype)) for name, var in self._sums.items()]

    def result(self, values=None):
        if self._sums is None:
            return T.constant(np.float32(0.0))
        read = {name: self._read(var, values) for name, var in self._sums.items()}
        mean = read["sum"] / read["count"]
        total = read["squared_sum"] - read["sum"] * mean
        raw = 1 - read["total_mse"] / total
        raw = T.switch(T.isinf(raw), T.zeros_like(raw), raw)
        if self.class_aggregation == "uniform_average":
            score = T.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            score = T.sum(total * raw) / T.sum(total)
        else:
            score = raw
        if self.num_regressors:
            n = T.cast(read["num_samples"], self.dtype)
            adjusted = 1.0 - (1.0 - score) * (n - 1.0) / (n - self.num_regressors - 1.0)
            # Keras falls back to the plain score when there are too few samples
            score = T.switch(T.gt(n - 1, self.num_regressors), adjusted, score)
        return score

    def get_config(self):
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}


_CLASSES = {c.__name__: c for c in (Mean, Sum, Accuracy, BinaryAccuracy, CategoricalAccuracy,
                                    SparseCategoricalAccuracy, TopKCategoricalAccuracy,
                                    SparseTopKCategoricalAccuracy, MeanSquaredError, MeanAbsoluteError,
                                    MeanAbsolutePercentageError, MeanSquaredLogarithmicError, RootMeanSquaredError,
                                    CosineSimilarity, LogCoshError, Poisson, KLDivergence, Hinge, SquaredHinge,
                                    CategoricalHinge, BinaryCrossentropy, CategoricalCrossentropy,
                                    SparseCategoricalCrossentropy, AUC, Precision, Recall, TruePositives,
                                    FalsePositives, TrueNegatives, FalseNegatives, R2Score, FBetaScore, F1Score,
                                    IoU, MeanIoU, BinaryIoU, OneHotIoU, OneHotMeanIoU)}
_FUNCTIONS = {f.__name__: f for f in (binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
                                      top_k_categorical_accuracy, sparse_top_k_categorical_accuracy,
                                      mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
                                      mean_squared_logarithmic_error, hinge, squared_hinge, categorical_hinge,
                                      log_cosh, kl_divergence, poisson, cosine_similarity, binary_crossentropy,
                                      categorical_crossentropy, sparse_categorical_crossentropy,
                                      binary_focal_crossentropy, categorical_focal_crossentropy, huber)}
_FUNCTIONS.update(mse=mse, mae=mae, mape=mape, msle=msle, logcosh=log_cosh, kld=kl_divergence,
                  top_k_acc=top_k_categorical_accuracy)
# Keras 3 also accepts a metric class's snake_case name ('root_mean_squared_error', 'auc'...)
_CLASSES.update({to_snake_case(name): cls for name, cls in list(_CLASSES.items())
                 if to_snake_case(name) not in _FUNCTIONS})


def serialize(metric):
    """A function -> its name; a Metric -> ``{"class_name", "config"}``; a marker -> its name."""
    if isinstance(metric, Metric):
        return {"class_name": type(metric).__name__, "config": metric.get_config()}
    if isinstance(metric, (str, AccuracyMarker)):
        return metric if isinstance(metric, str) else metric.name
    return metric.__name__


def deserialize(identifier, custom_objects=None):
    """A metric function, Metric instance or ``AccuracyMarker`` from a name, config dict or callable.

    Example:
        >>> deserialize('acc').name, deserialize('mse') is mean_squared_error
        ('acc', True)
    """
    if isinstance(identifier, str) and identifier in ("accuracy", "acc"):
        return AccuracyMarker(identifier)
    return _losses.deserialize_function_or_class(identifier, custom_objects, _FUNCTIONS, _CLASSES, "metrics",
                                                 "metric", names=("accuracy",))


def get(identifier):
    """Keras's ``metrics.get`` (None passes through)."""
    return None if identifier is None else deserialize(identifier)
