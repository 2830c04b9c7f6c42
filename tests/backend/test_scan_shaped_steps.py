"""A loop's step compiled for the run-time shapes of its inputs (``ScanInner.compiled_for``).

Each row is a program, its input values (one list per call, so a row can change the batch size between calls) and
what the step compiled for those shapes must look like. One checker compares every result with the generic step
(``loop.MAX_SHAPED_STEPS = 0``).
"""
import numpy as np
import pytest

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit_backend.scan_module import Scan
from layerkit_backend.scan_module import loop as scan_loop

RNG = np.random.default_rng(0)
F = "float32"


def lstm_grad():
    """Gate slices of a pre-activation; the gradient's SumToShape checks (unknown batch) go with static sizes."""
    x, u = T.tensor3("x"), T.matrix("u")

    def step(x_t, h, c, u):
        a = x_t + T.dot(h, u)
        i, g = T.nnet.sigmoid(a[:, :4]), T.tanh(a[:, 4:])
        c_new = i * g + c
        return T.tanh(c_new), c_new

    zeros = T.zeros((x.shape[1], 4))
    (hs, _), _ = lb.scan(step, sequences=x, outputs_info=[zeros, zeros], non_sequences=[u])
    return [x, u], lb.grad((hs[-1] ** 2).sum(), [x, u])


def broadcast_grad():
    """A (1, 4) non-sequence broadcast against (batch, 4) rows: its gradient must still sum over the batch."""
    x, r = T.tensor3("x"), T.matrix("r")
    hs, _ = lb.scan(lambda x_t, h, r: T.tanh(x_t * r + h), sequences=x, outputs_info=T.zeros((x.shape[1], 4)),
                    non_sequences=[r])
    return [x, r], lb.grad((hs[-1] ** 2).sum(), [r])


def _sum_to_shapes(fn):
    return [type(n.op).__name__ for n in fn.maker.fgraph.toposort()].count("SumToShape")


def _fewer_sum_to_shapes(shaped, generic):
    return _sum_to_shapes(shaped) < _sum_to_shapes(generic)


def _keeps_sum_to_shape(shaped, generic):
    return _sum_to_shapes(shaped) > 0


CASES = [
    ("lstm", lstm_grad, [[(5, 3, 8), (4, 8)], [(5, 2, 8), (4, 8)]], "grad_of", _fewer_sum_to_shapes),
    ("broadcast", broadcast_grad, [[(4, 3, 4), (1, 4)]], "grad_of", _keeps_sum_to_shape),
]


def _shaped_steps(fgraph, name):
    loops = [n for n in fgraph.toposort() if isinstance(n.op, Scan) and name in str(n.op)]
    return [c for node in loops for key, (_, c) in node.op.inner._compiled.items() if isinstance(key, tuple)]


@pytest.mark.parametrize("name,program,calls,loop_name,check", CASES, ids=[c[0] for c in CASES])
def test_shaped_step(name, program, calls, loop_name, check, monkeypatch):
    inputs, outputs = program()
    shaped = lb.function(inputs, outputs)
    values = [[RNG.standard_normal(s).astype(F) for s in shapes] for shapes in calls]
    got = [shaped(*v) for v in values]
    steps = _shaped_steps(shaped.maker.fgraph, loop_name)
    assert len(steps) == len({tuple(v[0].shape[1:]) for v in values})  # one step per shape signature
    loops = [n for n in shaped.maker.fgraph.toposort() if isinstance(n.op, Scan) and loop_name in str(n.op)]
    generic_step = loops[0].op.inner.compiled(shaped._xp, loops[0].op.mode)[1]
    assert all(check(step, generic_step) for step in steps)
    monkeypatch.setattr(scan_loop, "MAX_SHAPED_STEPS", 0)
    generic = lb.function(inputs, outputs)
    for g, v in zip(got, values):
        for a, b in zip(g, generic(*v)):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_shaped_step_still_checks_state_shapes():
    """A state whose step result changes shape is refused, as by the generic step."""
    x, h0 = T.matrix("x"), T.vector("h0")
    hs, _ = lb.scan(lambda x_t, h: x_t + h, sequences=x, outputs_info=h0)
    f = lb.function([x, h0], hs)
    with pytest.raises(ValueError):
        f(np.ones((3, 4), F), np.ones(1, F))
