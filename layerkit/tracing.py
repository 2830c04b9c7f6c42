"""Whether layerkit is building a graph right now, and the variable assignments a traced step makes.

Keras 3 code runs in two ways: on concrete values (``layer(x)``, ``ops.sum(array)``, ``v.assign(3.0)`` act at
once) and inside a compiled step (``train_step``, a layer's ``call``), where the same code must build a graph.
layerkit tells them apart with one thread-local flag: :func:`is_tracing` is true while a layer call, a training
step or an eager function is being turned into a graph. Inside a traced step, ``Variable.assign`` cannot change a
value yet: it records the new symbolic value in the active :class:`Assignments`, which the step's compiled
function applies as its updates (all at once, after the step's outputs are computed).

Example:
    >>> is_tracing()
    False
    >>> with tracing():
    ...     is_tracing()
    True
"""
import contextlib
import threading

__all__ = ["is_tracing", "tracing", "Assignments", "collecting_assignments", "active_assignments",
           "record_assignments"]

_STATE = threading.local()


def _state():
    if not hasattr(_STATE, "depth"):
        _STATE.depth = 0
        _STATE.assignments = []
    return _STATE


def is_tracing():
    """True while a graph is being built (a layer call on symbolic tensors, a training step, an eager call)."""
    return _state().depth > 0


@contextlib.contextmanager
def tracing():
    """Marks the block as graph building: ops return symbolic tensors, even on variables and constants."""
    state = _state()
    state.depth += 1
    try:
        yield
    finally:
        state.depth -= 1


class Assignments:
    """The ``(variable, new value)`` pairs recorded while a step is traced, in order; a later assignment of the
    same variable replaces the earlier one and builds on it (``assign_add`` twice adds both)."""

    def __init__(self):
        self._pending = {}   # id(variable) -> (variable, symbolic new value); dicts keep insertion order

    def record(self, variable, value):
        self._pending[id(variable)] = (variable, value)

    def current(self, variable):
        """The variable's value as the step has it so far: its last assignment, or the variable itself."""
        entry = self._pending.get(id(variable))
        return variable if entry is None else entry[1]

    def read(self, variable):
        """The variable as code running after its assignment sees it: the new value, and, for gradients, a
        variable of its own (``v + stop_gradient(new - v)``: the gradient reaches ``v`` as if the new value were
        the variable, and never flows into the computation of the update)."""
        entry = self._pending.get(id(variable))
        if entry is None:
            return variable
        import layerkit_backend as lb
        import layerkit_backend.tensor as T

        value = variable + lb.gradient.disconnected_grad(entry[1] - variable)
        return value if value.type.shape == variable.type.shape else T.specify_shape(value, variable.type.shape)

    def sequenced(self, values, boundary=()):
        """``values`` (expressions just built from variables) recomputed from the variables' current values: a
        second optimizer step in the same ``train_step`` starts from the first one's result. ``boundary``:
        inputs computed before (gradients), left as they are."""
        replace = {entry[0]: self.read(entry[0]) for entry in self._pending.values()}
        if not replace:
            return list(values)
        import layerkit_backend as lb

        return lb.clone_replace(list(values), replace={**{b: b for b in boundary}, **replace})

    def pairs(self):
        return list(self._pending.values())

    def __len__(self):
        return len(self._pending)


@contextlib.contextmanager
def collecting_assignments(assignments=None):
    """Routes ``Variable.assign*`` made in the block to ``assignments`` (a new :class:`Assignments` if None)."""
    assignments = Assignments() if assignments is None else assignments
    stack = _state().assignments
    stack.append(assignments)
    try:
        yield assignments
    finally:
        stack.pop()


def active_assignments():
    """The innermost :class:`Assignments` being collected, or None."""
    stack = _state().assignments
    return stack[-1] if stack else None


def record_assignments(pairs, boundary=()):
    """Records update ``pairs`` in the active :class:`Assignments` while a step is traced (no-op otherwise):
    how an optimizer's ``apply_gradients`` inside a custom ``train_step`` reaches the step's updates. The new
    values are first rebased on what the step has assigned so far (:meth:`Assignments.sequenced`)."""
    assignments = active_assignments()
    if assignments is not None and is_tracing():
        values = assignments.sequenced([value for _, value in pairs], boundary)
        for (variable, _), value in zip(pairs, values):
            assignments.record(variable, value)
