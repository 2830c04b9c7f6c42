"""The rewrite engine: phases, named rewrites, and the loop that applies local rewrites until nothing changes.

A local rewrite is a small function ``f(fgraph, node) -> list of replacement Variables (one per output) or None``,
registered for a phase and the op classes it matches. A global rewrite is ``f(fgraph) -> None`` and edits the
graph itself (merge, fusion, inplace). Each can be excluded by name: ``Mode(excluding=['local_mul_by_one'])``.
"""
from collections import defaultdict

__all__ = ["PHASES", "register_local", "register_global", "rewrite_graph", "RewriteRecord", "REGISTRY"]

# The order in which phases run. Names, not numbers: insert a phase by editing this list.
PHASES = ["merge", "canonicalize", "constant_fold", "stabilize", "specialize", "merge_again", "fusion", "inplace"]


class RewriteRecord:
    def __init__(self, name, phase, fn, ops, is_global):
        self.name, self.phase, self.fn, self.ops, self.is_global = name, phase, fn, tuple(ops), is_global


class _Registry:
    def __init__(self):
        self.by_phase = defaultdict(list)
        self.names = {}

    def add(self, record):
        if record.phase not in PHASES:
            raise ValueError(f"unknown rewrite phase {record.phase!r}; phases are {PHASES}")
        if record.name in self.names:
            raise ValueError(f"a rewrite named {record.name!r} is already registered")
        self.names[record.name] = record
        self.by_phase[record.phase].append(record)


REGISTRY = _Registry()


def register_local(phase, *ops, name=None):
    """Decorator: register ``fn(fgraph, node)`` for ``phase``, tried on nodes whose op is an instance of ``ops``."""
    def deco(fn):
        REGISTRY.add(RewriteRecord(name or fn.__name__, phase, fn, ops, False))
        return fn

    return deco


def register_global(phase, name=None):
    def deco(fn):
        REGISTRY.add(RewriteRecord(name or fn.__name__, phase, fn, (), True))
        return fn

    return deco


def _applies(record, node):
    return not record.ops or isinstance(node.op, record.ops)


def _run_local(fgraph, records, max_passes=50):
    """Apply the local rewrites to every node, in topological order, until a pass changes nothing."""
    by_type = defaultdict(list)
    for r in records:
        for op_type in r.ops or (object,):
            by_type[op_type].append(r)
    cache = {}

    def matching(op):
        key = type(op)
        if key not in cache:
            cache[key] = [r for t, rs in by_type.items() if isinstance(op, t) for r in rs]
        return cache[key]

    for _ in range(max_passes):
        changed = False
        for node in fgraph.toposort():
            if node not in fgraph.apply_nodes:
                continue
            for record in matching(node.op):
                new = record.fn(fgraph, node)
                if new is None:
                    continue
                if len(new) != len(node.outputs):
                    raise ValueError(f"rewrite {record.name} returned {len(new)} outputs for {node}")
                for old, rep in zip(node.outputs, new):
                    if rep is not None and rep is not old:
                        if rep.type != old.type:
                            rep = _fit_type(rep, old, record.name)
                        fgraph.replace(old, rep, reason=record.name)
                        changed = True
                if node not in fgraph.apply_nodes:
                    break
        if not changed:
            return


def _fit_type(rep, old, name):
    """A replacement may know more about its shape than the original; it must not know less or differ in dtype."""
    from ..tensor.shape import specify_shape

    if rep.type.dtype != old.type.dtype or rep.type.ndim != old.type.ndim:
        raise TypeError(f"rewrite {name}: replacement {rep.type} does not match {old.type}")
    if old.type.is_super(rep.type):
        return rep
    return specify_shape(rep, old.type.shape)


def rewrite_graph(fgraph, excluding=(), including=(), phases=None):
    """Run every registered phase (or ``phases``) on ``fgraph``, skipping rewrites or phases named in
    ``excluding``."""
    excluded = set(excluding)
    for phase in phases or PHASES:
        if phase in excluded:
            continue
        records = [r for r in REGISTRY.by_phase[phase] if r.name not in excluded]
        for r in records:
            if r.is_global:
                r.fn(fgraph)
        local = [r for r in records if not r.is_global]
        if local:
            _run_local(fgraph, local)
    return fgraph
