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

__all__ = ["ProgressPrinter", "Progbar", "format_logs"]

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


class Progbar:
    """Keras's ``utils.Progbar``: a progress line for loops you write yourself.

    ``update(current, values)`` sets the position; ``add(n, values)`` advances it. ``values`` is a list of
    ``(name, value)`` pairs: each is shown as its mean over the steps so far (weighted by the steps each update
    covers), except names in ``stateful_metrics``, shown as given. ``verbose=1`` redraws one line (at most every
    ``interval`` seconds), ``verbose=2`` prints one line when ``target`` is reached, 0 prints nothing.

    Example:
        >>> import io
        >>> bar = Progbar(4, verbose=0)
        >>> bar.update(2, [("loss", 1.0)]); bar.update(4, [("loss", 3.0)])
        >>> bar.average("loss")
        2.0
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None, unit_name="step",
                 stream=None):
        self.target, self.width, self.verbose, self.interval = target, int(width), verbose, interval
        self.stateful_metrics, self.unit_name = set(stateful_metrics or ()), unit_name
        self.stream = stream
        self._sums, self._order, self._seen, self._start, self._last_draw = {}, [], 0, time.perf_counter(), 0.0

    def _out(self):
        return self.stream if self.stream is not None else sys.stdout

    def update(self, current, values=None, finalize=None):
        """Moves to step ``current`` with the step's ``values`` ([(name, value)])."""
        steps = max(current - self._seen, 1)
        for name, value in values or []:
            if name not in self._sums:
                self._order.append(name)
            if name in self.stateful_metrics:
                self._sums[name] = [float(value), 1]
            else:
                total, count = self._sums.get(name, [0.0, 0])
                self._sums[name] = [total + float(value) * steps, count + steps]
        self._seen = current
        finalize = finalize if finalize is not None else (self.target is not None and current >= self.target)
        now = time.perf_counter()
        if self.verbose == 1 and (finalize or now - self._last_draw >= self.interval):
            self._last_draw = now
            print("\r" + self._line(current), end="\n" if finalize else "", file=self._out(), flush=True)
        elif self.verbose == 2 and finalize:
            print(self._line(current), file=self._out(), flush=True)

    def add(self, n, values=None):
        """Advances by ``n`` steps with their ``values``."""
        self.update(self._seen + n, values)

    def average(self, name):
        """What the bar shows for ``name``: its mean over the steps so far (or its last value if stateful)."""
        total, count = self._sums[name]
        return total / max(count, 1)

    def _line(self, current):
        if self.target is not None:
            done = int(self.width * min(current / max(self.target, 1), 1.0))
            bar = f"{current}/{self.target} [" + "=" * done + "." * (self.width - done) + "]"
        else:
            bar = f"{current} {self.unit_name}s"
        values = " - ".join(f"{name}: {self.average(name):.4f}" for name in self._order)
        elapsed = time.perf_counter() - self._start
        return f"{bar} - {elapsed:.1f}s" + (f" - {values}" if values else "")
