"""printing.py: pprint's infix text, debugprint's tree (ids, repeated subtrees, compiled functions, streams),
pydotprint with pydot missing or faked, and the Print op."""
import io
import re
import sys
import types

import numpy as np
import pytest

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit_backend import printing

x, y = T.dvector("x"), T.dvector("y")
m, t3, i = T.dmatrix("m"), T.dtensor3("t"), T.lvector("i")

PPRINT = [
    # (id, builder of the variable(s), expected text)
    ("infix_nesting", lambda: T.tanh(x) * 2.0 + y, "(tanh(x) * TensorConstant{2.0}) + y"),
    ("prefix_ops", lambda: -(x ** 2), "-(x ** TensorConstant{2.0})"),
    ("both_sides_compound", lambda: (x - y) / (x + y), "(x - y) / (x + y)"),
    ("comparison_invert", lambda: ~T.lt(x, y), "~(x < y)"),
    ("transpose", lambda: m.T + m, "m.T + m"),
    ("broadcast_pad_is_implicit", lambda: x + m, "x + m"),
    ("dimshuffle", lambda: t3.dimshuffle(2, 0, 1), "t.dimshuffle(2, 0, 1)"),
    ("other_ops_call_style", lambda: T.sum(x * y), "sum{axes=(0,)}(x * y)"),
    ("elemwise_call_style", lambda: x.astype("float32"), "cast_float32(x)"),
    ("list_one_line_each", lambda: [x + y, x * y], "x + y\nx * y"),
    ("array_constant", lambda: x + np.array([1.0, 2.0]), "x + TensorConstant{[1. 2.]}"),
    ("uniform_constant", lambda: x * np.ones(20), "x * TensorConstant{(20,) of 1.0}"),
    ("unnamed_input", lambda: T.dvector() + 1, "<Vector(float64, shape=(?,))> + TensorConstant{1.0}"),
    ("multi_output", lambda: T.unravel_index(i, (2, 3))[1], "UnravelIndex{order='C'}(i, TensorConstant{[2 3]})[1]"),
    ("shared_by_name", lambda: lb.shared(np.zeros(2), name="w") * x, "w * x"),
    ("apply_node", lambda: (x + y).owner, "x + y"),
]


@pytest.mark.parametrize("build, expected", [c[1:] for c in PPRINT], ids=[c[0] for c in PPRINT])
def test_pprint(build, expected):
    assert printing.pprint(build()) == expected
    assert lb.printing.pp(build()) == expected


def test_pprint_of_compiled_function_and_deep_graph():
    f = lb.function([x, y], x * y, mode=lb.Mode(optimizer=None))
    assert printing.pprint(f) == "x * y"
    deep = x
    for _ in range(1500):  # beyond Python's recursion limit
        deep = deep + 1.0
    assert printing.pprint(deep).count("+") == 1500


E = T.exp(x)
DEBUGPRINT = [
    # (id, builder, keyword arguments, expected text)
    ("tree", lambda: T.tanh(x) * 2.0 + y, {}, """\
Elemwise{add} [id A] ''
 |Elemwise{mul} [id B] ''
 | |Elemwise{tanh} [id C] ''
 | | |x [id D]
 | |TensorConstant{2.0} [id E]
 |y [id F]"""),
    ("repeated_subtree_once", lambda: E * E, {}, """\
Elemwise{mul} [id A] ''
 |Elemwise{exp} [id B] ''
 | |x [id C]
 |Elemwise{exp} [id B] ''"""),
    ("int_ids_depth", lambda: E * E, dict(ids="int", depth=1), """\
Elemwise{mul} [id 0] ''
 |Elemwise{exp} [id 1] ''
 |Elemwise{exp} [id 1] ''"""),
    ("no_ids", lambda: E + x, dict(ids=""), """\
Elemwise{add} ''
 |Elemwise{exp} ''
 | |x
 |x"""),
    ("print_type_and_names", lambda: T.sum(E), dict(print_type=True), """\
sum{axes=(0,)} [id A] <Scalar(float64, shape=())> ''
 |Elemwise{exp} [id B] <Vector(float64, shape=(?,))> ''
 | |x [id C] <Vector(float64, shape=(?,))>"""),
    ("list_shares_ids", lambda: [E, E * 2.0], {}, """\
Elemwise{exp} [id A] ''
 |x [id B]
Elemwise{mul} [id C] ''
 |Elemwise{exp} [id A] ''
 |TensorConstant{2.0} [id D]"""),
    ("dimshuffle_and_multi_output", lambda: T.unravel_index(i, (2, 3))[0].dimshuffle("x", 0), {}, """\
InplaceDimShuffle{x,0} [id A] ''
 |UnravelIndex{order='C'}.0 [id B] ''
 | |i [id C]
 | |TensorConstant{[2 3]} [id D]"""),
    ("apply_node", lambda: (x * y).owner, {}, """\
Elemwise{mul} [id A] ''
 |x [id B]
 |y [id C]"""),
]


def _named(var, name):
    var.name = name
    return var


DEBUGPRINT.append(("stop_on_name", lambda: _named(T.exp(x), "ex") + 1.0, dict(stop_on_name=True), """\
Elemwise{add} [id A] ''
 |Elemwise{exp} [id B] 'ex'
 |TensorConstant{1.0} [id C]"""))


@pytest.mark.parametrize("build, kwargs, expected", [c[1:] for c in DEBUGPRINT], ids=[c[0] for c in DEBUGPRINT])
def test_debugprint(build, kwargs, expected):
    assert printing.debugprint(build(), file="str", **kwargs) == expected


LINE = re.compile(r"^(?: \|)*(\S.*?) \[id ([A-Z]+)\]")


def test_debugprint_of_compiled_function():
    f = lb.function([x, y], [T.tanh(x) * 2.0 + y, T.sum(x * y)])
    fgraph = f.maker.fgraph
    text = printing.debugprint(f, file="str")
    lines = text.splitlines()
    assert all(LINE.match(line) for line in lines), text
    # Every node of the compiled graph is printed, each node line ends with its position in the run order.
    positions = sorted(int(line.rsplit(" ", 1)[1]) for line in lines if line.endswith(tuple("0123456789"))
                       and "''" in line)
    assert set(positions) == set(range(len(fgraph.toposort())))
    assert printing.debugprint(fgraph, file="str") == text


def test_debugprint_streams(capsys):
    expr = x + y
    buf = io.StringIO()
    assert printing.debugprint(expr, file=buf) is buf
    assert buf.getvalue() == printing.debugprint(expr, file="str") + "\n"
    printing.debugprint(expr)
    assert capsys.readouterr().out == buf.getvalue()
    done = {}  # a shared ``done`` keeps ids consistent between calls
    printing.debugprint(x * y, file="str", done=done)
    assert printing.debugprint(x, file="str", done=done) == "x [id B]"


def test_debugprint_deep_graph_and_bad_input():
    deep = x
    for _ in range(3000):
        deep = T.exp(deep)
    assert len(printing.debugprint(deep, file="str").splitlines()) == 3001
    with pytest.raises(TypeError, match=r"expected a Variable.*received int"):
        printing.debugprint(3)
    with pytest.raises(ValueError, match=r"ids must be .*'letters'"):
        printing.debugprint(x, ids="letters")


# -- pydotprint -------------------------------------------------------------------------------------------------
def test_pydotprint_without_pydot_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pydot", None)  # makes ``import pydot`` raise ImportError
    f = lb.function([x], T.exp(x))
    with pytest.raises(ImportError, match=r"pydotprint needs the 'pydot' package.*pip install pydot.*graphviz"):
        printing.pydotprint(f, outfile="never_written.png")


class _FakeDot:
    """Records what pydotprint builds, and writes it as text (stands in for pydot.Dot)."""

    def __init__(self, graph_type):
        self.nodes, self.edges = [], []

    def add_node(self, node):
        self.nodes.append(node)

    def add_edge(self, edge):
        self.edges.append(edge)

    def to_string(self):
        return "\n".join([f"node {n.name} {n.attrs['label']}" for n in self.nodes] +
                         [f"edge {e.src} -> {e.dst}" for e in self.edges])

    def write(self, path, format):
        with open(path, "w") as fh:
            fh.write(self.to_string())


def _fake_pydot():
    mod = types.ModuleType("pydot")
    mod.Dot = _FakeDot
    mod.Node = lambda name, **attrs: types.SimpleNamespace(name=name, attrs=attrs)
    mod.Edge = lambda src, dst, **attrs: types.SimpleNamespace(src=src, dst=dst, attrs=attrs)
    return mod


def test_pydotprint_builds_the_graph(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "pydot", _fake_pydot())
    f = lb.function([x, y], T.tanh(x) * 2.0 + y, mode=lb.Mode(optimizer=None))
    out = tmp_path / "graph.dot"
    printing.pydotprint(f, outfile=str(out), format="dot")
    assert f"available at {out}" in capsys.readouterr().out
    text = out.read_text()
    for piece in ("Elemwise{tanh}", "Elemwise{mul}", "Elemwise{add}", "x\\nVector(float64", "y\\nVector",
                  "TensorConstant{2.0}\\nVector(float64, shape=(1,))"):
        assert piece in text, text
    # 5 inputs into 3 nodes (node to node directly: compact) and the edge to the output box.
    edges = [line for line in text.splitlines() if line.startswith("edge")]
    assert edges == ["edge v0 -> n0", "edge n0 -> n1", "edge v1 -> n1", "edge n1 -> n2", "edge v2 -> n2",
                     "edge n2 -> v3"]


def test_pydotprint_without_graphviz(monkeypatch):
    monkeypatch.setitem(sys.modules, "pydot", _fake_pydot())
    monkeypatch.setattr(printing.shutil, "which", lambda name: None)
    with pytest.raises(ImportError, match=r"not Graphviz's 'dot' program.*apt-get install graphviz"):
        printing.pydotprint(x + y, outfile="never_written.png")


# -- Print ------------------------------------------------------------------------------------------------------
def test_print_op_prints_and_passes_values_and_gradients(capsys):
    shown = printing.Print("x is", attrs=("__str__", "shape"))(x)
    f = lb.function([x], [shown * 2.0, lb.grad(T.sum(shown * 3.0), x)])
    value, grad = f(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(value, [2.0, 4.0])
    np.testing.assert_array_equal(grad, [3.0, 3.0])
    assert capsys.readouterr().out == "x is __str__ = [1. 2.]\nx is shape = (2,)\n"
