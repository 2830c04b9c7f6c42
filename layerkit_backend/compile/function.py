"""``function``: from symbolic inputs and outputs to a fast Python callable.

The path (see docs/architecture.md): normalise inputs/outputs/updates/givens -> clone the graph into a
FunctionGraph -> rewrite it (compile/mode.py picks the phases) -> link it into generated source (linker.py).
"""
import warnings

from ..backends import get_xp, resolve_device
from ..config import config
from ..graph.basic import Constant, Variable
from ..graph.fgraph import FunctionGraph
from ..graph.traversal import ancestors, clone_replace, depends_on, graph_inputs
from ..rewrite.engine import rewrite_graph
from ..tensor.type import TensorType
from ..tensor.variable import as_tensor_variable
from .interrupts import install_deferring_handler
from .io import In, Out
from .linker import link
from .mode import get_mode
from .shared_locks import join, locked
from .sharedvalue import Container, SharedVariable
from .tiers import TIER_STATE, start_tiers

__all__ = ["function", "Function", "MissingInputError", "UnusedInputError"]


class MissingInputError(ValueError):
    """An output depends on a symbolic input that was not listed in ``function``'s inputs."""


class UnusedInputError(ValueError):
    """An input listed in ``function``'s inputs is not needed to compute any output."""


class _InputSpec:
    """Everything the call path needs about one input: name, default, and how to convert a value."""

    def __init__(self, inp, allow_downcast):
        self.variable, self.name = inp.variable, inp.name
        self.has_default, self.default = inp.has_default, inp.value
        self.strict = inp.strict
        self.allow_downcast = inp.allow_downcast if inp.allow_downcast is not None else allow_downcast
        if self.has_default:
            self.default = self.variable.type.filter(inp.value, name=self.name, allow_downcast=True)
        # an input with an update keeps its state here: the default when omitted, the update's value after a call
        self.container = Container(self.default) if inp.update is not None else None

    def make_filter(self, xp):
        t, name, down, strict = self.variable.type, self.name or str(self.variable), bool(self.allow_downcast), \
            self.strict
        if not isinstance(t, TensorType):  # e.g. a random state: its filter returns the value itself
            return lambda value: t.filter(value, name=name, allow_downcast=down, strict=strict)

        def filter_input(value):
            arr = t.filter(value, name=name, allow_downcast=down, strict=strict)
            return arr if isinstance(arr, xp.ndarray) else xp.asarray(arr)

        return filter_input


class FunctionMaker:
    """What a compiled function was made from: ``fgraph`` (rewritten), ``inputs`` (In), ``mode``."""

    def __init__(self, fgraph, inputs, outputs, mode):
        self.fgraph, self.inputs, self.outputs, self.mode = fgraph, inputs, outputs, mode


class Function:
    """A compiled function. Call it with values for its inputs (positionally or by name).

    Attributes: ``source`` (the generated Python, and the C of native pieces once they serve calls),
    ``maker.fgraph`` (the rewritten graph), ``name``, ``tier`` ('numpy' or 'native': which serves calls now).
    """

    def __init__(self, maker, specs, n_inputs, output_borrow, update_shared, shared_vars, output_format, name,
                 xp, nan_guard, swap=None, output_device=None, device="cpu"):
        self.maker, self.name = maker, name
        self._specs, self._n_inputs = specs, n_inputs
        self._output_borrow, self._update_shared = output_borrow, update_shared
        self._shared_vars, self._output_format = shared_vars, output_format
        self._xp, self._nan_guard, self._output_device, self._device = xp, nan_guard, output_device, device
        swap = swap or {}
        self._shared_containers = [swap.get(s, s).container for s in shared_vars]
        # shared variables' updates, then those of inputs with In(update=...) (outputs in that order)
        self._update_containers = [swap.get(s, s).container for s in update_shared] + \
            [spec.container for spec in specs if spec.container is not None]
        self._by_name = {}
        for k, spec in enumerate(specs):
            if spec.name is not None:
                self._by_name.setdefault(spec.name, k)
        self.trust_input = False
        self._link()

    @property
    def _link_args(self):
        """What ``link`` turns into the call path (the native tier relinks with them, compile/tiers.py)."""
        return (self.maker.fgraph, self._n_inputs, self._specs, self._output_borrow, self._update_containers,
                self._shared_containers, self._xp, self._output_format, self._nan_guard, self._output_device)

    def _link(self):
        fn, self.source, self._namespace, self._order = link(*self._link_args)
        self._fn = self._guarded(fn)
        if self._update_containers:
            install_deferring_handler()
        start_tiers(self)  # the NumPy tier serves now; the native one takes over when compiled (tiers.py)

    def _guarded(self, fn):
        """``fn`` as the call path runs it: under one lock for all the state it reads or writes (also for the
        native tier's relinked body)."""
        guarded = self._shared_containers + [c for c in self._update_containers if c not in self._shared_containers]
        if guarded:
            return locked(fn, join([c.group for c in guarded]))
        return fn

    # Pickling (and deepcopy) keep the graph, the inputs and the shared containers, and link again when loaded:
    # the generated code and its thunks are not data. Functions and shared variables pickled together still
    # share their values after loading.
    def __getstate__(self):
        state = dict(self.__dict__)
        for key in ("_fn", "source", "_namespace", "_order", "_xp") + TIER_STATE:
            state.pop(key, None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._xp = get_xp(self._device)
        self._link()

    def __call__(self, *args, **kwargs):
        if kwargs or len(args) != self._n_inputs:
            args = self._bind(args, kwargs)
        try:
            return self._fn(*args)
        except Exception as err:  # find the failing node and say where it came from
            explained = self._explain(err, args)
            if explained is err:  # e.g. an input check, whose message already names the input
                raise
            raise explained from err

    def _bind(self, args, kwargs):
        if len(args) > self._n_inputs:
            raise TypeError(f"{self._label()}: expected at most {self._n_inputs} arguments, received {len(args)}")
        values = list(args) + [_MISSING] * (self._n_inputs - len(args))
        for key, value in kwargs.items():
            k = self._by_name.get(key)
            if k is None:
                raise TypeError(f"{self._label()}: unknown keyword argument {key!r}; inputs are "
                                f"{[s.name for s in self._specs]}")
            if values[k] is not _MISSING:
                raise TypeError(f"{self._label()}: input {key!r} given both by position and by keyword")
            values[k] = value
        for k, v in enumerate(values):
            if v is _MISSING:
                spec = self._specs[k]
                if not spec.has_default:
                    raise TypeError(f"{self._label()}: missing a value for input {k} "
                                    f"({spec.name or spec.variable})")
                values[k] = spec.container.value if spec.container is not None else spec.default
        return values

    def _label(self):
        return f"function {self.name!r}" if self.name else "compiled function"

    def _explain(self, err, args):
        from .errors import explain_failure

        return explain_failure(self, err, args)

    def copy(self, share_memory=False, swap=None, delete_updates=False, name=None, profile=None):
        """A copy of this function; ``swap={old_shared: new_shared}`` makes it read and update other shared
        variables (of the same types); ``delete_updates=True`` drops its updates. Like Theano's, the copy returns a
        list of outputs even where the original returned one value."""
        swap = dict(swap or {})
        for old, new in swap.items():
            if old.type != new.type:
                raise TypeError(f"copy(swap=): {new} of type {new.type} cannot replace {old} of type {old.type}")
        maker = self.maker
        update_shared = [] if delete_updates else self._update_shared
        fgraph = maker.fgraph
        if delete_updates and self._update_containers:
            n_keep = len(fgraph.outputs) - len(self._update_containers)
            fgraph = FunctionGraph(fgraph.inputs, fgraph.outputs[:n_keep], clone=True)
            maker = FunctionMaker(fgraph, maker.inputs, maker.outputs, maker.mode)
        # As in Theano, a copy returns its outputs as a list even when the original returned a single value.
        output_format = "list" if self._output_format == "single" else self._output_format
        return Function(maker, self._specs, self._n_inputs, self._output_borrow, update_shared, self._shared_vars,
                        output_format, name or self.name, self._xp, self._nan_guard, swap,
                        self._output_device, self._device)

    def free(self):
        """Theano compatibility: compiled functions keep no buffers between calls, so nothing to free."""

    @property
    def inputs(self):
        return self.maker.inputs

    def __repr__(self):
        return f"<Function {self.name or ''} of {self._n_inputs} inputs>"


_MISSING = object()


def _as_in(x):
    if isinstance(x, In):
        return x
    if isinstance(x, tuple) and len(x) == 2:  # Theano's older forms: (variable, value), ((variable, update), value)
        target, value = x
        if isinstance(target, tuple) and len(target) == 2:
            return In(target[0], value=value, update=target[1])
        return In(target, value=value)
    if isinstance(x, SharedVariable):
        raise TypeError(f"function: shared variable {x} cannot be an explicit input (it is used implicitly; "
                        f"use givens= to replace it)")
    if not isinstance(x, Variable):
        raise TypeError(f"function: inputs must be symbolic variables, received {type(x).__name__} {x!r}")
    if isinstance(x, Constant):
        raise TypeError(f"function: input {x} is a constant; inputs must be symbolic variables")
    if x.owner is not None:
        raise TypeError(f"function: input {x} is computed by {x.owner.op}; inputs must be graph leaves "
                        f"(use givens= to substitute a value for an intermediate)")
    return In(x)


def _normalise_outputs(outputs):
    if outputs is None:
        return [], "none"
    if isinstance(outputs, dict):
        keys = list(outputs)
        return [outputs[k] for k in keys], tuple(keys)
    if isinstance(outputs, (list, tuple)):
        return list(outputs), "list"
    return [outputs], "single"


def _normalise_updates(updates):
    if updates is None:
        return []
    if isinstance(updates, dict):  # dicts keep insertion order: the updates are applied in that order
        return list(updates.items())
    return [tuple(u) for u in updates]


def _check_update(shared_var, value):
    if not isinstance(shared_var, SharedVariable):
        raise TypeError(f"updates: {shared_var} is not a shared variable; only shared variables can be updated")
    if not isinstance(shared_var.type, TensorType):  # e.g. a random generator state: the types must be equal
        if not isinstance(value, Variable) or value.type != shared_var.type:
            raise TypeError(f"updates: new value {value} for shared variable {shared_var.name or shared_var} must "
                            f"be a variable of type {shared_var.type}")
        return value
    value = as_tensor_variable(value)
    st, vt = shared_var.type, value.type
    if st.dtype != vt.dtype:
        raise TypeError(f"updates: new value for shared variable {shared_var.name or shared_var} has dtype "
                        f"{vt.dtype}, expected {st.dtype} (cast it, e.g. new_value.astype('{st.dtype}'))")
    if st.ndim != vt.ndim:
        raise TypeError(f"updates: new value for shared variable {shared_var.name or shared_var} has {vt.ndim} "
                        f"dimensions, expected {st.ndim}")
    for d, (s, v) in enumerate(zip(st.shape, vt.shape)):
        if s is not None and v is not None and s != v:
            raise ValueError(f"updates: new value for {shared_var.name or shared_var} has size {v} in dimension "
                             f"{d}, expected {s}")
    return value


def function(inputs, outputs=None, mode=None, updates=None, givens=None, no_default_updates=False,
             accept_inplace=False, name=None, rebuild_strict=True, allow_input_downcast=None, profile=None,
             on_unused_input=None, trust_input=False, device=None, return_device_arrays=False):
    """Compile a callable computing ``outputs`` from ``inputs``, then applying ``updates`` to shared variables.

    Args:
        inputs: a list of Variables or ``In`` instances.
        outputs: a Variable, a list of them, or a dict (the call returns the same structure).
        updates: pairs or a dict ``{shared: new_value_expression}``; applied together after all outputs are
            computed, and not at all if the call raises.
        givens: pairs or a dict ``{variable: replacement}`` substituted in the graph before compiling.
        mode: 'FAST_RUN', 'FAST_COMPILE' (no rewrites), or a ``Mode``.
        on_unused_input: 'raise' (default), 'warn' or 'ignore'.
        allow_input_downcast: accept inputs whose dtype would lose precision (e.g. float64 for float32).
        no_default_updates: True, or a list of shared variables whose ``default_update`` is not applied.
        device: 'cpu', 'cuda', 'cuda<index>' or 'auto' (default: the mode's device, else ``config.device``); see
            docs/gpu.md.
        return_device_arrays: on a GPU, return outputs as CuPy arrays instead of NumPy copies (per output:
            ``Out(var, device_array=True)``).

    Example:
        >>> import layerkit_backend as lb, layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> acc = lb.shared(0.0, name='acc')
        >>> f = lb.function([x], x.sum(), updates=[(acc, acc + x.sum().astype(acc.dtype))])
        >>> float(f([1.0, 2.0]))
        3.0
    """
    if not isinstance(inputs, (list, tuple)):
        raise TypeError(f"function: inputs must be a list, received {type(inputs).__name__}")
    ins = [_as_in(x) for x in inputs]
    seen = set()
    for i in ins:
        if i.variable in seen:
            raise ValueError(f"function: input {i.variable} is listed twice")
        seen.add(i.variable)
    out_list, output_format = _normalise_outputs(outputs)
    output_borrow = []
    output_device = []
    out_vars = []
    for o in out_list:
        if isinstance(o, Out):
            output_borrow.append(o.borrow)
            output_device.append(bool(o.device_array or return_device_arrays))
            o = o.variable
        else:
            output_borrow.append(False)
            output_device.append(bool(return_device_arrays))
        if not isinstance(o, Variable):
            o = as_tensor_variable(o)
        out_vars.append(o)
    update_pairs = [(s, _check_update(s, v)) for s, v in _normalise_updates(updates)]
    updated = [s for s, _ in update_pairs]
    if len(set(updated)) != len(updated):
        dup = next(s for s in updated if updated.count(s) > 1)
        raise ValueError(f"function: shared variable {dup} is updated twice")
    in_vars = [i.variable for i in ins]
    given_pairs = list(givens.items()) if isinstance(givens, dict) else [tuple(g) for g in givens or []]
    given_pairs = [(k, as_tensor_variable(v) if not isinstance(v, Variable) else v) for k, v in given_pairs]
    for k, v in given_pairs:
        if k.type.ndim != v.type.ndim or getattr(k.type, "dtype", None) != getattr(v.type, "dtype", None):
            raise TypeError(f"givens: {v} of type {v.type} cannot replace {k} of type {k.type}")

    def apply_givens(vs):
        return clone_replace(vs, dict(given_pairs)) if given_pairs else vs

    out_vars = apply_givens(out_vars)
    update_values = apply_givens([v for _, v in update_pairs])

    # Default updates (e.g. random streams' state) of shared variables the graph reads.
    if no_default_updates is not True:
        skip = set(no_default_updates or ()) | set(updated)
        changed = True
        while changed:
            changed = False
            for v in ancestors(out_vars + update_values):
                if isinstance(v, SharedVariable) and v not in skip and v.default_update is not None:
                    skip.add(v)
                    updated.append(v)
                    update_values.append(apply_givens([_check_update(v, v.default_update)])[0])
                    changed = True

    in_updates = [apply_givens([as_tensor_variable(i.update)])[0] for i in ins if i.update is not None]
    for i, value in zip([i for i in ins if i.update is not None], in_updates):
        if value.type != i.variable.type and not i.variable.type.is_super(value.type):
            raise TypeError(f"In({i.variable}, update=...): the update has type {value.type}, expected "
                            f"{i.variable.type}")
    all_outputs = out_vars + update_values + in_updates
    shared_vars = []
    for v in graph_inputs(all_outputs):
        if isinstance(v, SharedVariable) and v not in in_vars and v not in shared_vars:
            shared_vars.append(v)
        elif not isinstance(v, (Constant, SharedVariable)) and v not in in_vars:
            user = next((o for o in all_outputs if v in ancestors([o])), None)
            raise MissingInputError(
                f"function: the graph needs the input {v} (type {v.type}) to compute {user}, but it is not in "
                f"the inputs list; add it to inputs or replace it with givens=")
    for s in updated:
        if s not in shared_vars:
            shared_vars.append(s)

    on_unused_input = on_unused_input or config.on_unused_input
    if on_unused_input != "ignore":
        used = set(depends_on(all_outputs))  # as the user wrote the graph, before any simplification
        for k, v in enumerate(in_vars):
            if v not in used:
                msg = (f"function: input {k} ({v}) is not needed to compute the outputs; pass "
                       f"on_unused_input='ignore' to allow this")
                if on_unused_input == "raise":
                    raise UnusedInputError(msg)
                warnings.warn(msg, stacklevel=2)

    fgraph = FunctionGraph(in_vars + shared_vars, all_outputs, clone=True)
    fgraph.update_mapping = {len(out_vars) + k: len(in_vars) + shared_vars.index(s) for k, s in enumerate(updated)}
    mode_obj = get_mode(mode)
    device_name = resolve_device(device or mode_obj.device)
    xp = get_xp(device_name)  # first: a GPU that cannot be used fails before the rewrites run
    if mode_obj.optimizer is not None:
        rewrite_graph(fgraph, excluding=mode_obj.excluded)
    if xp.is_gpu:
        from ..backends.cupy_backend import warn_float64

        warn_float64(fgraph, f"function {name!r}" if name else "function")
    maker = FunctionMaker(fgraph, ins, out_list, mode_obj)
    specs = [_InputSpec(i, allow_input_downcast) for i in ins]
    fn = Function(maker, specs, len(ins), output_borrow + [False] * (len(update_values) + len(in_updates)), updated,
                  shared_vars, output_format, name, xp, mode_obj.nan_guard,
                  output_device=output_device if xp.is_gpu else None, device=device_name)
    fn.trust_input = trust_input
    return fn
