"""Keras 3's training-step API: ``train_step``, ``test_step``, ``compute_loss``, ``compute_metrics``,
``metrics``, ``get_metrics_result``, and the compiled functions that run an overridden step.

A model that overrides ``train_step``, ``test_step``, ``compute_loss`` or ``compute_metrics`` is trained by its
own step: ``fit``/``evaluate`` trace the step once per data signature (the structure, dtypes and per-sample
shapes of a batch; the batch size is free) on symbolic tensors, collecting every assignment the step makes
(``optimizer.apply_gradients``, ``metric.update_state``, ``variable.assign``) and the layers' updates, and
compile it into one function whose outputs are the logs the step returns. Gradients inside a step come from
``layerkit.backend.gradients(loss, variables)``. A model that overrides none of them keeps the built-in
compiled step (``layerkit.training.functions``).

Inside a traced step, assignments are applied when the step's function has computed everything, but a layer
called after an optimizer step in the same ``train_step`` (the generator update of a GAN, after the
discriminator's) computes with the new values of its weights, as a step run statement by statement would.

Example:
    >>> x, y, w = unpack_x_y_sample_weight(("x", "y"))
    >>> (x, y, w)
    ('x', 'y', None)
"""
import numpy as np

import layerkit_backend as lb
import layerkit_backend.tensor as T

from .. import tracing
from ..eager import flatten_structure, rebuild_structure
from ..layers.base import CallContext, flatten
from . import data as data_module

__all__ = ["StepsMixin", "StepFunctions", "unpack_x_y_sample_weight", "pack_x_y_sample_weight"]

_STEP_METHODS = ("train_step", "test_step", "compute_loss", "compute_metrics")


def unpack_x_y_sample_weight(data):
    """``(x, y, sample_weight)`` from a batch: a tuple of 1 to 3 entries, or ``x`` alone (Keras's rule)."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(f"unpack_x_y_sample_weight: expected (x,), (x, y) or (x, y, sample_weight), received a "
                     f"tuple of {len(data)} entries")


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """What a training step receives for ``x``, ``y``, ``sample_weight``: ``x`` alone, ``(x, y)`` or all three."""
    if y is None and sample_weight is None:
        return x if not isinstance(x, (list, tuple)) else (x,)
    return (x, y) if sample_weight is None else (x, y, sample_weight)


def _function_metric_class():
    from .. import metrics

    class CompiledFunctionMetric(metrics.Mean):
        """The running mean of a metric function given to ``compile`` (a custom step updates it)."""

        def __init__(self, spec):
            super().__init__(name=spec.name)
            self.spec = spec

        def update_state(self, y_true, y_pred, sample_weight=None):
            values = self.spec.function_for(y_true, y_pred)(y_true, y_pred)
            return super().update_state(values, sample_weight)

    return CompiledFunctionMetric


class StepsMixin:
    """``train_step``/``test_step``/``compute_loss``/``compute_metrics`` and ``metrics`` (mixed into Model)."""

    # ------------------------------------------------------------------------------------ the steps
    def train_step(self, data):
        """One training step on a batch ``data`` (what ``fit`` yields: ``x``, ``(x, y)`` or ``(x, y, w)``);
        returns the logs. Override it (with ``layerkit.ops`` and ``layerkit.backend.gradients``) to train your
        own way; it is traced once and compiled.

        Example:
            >>> # def train_step(self, data):
            >>> #     x, y = data
            >>> #     y_pred = self(x, training=True)
            >>> #     loss = self.compute_loss(x=x, y=y, y_pred=y_pred)
            >>> #     grads = layerkit.backend.gradients(loss, self.trainable_weights)
            >>> #     self.optimizer.apply(grads, self.trainable_weights)
            >>> #     return self.compute_metrics(x, y, y_pred)
        """
        from .. import backend

        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=True)
        loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True)
        self._loss_tracker.update_state(loss, sample_weight=T.shape(flatten(x)[0])[0])
        variables = list(self.trainable_weights)
        if variables:
            self.optimizer.apply(backend.gradients(loss, variables), variables)
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def test_step(self, data):
        """One evaluation step on a batch; returns the logs (the loss and metrics so far)."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=False)
        self._loss_tracker.update_state(loss, sample_weight=T.shape(flatten(x)[0])[0])
        return self.compute_metrics(x, y, y_pred, sample_weight=sample_weight)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The total loss of a batch: the losses given to ``compile`` (weighted per output) plus the model's
        ``losses`` (weight penalties and losses the layers added during this step)."""
        specs = self._step_specs(y_pred)
        targets = flatten(y) if y is not None else []
        outputs = flatten(y_pred)
        weights = flatten(sample_weight) if sample_weight is not None else []
        loss_specs = [(spec, output) for spec, output in zip(specs, outputs) if spec.loss is not None]
        if loss_specs and len(targets) != len(loss_specs):
            raise ValueError(f"Model '{self.name}': compute_loss received {len(targets)} target(s) for "
                             f"{len(loss_specs)} output(s) with a loss")
        total = T.constant(np.asarray(0.0, dtype=lb.config.floatX))
        for k, ((spec, output), target) in enumerate(zip(loss_specs, targets)):
            sw = weights[k] if len(weights) == len(loss_specs) else (weights[0] if weights else None)
            value = spec.loss(target, output, sample_weight=sw)
            value = T.mean(value) if value.ndim else value
            total = total + spec.loss_weight * T.cast(value, lb.config.floatX)
        for extra in self.losses:
            total = total + T.cast(T.sum(extra), lb.config.floatX)
        return total

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Updates the metrics given to ``compile`` and returns ``get_metrics_result()``."""
        specs = self._step_specs(y_pred)
        targets = flatten(y) if y is not None else []
        by_output = {spec.name: (target, output) for spec, target, output in
                     zip([s for s in specs if s.loss is not None], targets,
                         [o for s, o in zip(specs, flatten(y_pred)) if s.loss is not None])}
        for spec, metric in self._compiled_metric_objects():
            target, output = by_output[spec.name]
            metric.update_state(target, output, sample_weight=sample_weight if metric_weighted(spec, metric) else None)
        return self.get_metrics_result()

    def get_metrics_result(self):
        """``{name: result}`` of every metric in ``metrics`` (a metric returning a dict adds its entries)."""
        logs = {}
        for metric in self.metrics:
            result = metric.result()
            if isinstance(result, dict):
                logs.update(result)
            else:
                logs[metric.name] = result
        return logs

    # ------------------------------------------------------------------------------------ metrics
    @property
    def metrics(self):
        """The metrics a training step updates, in Keras 3's order: the loss tracker and the metrics given to
        ``compile`` (their states follow training through a custom step), then metric objects set as attributes
        of the model. The built-in step reports its values through the logs and ``evaluate`` instead."""
        from ..metrics import Metric

        found = []
        if self.__dict__.get("_compile_args") is not None:
            found.append(self._loss_tracker)
            found.extend(metric for _, metric in self._compiled_metric_objects(strict=False))
        for value in vars(self).values():
            candidates = value if isinstance(value, (list, tuple)) else [value]
            found.extend(m for m in candidates if isinstance(m, Metric) and all(m is not f for f in found))
        return found

    @property
    def _loss_tracker(self):
        tracker = self.__dict__.get("_loss_tracker_metric")
        if tracker is None:
            from ..metrics import Mean
            tracker = self.__dict__["_loss_tracker_metric"] = Mean(name="loss")
        return tracker

    def _compiled_metric_objects(self, strict=True):
        """[(output spec, metric object)] for the metrics given to ``compile`` (made once per compile)."""
        objects = self.__dict__.get("_compiled_metrics")
        if objects is None:
            specs = self.__dict__.get("_step_output_specs")
            if specs is None:
                if strict:
                    raise RuntimeError(f"Model '{self.name}': compiled metrics are known once a step has run")
                return []
            function_metric = _function_metric_class()
            objects = [(spec, m.stateful if m.stateful is not None else function_metric(m))
                       for spec in specs for m in spec.metrics]
            self.__dict__["_compiled_metrics"] = objects
        return objects

    def _step_specs(self, y_pred):
        """The compile specs for the outputs of ``y_pred`` (resolved once per compile)."""
        specs = self.__dict__.get("_step_output_specs")
        if specs is None:
            from .compile import resolve_outputs

            args = self._compile_args or {}
            outputs = flatten(y_pred) if y_pred is not None else []
            names = list(self.output_names) if getattr(self, "output_names", None) and len(
                self.output_names) == len(outputs) else [f"output_{k + 1}" for k in range(len(outputs))]
            if args.get("loss") is None and not args.get("metrics"):
                specs = []
            else:
                specs = resolve_outputs(names, outputs, args.get("loss"), args.get("metrics"),
                                        args.get("loss_weights"), args.get("weighted_metrics"))
            self.__dict__["_step_output_specs"] = specs
        return specs

    def _forget_step_state(self):
        """compile() starts the compiled metrics and step functions afresh."""
        for key in ("_step_output_specs", "_compiled_metrics", "_loss_tracker_metric"):
            self.__dict__.pop(key, None)

    # ------------------------------------------------------------------------------------ routing
    def _uses_custom_steps(self):
        """True if the model overrides a step method (then fit/evaluate run the model's steps)."""
        return any(getattr(type(self), name) is not getattr(StepsMixin, name) for name in _STEP_METHODS)

    @property
    def losses(self):
        """Weight penalties and added losses; inside a custom step also the losses the layers added in it."""
        from ..layers.base import Layer

        losses = Layer.losses.fget(self)
        context = self.__dict__.get("_step_context")
        return losses + list(context.losses) if context is not None else losses


def metric_weighted(spec, metric):
    """Whether a compiled metric takes the sample weights (it was listed in ``weighted_metrics``)."""
    return any(m.weighted and (m.stateful is metric or getattr(metric, "spec", None) is m) for m in spec.metrics)


class StepFunctions:
    """The compiled steps of a model with its own ``train_step``/``test_step``, for batches whose arrays are the
    leaves of ``description`` (``pack_x_y_sample_weight``'s structure); the interface of ``ModelFunctions``
    that the fit/evaluate loops use."""

    def __init__(self, model, description):
        self.model, self.description = model, description
        self._built, self._names = {}, {}

    def get(self, kind):
        if kind not in self._built:
            self._built[kind] = self._compile(kind)
        return self._built[kind]

    def names(self, kind):
        self.get(kind)
        return self._names[kind]

    def reset_metrics(self, kind):
        for metric in self.model.metrics:
            metric.reset_state()

    def result_sources(self, kind, sources=None):
        return []

    def _compile(self, kind):
        model = self.model
        shapes = self.description_shapes
        placeholders = [T.tensor(dtype, shape=(None,) + tuple(shape), name=f"step_input_{k}")
                        for k, (dtype, shape) in enumerate(shapes)]
        data = rebuild_structure(self.description, placeholders)
        step = model.train_step if kind == "train" else model.test_step
        with tracing.tracing(), CallContext() as context, tracing.collecting_assignments() as assignments:
            model.__dict__["_step_context"] = context
            try:
                logs = step(data)
            finally:
                model.__dict__.pop("_step_context", None)
        if not isinstance(logs, dict):
            raise TypeError(f"Model '{model.name}': {kind}_step must return a dict of logs, received "
                            f"{type(logs).__name__}")
        self._names[kind] = list(logs)
        outputs = [T.cast(T.as_tensor_variable(v), "float64") if not isinstance(v, lb.Variable) or v.ndim == 0
                   else T.mean(T.cast(v, "float64")) for v in logs.values()]
        updates = assignments.pairs() + list(context.updates)
        return lb.function(placeholders, outputs, updates=updates, on_unused_input="ignore",
                           name=f"{model.name}/{kind}_step")

    description_shapes = ()   # set by custom_prepare: (dtype, per-sample shape) of each leaf


def custom_prepare(model, x, y=None, sample_weight=None, class_weight=None):
    """(arrays, StepFunctions) for a model trained by its own steps: the leaves of ``pack_x_y_sample_weight(x, y,
    sample_weight)`` as arrays, checked to hold one sample count."""
    if x is None:
        raise ValueError(f"Model '{model.name}': expected input data x, received None")
    if class_weight is not None:
        if y is None or isinstance(y, (list, tuple, dict)):
            raise ValueError(f"Model '{model.name}': class_weight needs one target array")
        weights = data_module.class_weights_to_sample_weights(np.asarray(y), class_weight, "output")
        sample_weight = weights if sample_weight is None else np.asarray(sample_weight) * weights
    packed = pack_x_y_sample_weight(x, y, sample_weight)
    leaves, description = flatten_structure(packed)
    arrays = [data_module.as_data_array(leaf, "input", f"{model.name} data {k}") for k, leaf in enumerate(leaves)]
    arrays = [a.astype(lb.config.floatX) if a.dtype == np.float64 else a for a in arrays]
    counts = {len(a) for a in arrays}
    if len(counts) > 1:
        raise ValueError(f"Model '{model.name}': the data arrays hold different numbers of samples "
                         f"{[len(a) for a in arrays]}")
    shapes = tuple((a.dtype.name, a.shape[1:]) for a in arrays)
    key = ("steps", description, shapes)
    functions = model._function_sets.get(key)
    if functions is None:
        functions = StepFunctions(model, description)
        functions.description_shapes = shapes
        model._function_sets[key] = functions
    return arrays, functions
