"""Callbacks: code that ``fit``/``evaluate``/``predict`` run at the start and end of training, epochs and batches.

Example:
    >>> history = History()
    >>> history.on_train_begin()
    >>> history.on_epoch_end(0, {"loss": 0.5})
    >>> history.history
    {'loss': [0.5]}
"""
import csv
import json
import math
import os
import warnings

import numpy as np

from .saving.atomic_file import atomic_path
from .training import resume_state
from .training.progress import ProgressPrinter

__all__ = ["Callback", "CallbackList", "History", "EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau",
           "LearningRateScheduler", "CSVLogger", "TerminateOnNaN", "LambdaCallback", "ProgbarLogger",
           "BackupAndRestore", "TensorBoard"]

_HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
          "on_train_batch_end", "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
          "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end")


class Callback:
    """Base class: override any of Keras's hooks; ``self.model`` and ``self.params`` are set by the loop."""

    def __init__(self):
        self.model, self.params = None, {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    def on_train_batch_begin(self, batch, logs=None): pass
    def on_train_batch_end(self, batch, logs=None): pass
    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass
    def on_test_batch_begin(self, batch, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_predict_begin(self, logs=None): pass
    def on_predict_end(self, logs=None): pass
    def on_predict_batch_begin(self, batch, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass
    # Keras 2 spellings
    def on_batch_begin(self, batch, logs=None): pass
    def on_batch_end(self, batch, logs=None): pass


def _overrides(callback, hook):
    return getattr(type(callback), hook) is not getattr(Callback, hook) or isinstance(callback, LambdaCallback)


class CallbackList:
    """Calls a hook on every callback; ``wants(hook)`` tells the loop whether a per-batch hook is worth calling."""

    def __init__(self, callbacks, model, params):
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            callback.set_model(model)
            callback.set_params(params)
            if isinstance(callback, BackupAndRestore):
                callback._peers = self.callbacks
        self._wanted = {hook: [c for c in self.callbacks if _overrides(c, hook)] for hook in _HOOKS}
        legacy = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}
        for hook, old in legacy.items():
            self._wanted[hook] += [_Legacy(c, old) for c in self.callbacks if _overrides(c, old)]

    def wants(self, hook):
        return bool(self._wanted[hook])

    def call(self, hook, *args):
        if args and args[-1] is None:
            args = args[:-1] + ({},)   # hooks always receive a logs dict, as in Keras 3
        for callback in self._wanted[hook]:
            getattr(callback, hook)(*args)


class _Legacy:
    def __init__(self, callback, name):
        self.callback, self.name = callback, name

    def __getattr__(self, hook):
        return getattr(self.callback, self.name)


class ProgbarLogger(ProgressPrinter, Callback):
    """Prints progress: a tqdm bar per epoch on a terminal (``verbose=1``), else one line per epoch."""


class History(Callback):
    """Records every epoch's logs: ``history.history['loss']`` is the list of epoch losses."""

    def on_train_begin(self, logs=None):
        self.epoch = getattr(self, "epoch", [])
        self.history = getattr(self, "history", {})

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def plot(self, to_file="history.png", title=None):
        """Saves the training curves to ``to_file`` (PNG) with matplotlib; see ``layerkit.utils.plot_history``."""
        from .utils.history_plot import plot_history

        return plot_history(self, to_file, title)


def _monitor_op(mode, monitor, min_delta, who):
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{who}: mode must be 'auto', 'min' or 'max', received {mode!r}")
    if mode == "auto":
        mode = "max" if ("acc" in monitor or monitor.endswith("auc") or "precision" in monitor
                         or "recall" in monitor) else "min"
    if mode == "max":
        return (lambda current, best: current - min_delta > best), -np.inf
    return (lambda current, best: current + min_delta < best), np.inf


def _monitored(logs, monitor, who):
    value = (logs or {}).get(monitor)
    if value is None:
        warnings.warn(f"{who}: the monitored quantity '{monitor}' is not in the logs (available: "
                      f"{sorted(logs or {})}); skipping this epoch", stacklevel=3)
    return value


class EarlyStopping(Callback):
    """Stops training when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    Example: ``EarlyStopping(monitor='val_loss', patience=3, restore_best_weights=True)``.
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        self.monitor, self.patience, self.verbose = monitor, patience, verbose
        self.baseline, self.restore_best_weights, self.start_from_epoch = baseline, restore_best_weights, \
            start_from_epoch
        self.min_delta = abs(min_delta)
        self._better, self._initial = _monitor_op(mode, monitor, self.min_delta, "EarlyStopping")
        self.stopped_epoch = 0

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best_weights, self.best_epoch = 0, 0, None, 0
        self.best = self._initial

    def _get_resume_state(self):   # (best_weights are not backed up: restore_best_weights restarts its record)
        return {"best": float(self.best), "wait": self.wait, "best_epoch": self.best_epoch}

    def _set_resume_state(self, state):
        self.best, self.wait, self.best_epoch = float(state["best"]), int(state["wait"]), int(state["best_epoch"])

    def on_epoch_end(self, epoch, logs=None):
        current = _monitored(logs, self.monitor, "EarlyStopping")
        if current is None or epoch < self.start_from_epoch:
            return
        self.wait += 1
        if self._better(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._better(current, self.baseline):
                self.wait = 0
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch and self.verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}")
            self.model.set_weights(self.best_weights)


class ModelCheckpoint(Callback):
    """Saves the model (or its weights) after epochs; ``filepath`` may hold ``{epoch:02d}``, ``{val_loss:.2f}``...

    Example: ``ModelCheckpoint('w-{epoch:02d}.h5', save_weights_only=True)``.
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__()
        if save_freq != "epoch" and not isinstance(save_freq, int):
            raise ValueError(f"ModelCheckpoint: save_freq must be 'epoch' or a number of batches, "
                             f"received {save_freq!r}")
        self.filepath, self.monitor, self.verbose = os.fspath(filepath), monitor, verbose
        self.save_best_only, self.save_weights_only, self.save_freq = save_best_only, save_weights_only, save_freq
        self._better, initial = _monitor_op(mode, monitor, 0.0, "ModelCheckpoint")
        self.best = initial if initial_value_threshold is None else initial_value_threshold
        self._batches, self._epoch = 0, 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq != "epoch":
            self._batches += 1
            if self._batches % self.save_freq == 0:
                self._save(self._epoch, {k: float(v) for k, v in (logs or {}).items()}, batch=batch + 1)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, logs or {})

    def _save(self, epoch, logs, batch=None):
        try:
            path = self.filepath.format(epoch=epoch + 1, batch=batch, **logs)
        except KeyError as err:
            raise KeyError(f"ModelCheckpoint: filepath {self.filepath!r} names {err} which is not in the logs "
                           f"(available: ['epoch', 'batch', {', '.join(repr(k) for k in logs)}])") from None
        if self.save_best_only:
            current = _monitored(logs, self.monitor, "ModelCheckpoint")
            if current is None or not self._better(current, self.best):
                return
            if self.verbose:
                print(f"Epoch {epoch + 1}: {self.monitor} improved from {self.best:.5f} to {current:.5f}, "
                      f"saving model to {path}")
            self.best = current
        if self.save_weights_only:
            self.model.save_weights(path, overwrite=True)
        else:
            self.model.save(path, overwrite=True)


class ReduceLROnPlateau(Callback):
    """Multiplies the learning rate by ``factor`` when ``monitor`` stalls for ``patience`` epochs."""

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0.0):
        super().__init__()
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1, received {factor}")
        self.monitor, self.factor, self.patience, self.verbose = monitor, factor, patience, verbose
        self.cooldown, self.min_lr = cooldown, min_lr
        self._better, self._initial = _monitor_op(mode, monitor, min_delta, "ReduceLROnPlateau")

    def on_train_begin(self, logs=None):
        self.best, self.wait, self.cooldown_counter = self._initial, 0, 0

    def _get_resume_state(self):
        return {"best": float(self.best), "wait": self.wait, "cooldown_counter": self.cooldown_counter}

    def _set_resume_state(self, state):
        self.best, self.wait, self.cooldown_counter = float(state["best"]), int(state["wait"]), \
            int(state["cooldown_counter"])

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["learning_rate"] = float(self.model.optimizer.learning_rate)
        current = _monitored(logs, self.monitor, "ReduceLROnPlateau")
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._better(current, self.best):
            self.best, self.wait = current, 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old = float(self.model.optimizer.learning_rate)
                if old > self.min_lr:
                    new = max(old * self.factor, self.min_lr)
                    self.model.optimizer.learning_rate = new
                    if self.verbose:
                        print(f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new}.")
                    self.cooldown_counter, self.wait = self.cooldown, 0


class LearningRateScheduler(Callback):
    """Sets the learning rate to ``schedule(epoch, lr)`` at the start of every epoch."""

    def __init__(self, schedule, verbose=0):
        super().__init__()
        self.schedule, self.verbose = schedule, verbose

    def on_epoch_begin(self, epoch, logs=None):
        lr = float(self.model.optimizer.learning_rate)
        try:
            new = self.schedule(epoch, lr)
        except TypeError:
            new = self.schedule(epoch)   # Keras 1 style schedule(epoch)
        if not isinstance(new, (float, int, np.floating, np.integer)):
            raise ValueError(f"LearningRateScheduler: schedule must return a number, returned {new!r}")
        self.model.optimizer.learning_rate = float(new)
        if self.verbose:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {float(new)}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)


class CSVLogger(Callback):
    """Writes one CSV row per epoch (``epoch`` then the sorted log keys) to ``filename``."""

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename, self.separator, self.append = os.fspath(filename), separator, append
        self.keys, self._file, self._writer = None, None, None

    def on_train_begin(self, logs=None):
        has_header = self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        self._file = open(self.filename, "a" if self.append else "w", newline="")
        self._has_header = has_header

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            self._writer = csv.DictWriter(self._file, fieldnames=["epoch"] + self.keys, delimiter=self.separator)
            if not self._has_header:
                self._writer.writeheader()
        self._writer.writerow({"epoch": epoch, **{k: logs.get(k, "NA") for k in self.keys}})
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
        self._file, self._writer, self.keys = None, None, None


class TerminateOnNaN(Callback):
    """Stops training as soon as a batch's loss is NaN or infinite, saying which batch."""

    def __init__(self):
        super().__init__()
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            print(f"TerminateOnNaN: epoch {self._epoch + 1}, batch {batch}: invalid loss {float(loss)}, "
                  f"terminating training")
            self.model.stop_training = True


class LambdaCallback(Callback):
    """A callback from functions: ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``."""

    def __init__(self, **hooks):
        super().__init__()
        names = set(_HOOKS) | {"on_batch_begin", "on_batch_end"}
        unknown = sorted(set(hooks) - names)
        if unknown:
            raise TypeError(f"LambdaCallback: unknown hook(s) {unknown}; hooks are {sorted(names)}")
        for name in names:
            setattr(self, name, hooks.get(name) or (lambda *args, **kwargs: None))


class BackupAndRestore(Callback):
    """Backs up the training state to ``backup_dir`` after every epoch; an interrupted ``fit`` restarted with the
    same callback (in the same or a new process) resumes where it stopped, bit for bit.

    The backup holds the weights, the optimizer's state and learning rate, the data order and the layers' random
    streams (``training/resume_state.py``), the epoch, and the state of the other callbacks of the fit that keep
    one (``ReduceLROnPlateau``, ``EarlyStopping``). It is deleted when training completes (``delete_checkpoint``).
    """

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        super().__init__()
        self.backup_dir, self.delete_checkpoint = os.fspath(backup_dir), delete_checkpoint
        self._path = os.path.join(self.backup_dir, "backup.npz")
        self._peers, self._pending = [], None

    def on_train_begin(self, logs=None):
        if not os.path.exists(self._path):
            return
        with np.load(self._path) as data:   # (allow_pickle stays False: arrays and strings only)
            count = int(data["n_weights"])
            weights = [data[f"w{k}"] for k in range(count)]
            optimizer = [data[f"o{k}"] for k in range(int(data["n_optimizer"]))]
            state = json.loads(str(data["state"])) if "state" in data else None
            epoch = int(data["epoch"])
        self.model.set_weights(weights)
        if optimizer and self.model.inputs is not None:
            self.model._resolve_compile()   # slots exist only once the optimizer saw the parameters
            self.model.optimizer._build(self.model._compiled_trainable)
            self.model.optimizer.set_weights(optimizer)
        if state is not None:
            resume_state.restore(self.model, state["model"], f"BackupAndRestore({self._path!r})")
            self._pending = state["callbacks"]   # applied once every callback has run its on_train_begin
        self.model._initial_epoch = epoch + 1

    def on_epoch_begin(self, epoch, logs=None):
        if self._pending is not None:
            for callback, saved in zip(self._stateful_peers(), self._pending):
                callback._set_resume_state(saved)
            self._pending = None

    def _stateful_peers(self):
        return [c for c in self._peers if c is not self and hasattr(c, "_get_resume_state")]

    def on_epoch_end(self, epoch, logs=None):
        os.makedirs(self.backup_dir, exist_ok=True)
        arrays = {f"w{k}": w for k, w in enumerate(self.model.get_weights())}
        optimizer = self.model.optimizer.get_weights()
        arrays.update({f"o{k}": w for k, w in enumerate(optimizer)})
        state = {"model": resume_state.capture(self.model),
                 "callbacks": [c._get_resume_state() for c in self._stateful_peers()]}
        with atomic_path(self._path, suffix=".npz") as temporary:
            np.savez(temporary, epoch=epoch, n_weights=len(arrays) - len(optimizer), n_optimizer=len(optimizer),
                     state=np.array(json.dumps(state)), **arrays)

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.exists(self._path):
            os.remove(self._path)


from .tensorboard import TensorBoard  # noqa: E402  (its module imports Callback from here)
