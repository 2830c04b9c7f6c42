"""NaN/Inf guarding: with ``Mode(nan_guard=True)`` (or mode='NanGuardMode') every node's outputs are checked
and the first op that produces NaN, Inf or a huge value is named, with the user's line that created it."""
import numpy as np

from .errors import describe_node

__all__ = ["guard", "NanGuardError", "NanGuardMode"]


class NanGuardError(FloatingPointError):
    """A node produced NaN, Inf or a value above 1e10 in magnitude."""


def guard(node, outputs, inputs, big=1e10):
    for k, out in enumerate(outputs):
        if getattr(out, "dtype", None) is None or out.dtype.kind not in "fc":
            continue
        arr = np.asarray(out) if not hasattr(out, "get") else out.get()
        problem = None
        if np.isnan(arr).any():
            problem = "NaN"
        elif np.isinf(arr).any():
            problem = "Inf"
        elif arr.size and np.abs(arr).max() > big:
            problem = f"a value above {big:g} in magnitude"
        if problem:
            raise NanGuardError(f"NanGuard: output {k} of {describe_node(node, inputs)} contains {problem}")


def NanGuardMode(nan_is_error=True, inf_is_error=True, big_is_error=True, optimizer="fast_run", **kwargs):
    """A Mode that stops at the first op producing NaN/Inf/huge values (Theano's NanGuardMode)."""
    from .mode import Mode

    return Mode(optimizer=optimizer, nan_guard=True)
