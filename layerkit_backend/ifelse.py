"""``ifelse``: a lazy condition. Only the chosen branch is computed (``tensor.switch`` computes both, elementwise).

The linker runs nodes in straight-line order, so the laziness lives inside the ``IfElse`` op: it holds the two
branches as inner graphs, each compiled with ``function``, and its thunk runs only the one the condition picks.
What both branches need (their common ancestors) is computed outside, once, as inputs of the op; every other
variable a branch reads, shared variables included, is an explicit input too, so the op is a pure function of
its inputs (and a random state read inside a branch still gets its default update in the outer function).
"""
from .graph.basic import Apply, Constant, Op, Variable
from .graph.traversal import ancestors, clone_replace, graph_inputs
from .tensor.basic import cast
from .tensor.type import FLOAT_DTYPES, TensorType
from .tensor.variable import as_tensor_variable

__all__ = ["ifelse", "IfElse"]


class _Branches:
    """The inner graphs of one IfElse: ``inputs``, ``then_outputs``, ``else_outputs``. Compared by identity, so
    two IfElse ops are equal only when they hold the very same branches."""

    def __init__(self, inputs, then_outputs, else_outputs):
        self.inputs, self.then_outputs, self.else_outputs = inputs, then_outputs, else_outputs
        self._compiled = {}

    def compiled(self, xp):
        """The (then, else) functions for the array module ``xp``, compiled on first use."""
        fns = self._compiled.get(xp.name)
        if fns is None:
            from .compile.function import function  # the op runs compiled inner graphs: a cycle by nature
            from .compile.mode import Mode

            mode = Mode(device=f"cuda{xp.device_index}" if xp.is_gpu else "cpu")
            fns = self._compiled[xp.name] = tuple(
                function(self.inputs, list(outs), mode=mode, on_unused_input="ignore", no_default_updates=True,
                         return_device_arrays=True)  # the branch's results feed the outer graph on the device
                for outs in (self.then_outputs, self.else_outputs))
        return fns

    def __repr__(self):
        return f"<branches {id(self):#x}>"


class IfElse(Op):
    """``IfElse(branches)(condition, *inputs)``: the then outputs when ``condition`` is true, else the else
    outputs; only the chosen branch runs. Build it with ``ifelse``."""

    __props__ = ("branches",)

    def __init__(self, branches, name=None):
        self.branches, self.name = branches, name

    def __str__(self):
        return f"IfElse{{{self.name}}}" if self.name else "IfElse"

    def make_node(self, condition, *inputs):
        condition = as_tensor_variable(condition)
        if condition.ndim != 0:
            raise TypeError(f"{self}: expected a scalar condition, received {condition.type}")
        inner = self.branches.inputs
        if len(inputs) != len(inner):
            raise TypeError(f"{self}: expected {len(inner)} inputs after the condition, received {len(inputs)}")
        for k, (var, want) in enumerate(zip(inputs, inner)):
            if not isinstance(var, Variable) or not want.type.is_super(var.type):
                raise TypeError(f"{self}: input {k} must be of type {want.type}, received "
                                f"{getattr(var, 'type', type(var).__name__)}")
        outs = [_join_type(t.type, e.type) for t, e in zip(self.branches.then_outputs, self.branches.else_outputs)]
        return Apply(self, [condition] + list(inputs), [t() for t in outs])

    def make_thunk(self, node, xp):
        then_fn, else_fn = self.branches.compiled(xp)
        single = len(node.outputs) == 1

        def if_else(condition, *args):
            out = (then_fn if condition else else_fn)(*args)
            return out[0] if single else tuple(out)

        return if_else

    def grad(self, inputs, output_grads):
        # d(ifelse(c, f(x), g(x)))/dx = ifelse(c, df/dx, dg/dx): each branch's gradient, chosen lazily as well.
        from .gradient import grad

        condition, outer = inputs[0], inputs[1:]
        b = self.branches
        wrt = [v for v in b.inputs if _is_float(v)]
        if not wrt:
            return [None] * len(inputs)
        gz = [g.type() for g in output_grads]  # stand-ins for the output gradients inside the branches

        def branch_grads(outputs):
            known = {}
            for out, g in zip(outputs, gz):
                if _is_float(out):
                    known[out] = known[out] + g if out in known else g
            if not known:
                return None
            return grad(None, wrt, known_grads=known, disconnected_inputs="ignore", return_disconnected="zero")

        then_g, else_g = branch_grads(b.then_outputs), branch_grads(b.else_outputs)
        if then_g is None and else_g is None:
            return [None] * len(inputs)
        from .tensor.basic import zeros_like

        then_g = then_g or [zeros_like(v) for v in wrt]
        else_g = else_g or [zeros_like(v) for v in wrt]
        mapping = dict(zip(b.inputs, outer))
        mapping.update(zip(gz, output_grads))
        chosen = ifelse(condition, clone_replace(then_g, mapping), clone_replace(else_g, mapping),
                        name=f"grad_{self.name}" if self.name else None)
        by_input = dict(zip(wrt, chosen if isinstance(chosen, list) else [chosen]))
        return [None] + [by_input.get(v) for v in b.inputs]

    def connection_pattern(self, node):
        return [[False] * len(node.outputs)] + [[True] * len(node.outputs) for _ in node.inputs[1:]]


def _is_float(v):
    return isinstance(v.type, TensorType) and v.type.dtype in FLOAT_DTYPES


def _join_type(a, b):
    """The type of a value that is either of type a or b (they may differ only in static sizes)."""
    if a == b:
        return a
    return TensorType(a.dtype, tuple(x if x == y else None for x, y in zip(a.shape, b.shape)))


def _pair(then_var, else_var, k):
    """The two branch values for output ``k``, with a Python number adopting the other branch's dtype."""
    t, e = as_tensor_variable(then_var), as_tensor_variable(else_var)
    t_weak, e_weak = getattr(t.tag, "weak", False), getattr(e.tag, "weak", False)
    if t_weak and not e_weak:
        t = cast(t, e.dtype)
    elif e_weak and not t_weak:
        e = cast(e, t.dtype)
    if t.dtype != e.dtype or t.ndim != e.ndim:
        raise TypeError(f"ifelse: output {k}: the branches must have the same dtype and number of dimensions, "
                        f"received {t.type} (then) and {e.type} (else)")
    return t, e


def ifelse(condition, then_branch, else_branch, name=None):
    """``then_branch`` if the scalar ``condition`` is true, else ``else_branch``; only that branch is computed.

    Args:
        condition: a scalar (bool, int or float; nonzero is true).
        then_branch, else_branch: a tensor each, or lists of equal length whose elements match in dtype and
            number of dimensions (static sizes may differ: the result then knows only the common ones).
        name: shown when the graph is printed.

    Returns:
        A tensor, or a list when the branches are lists.

    Gradients flow through both branches: the gradient is ``ifelse(condition, gradient of then, gradient of
    else)``, zero where a branch does not depend on the variable.

    Example:
        >>> import layerkit_backend as lb, layerkit_backend.tensor as T
        >>> c, x = T.iscalar('c'), T.dvector('x')
        >>> f = lb.function([c, x], ifelse(c, x.sum(), x.prod()))
        >>> float(f(1, [2.0, 3.0])), float(f(0, [2.0, 3.0]))
        (5.0, 6.0)
    """
    single = not isinstance(then_branch, (list, tuple))
    thens = [then_branch] if single else list(then_branch)
    elses = [else_branch] if not isinstance(else_branch, (list, tuple)) else list(else_branch)
    if len(thens) != len(elses) or single != (not isinstance(else_branch, (list, tuple))):
        raise ValueError(f"ifelse: the branches must have the same structure, received {len(thens)} then value(s) "
                         f"and {len(elses)} else value(s)")
    if not thens:
        raise ValueError("ifelse: expected at least one output per branch")
    thens, elses = zip(*[_pair(t, e, k) for k, (t, e) in enumerate(zip(thens, elses))])
    condition = as_tensor_variable(condition)
    if condition.ndim != 0:
        raise TypeError(f"ifelse: expected a scalar condition, received {condition.type}")

    # What both branches need is computed outside; the rest of each branch becomes an inner graph.
    then_ids = {id(v) for v in ancestors(thens)}
    common = [v for v in ancestors(elses) if id(v) in then_ids]
    outer = [v for v in graph_inputs(list(thens) + list(elses), blockers=common) if not isinstance(v, Constant)]
    inner = [v.type.make_variable(v.name) for v in outer]
    mapping = dict(zip(outer, inner))
    branches = _Branches(inner, clone_replace(list(thens), mapping), clone_replace(list(elses), mapping))
    outputs = IfElse(branches, name)(condition, *outer)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    return outputs[0] if single else outputs
