"""Compile modes: which rewrites run, and on which device the compiled code computes."""
from ..config import config

__all__ = ["Mode", "get_mode", "get_default_mode", "FAST_RUN", "FAST_COMPILE"]


class Mode:
    """How ``function`` compiles.

    Args:
        linker: accepted for Theano programs ('py', 'c', 'cvm'...); layerkit has one linker.
        optimizer: 'fast_run' (all rewrites) or None / 'None' (none: the graph runs as written, for debugging).
        excluding: names of rewrites or phases to skip, e.g. ['fusion', 'local_mul_by_one'].
        nan_guard: stop at the first op producing NaN/Inf and name it (see NanGuardMode).
    """

    def __init__(self, linker=None, optimizer="fast_run", excluding=(), including=(), device=None, nan_guard=False):
        self.linker = linker
        self.optimizer = None if optimizer in (None, "None", "") else optimizer
        self.excluded = tuple(excluding)
        self.included = tuple(including)
        self.device = device
        self.nan_guard = nan_guard

    def excluding(self, *names):
        return Mode(self.linker, self.optimizer, self.excluded + names, self.included, self.device, self.nan_guard)

    def including(self, *names):
        return Mode(self.linker, self.optimizer, self.excluded, self.included + names, self.device, self.nan_guard)

    def requiring(self, *names):
        return self.including(*names)

    def __repr__(self):
        return f"Mode(optimizer={self.optimizer!r}, excluding={list(self.excluded)})"


FAST_RUN = Mode()
FAST_COMPILE = Mode(optimizer=None)
_PREDEFINED = {"FAST_RUN": FAST_RUN, "FAST_COMPILE": FAST_COMPILE, "DebugMode": FAST_COMPILE}


def get_default_mode():
    """The Mode ``function`` uses when none is given (``config.mode``)."""
    return get_mode(None)


def get_mode(mode):
    """A Mode from ``mode`` (None: config.mode; a name; or a Mode)."""
    if mode is None:
        mode = config.mode
    if isinstance(mode, Mode):
        return mode
    if mode == "NanGuardMode":
        return Mode(nan_guard=True)
    if mode not in _PREDEFINED:
        raise ValueError(f"unknown mode {mode!r}; expected one of {sorted(_PREDEFINED)} or a Mode")
    return _PREDEFINED[mode]
