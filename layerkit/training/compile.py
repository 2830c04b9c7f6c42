"""What ``compile`` arguments mean per output: the loss, its weight and the metrics of every model output.

``loss``, ``metrics``, ``loss_weights`` and ``weighted_metrics`` may each be one value for all outputs, a list in
output order, or a dict keyed by output name (Keras's rules). The result is a list of :class:`OutputSpec`.

Example:
    >>> specs = resolve_outputs(["out"], [None], "mse", ["mae"], None, None)
    >>> specs[0].loss_name, [m.name for m in specs[0].metrics]
    ('mse', ['mae'])
"""
from .. import losses as losses_module

__all__ = ["OutputSpec", "MetricSpec", "resolve_outputs"]


class MetricSpec:
    """One metric of one output: ``fn(y_true, y_pred) -> per-sample`` or a stateful metric object."""

    def __init__(self, name, fn=None, stateful=None, weighted=False):
        self.name, self.fn, self.stateful, self.weighted = name, fn, stateful, weighted


class OutputSpec:
    """The loss (per-sample function), loss weight and metrics of one model output."""

    def __init__(self, name, loss_fn, loss_name, loss_weight, metrics):
        self.name, self.loss_fn, self.loss_name = name, loss_fn, loss_name
        self.loss_weight, self.metrics = loss_weight, metrics
        self.ignore_class = None    # a sparse loss's label that marks samples to skip (range checks allow it)


def _per_output(value, names, what, nested_lists=False):
    """``value`` spread over the outputs: a list of length len(names)."""
    if isinstance(value, dict):
        unknown = sorted(set(value) - set(names))
        if unknown:
            raise ValueError(f"compile: {what} has keys {unknown} that are not output names; outputs are {names}")
        return [value.get(name) for name in names]
    if isinstance(value, (list, tuple)) and (not nested_lists or (value and all(
            isinstance(v, (list, tuple, dict)) or v is None for v in value) and len(names) > 1)):
        if len(value) != len(names):
            raise ValueError(f"compile: {what} is a list of {len(value)} entries but the model has {len(names)} "
                             f"output(s) {names}; give one per output or a dict keyed by output name")
        return list(value)
    return [value] * len(names)


def _loss_name(identifier, fn):
    if isinstance(identifier, str):
        return identifier
    return getattr(fn, "name", None) or getattr(fn, "__name__", type(fn).__name__)


def _per_sample(loss):
    return loss.fn if isinstance(loss, losses_module.Loss) else loss


def resolve_outputs(output_names, outputs, loss, metrics, loss_weights, weighted_metrics):
    """One :class:`OutputSpec` per output (``outputs`` are the symbolic outputs, used to resolve 'accuracy')."""
    loss_ids = _per_output(loss, output_names, "loss")
    weights = _per_output(loss_weights if loss_weights is not None else 1.0, output_names, "loss_weights")
    metric_ids = _per_output(metrics or [], output_names, "metrics", nested_lists=True)
    weighted_ids = _per_output(weighted_metrics or [], output_names, "weighted_metrics", nested_lists=True)
    prefix = len(output_names) > 1
    specs = []
    for name, output, loss_id, weight, ms, wms in zip(output_names, outputs, loss_ids, weights, metric_ids,
                                                       weighted_ids):
        loss_obj = losses_module.get(loss_id)
        loss_fn = None if loss_obj is None else _per_sample(loss_obj)
        resolved = []
        for group, weighted in ((ms, False), (wms, True)):
            for identifier in (group if isinstance(group, (list, tuple)) else [group] if group else []):
                spec = _metric_spec(identifier, loss_obj, output, weighted)
                if weighted and any(m.name == spec.name for m in resolved):
                    spec.name = "weighted_" + spec.name
                resolved.append(spec)
        for spec in resolved:
            if prefix:
                spec.name = f"{name}_{spec.name}"
        specs.append(OutputSpec(name, loss_fn, None if loss_obj is None else _loss_name(loss_id, loss_obj),
                                float(weight if weight is not None else 1.0), resolved))
        specs[-1].ignore_class = getattr(loss_obj, "_fn_kwargs", {}).get("ignore_class")
    if all(spec.loss_fn is None for spec in specs):
        raise ValueError(f"compile: no loss for any output {output_names}; pass loss=... (a name like 'mse', a "
                         f"function, or a list/dict per output)")
    return specs


def _metric_spec(identifier, loss, output, weighted):
    from .. import metrics as metrics_module

    metric = identifier if hasattr(identifier, "update_state") else metrics_module.get(identifier)
    if isinstance(metric, metrics_module.AccuracyMarker):
        shape = None if output is None else tuple(output.type.shape)
        return MetricSpec(metric.name, fn=metrics_module.resolve_accuracy(loss, shape), weighted=weighted)
    if hasattr(metric, "update_state"):
        return MetricSpec(metric.name, stateful=metric, weighted=weighted)
    if not callable(metric):
        raise ValueError(f"compile: metric {identifier!r} is neither a metric object nor a function")
    name = identifier if isinstance(identifier, str) else getattr(metric, "name", None) or metric.__name__
    return MetricSpec(name, fn=metric, weighted=weighted)
