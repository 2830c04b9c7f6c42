"""What ``compile`` arguments mean per output: the loss, its weight and the metrics of every model output.

``loss``, ``metrics``, ``loss_weights`` and ``weighted_metrics`` may each be one value for all outputs, a list in
output order, or a dict keyed by output name (Keras's rules). The result is a list of :class:`OutputSpec`.

Example:
    >>> specs = resolve_outputs(["out"], [None], "mse", ["mae"], None, None)
    >>> specs[0].loss_name, [m.name for m in specs[0].metrics]
    ('mse', ['mae'])
"""
from .. import losses as losses_module

__all__ = ["OutputSpec", "MetricSpec", "resolve_outputs", "reported_names"]


class MetricSpec:
    """One metric of one output: ``fn(y_true, y_pred) -> per-sample`` or a stateful metric object.

    'accuracy' has neither until the targets are known: ``function_for(y_true, y_pred)`` picks binary, sparse
    categorical or categorical accuracy from their shapes (Keras 3's rule)."""

    def __init__(self, name, fn=None, stateful=None, weighted=False):
        self.name, self.fn, self.stateful, self.weighted = name, fn, stateful, weighted
        self.base_name = name   # the name before an output prefix or 'weighted_' (Keras orders by it)

    def function_for(self, y_true, y_pred):
        from .. import metrics as metrics_module

        return self.fn if self.fn is not None else metrics_module.resolve_accuracy(y_true, y_pred)


class OutputSpec:
    """The loss (a ``losses.Loss``; a function is wrapped in ``LossFunctionWrapper`` as Keras does, so its
    targets are brought to the output's rank first), loss weight and metrics of one model output."""

    def __init__(self, name, loss, loss_name, loss_weight, metrics):
        self.name, self.loss, self.loss_name = name, loss, loss_name
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


def _as_loss(identifier, loss):
    if loss is None or isinstance(loss, losses_module.Loss):
        return loss
    if not callable(loss):
        raise TypeError(f"compile: a loss must be a name, a Loss or a function, received {identifier!r}")
    return losses_module.LossFunctionWrapper(loss, name=_loss_name(identifier, loss))


def resolve_outputs(output_names, outputs, loss, metrics, loss_weights, weighted_metrics):
    """One :class:`OutputSpec` per output (``outputs``: the symbolic outputs, or None entries)."""
    loss_ids = _per_output(loss, output_names, "loss")
    weights = _per_output(loss_weights if loss_weights is not None else 1.0, output_names, "loss_weights")
    metric_ids = _per_output(metrics or [], output_names, "metrics", nested_lists=True)
    weighted_ids = _per_output(weighted_metrics or [], output_names, "weighted_metrics", nested_lists=True)
    prefix = len(output_names) > 1
    specs = []
    for name, output, loss_id, weight, ms, wms in zip(output_names, outputs, loss_ids, weights, metric_ids,
                                                       weighted_ids):
        loss_obj = losses_module.get(loss_id)
        resolved = []
        for group, weighted in ((ms, False), (wms, True)):
            for identifier in (group if isinstance(group, (list, tuple)) else [group] if group else []):
                spec = _metric_spec(identifier, weighted)
                if weighted and any(m.name == spec.name for m in resolved):
                    spec.name = "weighted_" + spec.name
                resolved.append(spec)
        for spec in resolved:
            if prefix:
                spec.name = f"{name}_{spec.name}"
        specs.append(OutputSpec(name, _as_loss(loss_id, loss_obj),
                                None if loss_obj is None else _loss_name(loss_id, loss_obj),
                                float(weight if weight is not None else 1.0), resolved))
        specs[-1].ignore_class = getattr(loss_obj, "_fn_kwargs", {}).get("ignore_class")
    if all(spec.loss is None for spec in specs):
        raise ValueError(f"compile: no loss for any output {output_names}; pass loss=... (a name like 'mse', a "
                         f"function, or a list/dict per output)")
    return specs


def _metric_spec(identifier, weighted):
    from .. import metrics as metrics_module

    metric = identifier if hasattr(identifier, "update_state") else metrics_module.get(identifier)
    if isinstance(metric, metrics_module.AccuracyMarker):
        return MetricSpec(metric.name, weighted=weighted)
    if hasattr(metric, "update_state"):   # a metric named by a string reports under that string (Keras 3)
        return MetricSpec(identifier if isinstance(identifier, str) else metric.name, stateful=metric,
                          weighted=weighted)
    if not callable(metric):
        raise ValueError(f"compile: metric {identifier!r} is neither a metric object nor a function")
    name = identifier if isinstance(identifier, str) else getattr(metric, "name", None) or metric.__name__
    return MetricSpec(name, fn=metric, weighted=weighted)


def reported_names(specs, output_order=None):
    """The names of what ``evaluate``/``train_on_batch`` report, in Keras 3's order: 'loss'; then, for one output,
    its metrics as given; for several outputs with losses, each output's '<name>_loss' in output order, then
    every remaining name sorted (Keras lists its metric objects and sorts the logs it cannot match to them).
    ``output_order`` reorders the per-output losses (a model built with a dict of outputs: the dict's order).

    Example:
        >>> specs = resolve_outputs(["a", "b"], [None, None], "mse", ["mae"], None, None)
        >>> reported_names(specs)
        ['loss', 'a_loss', 'b_loss', 'a_mae', 'b_mae']
    """
    loss_outputs = [s for s in specs if s.loss is not None]
    if output_order is not None:
        loss_outputs.sort(key=lambda s: output_order.index(s.name))
    per_output = [f"{s.name}_loss" for s in loss_outputs] if len(loss_outputs) > 1 else []
    names = ["loss"] + per_output + [m.name for s in specs for m in s.metrics]
    listed = ["loss"] + [m.base_name for s in specs for m in s.metrics] + per_output
    first = []
    for name in listed:
        if name in names and name not in first:
            first.append(name)
    return first + sorted(set(names) - set(first))
