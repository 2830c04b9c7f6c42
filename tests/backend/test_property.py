"""Property test: random expression graphs give the same values when fully rewritten, when compiled without
rewrites, and when evaluated by NumPy. Each graph is drawn once as a tree description and then built twice, once
symbolically and once with NumPy, so both sides compute the same expression. Graphs may hold loops (``scan``) of
0, 1 or 2 steps read at their last step or summed: where NumPy raises (the last of zero steps), both compiled
versions must raise the same error (a rewrite never changes what a graph means)."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit_backend.compile import Mode

INPUTS = {"a": (3, 4), "b": (3, 4), "v": (4,), "u": (3,), "s": ()}
SIZES = (3, 4)
MAX_DEPTH = 4

# name -> (symbolic, NumPy); every domain is safe: exp only sees bounded values.
UNARY = {
    "tanh": (T.tanh, np.tanh),
    "sin": (T.sin, np.sin),
    "cos": (T.cos, np.cos),
    "exp_tanh": (lambda x: T.exp(T.tanh(x)), lambda x: np.exp(np.tanh(x))),
    "sqr": (T.sqr, np.square),
    "neg": (lambda x: -x, np.negative),
    "sigmoid": (T.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    "abs": (abs, np.abs),
    # forms the canonicalize/stabilize rewrites look for
    "log1p_sqr": (lambda x: T.log(1 + T.sqr(x)), lambda x: np.log(1 + np.square(x))),
    "softplus_form": (lambda x: T.log(1 + T.exp(T.tanh(x))), lambda x: np.log(1 + np.exp(np.tanh(x)))),
    "times_one_plus_zero": (lambda x: x * 1 + 0, lambda x: x * 1 + 0),
    "double_neg": (lambda x: -(-x), lambda x: x),
}
BINARY = {
    "add": (lambda x, y: x + y, np.add),
    "sub": (lambda x, y: x - y, np.subtract),
    "mul": (lambda x, y: x * y, np.multiply),
    "maximum": (T.maximum, np.maximum),
    "mul_const": (lambda x, y: x * 0.5 + y, lambda x, y: x * 0.5 + y),  # a Python scalar in the graph
    "div": (lambda x, y: x / (1 + T.sqr(y)), lambda x, y: x / (1 + np.square(y))),
    "minimum": (T.minimum, np.minimum),
}


def _draw_tree(data, shape, depth):
    """A tree description (nested tuples) whose value has exactly ``shape``."""
    kinds = ["leaf"] if depth >= MAX_DEPTH else ["leaf", "unary", "binary", "binary", "sum", "dot", "scan"]
    if len(shape) == 2:
        kinds.append("transpose")
    kind = data.draw(st.sampled_from(kinds))
    if kind == "unary":
        return ("unary", data.draw(st.sampled_from(sorted(UNARY))), _draw_tree(data, shape, depth + 1))
    if kind == "binary":
        op = data.draw(st.sampled_from(sorted(BINARY)))
        left = _draw_tree(data, shape, depth + 1)
        # the right operand has the same shape or broadcasts: a scalar, a trailing vector, or a column
        choices = [("same", shape), ("scalar", ())]
        if len(shape) == 2:
            choices += [("row", shape[1:]), ("col", shape[:1])]
        how, rshape = data.draw(st.sampled_from(choices))
        right = _draw_tree(data, rshape, depth + 1)
        if how == "col":
            right = ("col", right)
        if data.draw(st.booleans()):
            left, right = right, left
        return ("binary", op, left, right)
    if kind == "sum" and len(shape) < 2:
        axis = data.draw(st.integers(0, len(shape)))
        inner = shape[:axis] + (data.draw(st.sampled_from(SIZES)),) + shape[axis:]
        return ("sum", axis, _draw_tree(data, inner, depth + 1))
    if kind == "dot" and len(shape) <= 2:
        k = data.draw(st.sampled_from(SIZES))
        if len(shape) == 2:
            return ("dot", _draw_tree(data, (shape[0], k), depth + 1), _draw_tree(data, (k, shape[1]), depth + 1))
        if len(shape) == 1:
            return ("dot", _draw_tree(data, (shape[0], k), depth + 1), _draw_tree(data, (k,), depth + 1))
        return ("dot", _draw_tree(data, (k,), depth + 1), _draw_tree(data, (k,), depth + 1))
    if kind == "transpose":
        return ("transpose", _draw_tree(data, shape[::-1], depth + 1))
    if kind == "scan":   # state_{t+1} = f(state_t) for k steps (k is an input), read at its last step or summed
        read = data.draw(st.sampled_from(["last", "sum"]))
        return ("scan", data.draw(st.sampled_from(sorted(UNARY))), read, _draw_tree(data, shape, depth + 1))
    names = [n for n, s in INPUTS.items() if s == shape]
    names += [n + ".T" for n, s in INPUTS.items() if len(s) == 2 and s[::-1] == shape]
    if names and data.draw(st.integers(0, 3)):
        return ("input", data.draw(st.sampled_from(names)))
    return ("const", shape, data.draw(st.integers(0, 2 ** 16)))


def _const_value(shape, seed):
    return np.random.default_rng(seed).uniform(-1.5, 1.5, size=shape)


def _build(tree, leaves, lib):
    """Evaluate ``tree`` with ``lib`` 'sym' (layerkit variables) or 'np' (NumPy arrays)."""
    sym = lib == "sym"
    kind = tree[0]
    if kind == "input":
        name = tree[1]
        if name.endswith(".T"):
            x = leaves[name[:-2]]
            return x.T
        return leaves[name]
    if kind == "const":
        value = _const_value(tree[1], tree[2])
        return T.constant(value) if sym else value
    if kind == "unary":
        return UNARY[tree[1]][0 if sym else 1](_build(tree[2], leaves, lib))
    if kind == "binary":
        return BINARY[tree[1]][0 if sym else 1](_build(tree[2], leaves, lib), _build(tree[3], leaves, lib))
    if kind == "col":
        x = _build(tree[1], leaves, lib)
        return x.dimshuffle(0, "x") if sym else x[:, None]
    if kind == "sum":
        return _build(tree[2], leaves, lib).sum(axis=tree[1])
    if kind == "dot":
        left, right = _build(tree[1], leaves, lib), _build(tree[2], leaves, lib)
        return T.dot(left, right) if sym else np.dot(left, right)
    if kind == "transpose":
        return _build(tree[1], leaves, lib).T
    if kind == "scan":
        step = UNARY[tree[1]][0 if sym else 1]
        init = _build(tree[3], leaves, lib)
        if sym:
            states, _ = lb.scan(step, outputs_info=T.as_tensor_variable(init), n_steps=leaves["k"])
        else:
            rows = [init]
            for _ in range(leaves["k"]):
                rows.append(step(rows[-1]))
            states = np.array(rows[1:]).reshape((len(rows) - 1,) + np.shape(init))
        return states[-1] if tree[2] == "last" else states.sum(axis=0)
    raise AssertionError(kind)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data(), seed=st.integers(0, 2 ** 16))
def test_rewritten_graph_matches_unrewritten_and_numpy(data, seed):
    shapes = [data.draw(st.sampled_from([(), (3,), (4,), (3, 4), (4, 3), (3, 3)])) for _ in range(2)]
    trees = [_draw_tree(data, shape, 0) for shape in shapes]
    static = data.draw(st.booleans())  # static shapes take other paths through the rewrites
    variables = {name: T.tensor("float64", shape=s if static else (None,) * len(s), name=name)
                 for name, s in INPUTS.items()}
    rng = np.random.default_rng(seed)
    values = {name: rng.uniform(-1.5, 1.5, size=s) for name, s in INPUTS.items()}
    variables["k"], values["k"] = T.lscalar("k"), data.draw(st.integers(0, 2))   # the loops' step count
    outputs = [_build(t, variables, "sym") for t in trees]
    inputs = list(variables.values())
    args = [values[n] for n in variables]
    fast = lb.function(inputs, outputs, on_unused_input="ignore")
    slow = lb.function(inputs, outputs, mode=Mode(optimizer=None), on_unused_input="ignore")
    try:
        expected = [np.asarray(_build(t, values, "np")) for t in trees]
    except IndexError:   # the last step of a loop that ran no step
        for compiled in (fast, slow):
            with pytest.raises(IndexError):
                compiled(*args)
        return
    rewritten, plain = fast(*args), slow(*args)
    for tree, want, got_fast, got_plain in zip(trees, expected, rewritten, plain):
        scale = max(1.0, float(np.abs(want).max(initial=0.0)))
        for got in (got_fast, got_plain):
            assert got.shape == want.shape and got.dtype == np.float64, tree
            np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9 * scale, err_msg=str(tree))
