"""Merge: one node per distinct computation (hash-consing in topological order).

Constants holding equal values become one constant; then, visiting nodes after their inputs, two nodes applying
equal ops to the same input Variables become one. Both are exact: an op is a pure function of its inputs, so equal
ops on identical inputs give identical outputs. One walk over the graph: O(nodes).
"""
from ..graph.basic import Constant
from .engine import register_global

__all__ = ["merge_common_subexpressions"]


@register_global("merge", name="merge_common_subexpressions")
@register_global("merge_again", name="merge_common_subexpressions_again")
def merge_common_subexpressions(fgraph):
    """Merge equal constants, then nodes with equal ops and identical inputs (commutative inputs in any order).

    Example:
        >>> import layerkit_backend as lb, layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> f = lb.function([x], T.exp(x) + T.exp(x), mode=lb.Mode(excluding=['fusion', 'inplace']))
        >>> [str(n.op) for n in f.maker.fgraph.toposort()]
        ['exp', 'add']
    """
    order = fgraph.toposort()
    _merge_constants(fgraph, order)
    seen = {}
    for node in order:
        if node not in fgraph.apply_nodes or node.op.destroy_map:
            continue  # pruned by an earlier merge, or it overwrites an input: two of those are not one
        key = _node_key(node)
        if key is None:
            continue
        prev = seen.get(key)
        if prev is None or prev not in fgraph.apply_nodes:
            seen[key] = node
            continue
        if _fits(node.outputs, prev.outputs):
            pairs = zip(node.outputs, prev.outputs)
        elif _fits(prev.outputs, node.outputs):  # the later node knows more about its shapes: keep it
            pairs, seen[key] = zip(prev.outputs, node.outputs), node
        else:
            continue
        for old, new in list(pairs):
            fgraph.replace(old, new, reason="merge")


def _merge_constants(fgraph, order):
    canonical, checked = {}, set()

    def visit(var):
        if not isinstance(var, Constant) or id(var) in checked:
            return
        checked.add(id(var))
        try:
            sig = var.signature()
        except TypeError:  # a constant whose value cannot be keyed is simply left alone
            return
        first = canonical.setdefault(sig, var)
        if first is not var:
            fgraph.replace(var, first, reason="merge")

    for node in order:
        for var in list(node.inputs):
            visit(var)
    for var in list(fgraph.outputs):
        visit(var)


def _node_key(node):
    inputs = tuple(map(id, node.inputs))
    scalar_op = getattr(node.op, "scalar_op", None)
    if getattr(scalar_op, "commutative", False):
        inputs = tuple(sorted(inputs))  # a + b and b + a: same value, same static type
    key = (node.op, inputs)
    try:
        hash(key)
    except TypeError:  # an op with unhashable props cannot be keyed; leave it unmerged
        return None
    return key


def _fits(olds, news):
    """May each of ``news`` stand for the matching one of ``olds`` (same type, or a more specific shape)?"""
    return all(o.type == n.type or o.type.is_super(n.type) for o, n in zip(olds, news))
