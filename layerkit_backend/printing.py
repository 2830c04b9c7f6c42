"""Reading graphs: ``pprint`` (one infix expression), ``debugprint`` (Theano's indented tree with ids),
``pydotprint`` (a picture, through pydot and Graphviz) and the ``Print`` op (print a value while it is computed).

Each printer accepts a Variable, a list of Variables, an Apply, a FunctionGraph or a compiled Function.
"""
import os
import shutil
import sys

import numpy as np

from .graph.basic import Apply, Constant, Op, Variable
from .graph.fgraph import FunctionGraph
from .graph.traversal import io_toposort

__all__ = ["pprint", "pp", "debugprint", "pydotprint", "Print"]

# Elementwise ops written infix (binary) or prefix (unary) by pprint; every other op is written name(args).
_INFIX = {"add": "+", "sub": "-", "mul": "*", "true_div": "/", "int_div": "//", "mod": "%", "pow": "**",
          "lt": "<", "gt": ">", "le": "<=", "ge": ">=", "eq": "==", "neq": "!=", "and_": "&", "or_": "|",
          "xor": "^"}
_PREFIX = {"neg": "-", "invert": "~"}

_INSTALL_HINT = ("pip install pydot (into the environment that runs layerkit_backend), and install Graphviz, which "
                 "provides the 'dot' program: apt-get install graphviz, brew install graphviz or conda install "
                 "graphviz")


# -- what to print ------------------------------------------------------------------------------------------------
def _graph_of(obj):
    """``(outputs, topological order or None)`` of anything the printers accept."""
    fgraph = getattr(getattr(obj, "maker", None), "fgraph", None)  # a compiled Function
    if fgraph is not None:
        obj = fgraph
    if isinstance(obj, FunctionGraph):
        return list(obj.outputs), obj.toposort()
    if isinstance(obj, Apply):
        return list(obj.outputs), None
    if isinstance(obj, Variable):
        return [obj], None
    if isinstance(obj, (list, tuple)):
        outputs = []
        for item in obj:
            outputs += _graph_of(item)[0]
        return outputs, None
    raise TypeError(f"expected a Variable, a list of Variables, an Apply, a FunctionGraph or a compiled Function, "
                    f"received {type(obj).__name__}")


def _value_text(data):
    """A short text for a constant's value: ``2.0``, ``[1. 2.]``, ``(3, 4) of 0.0``, ``(100,) of float64``."""
    arr = np.asarray(data)
    if arr.size == 1:
        return str(arr.reshape(-1)[0])
    if arr.size and np.all(arr == arr.reshape(-1)[0]):
        return f"{arr.shape} of {arr.reshape(-1)[0]}"
    if arr.size <= 8:
        return " ".join(str(arr).split())
    return f"{arr.shape} of {arr.dtype}"


def _leaf_text(var):
    if isinstance(var, Constant):
        return var.name if var.name is not None else f"{type(var).__name__}{{{_value_text(var.data)}}}"
    return var.name if var.name is not None else f"<{var.type}>"


def _op_text(op):
    """The op's name as debugprint shows it (Theano's spellings: ``Elemwise{add}``, ``InplaceDimShuffle{1,0}``)."""
    from .tensor.elemwise import DimShuffle, Elemwise

    if isinstance(op, Elemwise):
        return f"Elemwise{{{op.scalar_op.name}{',inplace' if op.inplace_pattern else ''}}}"
    if isinstance(op, DimShuffle):
        return f"InplaceDimShuffle{{{','.join(str(d) for d in op.new_order)}}}"
    return str(op)


# -- pprint -------------------------------------------------------------------------------------------------------
def pprint(obj):
    """A readable infix expression for each output: elementwise arithmetic as operators, constants by value.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x, y = T.dvector('x'), T.dvector('y')
        >>> pprint(T.tanh(x) * 2.0 + y)
        '(tanh(x) * TensorConstant{2.0}) + y'
    """
    outputs, _ = _graph_of(obj)
    texts = {}  # variable -> (text, needs parentheses when used as an operand)
    for node in io_toposort([], outputs):
        args = [texts.get(v) or (_leaf_text(v), False) for v in node.inputs]
        for out in node.outputs:
            texts[out] = _node_text(node, out, args)
    return "\n".join((texts.get(v) or (_leaf_text(v), False))[0] for v in outputs)


def _operand(arg):
    text, compound = arg
    return f"({text})" if compound else text


def _node_text(node, out, args):
    from .tensor.elemwise import DimShuffle, Elemwise

    op = node.op
    if isinstance(op, Elemwise):
        name = op.scalar_op.name
        if name in _INFIX and len(args) == 2:
            return f"{_operand(args[0])} {_INFIX[name]} {_operand(args[1])}", True
        if name in _PREFIX and len(args) == 1:
            return f"{_PREFIX[name]}{_operand(args[0])}", False
        return f"{name}({', '.join(a[0] for a in args)})", False
    if isinstance(op, DimShuffle):
        order, n = op.new_order, op.input_ndim
        if order[len(order) - n:] == tuple(range(n)) and all(d == "x" for d in order[:len(order) - n]):
            return args[0]  # broadcasting pads: implicit in the infix text, as in NumPy
        if n == 2 and order == (1, 0):
            return f"{_operand(args[0])}.T", False
        return f"{_operand(args[0])}.dimshuffle({', '.join(repr(d) for d in order)})", False
    call = f"{op}({', '.join(a[0] for a in args)})"
    return (f"{call}[{out.index}]" if len(node.outputs) > 1 else call), False


pp = pprint  # Theano's name (theano.printing.pp)


# -- debugprint ---------------------------------------------------------------------------------------------------
def _char_id(n):
    """0 -> A, 25 -> Z, 26 -> BA: Theano's letter ids."""
    text = ""
    while True:
        text = chr(ord("A") + n % 26) + text
        n //= 26
        if n == 0:
            return text


class _Ids:
    """Hands out one id per Apply node (or per leaf Variable), in the style ``ids`` asks for."""

    def __init__(self, style, done):
        if style not in ("CHAR", "int", "id", ""):
            raise ValueError(f"debugprint: ids must be 'CHAR', 'int', 'id' or '', received {style!r}")
        self.style, self.done = style, done

    def __call__(self, key):
        if self.style == "":
            return ""
        if key not in self.done:
            n = len(self.done)
            self.done[key] = {"CHAR": _char_id(n), "int": str(n), "id": str(id(key))}[self.style]
        return f" [id {self.done[key]}]"


def debugprint(obj, depth=-1, print_type=False, file=None, ids="CHAR", stop_on_name=False, done=None):
    """Print Theano's indented tree of ``obj``: one line per node or input, children indented under `` |``.

    A node that was already printed is printed again with its id but without its inputs. For a compiled
    function (or a FunctionGraph) each node line ends with its position in the execution order.

    Args:
        obj: a Variable, list of Variables, Apply, FunctionGraph or compiled Function.
        depth: how many levels to print (-1: all).
        print_type: add each variable's type.
        file: a stream (default ``sys.stdout``), or ``'str'`` to return the text instead.
        ids: ``'CHAR'`` (A, B, ...), ``'int'``, ``'id'`` (Python ids) or ``''`` (none).
        stop_on_name: do not expand the inputs of named intermediate variables.
        done: a dict shared between calls so that ids stay consistent.

    Returns:
        The text when ``file='str'``; the stream when one is given; None when printing to ``sys.stdout``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> print(debugprint(T.exp(x) + x, file='str'))
        Elemwise{add} [id A] ''
         |Elemwise{exp} [id B] ''
         | |x [id C]
         |x [id C]
    """
    outputs, order = _graph_of(obj)
    position = {node: k for k, node in enumerate(order)} if order is not None else {}
    new_ids = _Ids(ids, done if done is not None else {})
    expanded = set()
    lines = []
    for out in outputs:
        _tree_lines(out, "", depth, print_type, stop_on_name, new_ids, expanded, position, lines, is_root=True)
    text = "\n".join(lines) + "\n"
    if file == "str":
        return text[:-1]
    if file is None:
        sys.stdout.write(text)
        return None
    file.write(text)
    return file


def _tree_lines(root, prefix, depth, print_type, stop_on_name, new_ids, expanded, position, lines, is_root):
    """Append the lines of ``root``'s tree, depth first, with an explicit stack (graphs can be very deep)."""
    stack = [(root, prefix, depth, is_root)]
    while stack:
        var, prefix, depth, is_root = stack.pop()
        type_text = f" <{var.type}>" if print_type else ""
        node = var.owner
        if node is None:
            lines.append(f"{prefix}{_leaf_text(var)}{new_ids(var)}{type_text}")
            continue
        name = _op_text(node.op) + (f".{var.index}" if len(node.outputs) > 1 else "")
        where = f"   {position[node]}" if node in position else ""
        lines.append(f"{prefix}{name}{new_ids(node)}{type_text} '{var.name or ''}'{where}")
        if node in expanded or depth == 0 or (stop_on_name and var.name is not None and not is_root):
            continue
        expanded.add(node)
        for inp in reversed(node.inputs):
            stack.append((inp, prefix + " |", depth - 1, False))


# -- pydotprint ---------------------------------------------------------------------------------------------------
def _import_pydot(format):
    try:
        import pydot
    except ImportError as err:
        raise ImportError(f"pydotprint needs the 'pydot' package, which is not installed. To draw graphs: "
                          f"{_INSTALL_HINT}. (debugprint and pprint need nothing.)") from err
    if format not in ("raw", "dot") and shutil.which("dot") is None:
        raise ImportError(f"pydotprint found pydot but not Graphviz's 'dot' program on the PATH. {_INSTALL_HINT}. "
                          f"(format='dot' writes the graph's source without Graphviz.)")
    return pydot


def pydotprint(fct, outfile=None, compact=True, format="png", with_ids=False, max_label_size=70,
               print_output_file=True, return_image=False):
    """Draw the graph of ``fct`` (a compiled Function, FunctionGraph, Variable or list) with pydot and Graphviz.

    Apply nodes are ellipses; inputs are green boxes, outputs blue, constants grey. With ``compact=True``
    unnamed intermediate variables are edges rather than boxes.

    Args:
        outfile: the file to write (default ``layerkit_backend.pydotprint.<format>`` in the current directory).
        format: any Graphviz output format ('png', 'svg', 'pdf'...), or 'dot' for the graph's source text.
        return_image: return the image bytes instead of writing a file.

    Raises:
        ImportError: pydot or Graphviz is missing (the message says how to install them).

    Example:
        >>> import layerkit_backend as lb, layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> pydotprint(lb.function([x], T.exp(x)), outfile='exp.png')  # doctest: +SKIP
        The output file is available at exp.png
    """
    pydot = _import_pydot(format)
    outputs, order = _graph_of(fct)
    inputs = fct.maker.fgraph.inputs if hasattr(fct, "maker") else (fct.inputs if isinstance(fct, FunctionGraph)
                                                                     else [])
    order = order if order is not None else io_toposort([], outputs)
    graph = pydot.Dot(graph_type="digraph")
    names = {}
    node_names = {node: f"n{k}" for k, node in enumerate(order)}

    def label(text):
        text = text.replace('"', "'")
        return text if len(text) <= max_label_size else text[: max_label_size - 3] + "..."

    def var_box(var):
        if var not in names:
            names[var] = f"v{len(names)}"
            kind = ("lightgrey" if isinstance(var, Constant) else "limegreen" if var.owner is None
                    else "dodgerblue" if var in outputs else "white")
            text = _leaf_text(var) if var.owner is None else (var.name or f"{_op_text(var.owner.op)} output")
            # "\\n" is Graphviz's line break inside a label
            graph.add_node(pydot.Node(names[var], label=label(f"{text}\\n{var.type}"), shape="box",
                                      style="filled", fillcolor=kind))
            if var.owner is not None:
                graph.add_edge(pydot.Edge(node_names[var.owner], names[var]))
        return names[var]

    for k, node in enumerate(order):
        node_name = node_names[node]
        text = _op_text(node.op) + (f" id={k}" if with_ids else "")
        graph.add_node(pydot.Node(node_name, label=label(text), shape="ellipse"))
        for i, inp in enumerate(node.inputs):
            boxed = inp.owner is None or not compact or inp.name is not None or inp in outputs
            source = var_box(inp) if boxed else node_names[inp.owner]
            graph.add_edge(pydot.Edge(source, node_name, label=str(i) if len(node.inputs) > 1 else ""))
    for var in list(inputs) + outputs:
        var_box(var)
    raw = format in ("raw", "dot")
    if return_image:
        return graph.to_string().encode() if raw else graph.create(format=format)
    outfile = outfile or os.path.join(os.getcwd(), f"layerkit_backend.pydotprint.{format}")
    graph.write(outfile, format="raw" if raw else format)
    if print_output_file:
        print(f"The output file is available at {outfile}")
    return None


# -- Print --------------------------------------------------------------------------------------------------------
class Print(Op):
    """Pass ``x`` through unchanged, printing ``message`` and the ``attrs`` of its value (``__str__``, ``shape``,
    ...) each time it is computed. The gradient passes through too.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> y = Print('x is')(x) * 2
    """

    __props__ = ("message", "attrs")
    view_map = {0: [0]}
    foldable = False  # printing at compile time would say nothing useful

    def __init__(self, message="", attrs=("__str__",), global_fn=None, file=None):
        self.message, self.attrs = message, tuple(attrs)
        self.global_fn, self.file = global_fn, file

    def make_node(self, x):
        from .tensor.variable import as_tensor_variable

        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def make_thunk(self, node, xp):
        def print_value(x):
            if self.global_fn is not None:
                self.global_fn(self, x)
                return x
            stream = self.file or sys.stdout
            for attr in self.attrs:
                value = getattr(x, attr)
                stream.write(f"{self.message} {attr} = {value() if callable(value) else value}\n")
            return x

        return print_value

    def grad(self, inputs, output_grads):
        return [output_grads[0]]

