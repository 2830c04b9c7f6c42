"""Symbolic graph structures shared by every op family."""
from .basic import Apply, Constant, Op, Type, Variable
from .fgraph import FunctionGraph
from .traversal import ancestors, clone, clone_replace, graph_inputs, io_toposort

__all__ = ["Apply", "Constant", "Op", "Type", "Variable", "FunctionGraph", "ancestors", "clone",
           "clone_replace", "graph_inputs", "io_toposort"]
