"""The three compiled functions behind ``fit``/``evaluate``/``predict``.

The train function runs the model graph built with ``training=True`` (inside a ``CallContext`` that collects the
layers' losses and updates), adds the optimizer's update pairs (weight constraints applied to the new values), the
layers' updates and the metric accumulators' updates, and returns the running loss and metrics after this batch.
Everything is one ``lb.function``, so a call that raises changes no variable.

Example:
    >>> from layerkit.models import Sequential
    >>> from layerkit.layers import Layer
    >>> model = Sequential([Layer(input_shape=(2,))])
    >>> model.compile("sgd", "mse")
    >>> model._functions().names("train")
    ['loss']
"""
import numpy as np

import layerkit_backend as lb
import layerkit_backend.tensor as T

from .. import losses as losses_module
from .. import tracing
from ..layers.base import CallContext, flatten
from .compile import reported_names

__all__ = ["RunningMean", "LossTerm", "LossGraph", "ModelFunctions"]


class RunningMean:
    """``total``/``count`` accumulators (float64 shared variables) for a running, weighted mean over an epoch."""

    def __init__(self, name):
        self.total = lb.shared(np.float64(0.0), name=f"{name}/total")
        self.count = lb.shared(np.float64(0.0), name=f"{name}/count")

    def update(self, total, count):
        """(update pairs, running mean after them) for a batch adding ``total`` over ``count`` samples."""
        new_total = self.total + T.cast(total, "float64")
        new_count = self.count + T.cast(count, "float64")
        return [(self.total, new_total), (self.count, new_count)], new_total / T.maximum(new_count, 1e-12)

    def reset(self):
        self.total.set_value(np.float64(0.0))
        self.count.set_value(np.float64(0.0))


def _weighted_sum(values, weights, mask=None):
    """(sum of values * weights, sum of the weights broadcast to the values) for a running mean; masked time
    steps (``mask`` (batch, time), the output's) weigh nothing."""
    values = T.cast(values, lb.config.floatX)
    if mask is not None and values.ndim >= mask.ndim >= 1:
        mask = T.cast(mask, lb.config.floatX)
        weights = mask if weights is None else losses_module.apply_sample_weight(mask, weights)
    if weights is None:
        return T.sum(values), T.cast(T.prod(T.shape(values)), lb.config.floatX)
    weighted = losses_module.apply_sample_weight(values, weights)
    ones = losses_module.apply_sample_weight(T.ones_like(values), weights)
    return T.sum(weighted), T.sum(ones)


def _output_loss(spec, target, output, sample_weight, training):
    """The loss of one output as its ``Loss`` reduces it (sample weights, the output's mask, the reduction)."""
    value = spec.loss(target, output, sample_weight=sample_weight)
    if value.ndim:
        if training:
            raise ValueError(f"Output '{spec.name}': loss '{spec.loss_name}' has reduction="
                             f"{spec.loss.reduction!r}, one value per sample, but training needs one number; use "
                             f"reduction='sum_over_batch_size' (the default) or 'sum'")
        value = T.mean(value)   # evaluating: the mean of the per-sample losses, as Keras reports it
    return T.cast(value, lb.config.floatX)


def _weight_penalties(layer, seen=None):
    """Regularisation penalties of the weights of ``layer`` and every nested layer, each counted once."""
    seen = set() if seen is None else seen
    if id(layer) in seen:
        return []
    seen.add(id(layer))
    found = list(layer._own_losses)
    for sub in layer._layers:
        found += _weight_penalties(sub, seen)
    return found


def _constraints(layer, found=None):
    found = {} if found is None else found
    for variable, constraint in layer.constraints.items():
        found[id(variable)] = constraint
    for sub in layer._layers:
        _constraints(sub, found)
    return found


class LossTerm:
    """One reported value: a running mean of ``sums`` = (total, count), or a stateful ``metric`` and its update
    ``pairs``."""

    def __init__(self, name, sums=None, metric=None, pairs=None):
        self.name, self.sums, self.metric, self.pairs = name, sums, metric, pairs


class LossGraph:
    """The symbolic total loss, the batch size, the call context (layer updates/losses) and the reported terms."""

    def __init__(self, total, batch, ctx, terms):
        self.total, self.batch, self.ctx, self.terms = total, batch, ctx, terms


class ModelFunctions:
    """Builds (lazily) and holds the train / test / predict functions of one compiled model."""

    def __init__(self, model, specs, optimizer, trainable_weights, target_types, with_sample_weights):
        self.model, self.specs, self.optimizer = model, specs, optimizer
        self.trainable_weights = trainable_weights
        self.loss_specs = [s for s in specs if s.loss is not None]
        self.targets = [T.tensor(dtype, shape=shape, name=f"{s.name}_target")
                        for s, (dtype, shape) in zip(self.loss_specs, target_types)]
        # with_sample_weights: False, or the rank of each output's weights (1: per sample, 2: per time step)
        self.with_sample_weights = with_sample_weights
        ranks = with_sample_weights if isinstance(with_sample_weights, tuple) else (1,) * len(self.loss_specs)
        self.sample_weights = [T.tensor(lb.config.floatX, shape=(None,) * rank, name=f"{s.name}_sample_weights")
                               for s, rank in zip(self.loss_specs, ranks)] if with_sample_weights else []
        self._built, self._names, self._result_sources = {}, {}, {}
        self.stateful_metrics = [m.stateful for s in specs for m in s.metrics if m.stateful is not None]

    def names(self, kind):
        self.get(kind)
        return self._names[kind]

    def get(self, kind):
        """The compiled function ``kind`` ('train', 'test' or 'predict'), built on first use."""
        if kind not in self._built:
            with tracing.tracing():   # ops on variables inside layers, losses and metrics build graph nodes
                self._built[kind] = self._build_predict() if kind == "predict" else self._build_loss_function(kind)
        return self._built[kind]

    def reset_metrics(self, kind):
        for source in self._result_sources.get(kind, []):
            if isinstance(source, RunningMean):
                source.reset()
        for metric in self.stateful_metrics:
            metric.reset_state()

    def _model_outputs(self, training):
        model = self.model
        with CallContext() as ctx:
            outputs = flatten(model(model._nested_inputs, training=training))
        return outputs, ctx

    def _build_predict(self):
        outputs, ctx = self._model_outputs(False)
        self._names["predict"] = list(self.model.output_names)
        # ctx.updates outside training are the states of stateful RNNs: predicting advances them, as in Keras
        return lb.function(list(self.model.inputs), outputs, updates=list(ctx.updates),
                           name=f"{self.model.name}/predict_function", on_unused_input="ignore")

    def _build_loss_function(self, kind):
        training = kind == "train"
        graph = self.loss_graph(training)
        self._names[kind] = [term.name for term in graph.terms]
        strategy = getattr(self.model, "_strategy", None)
        if training and strategy is not None:
            return strategy.train_function(self, graph)
        updates, results, sources = [], [], []
        for term in graph.terms:
            if term.metric is None:
                source = RunningMean(f"{self.model.name}/{kind}/{term.name}")
                pairs, result = source.update(*term.sums)
            else:
                source, pairs = term.metric, term.pairs
                result = term.metric.result(values=dict(pairs))
            sources.append(source)
            updates.extend(pairs)
            results.append(result)
        if training:
            updates = self._training_updates(graph.total, graph.ctx) + updates
        else:   # stateful RNNs' states advance when evaluating too, as in Keras
            updates = list(graph.ctx.updates) + updates
        self._result_sources[kind] = sources
        return lb.function(self.feeds, results, updates=updates, name=f"{self.model.name}/{kind}_function",
                           on_unused_input="ignore")

    @property
    def feeds(self):
        """The symbolic inputs of the train/test functions: model inputs, targets, sample weights."""
        return list(self.model.inputs) + self.targets + self.sample_weights

    def result_function(self, kind):
        """A function of no inputs returning the current results of ``kind``'s accumulators and metrics."""
        key = f"{kind}_results"
        if key not in self._built:
            self.get(kind)
            with tracing.tracing():
                results = [s.total / T.maximum(s.count, 1e-12) if isinstance(s, RunningMean) else s.result()
                           for s in self._result_sources[kind]]
            self._built[key] = lb.function([], results, name=f"{self.model.name}/{kind}_results")
        return self._built[key]

    def loss_graph(self, training):
        """The symbolic loss and the running terms (loss, per-output losses, metrics) of the model's graph."""
        outputs, ctx = self._model_outputs(training)
        by_name = dict(zip(self.model.output_names, outputs))
        batch = T.cast(T.shape(self.model.inputs[0])[0], lb.config.floatX)
        weights = self.sample_weights or [None] * len(self.loss_specs)
        total = T.constant(np.asarray(0.0, dtype=lb.config.floatX))
        per_output = []
        for spec, target, sw in zip(self.loss_specs, self.targets, weights):
            output_loss = _output_loss(spec, target, by_name[spec.name], sw, training)
            per_output.append(output_loss)
            total = total + spec.loss_weight * output_loss if spec.loss_weight != 1.0 else total + output_loss
        extra = _weight_penalties(self.model) + list(self.model._call_losses) + list(ctx.losses)
        for term in extra:
            total = total + T.cast(T.sum(term), lb.config.floatX)
        terms = [LossTerm("loss", sums=(total * batch, batch))]
        if len(self.loss_specs) > 1:
            terms += [LossTerm(f"{spec.name}_loss", sums=(output_loss * batch, batch))
                      for spec, output_loss in zip(self.loss_specs, per_output)]
        targets_by_name = {s.name: (t, w) for s, t, w in zip(self.loss_specs, self.targets, weights)}
        for spec in self.specs:
            if spec.metrics and spec.name not in targets_by_name:
                raise ValueError(f"compile: output '{spec.name}' has metrics but no loss, so no targets are fed")
            for metric in spec.metrics:
                target, sw = targets_by_name[spec.name]
                sw = sw if metric.weighted else None
                if metric.stateful is not None:
                    pairs = metric.stateful.update_state(target, by_name[spec.name], sample_weight=sw)
                    terms.append(LossTerm(metric.name, metric=metric.stateful, pairs=list(pairs)))
                else:
                    output = by_name[spec.name]
                    values = metric.function_for(target, output)(target, output)
                    terms.append(LossTerm(metric.name, sums=_weighted_sum(values, sw,
                                                                          getattr(output, "_keras_mask", None))))
        by_term = {term.name: term for term in terms}
        order = reported_names(self.specs, getattr(self.model, "_reported_output_order", None))
        return LossGraph(total, batch, ctx, [by_term[name] for name in order])

    def _training_updates(self, total, ctx):
        params = self.trainable_weights
        updates = list(self.optimizer.get_updates(total, params)) if params else []
        return self.constrained(updates) + list(ctx.updates)

    def constrained(self, updates):
        """``updates`` (optimizer pairs) with each weight's constraint applied to its new value."""
        constraints = _constraints(self.model)
        if constraints:
            updates = [(v, constraints[id(v)](new) if id(v) in constraints else new) for v, new in updates]
        return updates

    def result_sources(self, kind, sources=None):
        """The RunningMean or stateful metric behind each reported value of ``kind`` (set when ``sources``)."""
        if sources is not None:
            self._result_sources[kind] = list(sources)
        return self._result_sources.get(kind, [])
