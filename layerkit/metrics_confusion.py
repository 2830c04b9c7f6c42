"""The ``Metric`` base and the confusion-count metrics ``AUC``, ``Precision``, ``Recall`` and the four counts
``TruePositives``, ``FalsePositives``, ``TrueNegatives``, ``FalseNegatives`` (all re-exported by
``layerkit.metrics``).

Each keeps true/false positive/negative counts per threshold in shared variables; a prediction counts as
positive at threshold ``t`` when ``y_pred > t`` (Keras's rule).
"""
import numpy as np

import layerkit_backend as lb
import layerkit_backend.tensor as T

from . import backend as K
from .layers.base import auto_name, to_snake_case

__all__ = ["Metric", "AUC", "Precision", "Recall", "TruePositives", "FalsePositives", "TrueNegatives",
           "FalseNegatives", "confusion_updates"]

_COUNTS = ("true_positives", "false_positives", "true_negatives", "false_negatives")


class Metric:
    """Base of stateful metrics: subclasses create variables with ``add_weight`` (or Keras 3's ``add_variable``)
    and implement ``update_state`` and ``result``. ``update_state`` may return update pairs (layerkit's metrics)
    or assign its variables (``self.total.assign_add(...)``, Keras 3's way); ``result`` may take ``values``
    (the engine's new values) or read the variables. Called on NumPy arrays, ``update_state`` and ``result`` act
    now (see ``layerkit.eager``)."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        from .eager import metric_result, metric_update_state   # the eager and traced calls of any subclass

        for name, wrap in (("update_state", metric_update_state), ("result", metric_result)):
            method = cls.__dict__.get(name)
            if method is not None and not getattr(method, "_eager_wrapped", False):
                setattr(cls, name, wrap(method))

    def __init__(self, name=None, dtype=None):
        # without a name, Keras 3 names metric objects like layers: 'auc', then 'auc_1'... (history keys follow)
        self.name = name or auto_name(to_snake_case(type(self).__name__))
        self.dtype = dtype or K.floatx()
        self._variables = []

    def add_weight(self, *args, **kwargs):
        """A variable named '<metric>/<name>' (zeros by default), tracked for ``reset_state``: Keras 2's
        ``add_weight(name, shape=(), initializer='zeros', dtype=None)`` or Keras 3's keywords."""
        names = ("name", "shape", "initializer", "dtype") if args and isinstance(args[0], str) else \
            ("shape", "initializer", "dtype", "name")
        given = dict(zip(names, args), **kwargs)
        return self.add_variable(given.get("shape", ()), given.get("initializer") or "zeros", given.get("dtype"),
                                 name=given.get("name"))

    def add_variable(self, shape, initializer, dtype=None, aggregation="sum", name=None):
        """Keras 3's ``Metric.add_variable``: a variable of ``shape`` set by ``initializer``."""
        from .variables import Variable

        name = name or f"variable_{len(self._variables)}"
        var = Variable(initializer, shape=tuple(shape), dtype=dtype or self.dtype, name=f"{self.name}/{name}")
        self._variables.append(var)
        return var

    def __call__(self, *args, **kwargs):
        """``update_state(*args, **kwargs)`` then ``result()`` (Keras's ``metric(y_true, y_pred)``)."""
        self.update_state(*args, **kwargs)
        return self.result()

    @property
    def variables(self):
        return list(self._variables)

    def reset_state(self):
        """Zero every variable on the host."""
        for var in self._variables:
            var.set_value(np.zeros_like(var.get_value(borrow=True)))

    reset_states = reset_state  # Keras 2's name (public alias)

    @staticmethod
    def _read(var, values):
        return values[var] if values is not None and var in values else var

    def update_state(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement update_state")

    def result(self, values=None):
        raise NotImplementedError(f"{type(self).__name__} must implement result")

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _flat_weights(sample_weight, y_true, dtype):
    """Per-entry weights of ``y_true``, flattened: a (batch,) weight is repeated over the other axes (a trailing
    axis of 1 is dropped first), so it never broadcasts (batch,) against (batch, 1) into a square."""
    y_true = T.as_tensor_variable(y_true)
    w = T.cast(T.as_tensor_variable(sample_weight), dtype)
    if w.ndim == y_true.ndim + 1 and w.type.shape[-1] == 1:
        w = T.squeeze(w, axis=-1)
    while w.ndim < y_true.ndim:
        w = T.shape_padright(w)
    return T.flatten(w * T.ones_like(T.cast(y_true, dtype)), 1)


def confusion_updates(variables, thresholds, y_true, y_pred, sample_weight=None, dtype=None):
    """Update pairs adding this batch's weighted confusion counts to ``variables`` (a dict keyed by the
    names in ``_COUNTS``, each a vector with one entry per threshold)."""
    dtype = dtype or K.floatx()
    y_pred = T.flatten(T.cast(y_pred, dtype), 1)
    labels = T.flatten(T.neq(y_true, 0), 1)
    thresholds = T.constant(np.asarray(thresholds, dtype=dtype))
    predicted = T.gt(T.shape_padleft(y_pred), T.shape_padright(thresholds))  # (thresholds, samples)
    weight = T.ones_like(y_pred) if sample_weight is None else _flat_weights(sample_weight, y_true, dtype)
    weight = T.shape_padleft(weight)
    positive, negative = T.shape_padleft(labels), T.logical_not(T.shape_padleft(labels))
    counts = {"true_positives": T.and_(predicted, positive), "false_positives": T.and_(predicted, negative),
              "true_negatives": T.and_(T.logical_not(predicted), negative),
              "false_negatives": T.and_(T.logical_not(predicted), positive)}
    return [(var, var + T.sum(T.cast(counts[name], dtype) * weight, axis=1)) for name, var in variables.items()]


def _ratio(a, b):
    """``a / b``, 0 where ``b`` is 0 (Keras's divide_no_nan)."""
    zero = T.eq(b, 0)
    return T.switch(zero, T.zeros_like(a), a / T.switch(zero, T.ones_like(b), b))


class AUC(Metric):
    """Area under the ROC or precision-recall curve, from counts at ``num_thresholds`` thresholds.

    Thresholds are ``i / (num_thresholds - 1)`` for the inner points, with ``-eps`` and ``1 + eps`` at the ends
    (Keras's). ``summation_method='interpolation'`` uses the trapezoid rule for ROC and Davis & Goadrich's
    interpolation for PR; 'minoring' / 'majoring' use left / right Riemann sums.

    Example:
        >>> import numpy as np, layerkit_backend as lb, layerkit_backend.tensor as T
        >>> m = AUC(num_thresholds=5)  # coarse: the exact ROC AUC of these points is 0.75
        >>> y, p = T.vector('y'), T.vector('p')
        >>> ups = m.update_state(y, p)
        >>> f = lb.function([y, p], m.result(dict(ups)), updates=ups)
        >>> round(float(f(np.float32([0, 0, 1, 1]), np.float32([0.1, 0.4, 0.35, 0.8]))), 4)
        0.875
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None, dtype=None,
                 thresholds=None, multi_label=False, num_labels=None, label_weights=None, from_logits=False):
        super().__init__(name, dtype)
        if curve not in ("ROC", "PR"):
            raise ValueError(f"AUC: expected curve 'ROC' or 'PR', received {curve!r}")
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f"AUC: expected summation_method 'interpolation', 'minoring' or 'majoring', "
                             f"received {summation_method!r}")
        if multi_label or label_weights is not None:
            raise NotImplementedError("AUC: multi_label and label_weights are not supported yet")
        if thresholds is not None:
            inner = sorted(float(t) for t in thresholds)
            num_thresholds = len(inner) + 2
        else:
            if num_thresholds < 2:
                raise ValueError(f"AUC: expected num_thresholds > 1, received {num_thresholds}")
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self.thresholds = [0.0 - K.epsilon()] + inner + [1.0 + K.epsilon()]
        self.num_thresholds, self.curve, self.summation_method = num_thresholds, curve, summation_method
        self.from_logits = from_logits
        self._explicit_thresholds = thresholds is not None
        self.counts = {n: self.add_weight(n, (num_thresholds,)) for n in _COUNTS}

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.from_logits:
            y_pred = T.nnet.sigmoid(y_pred)
        return confusion_updates(self.counts, self.thresholds, y_true, y_pred, sample_weight, self.dtype)

    def result(self, values=None):
        tp, fp, tn, fn = (self._read(self.counts[n], values) for n in _COUNTS)
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolated_pr(tp, fp, fn)
        if self.curve == "ROC":
            x, y = _ratio(fp, fp + tn), _ratio(tp, tp + fn)
        else:
            x, y = _ratio(tp, tp + fn), _ratio(tp, tp + fp)
        left, right = y[:-1], y[1:]
        if self.summation_method == "interpolation":
            heights = (left + right) / 2.0
        elif self.summation_method == "minoring":
            heights = T.minimum(left, right)
        else:
            heights = T.maximum(left, right)
        return T.sum((x[:-1] - x[1:]) * heights)

    @staticmethod
    def _interpolated_pr(tp, fp, fn):
        """PR-AUC with precision interpolated between thresholds (Davis & Goadrich, 2006): between two points
        precision is ``dtp/dp`` times the positives plus an intercept, integrated in closed form."""
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _ratio(dtp, T.maximum(dp, 0.0))
        intercept = tp[1:] - slope * p[1:]
        both = T.and_(T.gt(p[:-1], 0), T.gt(p[1:], 0))
        p_ratio = T.switch(both, _ratio(p[:-1], T.maximum(p[1:], 0.0)), T.ones_like(p[1:]))
        return T.sum(_ratio(slope * (dtp + intercept * T.log(p_ratio)), T.maximum(tp[1:] + fn[1:], 0.0)))

    def get_config(self):
        config = {**super().get_config(), "num_thresholds": self.num_thresholds, "curve": self.curve,
                  "summation_method": self.summation_method, "from_logits": self.from_logits}
        if self._explicit_thresholds:
            config["thresholds"] = self.thresholds[1:-1]
        return config


class _ThresholdMetric(Metric):
    """Precision and Recall: counts at one or more thresholds (default 0.5); the result is a scalar for one
    threshold, a vector for several."""

    _counts = ()

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name, dtype)
        if top_k is not None or class_id is not None:
            raise NotImplementedError(f"{type(self).__name__}: top_k and class_id are not supported yet")
        self.init_thresholds = thresholds
        self._single = thresholds is None or np.isscalar(thresholds)
        self.thresholds = [0.5] if thresholds is None else list(np.ravel(thresholds).astype(float))
        self.counts = {n: self.add_weight(n, (len(self.thresholds),)) for n in self._counts}

    def update_state(self, y_true, y_pred, sample_weight=None):
        return confusion_updates(self.counts, self.thresholds, y_true, y_pred, sample_weight, self.dtype)

    def result(self, values=None):
        out = self._compute(*(self._read(self.counts[n], values) for n in self._counts))
        return out[0] if self._single else out

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds, "top_k": None, "class_id": None}


class Precision(_ThresholdMetric):
    """``tp / (tp + fp)`` over all batches seen (0 when nothing was predicted positive)."""

    _counts = ("true_positives", "false_positives")

    def _compute(self, tp, fp):
        return _ratio(tp, tp + fp)


class Recall(_ThresholdMetric):
    """``tp / (tp + fn)`` over all batches seen (0 when there were no positives)."""

    _counts = ("true_positives", "false_negatives")

    def _compute(self, tp, fn):
        return _ratio(tp, tp + fn)


class _Count(Metric):
    """One confusion count, weighted, at one threshold (a scalar) or several (a vector); default 0.5."""

    _count = None

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name, dtype)
        self.init_thresholds = thresholds
        self._single = thresholds is None or np.isscalar(thresholds)
        self.thresholds = [0.5] if thresholds is None else list(np.ravel(thresholds).astype(float))
        self.accumulator = self.add_weight("accumulator", (len(self.thresholds),))

    def update_state(self, y_true, y_pred, sample_weight=None):
        return confusion_updates({self._count: self.accumulator}, self.thresholds, y_true, y_pred, sample_weight,
                                 self.dtype)

    def result(self, values=None):
        out = self._read(self.accumulator, values)
        return out[0] if self._single else out

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


class TruePositives(_Count):
    """The (weighted) number of positives predicted positive (``y_pred > threshold``)."""
    _count = "true_positives"


class FalsePositives(_Count):
    """The (weighted) number of negatives predicted positive."""
    _count = "false_positives"


class TrueNegatives(_Count):
    """The (weighted) number of negatives predicted negative."""
    _count = "true_negatives"


class FalseNegatives(_Count):
    """The (weighted) number of positives predicted negative."""
    _count = "false_negatives"
