"""NaN/Inf guarding: with ``Mode(nan_guard=True)`` (or mode='NanGuardMode') every node's outputs are checked
and the first op that produces NaN, Inf or a huge value is named, with the user's line that created it."""
import numpy as np

from .errors import describe_node

__all__ = ["guard", "NanGuardError", "NanGuardMode"]


class NanGuardError(FloatingPointError):
    """A node produced NaN, Inf or a value above 1e10 in magnitude."""


def guard(node, outputs, inputs, big=1e10, nan_is_error=True, inf_is_error=True, big_is_error=True):
    """Raise NanGuardError when an output of ``node`` holds what the flags call an error (run after each node)."""
    for k, out in enumerate(outputs):
        if getattr(out, "dtype", None) is None or out.dtype.kind not in "fc":
            continue
        arr = np.asarray(out) if not hasattr(out, "get") else out.get()
        problem = None
        if nan_is_error and np.isnan(arr).any():
            problem = "NaN"
        elif inf_is_error and np.isinf(arr).any():
            problem = "Inf"
        elif big_is_error and arr.size and np.nanmax(np.where(np.isinf(arr), 0, np.abs(arr))) > big:
            problem = f"a value above {big:g} in magnitude"
        if problem:
            raise NanGuardError(f"NanGuard: output {k} of {describe_node(node, inputs)} contains {problem}")


class _Checks:
    """The per-node check of a NanGuardMode with some checks turned off."""

    def __init__(self, **flags):
        self.flags = flags

    def __call__(self, node, outputs, inputs):
        guard(node, outputs, inputs, **self.flags)


def NanGuardMode(nan_is_error=True, inf_is_error=True, big_is_error=True, optimizer="fast_run", **kwargs):
    """A Mode that stops at the first op producing NaN, Inf or values above 1e10 in magnitude (each check can be
    turned off), naming the op and the line that created it (Theano's NanGuardMode)."""
    from .mode import Mode

    if nan_is_error and inf_is_error and big_is_error:
        return Mode(optimizer=optimizer, nan_guard=True)
    return Mode(optimizer=optimizer, nan_guard=_Checks(nan_is_error=nan_is_error, inf_is_error=inf_is_error,
                                                       big_is_error=big_is_error))
