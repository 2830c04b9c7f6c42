"""Walking and copying graphs: ancestors, inputs, topological order, clone, clone_replace."""
from .basic import Constant

__all__ = ["ancestors", "graph_inputs", "io_toposort", "clone", "clone_replace", "apply_nodes", "depends_on",
           "note_depends_on"]


def ancestors(outputs, blockers=()):
    """Every Variable that ``outputs`` depend on (including themselves), stopping at ``blockers``."""
    blockers = set(blockers)
    return _walk(outputs, lambda v: v.owner.inputs if v.owner is not None and v not in blockers else ())


def note_depends_on(var, *sources):
    """Record that ``var`` stands for a graph over ``sources`` that was simplified away when it was built (a
    static shape folded to a constant, a gradient that no longer reads its cost): ``depends_on`` still counts
    them, so ``function`` does not call those inputs unused. Returns ``var``."""
    var.tag.depends_on = list(getattr(var.tag, "depends_on", ())) + [s for s in sources if s is not var]
    return var


def depends_on(outputs):
    """Every Variable that ``outputs`` depend on as the user wrote them: their ancestors, also through the
    ``note_depends_on`` records left by build-time simplifications."""
    return _walk(outputs, lambda v: list(v.owner.inputs if v.owner is not None else ()) +
                 list(getattr(v.tag, "depends_on", ())))


def _walk(outputs, parents):
    """Every Variable reachable from ``outputs`` through ``parents(v)``, each once, in depth-first order."""
    seen, order, stack = set(), [], list(outputs)
    while stack:
        v = stack.pop()
        if id(v) in seen:
            continue
        seen.add(id(v))
        order.append(v)
        stack.extend(parents(v))
    return order


def graph_inputs(outputs, blockers=()):
    """The owner-less Variables (constants included) that ``outputs`` depend on."""
    return [v for v in ancestors(outputs, blockers) if v.owner is None or v in blockers]


def io_toposort(inputs, outputs):
    """The Apply nodes between ``inputs`` and ``outputs``, each after the nodes it depends on."""
    stop = set(map(id, inputs))
    order, done = [], set()
    for out in outputs:
        stack = [(out, False)]
        while stack:
            var, expanded = stack.pop()
            node = var.owner
            if node is None or id(var) in stop or id(node) in done:
                continue
            if expanded:
                done.add(id(node))
                order.append(node)
                continue
            stack.append((var, True))
            for inp in reversed(node.inputs):
                if inp.owner is not None and id(inp.owner) not in done and id(inp) not in stop:
                    stack.append((inp, False))
    return order


def apply_nodes(outputs):
    return io_toposort([], outputs)


def clone(inputs, outputs, copy_inputs=True, copy_orphans=True):
    """Copy the graph between ``inputs`` and ``outputs``; returns (new_inputs, new_outputs)."""
    memo = {}
    new_inputs = [v.clone() if copy_inputs else v for v in inputs]
    memo.update(zip(inputs, new_inputs))
    new_outputs = _clone_into(outputs, memo, copy_orphans)
    return new_inputs, new_outputs


def clone_replace(output, replace=None, **kwargs):
    """Copy ``output`` (a Variable or list) with the Variables in ``replace`` ({old: new}) substituted."""
    items = list(replace.items()) if isinstance(replace, dict) else list(replace or [])
    single = not isinstance(output, (list, tuple))
    outputs = [output] if single else list(output)
    memo = {old: new for old, new in items}
    new_outputs = _clone_into(outputs, memo, copy_orphans=False)
    return new_outputs[0] if single else new_outputs


def _clone_into(outputs, memo, copy_orphans):
    for node in io_toposort(list(memo), outputs):
        if any(o in memo for o in node.outputs):
            continue
        new_inputs = []
        for v in node.inputs:
            if v not in memo:
                memo[v] = v.clone() if (copy_orphans and not isinstance(v, Constant) and v.owner is None) else v
            new_inputs.append(memo[v])
        new_node = node.clone_with_new_inputs(new_inputs)
        memo.update(zip(node.outputs, new_node.outputs))
    return [memo.get(o, o) for o in outputs]
