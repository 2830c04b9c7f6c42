"""``In`` and ``Out``: how a function takes an input (name, default value) and returns an output (borrowed?)."""
from ..graph.basic import Variable

__all__ = ["In", "Out"]


class In:
    """A function input with options.

    Args:
        variable: the symbolic input.
        name: the keyword it can be passed by (default: the variable's name).
        value: a default, making the argument optional.
        borrow: the function may keep a reference to the value (it never does after returning).
        mutable: the function may overwrite the value (layerkit never does; accepted for Theano programs).
        update: an expression for the input's next default: the function keeps the value (starting from
            ``value``), uses it when the argument is omitted, and stores ``update`` after each call.
    """

    def __init__(self, variable, name=None, value=None, update=None, mutable=False, strict=False,
                 allow_downcast=None, autoname=True, implicit=False, borrow=False, shared=False):
        if not isinstance(variable, Variable):
            raise TypeError(f"In: expected a symbolic variable, received {type(variable).__name__}")
        if update is not None and value is None:
            raise TypeError(f"In({variable}, update=...): an input with an update needs value= (its initial state)")
        self.variable = variable
        self.update = update
        self.name = name if name is not None else (variable.name if autoname else None)
        self.value = value
        self.has_default = value is not None
        self.mutable, self.strict, self.allow_downcast = mutable, strict, allow_downcast
        self.borrow, self.implicit = borrow, implicit

    def __repr__(self):
        return f"In({self.variable}{', value=' + repr(self.value) if self.has_default else ''})"


class Out:
    """A function output; ``borrow=True`` lets the function return a buffer without a defensive copy, and
    ``device_array=True`` returns it as a CuPy array when the function runs on a GPU (default: a NumPy copy)."""

    def __init__(self, variable, borrow=False, device_array=False):
        if not isinstance(variable, Variable):
            raise TypeError(f"Out: expected a symbolic variable, received {type(variable).__name__}")
        self.variable, self.borrow, self.device_array = variable, borrow, device_array
