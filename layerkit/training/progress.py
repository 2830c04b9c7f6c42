"""Progress output of ``fit``: a tqdm bar per epoch on a terminal, one line per epoch otherwise.

``verbose=1`` on an interactive stdout draws a bar with the running loss and metrics (redrawn at most every
0.1 s, so a fast loop does not pay for drawing); ``verbose=2``, or any stdout that is not a terminal (logs, CI),
prints exactly one line per epoch; ``verbose=0`` prints nothing.

Example:
    >>> format_logs({"loss": 0.25, "val_loss": 0.5})
    'loss: 0.2500 - val_loss: 0.5000'
"""
import sys
import time

__all__ = ["ProgressPrinter", "format_logs"]

_REDRAW_S = 0.1


def format_logs(logs):
    """``'loss: 0.2500 - accuracy: 0.9000'`` for a logs dict."""
    return " - ".join(f"{key}: {float(value):.4f}" for key, value in logs.items())


def _interactive(stream):
    return bool(getattr(stream, "isatty", lambda: False)())


class ProgressPrinter:
    """The hooks that print progress; ``layerkit.callbacks.ProgbarLogger`` is this as a ``Callback``."""

    def __init__(self, count_mode="steps", verbose=1, stream=None):
        self.verbose, self.stream = verbose, stream
        self.model, self.params = None, {}
        self._bar = None

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def _out(self):
        return self.stream if self.stream is not None else sys.stdout

    def on_train_begin(self, logs=None):
        self.epochs = self.params.get("epochs", 1)
        self._use_bar = self.verbose == 1 and _interactive(self._out())

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch, self._start, self._seen, self._next_draw = epoch, time.perf_counter(), 0, 0.0
        if self._use_bar:
            from tqdm import tqdm
            self._bar = tqdm(total=self.params.get("steps"), desc=f"Epoch {epoch + 1}/{self.epochs}",
                             file=self._out(), leave=True, dynamic_ncols=True, unit="step")

    def on_train_batch_end(self, batch, logs=None):
        self._seen = batch + 1
        if self._bar is None:
            return
        now = time.perf_counter()
        if now >= self._next_draw:
            self._next_draw = now + _REDRAW_S
            self._bar.n = self._seen
            self._bar.set_postfix_str(format_logs(logs or {}), refresh=True)

    def on_epoch_end(self, epoch, logs=None):
        elapsed = time.perf_counter() - self._start
        text = format_logs(logs or {})
        if self._bar is not None:
            self._bar.n = self._seen
            self._bar.set_postfix_str(text, refresh=True)
            self._bar.close()
            self._bar = None
        else:
            print(f"Epoch {epoch + 1}/{self.epochs} - {self._seen} steps - {elapsed:.1f}s - {text}",
                  file=self._out(), flush=True)

    def on_train_end(self, logs=None):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
