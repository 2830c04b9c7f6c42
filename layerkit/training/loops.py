"""The fit / evaluate / predict loops: feed batches to the compiled functions and call the callbacks.

The hot loop does only this per batch: slice the arrays (precomputed index order), call the compiled function,
and call the per-batch callback hooks that some callback actually overrides. Running averages live in the
compiled function's accumulators, so there is no per-batch bookkeeping in Python.

Example:
    >>> import numpy as np
    >>> from layerkit.models import Sequential
    >>> from layerkit.layers import Layer
    >>> model = Sequential([Layer(input_shape=(1,))])
    >>> model.compile("sgd", "mse")
    >>> round(evaluate(model, np.ones((3, 1)), np.zeros((3, 1)), 2, None, None, None)["loss"], 3)
    1.0
"""
import math
import warnings

import numpy as np

from . import data as data_module
from . import resume_state

__all__ = ["fit", "evaluate", "predict", "pack_outputs"]


def _callbacks(model, callbacks, verbose, params, history=None):
    from ..callbacks import CallbackList, ProgbarLogger

    found = list(callbacks or [])
    if history is not None:
        found.append(history)   # after the user's callbacks, so it records the keys they add (learning_rate)
    if verbose and not any(isinstance(c, ProgbarLogger) for c in found):
        found.append(ProgbarLogger(verbose=verbose))
    strategy = _strategy(model)
    if strategy is not None:
        found = strategy.callbacks_for_rank(found)   # progress and files come from process 0 only
    return CallbackList(found, model, params)


def _strategy(model):
    return getattr(model, "_strategy", None)


def _shard(model):
    """(rank, size) when a strategy splits every batch over processes, else None."""
    strategy = _strategy(model)
    return None if strategy is None else strategy.shard


def _unpack(item, what):
    if isinstance(item, tuple) and 1 <= len(item) <= 3:
        return item + (None,) * (3 - len(item))
    if what == "predict":
        return item, None, None
    raise ValueError(f"A {what} generator or Sequence must yield (x, y) or (x, y, sample_weight) tuples, "
                     f"received {type(item).__name__}")


def _source_batches(model, source, steps, shuffle, with_targets, class_weight=None, what="fit", shard=None):
    """Yields (ModelFunctions or None, arrays) for each batch of a generator or Sequence (``shard``: see
    ``data.array_batches``)."""
    if hasattr(source, "on_epoch_begin"):
        source.on_epoch_begin()
    if hasattr(source, "__getitem__") and hasattr(source, "__len__"):
        # Keras 3 takes a PyDataset's batches in order; Keras 2's Sequence was shuffled by batch
        shuffle = shuffle and not isinstance(source, data_module.PyDataset)
        order = resume_state.epoch_rng(model).permutation(len(source)) if shuffle else range(len(source))
        items = (source[int(i)] for i in order)
        if steps is not None:
            items = (item for _, item in zip(range(steps), items))
    else:
        items = source if steps is None else (item for _, item in zip(range(steps), source))
    for item in items:
        x, y, sw = _unpack(item, what)
        if with_targets:
            arrays, functions = model._prepare(x, y, sw, class_weight)
        else:
            arrays, functions = model._prepare(x, with_targets=False)
        if shard is not None:
            part = data_module.shard_slice(len(arrays[0]), *shard)
            arrays = [a[part] for a in arrays]
        yield functions, arrays
    if hasattr(source, "on_epoch_end"):
        source.on_epoch_end()


class _Passes:
    """The batches of each epoch. With ``steps_per_epoch``, epochs take that many batches from passes over the
    data that go on across epochs (Keras 3): an epoch ends early when a pass runs out, and the next epoch starts
    a new pass."""

    def __init__(self, arrays, batch_size, shuffle, steps_per_epoch, shard, pass_rng):
        self.arrays, self.batch_size, self.shuffle, self.shard = arrays, batch_size, shuffle, shard
        self.steps_per_epoch, self.pass_rng = steps_per_epoch, pass_rng
        self.batches, self.current, self.seen = math.ceil(len(arrays[0]) / batch_size), None, 0

    def _new_pass(self):
        return data_module.array_batches(self.arrays, self.batch_size, self.shuffle, rng=self.pass_rng(),
                                         shard=self.shard)

    def epoch(self):
        if self.steps_per_epoch is None:
            yield from self._new_pass()
            return
        if self.current is None:
            self.current, self.seen = self._new_pass(), 0
        for _ in range(self.steps_per_epoch):
            if self.seen >= self.batches:
                warnings.warn(f"fit: the data ran out after {self.seen} batches, before steps_per_epoch="
                              f"{self.steps_per_epoch}; the epoch ends early", UserWarning, stacklevel=4)
                break
            self.seen += 1
            yield next(self.current)
        if self.seen >= self.batches:
            self.current = None


def _reset(model, kind):
    for key, functions in model._function_sets.items():
        if key != "predict":
            functions.reset_metrics(kind)


def fit(model, x, y, batch_size, epochs, verbose, callbacks, validation_split, validation_data, shuffle,
        class_weight, sample_weight, initial_epoch, steps_per_epoch, validation_steps, validation_batch_size,
        validation_freq):
    """``Model.fit``'s loop (see there)."""
    from ..callbacks import History

    verbose = 1 if verbose == "auto" else verbose
    batch_size = data_module.check_batch_size(batch_size, "fit")
    validation_batch_size = data_module.check_batch_size(validation_batch_size, "fit (validation_batch_size)",
                                                         batch_size)
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"fit: epochs must be a non-negative integer, received {epochs!r}")
    validation = None
    if data_module.is_batch_source(x):
        if validation_split:
            raise ValueError("fit: validation_split needs arrays; pass validation_data=(x, y) with a generator")
        steps = steps_per_epoch or (len(x) if hasattr(x, "__len__") else None)

        def epoch_batches():
            return _source_batches(model, x, steps_per_epoch, shuffle, True, class_weight, shard=_shard(model))
    else:
        arrays, functions = model._prepare(x, y, sample_weight, class_weight)
        if validation_split and validation_data is None:
            arrays, held_out = data_module.split_validation(arrays, validation_split)
            validation = (held_out, functions)
        n = len(arrays[0])
        steps = math.ceil(n / batch_size) if steps_per_epoch is None else min(steps_per_epoch,
                                                                             math.ceil(n / batch_size))
        functions.get("train")
        # each pass over the data shuffles with the model's resumable generator (see resume_state.py)
        passes = _Passes(arrays, batch_size, shuffle, steps_per_epoch, _shard(model),
                         lambda: resume_state.epoch_rng(model) if shuffle else None)

        def epoch_batches():
            return ((functions, b) for b in passes.epoch())
    if validation_data is not None:
        if data_module.is_batch_source(validation_data):
            validation = ("source", validation_data, validation_steps)
        else:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
                raise ValueError(f"fit: validation_data must be (x, y) or (x, y, sample_weight), received "
                                 f"{type(validation_data).__name__} of length {len(validation_data)}")
            vx, vy, vsw = tuple(validation_data) + (None,) * (3 - len(validation_data))
            validation = model._prepare(vx, vy, vsw)
    history = History()
    params = {"epochs": epochs, "steps": steps, "verbose": verbose, "batch_size": batch_size}
    callback_list = _callbacks(model, callbacks, verbose, params, history)
    want_begin = callback_list.wants("on_train_batch_begin")
    want_end = callback_list.wants("on_train_batch_end")
    model.stop_training, model._initial_epoch = False, None
    model.history = history
    callback_list.call("on_train_begin", None)
    if _strategy(model) is not None:
        _strategy(model).synchronize(model)   # weights, optimizer state, initial epoch and shuffling from rank 0
    if model._initial_epoch is not None:
        initial_epoch = model._initial_epoch
    logs, current, train, names = {}, None, None, None
    for epoch in range(initial_epoch, epochs):
        _reset(model, "train")
        callback_list.call("on_epoch_begin", epoch, None)
        outputs = None
        for step, (functions, batch) in enumerate(epoch_batches()):
            if functions is not current:
                current, train, names = functions, functions.get("train"), functions.names("train")
            if want_begin:
                callback_list.call("on_train_batch_begin", step, None)
            outputs = train(*batch)
            if want_end:
                callback_list.call("on_train_batch_end", step, dict(zip(names, outputs)))
            if model.stop_training:
                break
        if outputs is None:
            raise ValueError(f"fit: epoch {epoch + 1} received no batches (an exhausted generator? give "
                             f"steps_per_epoch, or a Sequence)")
        logs = {name: float(value) for name, value in zip(names, outputs)}
        if validation is not None and (epoch + 1) % validation_freq == 0:
            callback_list.call("on_test_begin", None)   # fit's validation is an evaluate: its hooks run (Keras)
            val_logs = _evaluate_prepared(model, validation, validation_batch_size, callback_list)
            callback_list.call("on_test_end", val_logs)
            logs.update({f"val_{k}": v for k, v in val_logs.items()})
        callback_list.call("on_epoch_end", epoch, logs)
        if _strategy(model) is not None:
            model.stop_training = _strategy(model).any(model.stop_training)
        if model.stop_training:
            break
    if epochs > initial_epoch and hasattr(model.optimizer, "finalize_variable_values"):
        model.optimizer.finalize_variable_values(model.trainable_weights)   # use_ema: the averages (Keras 3)
    callback_list.call("on_train_end", logs)
    return history


def _evaluate_prepared(model, prepared, batch_size, callback_list):
    shard = _shard(model)
    if prepared[0] == "source":
        batches = _source_batches(model, prepared[1], prepared[2], False, True, what="evaluate", shard=shard)
    else:
        arrays, functions = prepared
        batches = ((functions, b) for b in data_module.array_batches(arrays, batch_size, False, shard=shard))
    _reset(model, "test")
    want_begin = callback_list is not None and callback_list.wants("on_test_batch_begin")
    want_end = callback_list is not None and callback_list.wants("on_test_batch_end")
    outputs, names, current, test = None, None, None, None
    for step, (functions, batch) in enumerate(batches):
        if functions is not current:
            current, test, names = functions, functions.get("test"), functions.names("test")
        if shard is not None and len(batch[0]) == 0:
            continue
        if want_begin:
            callback_list.call("on_test_batch_begin", step, None)
        outputs = test(*batch)
        if want_end:
            callback_list.call("on_test_batch_end", step, dict(zip(names, outputs)))
    if shard is not None and current is not None:
        return _strategy(model).reduce_results(current, "test")
    if outputs is None:
        raise ValueError("evaluate: no batches to evaluate (empty data or exhausted generator)")
    return {name: float(value) for name, value in zip(names, outputs)}


def evaluate(model, x, y, batch_size, sample_weight, steps, callbacks):
    """``Model.evaluate``'s loop: returns the logs dict."""
    batch_size = data_module.check_batch_size(batch_size, "evaluate")
    if data_module.is_batch_source(x):
        prepared = ("source", x, steps)
    else:
        prepared = model._prepare(x, y, sample_weight)
    callback_list = _callbacks(model, callbacks, 0, {"steps": steps})
    callback_list.call("on_test_begin", None)
    logs = _evaluate_prepared(model, prepared, batch_size, callback_list)
    callback_list.call("on_test_end", logs)
    return logs


def predict(model, x, batch_size, steps, callbacks):
    """``Model.predict``'s loop: the outputs of every batch, concatenated."""
    batch_size = data_module.check_batch_size(batch_size, "predict")
    shard = _shard(model)
    if data_module.is_batch_source(x):
        batches = (b for _, b in _source_batches(model, x, steps, False, False, what="predict", shard=shard))
    else:
        xs, _ = model._prepare(x, with_targets=False)
        batches = data_module.array_batches(xs, batch_size, False, steps, shard=shard)
    callback_list = _callbacks(model, callbacks, 0, {"steps": steps})
    callback_list.call("on_predict_begin", None)
    want_begin = callback_list.wants("on_predict_batch_begin")
    want_end = callback_list.wants("on_predict_batch_end")
    function = None
    per_batch = []
    for step, batch in enumerate(batches):
        if shard is not None and len(batch[0]) == 0:
            per_batch.append(None)
            continue
        function = function or model._predict_function()
        if want_begin:
            callback_list.call("on_predict_batch_begin", step, None)
        outputs = function(*batch)
        per_batch.append([np.array(output, copy=True) for output in outputs])
        if want_end:
            callback_list.call("on_predict_batch_end", step, {"outputs": outputs})
    callback_list.call("on_predict_end", None)
    if shard is not None:
        per_batch = _strategy(model).gather_batches(per_batch)
    per_batch = [outputs for outputs in per_batch if outputs is not None]
    if not per_batch:
        raise ValueError("predict: no batches (empty input or exhausted generator)")
    return pack_outputs(model, [np.concatenate(chunk, axis=0) for chunk in zip(*per_batch)])


def pack_outputs(model, results):
    """Predictions in the structure of the model's outputs: one array, a list, or a dict keyed like the dict
    of outputs the model was built with."""
    nested = getattr(model, "_nested_outputs", None)
    if isinstance(nested, dict) and all(not isinstance(v, (list, tuple, dict)) for v in nested.values()):
        return dict(zip(sorted(nested), results))
    return results[0] if len(results) == 1 else list(results)
