"""Elementwise ops over tensors (Elemwise), dimension shuffles (DimShuffle) and broadcasting's adjoint (SumToShape).

Broadcasting follows NumPy at run time, also for dimensions whose size is unknown when the graph is built; the
gradient of a broadcast input is summed back to the input's shape (statically when the shapes tell, else by
SumToShape at run time). So inputs with size-1 dimensions are always differentiated correctly.
"""
import numpy as np

from ..graph.basic import Apply, Op
from .type import FLOAT_DTYPES, TensorType
from .variable import TensorConstant, as_tensor_variable, constant

__all__ = ["Elemwise", "DimShuffle", "SumToShape", "broadcast_shapes_static", "sum_to_shape_of"]


def broadcast_shapes_static(shapes, where):
    """The static shape of broadcasting ``shapes`` (same length); raises ValueError when sizes surely clash."""
    out = []
    for dim, sizes in enumerate(zip(*shapes)):
        known = {s for s in sizes if s is not None and s != 1}
        if len(known) > 1:
            raise ValueError(f"{where}: cannot broadcast shapes {', '.join(_fmt(s) for s in shapes)} "
                             f"(dimension {dim} has sizes {sorted(known)})")
        if known:
            out.append(known.pop())
        elif all(s == 1 for s in sizes):
            out.append(1)
        else:
            out.append(None)
    return tuple(out)


def _fmt(shape):
    return "(" + ", ".join("?" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _adapt_weak(inputs):
    """Python numbers adopt the dtype of the tensors they meet: x_float32 * 2.0 stays float32."""
    strong = [v for v in inputs if not getattr(v.tag, "weak", False)]
    if not strong or len(strong) == len(inputs):
        return inputs
    from .scalar import upcast

    target = upcast(*[v.dtype for v in strong])
    out = []
    for v in inputs:
        if getattr(v.tag, "weak", False) and v.dtype != target:
            value = v.tag.python_value
            kind = v.data.dtype.kind
            tkind = "b" if target == "bool" else np.dtype(target).kind
            if kind == "f" and tkind in "iub":
                pass  # 2.5 * int_tensor: the float decides (it is already floatX)
            elif _fits(value, target):
                v = _weak_constant(value, target, v.data.shape)
            elif kind in "iu" and tkind in "iub":
                # bool + 1, int8 + 300: the smallest integer dtype holding the number joins in (Theano's rule)
                v = _weak_constant(value, _smallest_int(value), v.data.shape)
        out.append(v)
    return out


# Rows with no meaning for booleans, refused when the graph is built (as Theano does): negation, subtraction and
# sign of bools, and integer division or modulo of bools (always by zero or one).
_NO_BOOL_RESULT = frozenset({"neg", "sub", "sgn", "int_div", "mod"})
# Bitwise rows take integers, or bools with bools (logical): as Theano, a bool mixed with an int is refused.
_BITWISE = frozenset({"and_", "or_", "xor", "invert"})


def _smallest_int(value):
    return next(d for d in ("int8", "int16", "int32", "int64") if np.iinfo(d).min <= value <= np.iinfo(d).max)


def _weak_constant(value, dtype, shape):
    const = constant(np.asarray(value, dtype=dtype).reshape(shape))
    const.tag.weak, const.tag.python_value = True, value
    return const


def _fits(value, dtype):
    """Does the Python number ``value`` survive conversion to ``dtype`` (floats always do, up to rounding)?"""
    if dtype == "bool":
        return False
    if np.dtype(dtype).kind in "fc":
        return True
    try:
        return np.asarray(value).astype(dtype).item() == value
    except (OverflowError, ValueError):
        return False


class Elemwise(Op):
    """A ScalarOp applied elementwise, with NumPy broadcasting.

    ``inplace_pattern`` is a tuple of ``(output, input)`` pairs: that output is written into that input's buffer
    (set by the inplace rewrite on inputs nobody else reads).
    """

    __props__ = ("scalar_op", "inplace_pattern")

    def __init__(self, scalar_op, inplace_pattern=()):
        self.scalar_op = scalar_op
        self.inplace_pattern = tuple(inplace_pattern)
        self.destroy_map = {o: [i] for o, i in self.inplace_pattern}

    def __str__(self):
        if self.inplace_pattern:
            return f"{self.scalar_op.name}_inplace"
        return self.scalar_op.name

    def make_node(self, *inputs):
        op = self.scalar_op
        if len(inputs) != op.nin:
            raise TypeError(f"{op.name}: expected {op.nin} inputs, received {len(inputs)}")
        inputs = _adapt_weak([as_tensor_variable(x) for x in inputs])
        if op.dtype_rule == "float":
            out_dtype = op.output_dtype(*[x.dtype for x in inputs])
            inputs = [x if x.dtype == out_dtype else _cast(x, out_dtype) for x in inputs]
        ndim = max(x.ndim for x in inputs)
        inputs = [x if x.ndim == ndim else _pad_left(x, ndim) for x in inputs]
        shape = broadcast_shapes_static([x.type.shape for x in inputs], op.name)
        out_type = TensorType(op.output_dtype(*[x.dtype for x in inputs]), shape)
        if op.name in _BITWISE and (any(x.dtype.startswith("float") or x.dtype.startswith("complex") for x in inputs)
                                    or len({x.dtype == "bool" for x in inputs}) > 1):
            raise TypeError(f"{op.name}: expected integer tensors or bool tensors, not a mix or floats (received "
                            f"{', '.join(str(x.type) for x in inputs)}); cast them first")
        if out_type.dtype == "bool" and op.name in _NO_BOOL_RESULT:
            raise TypeError(f"{op.name}: not defined for bool tensors (received {', '.join(str(x.type) for x in inputs)}"
                            f"); cast them to an integer dtype first")
        return Apply(self, inputs, [out_type()])

    def make_thunk(self, node, xp):
        fn = self.scalar_op.make_call(xp, [x.dtype for x in node.inputs], node.outputs[0].dtype)
        if not self.inplace_pattern:
            return fn
        ((_, k),) = self.inplace_pattern

        def inplace(*args):
            try:
                return fn(*args, out=args[k])
            except ValueError:  # the input turned out smaller than the broadcast output: compute out of place
                return fn(*args)

        return inplace

    def grad(self, inputs, output_grads):
        (gz,) = output_grads
        out = self(*inputs) if not self.inplace_pattern else Elemwise(self.scalar_op)(*inputs)
        grads = self.scalar_op.grad(inputs, out, gz)
        result = []
        for x, g in zip(inputs, grads):
            if g is None or x.dtype not in FLOAT_DTYPES:
                result.append(None)
                continue
            if not hasattr(g, "type"):  # an undefined or not-implemented gradient (gradient.py's marker)
                result.append(g)
                continue
            g = sum_to_shape_of(g, x)
            result.append(g if g.dtype == x.dtype else _cast(g, x.dtype))
        return result


def _pad_left(x, ndim):
    """``x`` with leading broadcastable dimensions up to ``ndim`` (a constant is reshaped, not wrapped)."""
    if isinstance(x, TensorConstant):
        shape = (1,) * (ndim - x.ndim) + x.data.shape
        if getattr(x.tag, "weak", False):
            return _weak_constant(x.tag.python_value, x.dtype, shape)
        return constant(x.data.reshape(shape))
    return DimShuffle(x.ndim, ("x",) * (ndim - x.ndim) + tuple(range(x.ndim)))(x)


def _cast(x, dtype):
    from .basic import cast

    return cast(x, dtype)


class DimShuffle(Op):
    """Reorder dimensions, insert broadcastable ones ('x') and drop size-1 ones: Theano's ``x.dimshuffle``.

    Example: ``x.dimshuffle('x', 0)`` makes a (1, n) row of a vector; ``m.dimshuffle(1, 0)`` transposes.
    The output is a view of the input.
    """

    __props__ = ("input_ndim", "new_order")
    view_map = {0: [0]}

    def __init__(self, input_ndim, new_order):
        self.input_ndim = int(input_ndim)
        self.new_order = tuple(new_order)
        kept = [d for d in self.new_order if d != "x"]
        if len(set(kept)) != len(kept) or any(not (0 <= d < self.input_ndim) for d in kept):
            raise ValueError(f"dimshuffle{self.new_order}: invalid pattern for an input of {self.input_ndim} dims")
        self.drop = tuple(d for d in range(self.input_ndim) if d not in kept)
        self.perm = tuple(kept) + self.drop
        self.is_transpose_only = not self.drop and "x" not in self.new_order

    def make_node(self, x):
        x = as_tensor_variable(x)
        if x.ndim != self.input_ndim:
            raise TypeError(f"dimshuffle{self.new_order}: expected an input of {self.input_ndim} dimensions, "
                            f"received {x.ndim}")
        for d in self.drop:
            if x.type.shape[d] not in (1, None):
                raise ValueError(f"dimshuffle{self.new_order}: cannot drop dimension {d} of size "
                                 f"{x.type.shape[d]} (only size-1 dimensions can be dropped)")
        shape = tuple(1 if d == "x" else x.type.shape[d] for d in self.new_order)
        return Apply(self, [x], [TensorType(x.dtype, shape)()])

    def make_thunk(self, node, xp):
        perm, order = self.perm, self.new_order
        identity_perm = perm == tuple(range(len(perm)))
        if self.drop:
            # reshape (not indexing) drops the size-1 dims, so a dim that is not size 1 at run time raises
            return lambda x: xp.reshape(xp.transpose(x, perm), tuple(1 if d == "x" else x.shape[d] for d in order))
        if self.is_transpose_only:
            return (lambda x: x) if identity_perm else (lambda x: xp.asarray(x).transpose(perm))
        index = tuple(None if d == "x" else slice(None) for d in order)
        if identity_perm:
            return lambda x: xp.asarray(x)[index]
        return lambda x: xp.asarray(x).transpose(perm)[index]

    def grad(self, inputs, output_grads):
        (x,), (gz,) = inputs, output_grads
        if x.dtype not in FLOAT_DTYPES:
            return [None]
        back = [self.new_order.index(d) if d in self.new_order else "x" for d in range(self.input_ndim)]
        dropped_x = [i for i, d in enumerate(self.new_order) if d == "x"]
        if dropped_x:
            gz = sum_to_shape_of(gz, self(x))  # make the inserted dims size 1 statically
        return [DimShuffle(gz.ndim, tuple(back))(gz)]


class SumToShape(Op):
    """Sum ``g`` over the dimensions where ``like`` has size 1 but ``g`` does not (the adjoint of broadcasting).

    Only ``like``'s shape is read. Inserted by gradients when static shapes cannot tell whether an input was
    broadcast at run time.
    """

    __props__ = ()
    view_map = {0: [0]}  # returns g itself when no dimension needs summing

    def make_node(self, g, like):
        g, like = as_tensor_variable(g), as_tensor_variable(like)
        if g.ndim != like.ndim:
            raise TypeError(f"SumToShape: expected equal ranks, received {g.ndim} and {like.ndim}")
        return Apply(self, [g, like], [TensorType(g.dtype, like.type.shape)()])

    def make_thunk(self, node, xp):
        def sum_to_shape(g, like):
            target = like.shape
            if g.shape == target:
                return g
            axes = tuple(i for i, (a, b) in enumerate(zip(g.shape, target)) if a != b)
            return g.sum(axis=axes, keepdims=True)

        return sum_to_shape

    def grad(self, inputs, output_grads):
        from .basic import broadcast_like

        g, like = inputs
        return [broadcast_like(output_grads[0], g), None]

    def connection_pattern(self, node):
        return [[True], [False]]


def sum_to_shape_of(g, x):
    """``g`` summed back to the shape of ``x`` (same rank): static sums where shapes tell, SumToShape otherwise."""
    from .reduce import sum as _sum

    if g.ndim != x.ndim:
        raise TypeError(f"gradient of rank {g.ndim} for an input of rank {x.ndim}")
    axes = tuple(i for i, (gs, xs) in enumerate(zip(g.type.shape, x.type.shape)) if xs == 1 and gs != 1)
    if axes:
        g = _sum(g, axis=axes, keepdims=True)
    if isinstance(x, TensorConstant) or all(xs is not None and gs == xs for gs, xs in
                                            zip(g.type.shape, x.type.shape)):
        return g
    return SumToShape()(g, x)
