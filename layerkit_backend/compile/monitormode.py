"""MonitorMode: a Mode that calls a function after each node runs (Theano's, for watching values while debugging).

``post_func(i, node, fn)`` receives the node's position ``i`` in the execution order, the Apply ``node`` and
``fn``, whose ``inputs`` and ``outputs`` are lists of one-element lists holding the values (Theano's storage
cells). ``pre_func`` (called before each node in Theano) is not supported: use ``post_func``, whose ``fn.inputs``
are the same values.
"""
from .mode import Mode

__all__ = ["MonitorMode"]


class _Thunk:
    """What ``post_func`` sees as ``fn``: the node's input and output values in storage cells."""

    def __init__(self, inputs, outputs):
        self.inputs = [[v] for v in inputs]
        self.outputs = [[v] for v in outputs]


class _Watch:
    def __init__(self, post_func):
        self.post_func = post_func
        self._positions = {}

    def __call__(self, node, outputs, inputs):
        i = self._positions.get(node)
        if i is None:
            fgraph = node.outputs[0].fgraph
            self._positions = {n: k for k, n in enumerate(fgraph.toposort())}
            i = self._positions.get(node, -1)
        self.post_func(i, node, _Thunk(inputs, outputs))


def MonitorMode(pre_func=None, post_func=None, optimizer="default", linker=None):
    """A Mode calling ``post_func(i, node, fn)`` after every node (see the module docstring).

    Example:
        >>> import numpy as np
        >>> import layerkit_backend as lb, layerkit_backend.tensor as T
        >>> seen = []
        >>> mode = MonitorMode(post_func=lambda i, node, fn: seen.append(np.isnan(fn.outputs[0][0]).any()))
        >>> x = T.dscalar('x')
        >>> f = lb.function([x], T.log(x) * x, mode=mode)
        >>> _ = f(0.0); any(seen)
        True
    """
    if pre_func is not None:
        raise NotImplementedError("MonitorMode(pre_func=...): not supported; post_func sees the same inputs")
    mode = Mode(optimizer="fast_run" if optimizer == "default" else optimizer, linker=linker)
    if post_func is not None:
        mode.nan_guard = _Watch(post_func)
    return mode
