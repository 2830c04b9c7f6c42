"""The ``Scan`` op: a loop whose body is an inner graph, compiled once and called in a generated Python loop.

Layout (what a rewrite needs to know; ``builder.py`` makes these, ``grad.py`` differentiates them):

Outer inputs, in order::

    n_steps                      int64 scalar: the number of steps (for a while-loop, the most steps)
    sequences   (n_seqs)         arrays of leading length >= n_steps; step t reads row t (taps were applied outside
                                 by slicing, go_backwards by reversing, so every sequence here has the single tap 0)
    state inits (len(state_taps)) buffers of shape (m_k, ...) with m_k = max(-tap) for state k: its past values
    shared inits (n_shared)      values of the shared variables the loop updates (a counter, a random state)
    non-sequences (n_nonseqs)    read unchanged at every step (explicit ones, then every free variable of the step)

Outer outputs, in order::

    state buffers     (m_k + steps, ...): the initial rows followed by one row per step (builder slices [m_k:]);
                      for a state in ``last_only`` (set by the rewrite local_scan_keep_last_state when only the
                      last row is read), just the last m_k rows, kept in a ring of m_k rows while the loop runs
    nit-sot outputs   (n_nitsot) (steps, ...): outputs that are not fed back
    shared finals     (n_shared): the value of each updated shared variable after the last step

``inner.inputs`` lists one variable per sequence, then one per (state, tap) in ``state_taps`` order, then one per
shared value and per non-sequence. ``inner.outputs`` lists the new value of each state, each nit-sot output, each
shared value, then (``as_while``) the scalar condition that stops the loop after the step that made it true.
"""
from ..graph.basic import Apply, Op, Variable
from ..tensor.basic import NotScalarConstantError, get_scalar_constant_value
from ..tensor.type import TensorType
from ..tensor.variable import as_tensor_variable

__all__ = ["Scan", "ScanInner"]


class ScanInner:
    """The step graph of one Scan: ``inputs`` and ``outputs`` (see the module docstring). Compared by identity,
    so two Scan ops are equal only when they hold the very same inner graph."""

    def __init__(self, inputs, outputs, fn_name):
        self.inputs, self.outputs, self.fn_name = list(inputs), list(outputs), fn_name
        self._compiled = {}
        self.lop = None  # filled by grad.py on first use: the step's vector-Jacobian product graph
        self.extends = None  # the inner graph this one adds saved outputs to (backward_plan.BackwardPlan)

    def compiled(self, xp, mode):
        """The raw generated step function for the array module ``xp``: positional arrays in, a list out."""
        fn = self._compiled.get(xp.name)
        if fn is None:
            fn = self._compiled[xp.name] = _compile_step(self.inputs, self.outputs, self.fn_name, xp, mode)
        return fn

    def compiled_for(self, xp, mode, shapes):
        """The step function compiled for inputs of the run-time ``shapes`` (one tuple, or None to keep the
        input's type, per inner input): with every size static, rewrites drop the gradient's SumToShape checks
        that an unknown batch size keeps, and elementwise chains fuse across them."""
        key = (xp.name, tuple(shapes))
        fn = self._compiled.get(key)
        if fn is None:
            memo = {}
            for v, shape in zip(self.inputs, shapes):
                if (shape is not None and isinstance(v.type, TensorType) and len(shape) == v.ndim
                        and all(s is None or s == r for s, r in zip(v.type.shape, shape))):
                    memo[v] = TensorType(v.dtype, tuple(shape))(name=v.name)
            if not memo:
                return self.compiled(xp, mode)
            inputs = [memo.get(v, v) for v in self.inputs]
            outputs = _rebuild_on(self.outputs, memo)
            fn = self._compiled[key] = _compile_step(inputs, outputs, self.fn_name, xp, mode)
        return fn

    def __repr__(self):
        return f"<scan inner graph of {self.fn_name} {id(self):#x}>"


def _rebuild_on(outputs, memo):
    """``outputs`` rebuilt on the new inputs in ``memo``; ops re-infer their (finer) output types."""
    from ..graph.traversal import io_toposort

    memo = dict(memo)
    for n in io_toposort(list(memo), list(outputs)):
        new = n.clone_with_new_inputs([memo.get(x, x) for x in n.inputs], strict=False)
        memo.update(zip(n.outputs, new.outputs))
    return [memo.get(v, v) for v in outputs]


def _compile_step(inputs, outputs, fn_name, xp, mode):
    from ..compile.function import function  # the op runs a compiled inner graph: a cycle by nature
    from ..compile.mode import Mode, get_mode

    base = get_mode(mode)
    inner_mode = Mode(base.linker, base.optimizer, base.excluded, base.included,
                      device=f"cuda{xp.device_index}" if xp.is_gpu else "cpu", nan_guard=base.nan_guard)
    compiled = function(inputs, list(outputs), mode=inner_mode, on_unused_input="ignore",
                        no_default_updates=True, name=f"scan step {fn_name}",
                        return_device_arrays=True)   # steps stay on the device
    # The loop calls the generated function itself: inputs are the loop's own buffers, so the
    # Function-level argument binding and error decoration per step would be pure overhead. It reads ``_fn`` at
    # each step, so the step moves to the native tier when that is ready (compile/tiers.py).
    def step(*args):
        return compiled._fn(*args)

    return step, compiled


class Scan(Op):
    """A loop over an inner graph. Build it with ``scan``; the layout is in this module's docstring.

    Props: ``inner`` (ScanInner), ``n_seqs``, ``state_taps`` (one tuple of negative taps per recurrent state),
    ``n_nitsot``, ``n_shared``, ``n_nonseqs``, ``as_while``, ``truncate_gradient``, ``name``, ``mode``,
    ``last_only`` (per state: output only its last m_k rows; empty: none).
    """

    __props__ = ("inner", "n_seqs", "state_taps", "n_nitsot", "n_shared", "n_nonseqs", "as_while",
                 "truncate_gradient", "name", "mode", "last_only")
    foldable = False

    def __init__(self, inner, n_seqs, state_taps, n_nitsot, n_shared, n_nonseqs, as_while=False,
                 truncate_gradient=-1, name=None, mode=None, last_only=()):
        self.inner, self.n_seqs, self.state_taps = inner, n_seqs, tuple(tuple(t) for t in state_taps)
        self.n_nitsot, self.n_shared, self.n_nonseqs = n_nitsot, n_shared, n_nonseqs
        self.as_while, self.truncate_gradient, self.name, self.mode = as_while, truncate_gradient, name, mode
        self.mintaps = tuple(max(-t for t in taps) for taps in self.state_taps)
        self.last_only = tuple(last_only) or (False,) * len(self.state_taps)

    def __str__(self):
        return f"Scan{{{self.name or self.inner.fn_name}}}"

    # -- layout helpers -------------------------------------------------------------------------------------
    @property
    def n_states(self):
        return len(self.state_taps)

    def split_outer(self, inputs):
        """(n_steps, sequences, state inits, shared inits, non-sequences) from the outer inputs."""
        k = 1
        parts = [inputs[0]]
        for size in (self.n_seqs, self.n_states, self.n_shared, self.n_nonseqs):
            parts.append(list(inputs[k:k + size]))
            k += size
        return parts

    def split_inner_inputs(self):
        """(sequences, [[tap inputs] per state], shared, non-sequences) of the inner graph."""
        ins = self.inner.inputs
        seqs = ins[:self.n_seqs]
        k = self.n_seqs
        taps = []
        for t in self.state_taps:
            taps.append(ins[k:k + len(t)])
            k += len(t)
        return seqs, taps, ins[k:k + self.n_shared], ins[k + self.n_shared:]

    def make_node(self, n_steps, *inputs):
        n_steps = as_tensor_variable(n_steps)
        where = f"{self}"
        if n_steps.ndim != 0 or not n_steps.dtype.startswith(("int", "uint")):
            raise TypeError(f"{where}: n_steps must be an integer scalar, received {n_steps.type}")
        expected = self.n_seqs + self.n_states + self.n_shared + self.n_nonseqs
        if len(inputs) != expected:
            raise TypeError(f"{where}: expected {expected} inputs after n_steps, received {len(inputs)}")
        _, seqs, inits, shared, nonseqs = self.split_outer([n_steps] + list(inputs))
        in_seqs, in_taps, in_shared, in_nonseqs = self.split_inner_inputs()
        for k, (outer, inner) in enumerate(zip(seqs, in_seqs)):
            if not isinstance(outer.type, TensorType) or outer.ndim != inner.ndim + 1 or outer.dtype != inner.dtype:
                raise TypeError(f"{where}: sequence {k} must be a {inner.ndim + 1}-d {inner.dtype} tensor, "
                                f"received {outer.type}")
        for k, (outer, taps) in enumerate(zip(inits, in_taps)):
            if outer.ndim != taps[0].ndim + 1 or outer.dtype != taps[0].dtype:
                raise TypeError(f"{where}: initial state {k} must be a {taps[0].ndim + 1}-d {taps[0].dtype} "
                                f"tensor, received {outer.type}")
        for k, (outer, inner) in enumerate(zip(list(shared) + list(nonseqs), list(in_shared) + list(in_nonseqs))):
            if not isinstance(outer, Variable) or outer.type != inner.type and not inner.type.is_super(outer.type):
                raise TypeError(f"{where}: input {inner} must be of type {inner.type}, received {outer.type}")
        n_static = None if self.as_while else static_steps(n_steps)
        outs = self.inner.outputs
        types = []
        for k, m in enumerate(self.mintaps):
            step_shape = _join_shapes(inits[k].type.shape[1:], outs[k].type.shape)
            rows = m if self.last_only[k] else None if n_static is None else m + n_static
            types.append(TensorType(outs[k].dtype, (rows,) + step_shape))
        for out in outs[self.n_states:self.n_states + self.n_nitsot]:
            types.append(TensorType(out.dtype, (n_static,) + out.type.shape))
        types += [s.type for s in shared]
        return Apply(self, [n_steps] + list(inputs), [t() for t in types])

    def make_thunk(self, node, xp):
        from .loop import make_shaped_loop

        return make_shaped_loop(self, node, xp)

    def grad(self, inputs, output_grads):
        from .grad import scan_grad

        assert not any(self.last_only), "a Scan that keeps only its last states is made after gradients"
        return scan_grad(self, inputs, output_grads)


def _join_shapes(a, b):
    return tuple(x if x is not None else y for x, y in zip(a, b))


def static_steps(n_steps):
    """The Python int value of ``n_steps`` when it is known when the graph is built, else None."""
    try:
        return int(get_scalar_constant_value(n_steps))
    except NotScalarConstantError:
        return None

