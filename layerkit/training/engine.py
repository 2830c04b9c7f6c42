"""``TrainingMixin``: ``compile`` and the data preparation that ``fit``/``evaluate``/``predict`` share.

Example:
    >>> import numpy as np
    >>> from layerkit.models import Sequential
    >>> from layerkit.layers import Layer
    >>> model = Sequential([Layer(input_shape=(2,))])
    >>> model.compile("sgd", "mse")
    >>> float(model.test_on_batch(np.ones((4, 2)), np.zeros((4, 2))))
    1.0
"""
import warnings

import numpy as np

import layerkit_backend as lb

from .. import losses as losses_module
from .. import tracing
from ..layers.base import flatten as flatten_outputs
from . import data as data_module
from . import loops, range_checks
from . import steps
from .compile import reported_names, resolve_outputs
from .functions import ModelFunctions

__all__ = ["TrainingMixin"]


class TrainingMixin(steps.StepsMixin):
    """Training methods of ``Model`` (compile, fit, evaluate, predict and the ``*_on_batch`` variants); Keras 3's
    step methods (``train_step``...) come from :class:`layerkit.training.steps.StepsMixin`."""

    def _init_training(self):
        self.optimizer, self.loss, self._compile_args = None, None, None
        self._specs, self._function_sets, self._compiled_trainable = None, {}, None
        self.stop_training, self.history, self._trainable_warned = False, None, False
        self._initial_epoch, self._strategy = None, None

    # ------------------------------------------------------------------------------------ compile
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None, weighted_metrics=None,
                run_eagerly=None, steps_per_execution=None, strategy=None, **kwargs):
        """Configures training: the optimizer, the loss and metrics (one, a list per output, or a dict by name).

        ``strategy`` (e.g. ``layerkit.distribute.MPIStrategy()``) trains data-parallel over several processes:
        ``batch_size`` is then the global batch, each process computes the gradients of its shard and one
        allreduce per step averages them (see docs/distributed.md).

        Example:
            >>> from layerkit.models import Sequential
            >>> from layerkit.layers import Layer
            >>> model = Sequential([Layer(input_shape=(2,))])
            >>> model.compile(optimizer="adam", loss="mse", metrics=["mae"])
        """
        from .. import optimizers

        unknown = sorted(set(kwargs) - {"sample_weight_mode", "target_tensors", "jit_compile", "auto_scale_loss"})
        if unknown:
            raise TypeError(f"Model '{self.name}': compile() got unexpected argument(s) {unknown}")
        self.optimizer = optimizers.get(optimizer)
        self.loss, self._strategy = loss, strategy
        self._compile_args = dict(optimizer=optimizer, loss=loss, metrics=metrics, loss_weights=loss_weights,
                                  weighted_metrics=weighted_metrics)
        self._specs, self._function_sets, self._compiled_trainable = None, {}, None
        self._trainable_warned = False
        self._forget_step_state()
        if strategy is not None and self._uses_custom_steps():
            raise ValueError(f"Model '{self.name}': a distribution strategy runs the built-in training step; a "
                             f"model with its own train_step/test_step/compute_loss/compute_metrics cannot use it")
        for layer in _all_layers(self):
            hooks = layer.__dict__.setdefault("_on_trainable_change", [])
            if self._trainable_changed not in hooks:
                hooks.append(self._trainable_changed)
        if self.outputs is not None and not self._uses_custom_steps():
            self._resolve_compile()

    @property
    def metrics_names(self):
        """The names of ``evaluate()``'s values, in its order (Keras 3 lists its metric objects instead)."""
        if self._compile_args is not None and self._uses_custom_steps():
            return [m.name for m in self.metrics]
        if self._compile_args is None or self.outputs is None:
            return []
        return reported_names(self._resolve_compile(), getattr(self, "_reported_output_order", None))

    def _trainable_changed(self, layer):
        if self._compile_args is not None and not self._trainable_warned:
            self._trainable_warned = True
            warnings.warn(f"Model '{self.name}': 'trainable' of {'the model' if layer is self else repr(layer.name)}"
                          f" changed after compile(); the compiled training step still uses the old trainable "
                          f"weights until you call compile() again", UserWarning, stacklevel=3)

    def _resolve_compile(self):
        if self._compile_args is None:
            raise RuntimeError(f"Model '{self.name}': call compile(optimizer, loss) before training or evaluating")
        if self._specs is None:
            args = self._compile_args
            self._specs = resolve_outputs(self.output_names, self.outputs, args["loss"], args["metrics"],
                                          args["loss_weights"], args["weighted_metrics"])
            self._compiled_trainable = list(self.trainable_weights)
        return self._specs

    def _functions(self, target_types=None, with_sample_weights=False):
        specs = self._resolve_compile()
        loss_outputs = [o for s, o in zip(specs, self.outputs) if s.loss is not None]
        if target_types is None:
            target_types = tuple((lb.config.floatX if o.dtype.startswith("float") else o.dtype,
                                  _target_shape(o.type.shape)) for o in loss_outputs)
        key = (target_types, with_sample_weights)
        if key not in self._function_sets:
            self._function_sets[key] = ModelFunctions(self, specs, self.optimizer, self._compiled_trainable,
                                                      target_types, with_sample_weights)
        return self._function_sets[key]

    # ------------------------------------------------------------------------------------ data
    def _ensure_inputs(self, x):
        if self.inputs is not None:
            return
        if data_module.is_batch_source(x):
            raise ValueError(f"Model '{self.name}': the input shape is unknown; call the model on data or give the "
                             f"first layer input_shape= before fitting on a generator")
        given = list(x) if isinstance(x, (list, tuple)) and all(isinstance(a, np.ndarray) for a in x) else [x]
        arrays = [data_module.as_data_array(a, "input", f"{self.name} input {k}") for k, a in enumerate(given)]
        arrays = [a.astype(lb.config.floatX) if a.dtype.kind == "f" else a for a in arrays]
        self._set_inputs_from_data(arrays)
        if self._compile_args is not None:
            self._specs = None
            self._resolve_compile()

    def _prepare(self, x, y=None, sample_weight=None, class_weight=None, with_targets=True):
        """(arrays to feed: inputs + targets + sample weights, the ModelFunctions for them).

        A model built here from the data's shapes (a Sequential without an input shape) is unbuilt again if the
        data turns out to be wrong: a failed call changes nothing, build state included.
        """
        if with_targets and self._uses_custom_steps():
            if self._compile_args is None:
                raise RuntimeError(f"Model '{self.name}': call compile() before training or evaluating")
            return steps.custom_prepare(self, x, y, sample_weight, class_weight)
        if self.inputs is not None:
            return self._prepare_built(x, y, sample_weight, class_weight, with_targets)
        states = _layer_states(self)
        try:
            return self._prepare_built(x, y, sample_weight, class_weight, with_targets)
        except BaseException:
            _restore_layer_states(states)
            raise

    def _prepare_built(self, x, y, sample_weight, class_weight, with_targets):
        if x is None:
            raise ValueError(f"Model '{self.name}': expected input data x (arrays, a list or dict of arrays, or a "
                             f"generator), received None")
        self._ensure_inputs(x)
        xs = data_module.to_arrays(x, self.input_names, "input", [i.dtype for i in self.inputs])
        for name, array, tensor in zip(self.input_names, xs, self.inputs):
            expected = tuple(tensor.type.shape)
            if array.ndim != len(expected) or any(e is not None and e != g for e, g in
                                                  zip(expected[1:], array.shape[1:])):
                raise ValueError(f"Input '{name}': expected arrays of shape {expected}, received shape "
                                 f"{array.shape}")
        range_checks.check_embedding_inputs(self, xs)
        if not with_targets:
            data_module.check_sample_counts([("input", self.input_names, xs)])
            return xs, None
        specs = self._resolve_compile()
        loss_specs = [(s, o) for s, o in zip(specs, self.outputs) if s.loss is not None]
        names = [s.name for s, _ in loss_specs]
        if y is None:
            raise ValueError(f"Model '{self.name}': targets y are needed for outputs {names}")
        ys = data_module.to_arrays(y, names, "target")
        ys = [a.astype(lb.config.floatX) if a.dtype.kind in "fb" else a for a in ys]
        for (spec, output), array in zip(loss_specs, ys):
            if losses_module.is_builtin(spec.loss):   # a custom loss decides itself what targets it takes
                data_module.check_targets(spec.name, tuple(output.type.shape), array.shape, spec.loss_name)
        range_checks.check_sparse_labels(loss_specs, ys)
        sws = data_module.to_arrays(sample_weight, names, "sample_weight")
        if class_weight is not None:
            per_output = class_weight if set(class_weight) <= set(names) and len(names) > 1 else \
                {names[0]: class_weight}
            sws = sws or [None] * len(names)
            for k, name in enumerate(names):
                if name in per_output:
                    cw = data_module.class_weights_to_sample_weights(ys[k], per_output[name], name)
                    sws[k] = cw if sws[k] is None else sws[k] * cw
        if sws is not None:
            sws = [np.ones(len(ys[k]), lb.config.floatX) if w is None else np.asarray(w, lb.config.floatX)
                   for k, w in enumerate(sws)]
            for (spec, output), w in zip(loss_specs, sws):
                temporal = output.ndim >= 3   # per-timestep losses: (samples, time) weights are allowed
                if w.ndim != 1 and not (temporal and w.ndim == 2):
                    expected = "(samples,) or (samples, time)" if temporal else "(samples,)"
                    raise ValueError(f"sample_weight for output '{spec.name}': expected shape {expected}, "
                                     f"received {w.shape}")
        data_module.check_sample_counts([("input", self.input_names, xs), ("target", names, ys),
                                         ("sample_weight", names, sws)])
        types = tuple((str(a.dtype), _target_shape(a.shape)) for a in ys)
        weight_ranks = tuple(w.ndim for w in sws) if sws is not None else False
        return xs + ys + (sws or []), self._functions(types, weight_ranks)

    # ------------------------------------------------------------------------------------ public loops
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1,
            **kwargs):
        """Trains for ``epochs`` epochs; returns the ``History`` callback (``history.history['loss']``...)."""
        return loops.fit(self, x, y, batch_size, epochs, verbose, callbacks, validation_split, validation_data,
                         shuffle, class_weight, sample_weight, initial_epoch, steps_per_epoch, validation_steps,
                         validation_batch_size, validation_freq)

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False, **kwargs):
        """The loss (and metrics) over the data: a float, or a list in ``metrics_names`` order."""
        logs = loops.evaluate(self, x, y, batch_size, sample_weight, steps, callbacks)
        return _results(logs, return_dict)

    def predict(self, x, batch_size=None, verbose=0, steps=None, callbacks=None, **kwargs):
        """The outputs for ``x`` computed batch by batch (``training=False``)."""
        return loops.predict(self, x, batch_size, steps, callbacks)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, reset_metrics=True,
                       return_dict=False):
        """One optimizer step on one batch; returns its loss (and metrics)."""
        arrays, functions = self._prepare(x, y, sample_weight, class_weight)
        if reset_metrics:
            functions.reset_metrics("train")
        values = functions.get("train")(*arrays)
        return _results(dict(zip(functions.names("train"), (float(v) for v in values))), return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, reset_metrics=True, return_dict=False):
        """The loss (and metrics) of one batch, without training."""
        arrays, functions = self._prepare(x, y, sample_weight)
        if reset_metrics:
            functions.reset_metrics("test")
        values = functions.get("test")(*arrays)
        return _results(dict(zip(functions.names("test"), (float(v) for v in values))), return_dict)

    def __call__(self, inputs, *args, **kwargs):
        """Called on symbolic tensors: the model as a layer. Called on NumPy arrays (Keras 3's eager call): the
        outputs for them now, as arrays, through a graph compiled once per (input shapes and dtypes, training
        flag); with ``training=True`` dropout is active and the updates the layers make (moving statistics) are
        applied, as in Keras.

        Example:
            >>> import numpy as np
            >>> from layerkit.models import Sequential
            >>> from layerkit.layers import Input, Dense
            >>> model = Sequential([Input(shape=(3,)), Dense(2)])
            >>> model(np.ones((4, 3), dtype="float32")).shape
            (4, 2)
        """
        if _is_data(inputs) and not tracing.is_tracing():
            return self._call_on_data(inputs, args, kwargs)
        return super().__call__(inputs, *args, **kwargs)

    def _call_on_data(self, x, args, kwargs):
        if self.inputs is not None and not args:   # arrays checked and ordered as the model's inputs
            xs, _ = self._prepare(x, with_targets=False)
            x = xs[0] if len(xs) == 1 else xs
        outputs = self._eager_call(x, args, kwargs)
        if self.inputs is not None:
            return loops.pack_outputs(self, flatten_outputs(outputs))
        return outputs

    def predict_on_batch(self, x):
        """The outputs for one batch."""
        xs, _ = self._prepare(x, with_targets=False)
        return loops.pack_outputs(self, [np.array(output, copy=True) for output in self._predict_function()(*xs)])

    def _predict_function(self):
        if "predict" not in self._function_sets:
            self._function_sets["predict"] = ModelFunctions(self, [], None, [], (), False)
        return self._function_sets["predict"].get("predict")

    def reset_metrics(self):
        """Resets the running loss and metrics (and the state of every metric in ``metrics``)."""
        for metric in self.metrics:
            metric.reset_state()
        for key, functions in self._function_sets.items():
            if key == "predict":
                continue
            functions.reset_metrics("train")
            functions.reset_metrics("test")


def _is_data(inputs):
    """True for NumPy arrays (or a list/tuple/dict of them), the inputs of an eager model call."""
    if isinstance(inputs, dict):
        inputs = list(inputs.values())
    if isinstance(inputs, (list, tuple)):
        return bool(inputs) and all(isinstance(a, np.ndarray) for a in inputs)
    return isinstance(inputs, np.ndarray)


def _symbolic_call(model, inputs, **kwargs):
    """The layer call on symbolic tensors (``Layer.__call__``), past the training mixin's ``__call__``."""
    return super(TrainingMixin, model).__call__(inputs, **kwargs)


def _results(logs, return_dict):
    if return_dict:
        return logs
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def _target_shape(shape):
    shape = tuple(shape)
    return (None,) * (len(shape) - 1) + (shape[-1],) if len(shape) >= 2 else (None,) * len(shape)


def _layer_states(model):
    """Each layer's attributes, with list, dict and set values copied one level deep (what building appends to)."""
    return [(layer, {k: (type(v)(v) if type(v) in (list, dict, set) else v) for k, v in vars(layer).items()})
            for layer in _all_layers(model)]


def _restore_layer_states(states):
    for layer, attributes in states:
        vars(layer).clear()
        vars(layer).update(attributes)


def _all_layers(model):
    found, stack = [], [model]
    while stack:
        layer = stack.pop()
        if all(layer is not f for f in found):
            found.append(layer)
            stack.extend(layer._layers)
    return found
