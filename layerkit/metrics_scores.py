"""Keras 3's classification and segmentation scores: ``FBetaScore`` / ``F1Score`` (per-class counts of a
thresholded or arg-maxed prediction) and the intersection-over-union metrics ``IoU``, ``MeanIoU``, ``BinaryIoU``,
``OneHotIoU`` and ``OneHotMeanIoU`` (a running confusion matrix). Re-exported by ``layerkit.metrics``.

Example:
    >>> import numpy as np, layerkit_backend as lb, layerkit_backend.tensor as T
    >>> m = MeanIoU(num_classes=2)
    >>> y, p = T.vector('y'), T.vector('p')
    >>> ups = m.update_state(y, p)
    >>> f = lb.function([y, p], m.result(dict(ups)), updates=ups)
    >>> round(float(f(np.float32([0, 0, 1, 1]), np.float32([0, 1, 0, 1]))), 4)   # IoU 1/3 for both classes
    0.3333
"""
import numpy as np

import layerkit_backend.tensor as T

from . import backend as K
from .metrics_confusion import Metric

__all__ = ["FBetaScore", "F1Score", "IoU", "MeanIoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU"]

AVERAGES = (None, "micro", "macro", "weighted")


class FBetaScore(Metric):
    """``(1 + beta**2) p r / (beta**2 p + r)`` from running per-class true/false positive and false negative
    counts of 2-d (batch, classes) targets and predictions. A prediction counts as positive where it is the
    row's maximum (``threshold=None``) or above ``threshold``; ``average``: None (one score per class), 'micro'
    (counts pooled), 'macro' (mean of the class scores) or 'weighted' (by each class's support)."""

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name, dtype)
        if average not in AVERAGES:
            raise ValueError(f"{type(self).__name__}: expected average in {AVERAGES}, received {average!r}")
        if not float(beta) > 0:
            raise ValueError(f"{type(self).__name__}: expected beta > 0, received {beta!r}")
        if threshold is not None and not 0 < float(threshold) <= 1:
            raise ValueError(f"{type(self).__name__}: expected threshold in (0, 1], received {threshold!r}")
        self.average, self.beta, self.threshold = average, float(beta), threshold
        self._counts = None

    def _build(self, y_true, y_pred):
        if y_pred.ndim != 2 or y_true.ndim != 2 or y_pred.type.shape[-1] is None:
            raise ValueError(f"{type(self).__name__}: expected 2-d (batch, classes) targets and predictions with a "
                             f"known number of classes, received shapes {y_true.type.shape} and "
                             f"{y_pred.type.shape}")
        shape = () if self.average == "micro" else (y_pred.type.shape[-1],)
        self._counts = {name: self.add_weight(name, shape) for name in
                        ("true_positives", "false_positives", "false_negatives", "intermediate_weights")}

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = T.cast(T.as_tensor_variable(y_true), self.dtype)
        y_pred = T.cast(T.as_tensor_variable(y_pred), self.dtype)
        if self._counts is None:
            self._build(y_true, y_pred)
        if self.threshold is None:
            top = T.max(y_pred, axis=-1, keepdims=True)
            predicted = T.and_(T.ge(y_pred, top), T.gt(T.abs(y_pred), 1e-9))
        else:
            predicted = T.gt(y_pred, self.threshold)
        predicted = T.cast(predicted, self.dtype)
        axis = None if self.average == "micro" else 0

        def total(values):
            if sample_weight is not None:
                values = values * T.shape_padright(T.cast(T.flatten(sample_weight), self.dtype))
            return T.sum(values, axis=axis)

        terms = {"true_positives": predicted * y_true, "false_positives": predicted * (1 - y_true),
                 "false_negatives": (1 - predicted) * y_true, "intermediate_weights": y_true}
        return [(var, var + total(terms[name])) for name, var in self._counts.items()]

    def result(self, values=None):
        if self._counts is None:
            return T.constant(np.float32(0.0))
        tp, fp, fn, support = (self._read(self._counts[n], values) for n in
                               ("true_positives", "false_positives", "false_negatives", "intermediate_weights"))
        eps = K.epsilon()
        precision = tp / (tp + fp + eps)
        recall = tp / (tp + fn + eps)
        beta2 = self.beta ** 2
        score = precision * recall / (beta2 * precision + recall + eps) * (1 + beta2)
        if self.average == "weighted":
            return T.sum(score * support / (T.sum(support) + eps))
        if self.average is not None:
            return T.mean(score)
        return score

    def get_config(self):
        return {**super().get_config(), "beta": self.beta, "average": self.average, "threshold": self.threshold}


class F1Score(FBetaScore):
    """``FBetaScore`` with ``beta=1``: the harmonic mean of precision and recall."""

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        config = super().get_config()
        config.pop("beta")
        return config


class _IoUBase(Metric):
    """A running (num_classes, num_classes) confusion matrix of integer classes (rows: targets)."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        super().__init__(name, dtype)
        if int(num_classes) < 1:
            raise ValueError(f"{type(self).__name__}: expected num_classes >= 1, received {num_classes!r}")
        self.num_classes, self.ignore_class, self.axis = int(num_classes), ignore_class, axis
        self.sparse_y_true, self.sparse_y_pred = bool(sparse_y_true), bool(sparse_y_pred)
        self.total_cm = self.add_weight("total_confusion_matrix", (self.num_classes, self.num_classes))

    def _classes(self, y_true, y_pred):
        y_true, y_pred = T.as_tensor_variable(y_true), T.as_tensor_variable(y_pred)
        if not self.sparse_y_true:
            y_true = T.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = T.argmax(y_pred, axis=self.axis)
        # Keras casts through the metric's float dtype to integers: probabilities below 1 become class 0
        return (T.cast(T.cast(T.flatten(y_true), self.dtype), "int64"),
                T.cast(T.cast(T.flatten(y_pred), self.dtype), "int64"))

    def update_state(self, y_true, y_pred, sample_weight=None):
        true, pred = self._classes(y_true, y_pred)
        n = self.num_classes
        valid = T.and_(T.and_(T.ge(true, 0), T.lt(true, n)), T.and_(T.ge(pred, 0), T.lt(pred, n)))
        if self.ignore_class is not None:
            valid = T.and_(valid, T.neq(true, self.ignore_class))
        weight = T.cast(valid, self.dtype)
        if sample_weight is not None:
            weight = weight * T.flatten(T.cast(sample_weight, self.dtype))
        classes = T.arange(n, dtype="int64")
        true_hot = T.cast(T.eq(T.shape_padright(T.switch(valid, true, 0)), classes), self.dtype)
        pred_hot = T.cast(T.eq(T.shape_padright(T.switch(valid, pred, 0)), classes), self.dtype)
        counts = T.dot((true_hot * T.shape_padright(weight)).T, pred_hot)
        return [(self.total_cm, self.total_cm + counts)]

    def _per_class(self, values):
        cm = self._read(self.total_cm, values)
        predicted, actual = T.sum(cm, axis=0), T.sum(cm, axis=1)
        true_positives = T.sum(cm * T.eye(self.num_classes, dtype=self.dtype), axis=0)
        return true_positives, predicted + actual - true_positives

    def _mean_over(self, class_ids, values):
        true_positives, denominator = self._per_class(values)
        ids = T.constant(np.asarray(class_ids, dtype="int64"))
        true_positives, denominator = true_positives[ids], denominator[ids]
        valid = T.sum(T.cast(T.gt(denominator, 1e-9), self.dtype))
        iou = true_positives / (denominator + K.epsilon())
        return T.sum(iou) / (valid + K.epsilon())

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class IoU(_IoUBase):
    """Mean intersection-over-union ``tp / (tp + fp + fn)`` of the classes in ``target_class_ids`` (classes
    never seen are left out of the mean)."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, name, dtype, ignore_class, sparse_y_true, sparse_y_pred, axis)
        if max(target_class_ids) >= self.num_classes:
            raise ValueError(f"IoU: target_class_ids {list(target_class_ids)} must be below num_classes "
                             f"{self.num_classes}")
        self.target_class_ids = [int(c) for c in target_class_ids]

    def result(self, values=None):
        return self._mean_over(self.target_class_ids, values)

    def get_config(self):
        return {**super().get_config(), "target_class_ids": self.target_class_ids}


class MeanIoU(_IoUBase):
    """IoU averaged over all ``num_classes`` classes (Keras's ``MeanIoU``)."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_true=True,
                 sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, name, dtype, ignore_class, sparse_y_true, sparse_y_pred, axis)

    def result(self, values=None):
        return self._mean_over(list(range(self.num_classes)), values)


class BinaryIoU(IoU):
    """IoU of binary predictions thresholded at ``threshold`` (>= counts as 1) for ``target_class_ids``."""

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(2, list(target_class_ids), name=name, dtype=dtype)
        self.threshold = float(threshold)

    def _classes(self, y_true, y_pred):
        y_pred = T.cast(T.ge(T.as_tensor_variable(y_pred), self.threshold), "int64")
        return T.cast(T.flatten(T.as_tensor_variable(y_true)), "int64"), T.flatten(y_pred)

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype, "target_class_ids": self.target_class_ids,
                "threshold": self.threshold}


class OneHotIoU(IoU):
    """``IoU`` of one-hot targets and class scores (both arg-maxed)."""

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, target_class_ids, name, dtype, ignore_class, False, sparse_y_pred, axis)


class OneHotMeanIoU(MeanIoU):
    """``MeanIoU`` of one-hot targets and class scores (both arg-maxed)."""

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name, dtype, ignore_class, False, sparse_y_pred, axis)
