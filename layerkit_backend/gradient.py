"""Symbolic differentiation: ``grad`` walks the graph backwards once, calling each op's own ``grad`` rule.

Everything op-specific lives on the ops; this module only orders the walk, adds up contributions, and offers the
derived tools (Lop, Rop, jacobian, hessian, verify_grad) and the gradient-shaping ops (zero_grad, grad_clip...).
"""
import numpy as np

from .config import config
from .graph.basic import Apply, Op, Variable
from .graph.traversal import ancestors, clone_replace, io_toposort, note_depends_on
from .tensor.type import FLOAT_DTYPES, TensorType
from .tensor.variable import as_tensor_variable

__all__ = ["grad", "Lop", "Rop", "jacobian", "hessian", "verify_grad", "zero_grad", "disconnected_grad",
           "consider_constant", "grad_clip", "grad_scale", "grad_undefined", "grad_not_implemented", "undefined_grad",
           "subgraph_grad", "DisconnectedInputError",
           "NullTypeGradError", "GradientError", "numeric_grad"]


class DisconnectedInputError(ValueError):
    """``grad`` was asked for the gradient of a cost with respect to a variable it does not depend on."""


class NullTypeGradError(TypeError):
    """A gradient that is mathematically undefined (e.g. with respect to an integer index) was needed."""


class GradientError(AssertionError):
    """``verify_grad`` found that the symbolic gradient disagrees with finite differences."""

    def __init__(self, arg, abs_err, rel_err, abs_tol, rel_tol, where):
        super().__init__(f"gradient of input {arg} disagrees with finite differences: max abs error {abs_err:.3g} "
                         f"(tol {abs_tol:.3g}), max rel error {rel_err:.3g} (tol {rel_tol:.3g}) at index {where}")
        self.arg, self.abs_err, self.rel_err = arg, abs_err, rel_err


class _Undefined:
    """Marks a gradient that is undefined; using it raises NullTypeGradError with ``why``."""

    def __init__(self, why):
        self.why = why


def grad_undefined(op, index, x, comment=""):
    """For an op's grad rule: the gradient with respect to input ``index`` is mathematically undefined."""
    return _Undefined(f"{op}: gradient with respect to input {index} ({x}) is undefined. {comment}".strip())


def grad_not_implemented(op, x_pos, x, comment=""):
    """For an op's grad rule: the gradient with respect to input ``x_pos`` exists but is not implemented; a
    ``grad`` that needs it raises NullTypeGradError saying so."""
    return _Undefined(f"{op}: gradient with respect to input {x_pos} ({x}) is not implemented. {comment}".strip())


_ZERO = object()  # _backprop's mark for a wrt the outputs depend on with no gradient flowing (ints, shapes)


def _is_differentiable(v):
    return isinstance(v.type, TensorType) and v.type.dtype in FLOAT_DTYPES


def grad(cost, wrt, consider_constant=None, disconnected_inputs="raise", add_names=True, known_grads=None,
         return_disconnected="zero", null_gradients="raise"):
    """The gradient of the scalar ``cost`` with respect to ``wrt`` (a Variable or a list).

    Args:
        consider_constant: variables through which no gradient flows.
        disconnected_inputs: 'raise', 'warn' or 'ignore' when ``cost`` does not depend on an element of ``wrt``.
        known_grads: {variable: gradient} to start from (``cost`` may then be None).
        return_disconnected: for disconnected inputs, 'zero' (zeros_like), 'None', or 'Disconnected' (None).
        null_gradients: 'raise' or 'return' when a needed gradient is undefined.

    A variable that ``cost`` depends on only through integers or shapes (``grad(grad(x.sum(), x).sum(), x)``)
    has a zero gradient, not a disconnected one; for integer and boolean variables its dtype is floatX.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dscalar('x')
        >>> float(grad(x ** 2, x).eval({x: 3.0}))
        6.0
    """
    from .tensor import basic

    single = not isinstance(wrt, (list, tuple))
    wrt_list = [wrt] if single else list(wrt)
    for v in wrt_list:
        if not isinstance(v, Variable):
            raise TypeError(f"grad: wrt must be Variables, received {type(v).__name__}")
    if disconnected_inputs not in ("raise", "warn", "ignore"):
        raise ValueError(f"grad: disconnected_inputs must be 'raise', 'warn' or 'ignore', received "
                         f"{disconnected_inputs!r}")
    start = {}
    if cost is not None:
        cost = as_tensor_variable(cost)
        if cost.ndim != 0:
            raise TypeError(f"grad: cost must be a scalar, received {cost.type} (use Lop or jacobian)")
        if cost.dtype not in FLOAT_DTYPES:
            raise TypeError(f"grad: cost must be a float scalar, received dtype {cost.dtype}")
        start[cost] = basic.ones_like(cost)
    for var, g in (known_grads or {}).items():
        g = as_tensor_variable(g)
        if g.ndim != var.ndim:
            raise ValueError(f"grad: known gradient of {var} has {g.ndim} dims, expected {var.ndim}")
        start[var] = g
    if not start:
        raise ValueError("grad: give a cost or known_grads")
    grads = _backprop(start, wrt_list, set(consider_constant or ()))
    given = set(ancestors(list(start) + [g for var, g in start.items() if var is not cost] + wrt_list))
    results = []
    for v in wrt_list:
        g = grads.get(v)
        if isinstance(g, _Undefined):
            if null_gradients == "raise":
                raise NullTypeGradError(g.why)
            results.append(None)
            continue
        if g is _ZERO:
            results.append(basic.zeros_like(v, dtype=v.dtype if _is_differentiable(v) else config.floatX))
            continue
        if g is None:
            msg = f"grad: the cost does not depend on {v} (input {wrt_list.index(v)} of wrt)"
            if disconnected_inputs == "raise":
                raise DisconnectedInputError(msg + "; pass disconnected_inputs='ignore' to get zeros")
            if disconnected_inputs == "warn":
                import warnings

                warnings.warn(msg, stacklevel=2)
            if return_disconnected == "zero":
                results.append(basic.zeros_like(v, dtype=v.dtype if _is_differentiable(v) else config.floatX))
            else:
                results.append(None)
            continue
        if g in given:  # e.g. a known gradient passed through unchanged: return a new variable, not the user's
            g = basic.tensor_copy(g)
        if add_names and g.name is None and v.name is not None and cost is not None:
            g.name = f"(d{cost.name or 'cost'}/d{v.name})"
        results.append(g)
    # Theano's gradients read the cost (they start from ones_like(cost)); ours may not after simplification, but
    # the inputs the cost reads still count as used by a function that computes the gradient (a disconnected
    # input's zeros do not read the cost, in Theano either).
    sources = ([cost] if cost is not None else []) + list(known_grads or {})
    for v, g in zip(wrt_list, results):
        if g is not None and grads.get(v) is not None:
            note_depends_on(g, *sources)
    return results[0] if single else results


def _backprop(start, wrt, blocked):
    """Map each Variable in ``wrt`` to its gradient (a Variable, _Undefined, _ZERO, or None when disconnected).

    A variable in ``blocked`` (consider_constant) receives gradients but passes none on to its own inputs.
    """
    from .tensor import basic, math

    outputs = list(start)
    wrt_set = set(wrt)
    order = io_toposort(list(wrt_set), outputs)
    # Only nodes on a path from wrt to the outputs matter.
    depends = set(wrt_set)
    relevant = []
    for node in order:
        if any(i in depends for i in node.inputs) and not all(o in blocked for o in node.outputs):
            depends.update(o for o in node.outputs if o not in blocked)
            relevant.append(node)
    # Variables the outputs depend on at all, also through shapes and integers (but not through blocked variables
    # or disconnected_grad): when no gradient reaches one, it is zero rather than disconnected.
    alive = set(start)
    for node in reversed(order):
        if any(o in alive and o not in blocked for o in node.outputs) and not _stops_gradient(node.op):
            alive.update(node.inputs)
    contributions = {v: [g] for v, g in start.items()}

    def total(v):
        parts = contributions.get(v)
        if not parts:
            return None
        for p in parts:
            if isinstance(p, _Undefined):
                return p
        out = parts[0]
        for p in parts[1:]:
            out = math.add(out, p)
        return out

    for node in reversed(relevant):
        out_grads = [total(o) if o not in blocked else None for o in node.outputs]
        if all(g is None for g in out_grads):
            continue
        undefined = next((g for g in out_grads if isinstance(g, _Undefined)), None)
        if undefined is not None:
            for i in node.inputs:
                if i in depends:
                    contributions.setdefault(i, []).append(undefined)
            continue
        out_grads = [g if g is not None or not isinstance(o.type, TensorType)  # (e.g. a random state: None)
                     else basic.zeros_like(o, dtype=o.dtype if _is_differentiable(o) else config.floatX)
                     for g, o in zip(out_grads, node.outputs)]
        needed = [i in depends and _is_differentiable(i) for i in node.inputs]
        if not any(needed):
            continue
        input_grads = node.op.grad(list(node.inputs), out_grads)
        if len(input_grads) != len(node.inputs):
            raise ValueError(f"{node.op}.grad returned {len(input_grads)} gradients for {len(node.inputs)} inputs")
        for inp, g, need in zip(node.inputs, input_grads, needed):
            if not need or g is None:
                continue
            if not isinstance(g, _Undefined):
                g = as_tensor_variable(g)
                if g.ndim != inp.ndim:
                    raise ValueError(f"{node.op}.grad: gradient for {inp} has {g.ndim} dims, expected {inp.ndim}")
                if g.dtype != inp.dtype:
                    g = basic.cast(g, inp.dtype)
            contributions.setdefault(inp, []).append(g)
    grads = {v: total(v) if _is_differentiable(v) else None for v in wrt}
    return {v: _ZERO if g is None and v in alive else g for v, g in grads.items()}


def _stops_gradient(op):
    return isinstance(op, _GradShaper) and op.kind == "disconnected"


def Lop(f, wrt, eval_points, consider_constant=None, disconnected_inputs="raise"):
    """The vector-Jacobian product ``eval_points . d f / d wrt`` (f and eval_points may be lists)."""
    fs = f if isinstance(f, (list, tuple)) else [f]
    ps = eval_points if isinstance(eval_points, (list, tuple)) else [eval_points]
    if len(fs) != len(ps):
        raise ValueError(f"Lop: {len(fs)} outputs but {len(ps)} eval_points")
    known = {fi: as_tensor_variable(p) for fi, p in zip(fs, ps)}
    return grad(None, wrt, consider_constant=consider_constant, known_grads=known,
                disconnected_inputs=disconnected_inputs)


def Rop(f, wrt, eval_points, disconnected_outputs="raise", return_disconnected="zero"):
    """The Jacobian-vector product ``d f / d wrt . eval_points``.

    Computed as the gradient, with respect to a dummy ``u``, of ``Lop(f, wrt, u) . eval_points``: the Lop is linear
    in ``u``, so no op needs a forward-mode rule of its own.
    """
    single_f = not isinstance(f, (list, tuple))
    fs = [f] if single_f else list(f)
    wrts = wrt if isinstance(wrt, (list, tuple)) else [wrt]
    points = eval_points if isinstance(eval_points, (list, tuple)) else [eval_points]
    if len(wrts) != len(points):
        raise ValueError(f"Rop: {len(wrts)} wrt but {len(points)} eval_points")
    from .tensor import basic, reduce as R

    dummies = [fi.type() for fi in fs]
    lops = grad(None, wrts, known_grads=dict(zip(fs, dummies)), disconnected_inputs="ignore")
    inner = None
    for lop, p in zip(lops, points):
        term = R.sum(lop * as_tensor_variable(p))
        inner = term if inner is None else inner + term
    out = grad(inner, dummies, disconnected_inputs="ignore")
    # The result does not depend on the dummies' values but may read their shapes (e.g. SumToShape's ``like``):
    # zeros of f's shape give the same result and need no extra input.
    out = clone_replace(out, {u: basic.zeros_like(fi) for u, fi in zip(dummies, fs)})
    return out[0] if single_f else out


def jacobian(expression, wrt, consider_constant=None, disconnected_inputs="raise"):
    """The Jacobian of a vector ``expression`` with respect to ``wrt``: shape ``expression.shape + wrt.shape``.

    Row ``i`` is the vector-Jacobian product with the ``i``-th basis vector (a Lop): unrolled when the shape of
    ``expression`` is static, else one ``scan`` over the rows (as Theano computes it).

    Example:
        >>> import numpy as np
        >>> import layerkit_backend.tensor as T
        >>> x = T.tensor('float64', shape=(2,), name='x')
        >>> jacobian(x ** 2, x).eval({x: np.array([1.0, 3.0])}).tolist()
        [[2.0, 0.0], [0.0, 6.0]]
    """
    from .tensor import basic
    from .tensor.shape import shape_tuple
    from .tensor.variable import constant

    expression = as_tensor_variable(expression)
    single = not isinstance(wrt, (list, tuple))
    wrts = [wrt] if single else list(wrt)
    if expression.ndim == 0:
        out = grad(expression, wrts, consider_constant, disconnected_inputs)
        return out[0] if single else out
    sizes = expression.type.shape
    if any(s is None for s in sizes):
        return _jacobian_scan(expression, wrts, single, consider_constant, disconnected_inputs)
    n = int(np.prod(sizes, dtype=np.int64))
    rows = []
    for i in range(n):
        basis = np.zeros(n, dtype=expression.dtype)
        basis[i] = 1
        rows.append(grad(None, wrts, consider_constant, disconnected_inputs,
                         known_grads={expression: constant(basis.reshape(sizes))}))
    out = []
    for k, w in enumerate(wrts):
        stacked = basic.stack([r[k] for r in rows]) if n else basic.zeros((0,) + shape_tuple(w), dtype=w.dtype)
        if expression.ndim != 1:
            stacked = stacked.reshape(tuple(sizes) + shape_tuple(w), ndim=expression.ndim + w.ndim)
        out.append(stacked)
    return out[0] if single else out


def _jacobian_scan(expression, wrts, single, consider_constant, disconnected_inputs):
    """The Jacobian of an expression of unknown shape: a scan over its flattened elements."""
    from .scan_module import scan
    from .tensor.basic import arange
    from .tensor.shape import shape_tuple

    flat = expression.flatten()

    def row(i, flat, *ws):
        return [grad(flat[i], w, consider_constant, disconnected_inputs) for w in ws]

    rows, _ = scan(row, sequences=arange(flat.shape[0]), non_sequences=[flat] + wrts, name="jacobian",
                   return_list=True)
    out = [r if expression.ndim == 1 else r.reshape(shape_tuple(expression) + shape_tuple(w),
                                                    ndim=expression.ndim + w.ndim) for r, w in zip(rows, wrts)]
    return out[0] if single else out


def hessian(cost, wrt, consider_constant=None, disconnected_inputs="raise"):
    """The Hessian of a scalar ``cost`` with respect to each vector in ``wrt``."""
    single = not isinstance(wrt, (list, tuple))
    wrts = [wrt] if single else list(wrt)
    out = []
    for w in wrts:
        g = grad(cost, w, consider_constant, disconnected_inputs)
        # cost depends on w (or the line above raised): a gradient that no longer does means a zero Hessian
        out.append(jacobian(g, w, consider_constant, disconnected_inputs="ignore"))
    return out[0] if single else out


class _GradShaper(Op):
    """The identity forward; ``rule(x, g)`` shapes the gradient backward (zero_grad, grad_clip, grad_scale)."""

    __props__ = ("kind", "a", "b")
    view_map = {0: [0]}

    def __init__(self, kind, a=None, b=None):
        self.kind, self.a, self.b = kind, a, b

    def make_node(self, x):
        x = as_tensor_variable(x)
        return Apply(self, [x], [x.type()])

    def make_thunk(self, node, xp):
        return lambda x: x

    def perform(self, xp, node, inputs):
        return [inputs[0]]

    def grad(self, inputs, output_grads):
        from .tensor import basic, math

        (x,), (g,) = inputs, output_grads
        if self.kind == "zero":
            return [basic.zeros_like(g)]
        if self.kind == "disconnected":
            return [None]
        if self.kind == "clip":
            return [math.clip(g, self.a, self.b)]
        if self.kind == "undefined":
            return [_Undefined(f"the gradient through undefined_grad({x}) is undefined")]
        return [g * self.a]  # scale

    def connection_pattern(self, node):
        return [[self.kind != "disconnected"]]


def zero_grad(x):
    """``x`` unchanged forward, with a zero gradient backward."""
    return _GradShaper("zero")(x)


def disconnected_grad(x):
    """``x`` unchanged forward; backward, the graph behind it is treated as disconnected (a stop-gradient)."""
    return _GradShaper("disconnected")(x)


consider_constant = disconnected_grad


def undefined_grad(x):
    """``x`` unchanged forward; a gradient that flows through it is undefined (``grad`` raises
    NullTypeGradError), e.g. with respect to the bounds of a random draw."""
    return _GradShaper("undefined")(x)


def subgraph_grad(wrt, end, start=None, cost=None, details=False):
    """The gradients of ``cost`` (and of the known gradients ``start``, ``{variable: gradient}``) with respect to
    ``wrt`` and to ``end``, stopping at ``end``: backpropagation one subgraph at a time.

    Returns ``(wrt_grads, end_grads)``: feed ``dict(zip(end, end_grads))`` as ``start`` of the next subgraph down,
    and the gradients of all subgraphs add up to those of the whole.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dscalar('x'); h = x ** 2; y = h * 3
        >>> (g_h,), (g_x,) = subgraph_grad([h], [x], cost=y)
        >>> float(g_h.eval({x: 2.0}))
        3.0
    """
    if cost is None and not start:
        raise ValueError("subgraph_grad: give a cost or start gradients")
    params = list(wrt) + list(end)
    grads = grad(cost, params, consider_constant=list(end), known_grads=start, disconnected_inputs="ignore")
    wrt_grads, end_grads = grads[:len(wrt)], grads[len(wrt):]
    if details:
        return wrt_grads, end_grads, None, None
    return wrt_grads, end_grads


def grad_clip(x, lower_bound, upper_bound):
    """``x`` unchanged forward; its gradient is clipped to ``[lower_bound, upper_bound]`` backward."""
    return _GradShaper("clip", float(lower_bound), float(upper_bound))(x)


def grad_scale(x, multiplier):
    """``x`` unchanged forward; its gradient is multiplied by ``multiplier`` backward."""
    return _GradShaper("scale", float(multiplier))(x)


def numeric_grad(f, values, eps=None):
    """Central finite differences of the scalar function ``f(*values)`` for each array in ``values``."""
    grads = []
    for k, v in enumerate(values):
        v = np.array(v, dtype=np.float64 if v.dtype == np.float64 else v.dtype)
        step = eps or (1e-7 ** 0.5 if v.dtype == np.float64 else 1e-2)
        g = np.zeros(v.shape, dtype=np.float64)
        flat = v.reshape(-1)
        for i in range(flat.size):
            orig = flat[i]
            flat[i] = orig + step
            plus = float(f(*[v if j == k else values[j] for j in range(len(values))]))
            flat[i] = orig - step
            minus = float(f(*[v if j == k else values[j] for j in range(len(values))]))
            flat[i] = orig
            g.reshape(-1)[i] = (plus - minus) / (2 * step)
        grads.append(g)
    return grads


def verify_grad(fun, pt, n_tests=2, rng=None, eps=None, out_type=None, abs_tol=None, rel_tol=None, mode=None,
                cast_to_output_type=False, no_debug_ref=True):
    """Check the symbolic gradient of ``fun`` at the point ``pt`` (a list of arrays) against finite differences.

    ``fun`` maps symbolic inputs to a tensor output; the check uses a random projection of the output to a scalar,
    ``n_tests`` times. Raises GradientError naming the input and the worst element when they disagree.

    Example:
        >>> import numpy as np
        >>> import layerkit_backend.tensor as T
        >>> verify_grad(lambda x: T.tanh(x).sum(), [np.array([0.3, -1.2])], rng=np.random.default_rng(0))
    """
    from .compile.function import function
    from .tensor import reduce as R
    from .tensor.variable import constant

    rng = rng if rng is not None else np.random.default_rng(0)
    if hasattr(rng, "random_sample") and not hasattr(rng, "random"):
        rng.random = rng.random_sample
    pt = [np.array(p) for p in pt]
    for p in pt:
        if p.dtype not in (np.float32, np.float64):
            raise TypeError(f"verify_grad: points must be float arrays, received dtype {p.dtype}")
    inputs = [TensorType(p.dtype.name, (None,) * p.ndim)(f"input_{i}") for i, p in enumerate(pt)]
    out = as_tensor_variable(fun(*inputs))
    is_f32 = any(p.dtype == np.float32 for p in pt) or out.dtype == "float32"
    abs_tol = abs_tol if abs_tol is not None else (1e-2 if is_f32 else 1e-4)
    rel_tol = rel_tol if rel_tol is not None else (1e-2 if is_f32 else 1e-4)
    out_fn = function(inputs, out, mode=mode, on_unused_input="ignore")
    out_shape = np.shape(out_fn(*pt))
    for _ in range(n_tests):
        proj = rng.random(out_shape).astype(out.dtype) if out_shape else np.asarray(rng.random(), dtype=out.dtype)
        cost = R.sum(out * constant(proj, dtype=out.dtype))
        cost_fn = function(inputs, cost, mode=mode, on_unused_input="ignore")
        grad_fn = function(inputs, grad(cost, inputs, disconnected_inputs="ignore"), mode=mode,
                           on_unused_input="ignore")
        analytic = grad_fn(*pt)
        numeric = numeric_grad(lambda *v: cost_fn(*v), pt, eps)
        for i, (a, n) in enumerate(zip(analytic, numeric)):
            a = np.asarray(a, dtype=np.float64)
            abs_err = np.abs(a - n)
            rel_err = abs_err / np.maximum(np.abs(a) + np.abs(n), 1e-8)
            bad = ~((abs_err <= abs_tol) | (rel_err <= rel_tol))  # written so that a NaN error counts as bad
            if bad.any():
                where = np.unravel_index(int(np.argmax(np.where(bad, abs_err, -1))), a.shape) if a.ndim else ()
                raise GradientError(i, float(abs_err.max()), float(rel_err.max()), abs_tol, rel_tol, where)
