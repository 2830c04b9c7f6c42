"""``scan``: normalise Theano's arguments, trace the step function once into an inner graph, build the Scan node.

The step is called with fresh placeholder variables; everything else it reads (shared variables, outer symbolic
variables) becomes an explicit non-sequence of the node, so the inner graph is closed and can be compiled alone.
Shared variables the step updates (its returned updates, and the default updates of random streams drawn inside)
become states carried from step to step; their final values are the returned updates.
"""
import inspect
from collections import OrderedDict

from ..compile.sharedvalue import SharedVariable
from ..graph.basic import Constant, Variable
from ..graph.traversal import ancestors, clone_replace, graph_inputs
from ..tensor import math as M
from ..tensor.basic import cast
from ..tensor.shape import expand_dims
from ..tensor.type import TensorType
from ..tensor.variable import as_tensor_variable, constant
from .op import Scan, ScanInner, static_steps

__all__ = ["scan", "until", "Until"]


class Until:
    """The stopping condition of a while-loop, returned by the step function: ``until(x > 10)``."""

    def __init__(self, condition):
        self.condition = as_tensor_variable(condition)
        if self.condition.ndim != 0:
            raise TypeError(f"until: the condition must be a scalar, received {self.condition.type}")


def until(condition):
    """Mark ``condition`` as the stopping condition of a scan step (the loop stops after the step that makes it
    true). Example: ``return x * 2, until(x * 2 > 100)``."""
    return Until(condition)


def _as_list(x):
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _as_var(x):
    return x if isinstance(x, Variable) else as_tensor_variable(x)


def _placeholder(type_, name):
    v = type_.make_variable(name)
    return v


def _is_update_pairs(x):
    return isinstance(x, (list, tuple)) and len(x) > 0 and all(
        isinstance(p, (list, tuple)) and len(p) == 2 and isinstance(p[0], SharedVariable) for p in x)


def _split_step_result(result, where):
    """(outputs, updates, condition) from whatever the step returned, in any of Theano's orders."""
    outputs, updates, condition = [], OrderedDict(), None
    parts = list(result) if isinstance(result, tuple) or (isinstance(result, list) and any(
        isinstance(r, (dict, Until)) or _is_update_pairs(r) for r in result)) else [result]
    if len(parts) == 1 and isinstance(parts[0], (list, tuple)) and not _is_update_pairs(parts[0]):
        parts = [list(parts[0])] if not any(isinstance(r, (dict, Until)) for r in parts[0]) else list(parts[0])
    rest = []
    for p in parts:
        if isinstance(p, dict):
            updates.update(p)
        elif _is_update_pairs(p):
            updates.update(OrderedDict(p))
        elif isinstance(p, Until):
            if condition is not None:
                raise ValueError(f"{where}: the step returned two until() conditions")
            condition = p.condition
        elif p is not None:
            rest.append(p)
    if len(rest) == 1 and isinstance(rest[0], (list, tuple)):
        rest = list(rest[0])
    outputs = rest
    return outputs, updates, condition


def _normalise_sequences(sequences, go_backwards, where):
    """[(outer slice, inner placeholder)] and the step counts the sequences allow (symbolic, static)."""
    pairs, lengths, static = [], [], []
    for k, s in enumerate(_as_list(sequences)):
        if isinstance(s, dict):
            if "input" not in s:
                raise ValueError(f"{where}: sequence {k} is a dict without 'input'")
            x, taps = s["input"], list(s.get("taps", [0]) or [0])
        else:
            x, taps = s, [0]
        x = _as_var(x)
        if x.ndim == 0:
            raise ValueError(f"{where}: sequence {k} ({x}) is a scalar; sequences must have a leading time axis")
        if go_backwards:
            x = x[::-1]
        lo, hi = min(taps), max(taps)
        for tap in taps:
            end = tap - hi
            sl = x[tap - lo:end] if end else x[tap - lo:] if tap != lo else x
            pairs.append((sl, _placeholder(TensorType(x.dtype, x.type.shape[1:]),
                                           f"{x.name or f'seq{k}'}[t{tap:+d}]" if tap else x.name)))
        lengths.append(x.shape[0] - (hi - lo) if hi != lo else x.shape[0])
        size = x.type.shape[0]
        static.append(None if size is None else max(size - (hi - lo), 0))
    return pairs, lengths, static


def _normalise_outputs_info(outputs_info, where):
    """An _Entry (initial value, taps) per output; None for outputs that are not fed back."""
    entries = []
    for k, info in enumerate(_as_list(outputs_info)):
        if isinstance(info, dict):
            init = info.get("initial")
            if init is None:
                if info.get("taps"):
                    raise ValueError(f"{where}: outputs_info[{k}] has taps but no 'initial' value")
                entries.append(None)
                continue
            taps = list(info.get("taps", [-1]) or [-1])
        elif info is None:
            entries.append(None)
            continue
        else:
            init, taps = info, [-1]
        if any(t >= 0 for t in taps):
            raise ValueError(f"{where}: outputs_info[{k}] taps must be negative (past steps), received {taps}")
        entries.append(_Entry(_as_var(init), taps, dict_form=isinstance(info, dict)))
    return entries


def scan(fn, sequences=None, outputs_info=None, non_sequences=None, n_steps=None, truncate_gradient=-1,
         go_backwards=False, mode=None, name=None, strict=False, return_list=False):
    """Loop ``fn`` over ``sequences`` and past outputs (Theano's ``scan``), returning ``(outputs, updates)``.

    Args:
        fn: called once per step with, in order, the sequence slices (one per tap), the past outputs (one per tap
            of each fed-back output) and the non-sequences; returns the new outputs, optionally with an updates
            dict and/or ``until(condition)``.
        sequences: tensors iterated over their first axis, or ``dict(input=x, taps=[-1, 0, 2])``.
        outputs_info: per output: an initial value (tap -1), ``dict(initial=x0, taps=[-2, -1])`` (x0 has
            2 leading rows), or None (the output is not fed back).
        non_sequences: values passed unchanged to every step (shared variables the step reads are found
            automatically).
        n_steps: the number of steps (with sequences: at most that many).
        truncate_gradient: backpropagate through at most this many steps (-1: all).
        go_backwards: iterate over the sequences from the end.
        strict: refuse shared variables the step reads without their being listed in ``non_sequences``.

    Returns:
        ``(outputs, updates)``: each output stacks the per-step values (shape ``(n_steps,) + state shape``), a
        single variable when there is one output (unless ``return_list``); ``updates`` is an OrderedDict to pass
        to ``function(..., updates=updates)``.

    Example:
        >>> import numpy as np, layerkit_backend as lb, layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> s, _ = scan(lambda v, acc: acc + v, sequences=x, outputs_info=T.constant(0.0))
        >>> lb.function([x], s)(np.array([1.0, 2.0, 3.0])).tolist()
        [1.0, 3.0, 6.0]
    """
    fname = name or getattr(fn, "__name__", "fn")
    where = f"scan (step function {fname!r})"
    seq_pairs, lengths, static_lengths = _normalise_sequences(sequences, go_backwards, where)
    entries = _normalise_outputs_info(outputs_info, where)
    explicit_nonseqs = [_as_var(v) for v in _as_list(non_sequences)]
    n_steps_var, n_static = _steps(n_steps, lengths, static_lengths, where)

    overrides = {}
    for _attempt in range(2):
        traced = _trace(fn, seq_pairs, entries, explicit_nonseqs, overrides, where, strict)
        if isinstance(traced, dict):  # weak initial values whose dtype must follow the step: trace again
            overrides = traced
            continue
        break
    else:
        raise AssertionError("scan: tracing did not settle")
    (state_bufs, state_ph, state_outs, nit_outs, nit_index, state_index, upd_shared, upd_ph, upd_outs, cond,
     nonseq_outer, nonseq_ph) = traced

    inner_inputs = [ph for _, ph in seq_pairs] + [p for ps in state_ph for p in ps] + upd_ph + nonseq_ph
    inner_outputs = state_outs + nit_outs + upd_outs + ([cond] if cond is not None else [])
    inner = ScanInner(inner_inputs, inner_outputs, fname)
    op = Scan(inner, len(seq_pairs), [e.taps for e in entries if e is not None], len(nit_outs), len(upd_shared),
              len(nonseq_outer), as_while=cond is not None, truncate_gradient=int(truncate_gradient), name=name,
              mode=mode)
    outer = [n_steps_var] + [sl for sl, _ in seq_pairs] + state_bufs + upd_shared + nonseq_outer
    results = op(*outer)
    results = results if isinstance(results, list) else [results]
    user = [None] * (len(state_index) + len(nit_index))
    for k, pos in enumerate(state_index):
        user[pos] = results[k][op.mintaps[k]:]
    for j, pos in enumerate(nit_index):
        user[pos] = results[len(state_bufs) + j]
    updates = OrderedDict(zip(upd_shared, results[len(state_bufs) + len(nit_outs):]))
    # A random stream drawn inside the step has a default update made of step variables, which no outer function
    # could compute: its default update becomes the loop's final state, so a function compiled without
    # updates=updates still advances the stream as the loop did.
    step_vars = {ph for _, ph in seq_pairs} | {p for ps in state_ph for p in ps}
    for s, final in updates.items():
        if s.default_update is not None and any(v in step_vars for v in ancestors([s.default_update])):
            s.default_update = final
    for v in user:
        v.name = f"{fname}_out" if v.name is None else v.name
    if return_list:
        return user, updates
    if not user:
        return None, updates
    return (user[0] if len(user) == 1 else user), updates


class _Entry:
    def __init__(self, init, taps, dict_form):
        self.init, self.taps, self.dict_form = init, taps, dict_form


def _steps(n_steps, lengths, static_lengths, where):
    """The symbolic int64 step count (and its static value) from n_steps and the sequence lengths."""
    if n_steps is None and not lengths:
        raise ValueError(f"{where}: give n_steps or at least one sequence (the number of steps is unknown)")
    candidates, statics = list(lengths), list(static_lengths)
    if n_steps is not None:
        n = _as_var(n_steps)
        if n.ndim != 0 or not n.dtype.startswith(("int", "uint")):
            raise TypeError(f"{where}: n_steps must be an integer scalar, received {n.type}")
        value = static_steps(n)
        if value is not None and value < 0:
            raise ValueError(f"{where}: n_steps={value} is negative; Theano's scan rejects it as well. Use "
                             f"go_backwards=True to loop in reverse")
        candidates.append(n)
        statics.append(value)
    if None not in statics:
        value = min(statics)
        return constant(value, dtype="int64"), value
    out = cast(candidates[0], "int64")
    for c in candidates[1:]:
        out = M.minimum(out, cast(c, "int64"))
    return out, None


def _trace(fn, seq_pairs, entries, explicit_nonseqs, overrides, where, strict=False):
    """Call ``fn`` on placeholders and close its graph; a dict {output index: dtype} asks for a retrace."""
    state_bufs, state_ph, state_types, state_index, nit_index = [], [], [], [], []
    for k, e in enumerate(entries):
        if e is None:
            nit_index.append(k)
            continue
        init = cast(e.init, overrides[k]) if k in overrides else e.init
        buf, phs, step_type = _setup_state(init, e, k, where)
        state_bufs.append(buf)
        state_ph.append(phs)
        state_types.append(step_type)
        state_index.append(k)
    # Non-sequences reach the step as themselves (as in Theano), so the step may differentiate through them
    # (``grad(y[i], x)`` with y and x non-sequences); they are replaced by placeholders once traced.
    args = [ph for _, ph in seq_pairs] + [p for ps in state_ph for p in ps] + explicit_nonseqs
    _check_arity(fn, args, len(seq_pairs), sum(len(p) for p in state_ph), where)
    outputs, updates, cond = _split_step_result(fn(*args), where)
    if entries and len(outputs) != len(entries):
        raise ValueError(f"{where}: the step returned {len(outputs)} outputs but outputs_info describes "
                         f"{len(entries)}")
    if not entries:
        nit_index = list(range(len(outputs)))
    outputs = [_as_var(o) for o in outputs]
    retrace = {}
    for k, pos in enumerate(state_index):
        out, want = outputs[pos], state_types[k]
        if isinstance(out.type, TensorType) and out.dtype != want.dtype:
            if getattr(out.tag, "weak", False):
                outputs[pos] = out = cast(out, want.dtype)
            elif getattr(entries[pos].init.tag, "weak", False) and pos not in overrides:
                retrace[pos] = out.dtype
                continue
            else:
                raise TypeError(f"{where}: output {pos} has dtype {out.dtype} but its initial value (outputs_info"
                                f"[{pos}]) has dtype {want.dtype}; the step must keep the dtype of its state. Cast "
                                f"one of them, e.g. return new_state.astype('{want.dtype}') or pass outputs_info "
                                f"cast to '{out.dtype}'")
        if out.ndim != want.ndim:
            raise TypeError(f"{where}: output {pos} has {out.ndim} dimensions ({out.type}) but its initial value "
                            f"has {want.ndim} ({want}); they must match")
        for d, (a, b) in enumerate(zip(out.type.shape, want.shape)):
            if a is not None and b is not None and a != b:
                raise ValueError(f"{where}: output {pos} has static shape {out.type.shape} but its initial value "
                                 f"has {want.shape} (dimension {d} differs)")
    if retrace:
        return retrace
    # Updated shared variables, with the default updates of random streams drawn inside the step.
    upd = OrderedDict()
    for s, v in updates.items():
        if not isinstance(s, SharedVariable):
            raise TypeError(f"{where}: the step's updates must have shared variables as keys, received {s}")
        upd[s] = _update_value(s, v, where)
    changed = True
    while changed:
        changed = False
        for v in ancestors(outputs + list(upd.values()) + ([cond] if cond is not None else [])):
            if isinstance(v, SharedVariable) and v not in upd and v.default_update is not None:
                upd[v] = v.default_update
                changed = True
    upd_shared = list(upd)
    upd_ph = [_placeholder(s.type, s.name) for s in upd_shared]
    state_outs = [outputs[pos] for pos in state_index]
    nit_outs = [outputs[pos] for pos in nit_index]
    everything = state_outs + nit_outs + list(upd.values()) + ([cond] if cond is not None else [])
    nonseq_outer = []
    for v in explicit_nonseqs:
        if not isinstance(v, SharedVariable) and v not in nonseq_outer and v not in upd:
            nonseq_outer.append(v)
    nonseq_ph = [_placeholder(v.type, v.name) for v in nonseq_outer]
    replace = dict(zip(upd_shared, upd_ph))
    replace.update(zip(nonseq_outer, nonseq_ph))
    everything = clone_replace(everything, replace) if replace else everything
    # Every other free variable the step reads (shared variables, outer inputs) becomes a non-sequence.
    known = {ph for _, ph in seq_pairs} | {p for ps in state_ph for p in ps} | set(upd_ph) | set(nonseq_ph)
    extra = [v for v in graph_inputs(everything) if v not in known and not isinstance(v, Constant)]
    hidden = [v for v in extra if isinstance(v, SharedVariable) and v not in explicit_nonseqs]
    if strict and hidden:
        raise ValueError(f"{where}: strict=True but the step reads the shared variables "
                         f"{[str(v) for v in hidden]} without their being in non_sequences")
    extra_ph = [_placeholder(v.type, v.name) for v in extra]
    if extra:
        everything = clone_replace(everything, dict(zip(extra, extra_ph)))
    nonseq_outer += extra
    nonseq_ph += extra_ph
    n_s, n_n, n_u = len(state_outs), len(nit_outs), len(upd_shared)
    state_outs, nit_outs = everything[:n_s], everything[n_s:n_s + n_n]
    upd_outs = everything[n_s + n_n:n_s + n_n + n_u]
    cond = everything[-1] if cond is not None else None
    for j, out in enumerate(nit_outs):
        if not isinstance(out.type, TensorType):
            raise TypeError(f"{where}: output {nit_index[j]} must be a tensor, received {out.type}")
    return (state_bufs, state_ph, state_outs, nit_outs, nit_index, state_index, upd_shared, upd_ph, upd_outs,
            cond, nonseq_outer, nonseq_ph)


def _setup_state(init, entry, k, where):
    m = max(-t for t in entry.taps)
    if not entry.dict_form and entry.taps == [-1]:
        return expand_dims(init, 0), [_placeholder(init.type, f"{init.name or f'out{k}'}[t-1]")], init.type
    if init.ndim == 0:
        raise ValueError(f"{where}: outputs_info[{k}] with taps {entry.taps} needs an initial value with a leading "
                         f"axis of {m} past steps, received a scalar")
    size = init.type.shape[0]
    if size is not None and size < m:
        raise ValueError(f"{where}: outputs_info[{k}] with taps {entry.taps} needs {m} initial rows, received "
                         f"{size}")
    buf = init if size == m else init[-m:]
    step_type = TensorType(init.dtype, init.type.shape[1:])
    name = init.name or f"out{k}"
    return buf, [_placeholder(step_type, f"{name}[t{t}]") for t in entry.taps], step_type


def _check_arity(fn, args, n_seq, n_taps, where):
    try:
        inspect.signature(fn).bind(*args)
    except TypeError as err:
        raise TypeError(f"{where}: the step function is called with {len(args)} arguments ({n_seq} sequence "
                        f"slices, {n_taps} past outputs, {len(args) - n_seq - n_taps} non-sequences) but does not "
                        f"accept them: {err}") from None
    except ValueError:  # no signature (a builtin): let the call itself complain
        pass


def _update_value(s, v, where):
    if not isinstance(s.type, TensorType):
        return v
    v = _as_var(v)
    if v.dtype != s.dtype:
        if getattr(v.tag, "weak", False) or v.owner is None and isinstance(v, Constant):
            return cast(v, s.dtype)
        raise TypeError(f"{where}: update of shared variable {s.name or s} has dtype {v.dtype}, expected "
                        f"{s.dtype} (cast it, e.g. new_value.astype('{s.dtype}'))")
    return v
