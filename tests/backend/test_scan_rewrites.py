"""Scan's speed rewrites: each row is a program, the rewrite that must change its graph, and what must change.

One checker compiles the program with and without the rewrite, checks that the rewritten graph has the expected
shape (``check(fgraph)``) and that both give the same results.
"""
import numpy as np
import pytest

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit_backend.compile.mode import Mode
from layerkit_backend.scan_module import Scan
from layerkit_backend.tensor.elemwise import SumToShape

RNG = np.random.default_rng(0)
X = RNG.standard_normal((6, 3, 4)).astype("float32")        # (steps, batch, features)
W = RNG.standard_normal((4, 8)).astype("float32")
U = RNG.standard_normal((8, 8)).astype("float32") * 0.3
B = RNG.standard_normal(8).astype("float32")


def _scans(fgraph):
    return [n for n in fgraph.toposort() if isinstance(n.op, Scan)]


def _inner_ops(node):
    from layerkit_backend.graph.traversal import io_toposort

    return [type(n.op).__name__ for n in io_toposort(node.op.inner.inputs, node.op.inner.outputs)]


def rnn_unhoisted():
    """x_t . W + b inside the step, with a loop-invariant U.T.T: pushout makes x . W one GEMM before the loop."""
    x, w, u, b = T.tensor3("x"), T.matrix("w"), T.matrix("u"), T.vector("b")
    hs, _ = lb.scan(lambda x_t, h, w, u, b: T.tanh(T.dot(x_t, w) + b + T.dot(h, u * 1.0)), sequences=x,
                    outputs_info=T.zeros((x.shape[1], 8)), non_sequences=[w, u, b])
    return [x, w, u, b], [hs], [X, W, U, B]


def rnn_grad():
    """Gradients of an unhoisted RNN: the backward loop computes no input gradient nobody reads, and the weight
    gradients become one product after the loop (no Dot accumulating into a state)."""
    x, w, u, b = T.tensor3("x"), T.matrix("w"), T.matrix("u"), T.vector("b")
    hs, _ = lb.scan(lambda x_t, h, w, u, b: T.tanh(T.dot(x_t, w) + b + T.dot(h, u)), sequences=x,
                    outputs_info=T.zeros((x.shape[1], 8)), non_sequences=[w, u, b])
    cost = (hs[-1] ** 2).sum()
    return [x, w, u, b], lb.grad(cost, [w, u, b]), [X, W, U, B]


def slice_gates():
    """A step slicing its pre-activation into two gates: the gradient's two zero-buffer increments become a join."""
    x, u = T.tensor3("x"), T.matrix("u")

    def step(x_t, h, u):
        a = x_t + T.dot(h, u)
        return T.nnet.sigmoid(a[:, :4]) * T.tanh(a[:, 4:])

    hs, _ = lb.scan(step, sequences=T.dot(x, T.constant(W)), outputs_info=T.zeros((x.shape[1], 4)),
                    non_sequences=[u])
    return [x, u], [lb.grad(hs.sum(), u)], [X, U[:4]]


def _check_pushout(fg):
    (loop,) = _scans(fg)
    assert "Dot" in _inner_ops(loop) and _inner_ops(loop).count("Dot") == 1  # only h . u stays in the loop
    assert loop.op.n_seqs == 1  # the pushed-out x . W + b (x itself is no longer read: dropped)


def _check_grad(fg):
    fwd, bwd = sorted(_scans(fg), key=lambda n: "grad" in str(n.op))
    assert "grad" in str(bwd.op)
    assert _inner_ops(bwd).count("Dot") == 1  # da_t . u.T only: no x gradient, no per-step weight accumulation
    assert fwd.op.n_nitsot >= 1  # the forward loop stores what the backward step reads


def _check_join(fg):
    bwd = [n for n in _scans(fg) if "grad" in str(n.op)][0]
    fn = lb.function(bwd.op.inner.inputs, bwd.op.inner.outputs, on_unused_input="ignore")
    ops = [type(n.op).__name__ for n in fn.maker.fgraph.toposort()]
    assert "Join" in ops and "IncSubtensor" not in ops and "Alloc" not in ops


def shape_only_sequence():
    """A step reading one sequence only as a SumToShape ``like`` (a broadcast one: y has one row per step)."""
    x, y = T.tensor3("x"), T.tensor3("y")
    hs, _ = lb.scan(lambda x_t, y_t, h: h + SumToShape()(x_t * 2.0, y_t), sequences=[x, T.exp(y)],
                    outputs_info=T.zeros((1, 4)))
    return [x, y], [hs], [X, X[:, :1] * 0.5]


def _check_shape_only(fg):
    (loop,) = _scans(fg)
    assert loop.op.n_seqs == 1  # x; exp(y) is not computed, a zero row of its row shape stands in
    assert "exp" not in [str(n.op) for n in fg.toposort()]


def elementwise_on_rows():
    """Elementwise work on sequence rows alone stays in the loop (it fuses there); x_t . W is still pushed out."""
    x, w, u = T.tensor3("x"), T.matrix("w"), T.matrix("u")
    hs, _ = lb.scan(lambda x_t, h, w, u: T.tanh(T.dot(x_t * 2.0, w) + T.dot(h, u)) * (x_t * 2.0).sum(),
                    sequences=x, outputs_info=T.zeros((x.shape[1], 8)), non_sequences=[w, u])
    return [x, w, u], [hs], [X, W, U]


def _check_rows(fg):
    (loop,) = _scans(fg)
    assert _inner_ops(loop).count("Dot") == 1  # h . u; (x_t * 2) . W runs before the loop
    assert loop.op.n_seqs == 2  # x and the batched product; x_t * 2 is not a stacked temporary of its own


def sigmoid_gates():
    """Sigmoid of three of four gate slices [i f g o] of a pre-activation: one sigmoid over the span [i f g o]."""
    a = T.TensorType("float32", (None, 8))("a")  # a static width: the last slice's end is known
    i, f, o = T.nnet.sigmoid(a[:, :2]), T.nnet.sigmoid(a[:, 2:4]), T.nnet.sigmoid(a[:, 6:])
    return [a], [i * T.tanh(a[:, 4:6]) + f * o], [RNG.standard_normal((3, 8)).astype("float32")]


def _check_gates(fg):
    assert sum(str(n.op).count("sigmoid") for n in fg.toposort()) == 1  # fused kernels included


CASES = [
    ("sigmoid_gates", sigmoid_gates, "local_elemwise_of_slices", _check_gates),
    ("pushout", rnn_unhoisted, "local_scan_pushout", _check_pushout),
    ("pushout_rows", elementwise_on_rows, "local_scan_pushout", _check_rows),
    ("shape_only_sequences", shape_only_sequence, "local_scan_shape_only_sequences", _check_shape_only),
    ("grad_batched", rnn_grad, "local_scan_drop_unused_outputs", _check_grad),
    ("slice_grads_join", slice_gates, "local_sum_of_slice_grads_to_join", _check_join),
]


@pytest.mark.parametrize("name,program,rewrite,check", CASES, ids=[c[0] for c in CASES])
def test_scan_rewrite(name, program, rewrite, check):
    inputs, outputs, values = program()
    fast = lb.function(inputs, outputs)
    plain = lb.function(inputs, outputs, mode=Mode(excluding=[rewrite]))
    check(fast.maker.fgraph)
    for got, want in zip(fast(*values), plain(*values)):
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-5)


def test_scan_grad_matches_hand_unrolled():
    """The stored-activation backward loop and the batched weight gradient give the unrolled graph's gradient."""
    x, w, u, b = T.tensor3("x"), T.matrix("w"), T.matrix("u"), T.vector("b")
    step = lambda x_t, h: T.tanh(T.dot(x_t, w) + b + T.dot(h, u))  # noqa: E731
    hs, _ = lb.scan(step, sequences=x, outputs_info=T.zeros((x.shape[1], 8)))
    h = T.zeros((x.shape[1], 8))
    for t in range(X.shape[0]):
        h = step(x[t], h)
    got = lb.function([x, w, u, b], lb.grad((hs[-1] ** 2).sum(), [w, u, b]))(X, W, U, B)
    want = lb.function([x, w, u, b], lb.grad((h ** 2).sum(), [w, u, b]))(X, W, U, B)
    for g, r in zip(got, want):
        np.testing.assert_allclose(g, r, rtol=1e-4, atol=1e-5)
