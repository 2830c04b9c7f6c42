"""What the backward loop of a Scan reads from the forward loop, and which weight gradients become one GEMM.

``plan_backward`` looks at the step's Lop graph (``grad._StepLop``):

* ``saved``: forward values (not depending on the incoming gradients, but changing from step to step) that the
  gradient part reads. The forward loop stores them, so the backward step reads a row instead of re-running the
  forward step. Views and shape-only values are not stored: what they read is, and they are recomputed (a slice
  of a stored pre-activation costs nothing).
* ``batched``: for each non-sequence whose per-step gradient is a sum of ``dot(A_t.T, B_t)`` terms, the ``(A, B)``
  pairs. Summed over steps this is ``dot(A.T, B)`` with A and B stacked over ``steps * rows`` rows: one GEMM after
  the loop instead of one small GEMM (and one accumulation) per step.
"""
from ..graph.basic import Constant
from ..graph.fgraph import FunctionGraph
from ..graph.traversal import io_toposort
from ..tensor.basic import Alloc
from ..tensor.elemwise import DimShuffle, Elemwise
from ..tensor.linalg import Dot
from ..tensor.shape import Reshape, Shape, Shape_i, SpecifyShape
from ..tensor.subtensor import Subtensor
from ..tensor.type import FLOAT_DTYPES
from .op import Scan, ScanInner

__all__ = ["plan_backward", "BackwardPlan"]

# Ops whose output costs nothing to recompute from its inputs (views, shapes): store what they read instead.
_RECOMPUTED = (Subtensor, DimShuffle, Shape, Shape_i, Reshape, SpecifyShape, Alloc)
# Elementwise ops cheaper to redo in the backward step (one pass over data it has) than to store and read back.
_CHEAP_SCALARS = {"add", "sub", "mul", "neg", "sqr", "identity", "cast"}


class BackwardPlan:
    """``saved`` (forward inner variables the backward step reads), ``batched`` ({non-sequence position: [(A, B)]})
    and ``extended_op()``: the forward Scan that also outputs the saved values that are not already outputs."""

    def __init__(self, op, saved, batched):
        self.op, self.saved, self.batched = op, saved, batched
        outs = op.inner.outputs
        n_out = op.n_states + op.n_nitsot
        # a saved value that already is a state's new value or a nit-sot output is read from that output
        self.source = {}
        extras = []
        for v in saved:
            if v in outs[:n_out]:
                self.source[v] = ("output", outs.index(v))
            else:
                self.source[v] = ("extra", len(extras))
                extras.append(v)
        self.extras = extras
        self._extended = None

    def extended_op(self):
        """The forward Scan with the extra saved values appended to its nit-sot outputs (made once, so every
        gradient of this op builds the same node)."""
        if self._extended is None:
            op = self.op
            if not self.extras:
                self._extended = op
                return op
            n_out = op.n_states + op.n_nitsot
            outs = op.inner.outputs
            inner = ScanInner(op.inner.inputs, outs[:n_out] + self.extras + outs[n_out:], op.inner.fn_name)
            inner.extends = op.inner
            self._extended = Scan(inner, op.n_seqs, op.state_taps, op.n_nitsot + len(self.extras), op.n_shared,
                                  op.n_nonseqs, op.as_while, op.truncate_gradient, op.name, op.mode)
        return self._extended


def _merge(lop, op):
    # gradient rules rebuild forward values (sigmoid's rule applies sigmoid again): merge them with the forward
    # graph's own nodes first, so one stored value serves both.
    outs = list(op.inner.outputs)
    fg = FunctionGraph(list(op.inner.inputs) + [g for g in lop.gz if g is not None], outs + list(lop.grads))
    from ..rewrite.engine import rewrite_graph

    rewrite_graph(fg, phases=["merge"])
    if list(fg.outputs[:len(outs)]) != outs:  # a forward output was merged away: keep the unmerged Lop
        return
    lop.grads = list(fg.outputs[len(outs):])
    lop.by_input = dict(zip(lop.wrt, lop.grads))


def _dot_terms(g):
    """[(A, B)] when ``g`` is a sum of ``dot(A.T, B)`` over matrices, else None."""
    node = g.owner
    if node is None:
        return None
    if isinstance(node.op, Elemwise) and node.op.scalar_op.name == "add":
        terms = []
        for x in node.inputs:
            t = _dot_terms(x)
            if t is None or x.type.shape != g.type.shape:
                return None
            terms += t
        return terms
    if isinstance(node.op, Dot) and node.inputs[0].owner is not None:
        ds, b = node.inputs[0].owner, node.inputs[1]
        if isinstance(ds.op, DimShuffle) and ds.op.new_order == (1, 0) and b.ndim == 2:
            return [(ds.inputs[0], b)]
    return None


def plan_backward(op, lop):
    """The BackwardPlan of the Scan op ``op`` with step Lop ``lop`` (see the module docstring)."""
    try:
        _merge(lop, op)
    except Exception:  # merging is an optimisation: the unmerged Lop is as correct
        pass
    in_seqs, in_taps, in_shared, in_nonseqs = op.split_inner_inputs()
    varying = set(in_seqs) | {p for ps in in_taps for p in ps} | set(in_shared)
    gz = {g for g in lop.gz if g is not None}
    batched = {}
    for i, v in enumerate(in_nonseqs):
        if v in lop.by_input:
            terms = _dot_terms(lop.by_input[v])
            if terms:
                batched[i] = terms
    factors = [f for terms in batched.values() for pair in terms for f in pair]
    dep, vary = set(), set(varying)
    saved = []

    outputs = set(op.inner.outputs[:op.n_states + op.n_nitsot])

    def keep(v):
        if v.owner is None or isinstance(v, Constant) or v not in vary or v in saved:
            return
        if v in outputs:  # the forward loop stores it anyway
            saved.append(v)
            return
        cheap = isinstance(v.owner.op, Elemwise) and v.owner.op.scalar_op.name in _CHEAP_SCALARS
        if cheap or isinstance(v.owner.op, _RECOMPUTED) or v.type.dtype not in FLOAT_DTYPES:
            for x in v.owner.inputs:
                keep(x)
        else:
            saved.append(v)

    for node in io_toposort(list(op.inner.inputs) + list(gz), list(lop.grads) + factors):
        if any(x in vary for x in node.inputs):
            vary.update(node.outputs)
        if any(x in dep or x in gz for x in node.inputs):
            dep.update(node.outputs)
            for x in node.inputs:
                if x not in dep and x not in gz:
                    keep(x)
    for f in factors:
        if f not in dep:
            keep(f)
    return BackwardPlan(op, saved, batched)
