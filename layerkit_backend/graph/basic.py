"""The nodes of a symbolic graph: Type, Variable, Constant, Apply, and the Op base class.

A graph is bipartite: a Variable is produced by at most one Apply (its ``owner``); an Apply applies an Op to input
Variables and owns its output Variables. Ops are compared by their ``__props__``, so two ``Elemwise(add)`` are equal
and the merge rewrite can treat them as one.
"""
import os
import sys

from ..config import config

__all__ = ["Type", "Variable", "Constant", "Apply", "Op", "Tag", "user_line", "compute_test_values"]

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_LAYERKIT_DIR = os.path.join(os.path.dirname(_PACKAGE_DIR), "layerkit")


def user_line():
    """The (file, line, function) of the first stack frame outside layerkit's packages, or None."""
    frame = sys._getframe(1)
    while frame is not None:
        path = frame.f_code.co_filename
        if not (path.startswith(_PACKAGE_DIR) or path.startswith(_LAYERKIT_DIR)):
            return (path, frame.f_lineno, frame.f_code.co_name)
        frame = frame.f_back
    return None


class Tag:
    """A free-form bag of attributes (``trace``, ``test_value``...) attached to variables and nodes."""

    def __repr__(self):
        return f"Tag({self.__dict__})"


class Type:
    """What a Variable may hold. Subclasses define ``filter`` (convert/validate a value) and equality."""

    def filter(self, value, name=None, allow_downcast=False):
        raise NotImplementedError

    def make_variable(self, name=None):
        return Variable(self, name=name)

    def __call__(self, name=None):
        return self.make_variable(name)


class Variable:
    """A symbolic value: an input (owner None), or output ``index`` of the Apply ``owner``."""

    __array_priority__ = 1000  # so that ndarray + Variable defers to Variable.__radd__

    def __init__(self, type, owner=None, index=None, name=None):
        self.type = type
        self.owner = owner
        self.index = index
        self.name = name
        self.tag = Tag()

    def clone(self):
        """A new owner-less Variable of the same type and name."""
        cp = self.__class__(self.type, None, None, self.name)
        cp.tag = _copy_tag(self.tag)
        return cp

    def get_parents(self):
        return [self.owner] if self.owner is not None else []

    @property
    def clients(self):
        """The ``(node, input index)`` pairs (``('output', i)`` for the graph's outputs) that read this variable in
        the FunctionGraph it belongs to, e.g. ``f.maker.fgraph.inputs[0].clients`` of a compiled function."""
        fgraph = self.__dict__.get("fgraph")
        if fgraph is None:
            raise AttributeError(f"{self} belongs to no FunctionGraph, so it has no clients (a compiled function's "
                                 f"graph is f.maker.fgraph)")
        return fgraph.clients.get(self, [])

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_eval_cache", None)  # compiled functions of eval(); rebuilt on demand
        return state

    def __str__(self):
        if self.name is not None:
            return self.name
        if self.owner is not None:
            op = self.owner.op
            if len(self.owner.outputs) == 1:
                return f"{op}.0"
            return f"{op}.{self.index}"
        return f"<{self.type}>"

    def __repr__(self):
        return str(self)

    def eval(self, inputs_to_values=None):
        """Compile (once per set of inputs) and evaluate this variable.

        Example:
            >>> import layerkit_backend.tensor as T
            >>> x = T.dscalar('x')
            >>> float((x * 2).eval({x: 3.0}))
            6.0
        """
        from ..compile.function import function  # a cycle by nature: eval needs the compiler

        inputs_to_values = inputs_to_values or {}
        inputs = tuple(sorted(inputs_to_values, key=id))
        cache = self.__dict__.setdefault("_eval_cache", {})
        fn = cache.get(inputs)
        if fn is None:
            fn = cache[inputs] = function(list(inputs), self, on_unused_input="ignore")
        return fn(*[inputs_to_values[v] for v in inputs])


class Constant(Variable):
    """A Variable with a fixed value, ``data``, known when the graph is built."""

    def __init__(self, type, data, name=None):
        super().__init__(type, None, None, name)
        self.data = type.filter(data, name=name)

    def clone(self):
        cp = self.__class__(self.type, self.data, self.name)
        cp.tag = _copy_tag(self.tag)
        return cp

    def signature(self):
        """A hashable key: two constants with equal signatures hold equal values (used by merge)."""
        return (self.type, self.type.value_signature(self.data))

    def __str__(self):
        if self.name is not None:
            return self.name
        text = str(self.data).replace("\n", "")
        return text if len(text) <= 20 else text[:17] + "..."


class Apply:
    """One application of ``op`` to ``inputs``, producing ``outputs``."""

    def __init__(self, op, inputs, outputs):
        self.op = op
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.tag = Tag()
        self.tag.trace = user_line()
        for i, out in enumerate(self.outputs):
            if out.owner is None:
                out.owner, out.index = self, i
            elif out.owner is not self or out.index != i:
                raise ValueError(f"{op}: output {i} already belongs to another node")

    @property
    def out(self):
        assert len(self.outputs) == 1, f"{self.op} has {len(self.outputs)} outputs"
        return self.outputs[0]

    def clone_with_new_inputs(self, inputs, strict=True):
        """The same op on new inputs; re-runs make_node unless the input types are unchanged."""
        if all(a.type == b.type for a, b in zip(inputs, self.inputs)):
            node = Apply(self.op, inputs, [o.clone() for o in self.outputs])
        else:
            node = self.op.make_node(*inputs)
            if strict:
                for old, new in zip(self.outputs, node.outputs):
                    if not old.type.is_super(new.type):
                        raise TypeError(f"{self.op}: new output type {new.type} does not fit {old.type}")
        node.tag = _copy_tag(self.tag)
        return node

    def __str__(self):
        return f"{self.op}({', '.join(map(str, self.inputs))})"

    __repr__ = __str__


class Op:
    """An operation. One class owns it: its props, ``make_node`` (types and static shapes), ``perform`` (written
    once against the array module ``xp``), ``grad`` and, optionally, ``infer_shape``, ``R_op`` and ``view_map`` /
    ``destroy_map`` (which inputs an output aliases or overwrites).

    Subclasses list their parameters in ``__props__``; equality and hashing use them.
    """

    __props__ = ()
    name = None       # Theano's op.name: a label some ops carry (IfElse, Scan); None for most
    view_map = {}     # {output index: [input index]}: the output may be a view of that input
    destroy_map = {}  # {output index: [input index]}: computing the output overwrites that input
    foldable = True   # may constant folding evaluate this op at compile time?

    def _props(self):
        return tuple(getattr(self, p) for p in self.__props__)

    def __eq__(self, other):
        return type(self) is type(other) and self._props() == other._props()

    def __hash__(self):
        return hash((type(self), self._props()))

    def __str__(self):
        if not self.__props__:
            return type(self).__name__
        return f"{type(self).__name__}{{{', '.join(f'{p}={getattr(self, p)!r}' for p in self.__props__)}}}"

    __repr__ = __str__

    def __call__(self, *inputs, **kwargs):
        node = self.make_node(*inputs, **kwargs)
        if config.compute_test_value != "off":
            compute_test_values(node, config.compute_test_value)
        return node.outputs[0] if len(node.outputs) == 1 else node.outputs

    def make_node(self, *inputs):
        raise NotImplementedError(f"{type(self).__name__}.make_node")

    def perform(self, xp, node, inputs):
        """Compute the outputs from input arrays; return a list of arrays (one per output).

        An op defines ``perform`` or ``make_thunk``; the base class derives the other one.
        """
        if type(self).make_thunk is Op.make_thunk:
            raise NotImplementedError(f"{type(self).__name__} defines neither perform nor make_thunk")
        out = self.make_thunk(node, xp)(*inputs)
        return list(out) if len(node.outputs) > 1 else [out]

    def make_thunk(self, node, xp):
        """A fast callable ``f(*input_arrays) -> output`` (or a tuple of outputs when the node has several).

        The default calls ``perform``; ops on the hot path return a specialised closure.
        """
        if type(self).perform is Op.perform:
            raise NotImplementedError(f"{type(self).__name__} defines neither perform nor make_thunk")
        perform = self.perform
        if len(node.outputs) == 1:
            return lambda *args: perform(xp, node, args)[0]
        return lambda *args: tuple(perform(xp, node, args))

    def grad(self, inputs, output_grads):
        raise NotImplementedError(f"{type(self).__name__} has no gradient")

    def connection_pattern(self, node):
        """[[is output j connected to input i] for i in inputs]; default: everything is connected."""
        return [[True] * len(node.outputs) for _ in node.inputs]


def _test_value(var):
    if hasattr(var.tag, "test_value"):
        return var.tag.test_value
    if isinstance(var, Constant):
        return var.data
    container = getattr(var, "container", None)  # a shared variable: its current value
    return None if container is None else container.value


def compute_test_values(node, mode):
    """Theano's ``config.compute_test_value``: run ``node`` on its inputs' ``tag.test_value`` as soon as the graph
    is built, so a shape or dtype error surfaces on the line that made the node. ``mode`` says what a missing test
    value does: 'raise' (or 'pdb'), 'warn' or 'ignore'."""
    values = []
    for v in node.inputs:
        value = _test_value(v)
        if value is None:
            msg = (f"{node.op}: input {v} has no test value; set {v}.tag.test_value, or set "
                   f"config.compute_test_value to 'off'")
            if mode in ("raise", "pdb"):
                raise ValueError(msg)
            if mode == "warn":
                import warnings

                warnings.warn(msg, stacklevel=3)
            return
        values.append(value)
    from ..backends import numpy_xp

    outs = node.op.make_thunk(node, numpy_xp)(*values)
    for out, value in zip(node.outputs, outs if len(node.outputs) > 1 else (outs,)):
        out.tag.test_value = value


def _copy_tag(tag):
    new = Tag()
    new.__dict__.update(tag.__dict__)
    return new
