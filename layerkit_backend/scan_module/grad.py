"""The gradient of a Scan: a backward Scan over the stored forward states, in reverse.

Its step is the vector-Jacobian product (Lop) of the forward step graph, taken once with ``gradient.grad`` on the
inner graph. It carries, per recurrent state with ``m`` past taps, the gradient accumulated so far on the ``m``
positions that later steps read (``pending``), and one running sum per non-sequence; the gradient of each sequence
row is a per-step output. Built with ``scan`` itself, so the backward loop is differentiable again (Hessian-vector
products through an RNN) and runs with the same fast loop.

Two things keep the backward loop cheap (``backward_plan.py`` finds them):

* the forward values the Lop reads (gate activations, pre-activations) are stored by the forward loop as extra
  nit-sot outputs of an *extended* forward Scan (its inner graph records ``extends``; the rewrite
  ``local_scan_merge_extended`` makes the original forward node read from it), so the backward step does not
  re-run the forward step;
* a non-sequence gradient that is a sum over steps of ``dot(A_t.T, B_t)`` (every weight matrix multiplying a
  per-step value) is not accumulated in the loop: the loop stacks ``A_t`` and ``B_t`` (or reuses stacks it has) and
  one GEMM over the ``steps * rows`` rows runs after it.
"""
from ..graph.traversal import ancestors, clone_replace
from ..tensor import math as M
from ..tensor.basic import concatenate, zeros_like
from ..tensor.linalg import dot
from ..tensor.shape import expand_dims, reshape
from ..tensor.subtensor import inc_subtensor, set_subtensor
from ..tensor.type import FLOAT_DTYPES, TensorType

__all__ = ["scan_grad"]


def _is_float(v):
    return isinstance(v.type, TensorType) and v.type.dtype in FLOAT_DTYPES


class _StepLop:
    """The forward step's Lop: ``wrt`` (the float inner inputs), ``grads`` (their gradients), and the
    placeholders ``gz`` standing for the gradients of the states and nit-sot outputs (None: not differentiable)."""

    def __init__(self, op):
        from ..gradient import grad

        in_seqs, in_taps, in_shared, in_nonseqs = op.split_inner_inputs()
        outs = op.inner.outputs[:op.n_states + op.n_nitsot]
        self.gz = [o.type.make_variable(f"d_{o.name or 'out'}") if _is_float(o) else None for o in outs]
        self.wrt = [v for v in list(in_seqs) + [p for ps in in_taps for p in ps] + list(in_nonseqs) if _is_float(v)]
        known = {}
        for o, g in zip(outs, self.gz):
            if g is not None:
                known[o] = known[o] + g if o in known else g
        if not known or not self.wrt:
            self.grads = None
            return
        self.grads = grad(None, self.wrt, known_grads=known, disconnected_inputs="ignore",
                          return_disconnected="zero")
        needed = set(ancestors(self.grads))
        stateful = [p for p in in_shared if p in needed]
        if stateful:
            raise NotImplementedError(
                f"scan (step function {op.inner.fn_name!r}): the gradient needs the per-step values of "
                f"{[str(p) for p in stateful]} (a shared variable the loop updates, e.g. a random state), which "
                f"the loop does not store; draw the random numbers outside the loop and pass them as a sequence")
        self.by_input = dict(zip(self.wrt, self.grads))
        from .backward_plan import plan_backward

        self.plan = plan_backward(op, self)


def scan_grad(op, inputs, output_grads):
    """Gradients of the Scan node ``op(*inputs)`` for ``output_grads`` (see the module docstring)."""
    if op.inner.lop is None:
        op.inner.lop = _StepLop(op)
    lop = op.inner.lop
    none = [None] * len(inputs)
    if lop.grads is None:
        return none
    plan = lop.plan
    n_steps, seqs, inits, shared, nonseqs = op.split_outer(inputs)
    # the forward node again, extended with the values the backward step reads (local_scan_merge_extended makes
    # the original node read from this one)
    outs = plan.extended_op().make_node(*inputs).outputs
    ns, nn = op.n_states, op.n_nitsot
    if op.as_while:
        n = outs[0].shape[0] - op.mintaps[0] if ns else outs[ns].shape[0]
    else:
        n = n_steps
    T = M.minimum(n, op.truncate_gradient) if op.truncate_gradient > 0 else n
    start = n - T

    def rev(x, offset=0):  # rows offset + [n - T, n) of x, last first: the forward steps the backward loop visits
        return x[offset + start:offset + n][::-1]

    def rev_output(j):  # forward output j (a state's new value, a nit-sot output or a saved extra), per step
        if j < ns:
            return rev(outs[j], op.mintaps[j])
        return rev(outs[j])

    in_seqs, in_taps, in_shared, in_nonseqs = op.split_inner_inputs()
    diff_states = [k for k in range(ns) if lop.gz[k] is not None]
    diff_nits = [j for j in range(nn) if lop.gz[ns + j] is not None]
    diff_nonseqs = [i for i, v in enumerate(in_nonseqs) if v in lop.by_input]
    summed = [i for i in diff_nonseqs if i not in plan.batched]
    diff_seqs = [i for i, v in enumerate(in_seqs) if v in lop.by_input]
    flat_taps = [p for ps in in_taps for p in ps]

    sequences = [rev(s) for s in seqs]
    for k, taps in enumerate(op.state_taps):
        m = op.mintaps[k]
        sequences += [rev(outs[k], m + tap) for tap in taps]
    seq_of = dict(zip(list(in_seqs) + flat_taps, sequences))  # forward inner input -> its reversed stack
    sequences += [rev(output_grads[k], op.mintaps[k]) for k in diff_states]
    sequences += [rev(output_grads[ns + j]) for j in diff_nits]
    for v in plan.saved:
        kind, j = plan.source[v]
        seq_of[v] = rev_output(j if kind == "output" else ns + nn + j)
        sequences.append(seq_of[v])
    # the stacked factors of the batched weight gradients: a stack the loop already has, else a new nit-sot output
    seq_grad_vars = [lop.by_input[in_seqs[i]] for i in diff_seqs]
    stacked = []
    for terms in plan.batched.values():
        for f in (f for pair in terms for f in pair):
            if f not in seq_of and f not in seq_grad_vars and f not in stacked:
                stacked.append(f)
    outputs_info = [zeros_like(inits[k]) for k in diff_states] + [zeros_like(nonseqs[i]) for i in summed]
    outputs_info += [None] * (len(diff_seqs) + len(stacked))

    def backward_step(*args):
        it = iter(args)
        mapping = {v: next(it) for v in list(in_seqs) + flat_taps}
        g_states = [next(it) for _ in diff_states]
        g_nits = [next(it) for _ in diff_nits]
        mapping.update({v: next(it) for v in plan.saved})
        pending = [next(it) for _ in diff_states]
        sums = [next(it) for _ in summed]
        mapping.update({v: next(it) for v in in_nonseqs})
        for k, g, p in zip(diff_states, g_states, pending):
            mapping[lop.gz[k]] = g + p[op.mintaps[k] - 1]  # this step's output: its own gradient + later reads
        for j, g in zip(diff_nits, g_nits):
            mapping[lop.gz[ns + j]] = g
        cloned = clone_replace(list(lop.grads) + stacked, mapping)
        grads = dict(zip(lop.wrt, cloned))
        new_pending = []
        for k, p in zip(diff_states, pending):
            m, taps = op.mintaps[k], op.state_taps[k]
            if m == 1:
                new_pending.append(expand_dims(grads[in_taps[k][0]], 0))
                continue
            shifted = concatenate([zeros_like(p[:1]), p[:-1]])
            for tap, var in zip(taps, in_taps[k]):
                shifted = inc_subtensor(shifted[m + tap], grads[var])
            new_pending.append(shifted)
        new_sums = [s + grads[in_nonseqs[i]] for s, i in zip(sums, summed)]
        return new_pending + new_sums + [grads[in_seqs[i]] for i in diff_seqs] + cloned[len(lop.grads):]

    from .builder import scan

    name = f"grad_of_{op.name or op.inner.fn_name}"
    results, _ = scan(backward_step, sequences=sequences, outputs_info=outputs_info, non_sequences=list(nonseqs),
                      n_steps=T, name=name, mode=op.mode, return_list=True)
    grads = list(none)
    offset_inits, offset_nonseqs = 1 + op.n_seqs, 1 + op.n_seqs + ns + op.n_shared
    for r, k in enumerate(diff_states):
        m = op.mintaps[k]
        carried = results[r][-1]
        if op.truncate_gradient > 0:
            carried = M.switch(M.eq(T, n), carried, zeros_like(carried))
        grads[offset_inits + k] = output_grads[k][:m] + carried
    for r, i in enumerate(summed):
        grads[offset_nonseqs + i] = results[len(diff_states) + r][-1]
    base = len(diff_states) + len(summed)
    for r, i in enumerate(diff_seqs):
        seq_of[seq_grad_vars[r]] = results[base + r]
        rows = results[base + r][::-1]
        grads[1 + i] = set_subtensor(zeros_like(seqs[i])[start:n], rows)
    for r, f in enumerate(stacked):
        seq_of[f] = results[base + len(diff_seqs) + r]
    for i, terms in plan.batched.items():
        # sum_t A_t.T . B_t over the steps the loop visited = one product of the (steps * rows)-row stacks
        total = None
        for a, b in terms:
            a_all, b_all = seq_of[a], seq_of[b]
            term = dot(reshape(a_all, (-1, a_all.shape[-1])).T, reshape(b_all, (-1, b_all.shape[-1])))
            total = term if total is None else total + term
        grads[offset_nonseqs + i] = total
    return grads
