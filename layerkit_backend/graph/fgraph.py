"""FunctionGraph: a graph with fixed inputs and outputs that rewrites edit in place.

It keeps, for each Variable, its ``clients`` (the (node, input index) pairs that read it; output ``i`` of the graph
is the client ``("output", i)``), and offers ``replace`` to swap one Variable for another everywhere.
"""
from collections import OrderedDict

from .basic import Constant
from .traversal import io_toposort

__all__ = ["FunctionGraph"]


class FunctionGraph:
    """A graph being compiled: inputs, outputs, the nodes between them and each variable's clients."""
    def __init__(self, inputs, outputs, clone=False):
        if clone:
            from .traversal import clone as clone_graph

            inputs, outputs = clone_graph(inputs, outputs, copy_inputs=True, copy_orphans=False)
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        self.update_mapping = {}  # {output index: input index}: that output is the new value of that input
        # what rewrites learned about this graph's values, by rewrite: it lives and dies with the graph (a global
        # table keyed by graph would keep every graph alive through the variables its entries hold)
        self.facts = {}
        self.clients = {}
        self.apply_nodes = set()
        self.variables = set()
        for v in self.inputs:
            self.clients.setdefault(v, [])
            self.variables.add(v)
            v.fgraph = self  # (Theano's var.fgraph; Variable.clients reads the clients from it)
        for node in io_toposort(self.inputs, self.outputs):
            self._import_node(node)
        for i, out in enumerate(self.outputs):
            self._add_client(out, ("output", i))

    # -- bookkeeping ----------------------------------------------------------------------------------------
    def _add_client(self, var, client):
        if var not in self.variables:
            if var.owner is not None and var.owner not in self.apply_nodes:
                for node in io_toposort(self.inputs, [var]):
                    if node not in self.apply_nodes:
                        self._import_node(node)
            else:
                self.variables.add(var)
                self.clients.setdefault(var, [])
        self.clients.setdefault(var, []).append(client)

    def _import_node(self, node):
        self.apply_nodes.add(node)
        for out in node.outputs:
            self.variables.add(out)
            self.clients.setdefault(out, [])
            out.fgraph = self
        for i, inp in enumerate(node.inputs):
            if inp.owner is None and inp not in self.variables and not isinstance(inp, Constant):
                if not getattr(inp.tag, "allow_orphan", False) and not hasattr(inp, "container"):
                    raise ValueError(
                        f"graph input {inp} (type {inp.type}) is needed to compute the outputs but was not "
                        f"given as an input of the function"
                    )
            self._add_client(inp, (node, i))

    def _remove_client(self, var, client):
        clients = self.clients[var]
        clients.remove(client)
        if not clients and var.owner is not None and var not in self.outputs:
            self._prune(var.owner)

    def _prune(self, node):
        if node not in self.apply_nodes or any(self.clients.get(o) for o in node.outputs):
            return
        self.apply_nodes.discard(node)
        for out in node.outputs:
            self.variables.discard(out)
            self.clients.pop(out, None)
        for i, inp in enumerate(node.inputs):
            self._remove_client(inp, (node, i))

    # -- editing --------------------------------------------------------------------------------------------
    def change_input(self, node, i, new_var):
        if node == "output":
            old = self.outputs[i]
            self.outputs[i] = new_var
        else:
            old = node.inputs[i]
            node.inputs[i] = new_var
        if old is new_var:
            return
        self._add_client(new_var, (node, i))
        self._remove_client(old, (node, i))

    def replace(self, var, new_var, reason=None):
        """Make every client of ``var`` read ``new_var`` instead."""
        if var is new_var:
            return
        if var.type != new_var.type and not var.type.is_super(new_var.type):
            raise TypeError(f"replace ({reason}): {new_var} of type {new_var.type} cannot stand for {var.type}")
        if var not in self.variables:
            return
        if var.owner is not None and getattr(var.owner.tag, "trace", None):
            self._inherit_trace(new_var, var.owner.tag.trace)
        for node, i in list(self.clients[var]):
            self.change_input(node, i, new_var)

    def _inherit_trace(self, var, trace):
        """Nodes a rewrite built for ``var`` point to the user's line of the node they replace (so run-time errors
        name the line that created the replaced node, not the line that called ``function``)."""
        stack, seen = [var], set()
        while stack:
            node = stack.pop().owner
            if node is None or node in self.apply_nodes or node in seen:
                continue
            seen.add(node)
            node.tag.trace = trace
            stack.extend(node.inputs)

    def replace_all(self, pairs, reason=None):
        for var, new_var in pairs:
            self.replace(var, new_var, reason)

    # -- queries --------------------------------------------------------------------------------------------
    def toposort(self):
        return io_toposort(self.inputs, self.outputs)

    def __str__(self):
        return f"FunctionGraph({', '.join(map(str, self.outputs))})"
