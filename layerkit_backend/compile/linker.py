"""The linker: turn a rewritten FunctionGraph into one generated Python function.

The generated source (``Function.source``) reads the inputs, checks them, calls each node's thunk in topological
order, drops intermediates after their last use, copies outputs that would alias inputs, shared storage or
constants, and only then writes the updates into the shared containers: a call that raises changes nothing, and
the writes (the commit) complete even if Ctrl-C arrives meanwhile (compile/interrupts.py). All storage is local to
the call; calls touching the same shared variables are serialised by their lock group (compile/shared_locks.py).
"""
import numpy as np

from ..graph.basic import Constant
from ..tensor.type import TensorType
from .interrupts import enter_commit, exit_commit

__all__ = ["link", "alias_root"]


def alias_root(var, memo):
    """The variable whose buffer ``var`` may share (through view_map/destroy_map): itself if it owns one."""
    if var in memo:
        return memo[var]
    root = var
    node = var.owner
    if node is not None:
        op = node.op
        src = op.view_map.get(var.index) or op.destroy_map.get(var.index)
        if src:
            root = alias_root(node.inputs[src[0]], memo)
    memo[var] = root
    return root


def _input_check(k, var):
    """A generated line that sends an input to its (slow, thorough) filter unless it is exactly right."""
    t = var.type
    conds = [f"i{k}.__class__ is not _ndarray", f"i{k}.dtype is not _dt{k}", f"i{k}.ndim != {t.ndim}"]
    conds += [f"i{k}.shape[{d}] != {s}" for d, s in enumerate(t.shape) if s is not None]
    return f"    if {' or '.join(conds)}: i{k} = _filter{k}(i{k})"


def return_line(results, output_format, ns):
    """The generated ``return`` of a call path: the output names ``results`` as a single value, a list, nothing or a
    dict (``output_format``: 'single', 'list', 'none' or the dict's keys, which go into ``ns``)."""
    if output_format == "single":
        return f"    return {results[0]}"
    if output_format == "list":
        return f"    return [{', '.join(results)}]"
    if output_format == "none":
        return "    return []"
    ns["_keys"] = output_format
    return f"    return dict(zip(_keys, ({', '.join(results)},)))"


def link(fgraph, n_inputs, input_specs, output_borrow, update_containers, shared_containers, xp, output_format,
         nan_guard=False, output_device=None, thunks=None, order=None):
    """Compile ``fgraph`` into ``(fn, source, namespace, order)``.

    ``fgraph.inputs`` are the user inputs followed by the shared variables (whose containers are
    ``shared_containers``); ``fgraph.outputs`` are the user outputs followed by one update value per entry of
    ``update_containers``. On a GPU, user outputs come back as NumPy copies except where ``output_device[k]``;
    update values stay on the device. ``thunks`` maps nodes to the thunks to call instead of their op's (the
    native tier's kernels, compile/tiers.py); ``order``, the order an earlier link of this graph returned, saves
    sorting it again.
    """
    from ..backends import on_device, to_host

    ns = {"_ndarray": xp.ndarray, "_asarray": xp.asarray, "_copy": _copier(xp), "_on_device": on_device,
          "_to_host": to_host, "_to_device": xp.from_host}
    names = {}
    lines = []
    args = []
    for k, var in enumerate(fgraph.inputs[:n_inputs]):
        names[var] = f"i{k}"
        args.append(f"i{k}")
        ns[f"_filter{k}"] = input_specs[k].make_filter(xp)
        if isinstance(var.type, TensorType):
            ns[f"_dt{k}"] = var.type.np_dtype
            lines.append(_input_check(k, var))
        else:  # another type (e.g. a random state) is checked by its own filter
            lines.append(f"    i{k} = _filter{k}(i{k})")
    for k, (var, cont) in enumerate(zip(fgraph.inputs[n_inputs:], shared_containers)):
        names[var] = f"s{k}"
        ns[f"_c{k}"] = cont
        lines.append(f"    s{k} = _c{k}.value")
        if isinstance(var.type, TensorType):
            # A value lives where a GPU function last needed it: a GPU function moves a host value over once; a CPU
            # function reads a device value through a copy.
            lines.append(f"    if s{k}.__class__ is not _ndarray and _on_device(s{k}): s{k} = _to_host(s{k})"
                         if not xp.is_gpu else
                         f"    if s{k}.__class__ is not _ndarray: s{k} = _c{k}.value = _to_device(s{k})")

    # Nodes that overwrite an input's buffer (a shared variable's in-place update) run last: after every other
    # node has read the old value and after the outputs are taken.
    memo = {}
    inputs = set(fgraph.inputs)
    order = fgraph.toposort() if order is None else list(order)
    final = [n for n in order if any(alias_root(n.inputs[i], memo) in inputs for i in _destroyed(n))]
    order = [n for n in order if n not in final] + final
    destroyed = {alias_root(n.inputs[i], memo) for n in final for i in _destroyed(n)}
    outputs = fgraph.outputs
    last_use = {}
    for pos, node in enumerate(order):
        for inp in node.inputs:
            last_use[inp] = pos
    keep = set(outputs) | set(fgraph.inputs)
    consts = []

    def name_of(var):
        if var not in names:
            if not isinstance(var, Constant):
                raise AssertionError(f"linker: {var} is used before it is computed")
            names[var] = f"c{len(consts)}"
            ns[names[var]] = xp.asarray(var.data) if xp.is_gpu else var.data
            consts.append(var)
        return names[var]

    def emit(pos, node):
        in_names = [name_of(inp) for inp in node.inputs]
        ns[f"t{pos}"] = thunks[node] if thunks is not None and node in thunks else node.op.make_thunk(node, xp)
        ns[f"n{pos}"] = node
        out_names = []
        for j, out in enumerate(node.outputs):
            names[out] = f"v{pos}_{j}" if len(node.outputs) > 1 else f"v{pos}"
            out_names.append(names[out])
        target = ", ".join(out_names) + ("," if len(out_names) == 1 and len(node.outputs) > 1 else "")
        lines.append(f"    {target} = t{pos}({', '.join(in_names)})")
        if nan_guard:
            lines.append(f"    _guard(n{pos}, ({', '.join(out_names)},), ({', '.join(in_names)},))")
        dead = sorted({names[i] for i in node.inputs if last_use.get(i) == pos and i not in keep
                       and not isinstance(i, Constant)})
        dead += [names[o] for o in node.outputs if o not in last_use and o not in keep]
        if dead:
            lines.append(f"    del {', '.join(dead)}")

    n_body = len(order) - len(final)
    for pos in range(n_body):
        emit(pos, order[pos])
    if nan_guard:
        from .nanguardmode import guard

        ns["_guard"] = nan_guard if callable(nan_guard) else guard  # a Mode may bring its own per-node check

    # Outputs that would alias something the caller or a later call could see get a copy.
    protected = {alias_root(v, memo) for v in fgraph.inputs}
    final_outputs = {o for n in final for o in n.outputs}
    n_out = len(outputs) - len(update_containers)
    seen_roots = set()
    out_exprs = []
    for k, var in enumerate(outputs):
        if var in final_outputs:
            out_exprs.append(None)  # computed below, by the node that writes in place
            continue
        expr = name_of(var)
        root = alias_root(var, memo)
        is_update = k >= n_out
        needs_copy = isinstance(root, Constant) or root in seen_roots or root in destroyed
        if root in protected:
            # An update may keep its own shared value, but never take a caller's array or another shared
            # variable's (two containers never share a buffer, so one can be updated in place); a returned output
            # never exposes shared storage or an input.
            own = is_update and fgraph.update_mapping.get(k) is not None \
                and alias_root(fgraph.inputs[fgraph.update_mapping[k]], memo) is root
            needs_copy = needs_copy or not own
        if not is_update and output_borrow[k] and not isinstance(root, Constant) and root not in protected:
            needs_copy = False
        seen_roots.add(root)
        if output_device is not None and not is_update and not output_device[k] \
                and isinstance(var.type, TensorType):
            # a fresh host array: no copy needed (0-d results may be scalars: made arrays on the device first)
            expr = f"_to_host(_asarray({expr}))" if var.type.ndim == 0 else f"_to_host({expr})"
        elif needs_copy:
            expr = f"_copy({expr})"
        elif getattr(var.type, "ndim", None) == 0:  # (non-tensor types, e.g. random states, have no ndim)
            expr = f"_asarray({expr})"  # array modules return 0-d results as scalars
        out_exprs.append(expr)
        lines.append(f"    _out{k} = {expr}")
    # Every in-place writer checks its inputs before any of them writes, so a failing call changes nothing.
    for pos in range(n_body, len(order)):
        node = order[pos]
        ns[f"_check{pos}"] = node.op.make_check(node, xp)
        lines.append(f"    _check{pos}({', '.join(name_of(i) for i in node.inputs)})")
    commit_start = len(lines)   # from here on shared state is written: all of it, or (if this raises) none
    for pos in range(n_body, len(order)):
        emit(pos, order[pos])
    for k, var in enumerate(outputs):
        if out_exprs[k] is None:
            to_host_here = output_device is not None and k < n_out and not output_device[k] \
                and isinstance(var.type, TensorType)
            lines.append(f"    _out{k} = _to_host({names[var]})" if to_host_here else f"    _out{k} = {names[var]}")
    for k, cont in enumerate(update_containers):
        ns[f"_u{k}"] = cont
        lines.append(f"    _u{k}.value = _out{n_out + k}")
    if final or update_containers:
        ns["_enter_commit"], ns["_exit_commit"] = enter_commit, exit_commit
        lines[commit_start:] = (["    _enter_commit()", "    try:"] + ["    " + line for line in lines[commit_start:]]
                                + ["    finally:", "        _exit_commit()"])
    lines.append(return_line([f"_out{k}" for k in range(n_out)], output_format, ns))
    source = f"def compiled_function({', '.join(args)}):\n" + "\n".join(lines) + "\n"
    exec(compile(source, "<layerkit_backend compiled function>", "exec"), ns)
    fn = ns["compiled_function"]
    if xp.is_gpu:
        fn = _on_gpu(fn, xp.device)
    return fn, source, ns, order


def _on_gpu(fn, device):
    """``fn`` running with ``device`` current, so its arrays and kernels land on the function's GPU."""
    def on_device(*args):
        with device:
            return fn(*args)

    return on_device


def _destroyed(node):
    return [i for ins in node.op.destroy_map.values() for i in ins]


def _copier(xp):
    def copy(v):
        return xp.array(v, copy=True)

    return copy
