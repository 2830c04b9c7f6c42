"""Symbolic graph structures shared by every op family."""
from .basic import Apply, Constant, Op, Type, Variable
from .fgraph import FunctionGraph
from .traversal import ancestors, clone, clone_replace, depends_on, graph_inputs, io_toposort, note_depends_on

__all__ = ["Apply", "Constant", "Op", "Type", "Variable", "FunctionGraph", "ancestors", "clone",
           "clone_replace", "depends_on", "graph_inputs", "io_toposort", "note_depends_on"]
