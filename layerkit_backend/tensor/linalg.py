"""Products: ``dot`` (every rank combination Theano accepts), ``matmul``, ``tensordot``, ``batched_dot``, ``outer``.

Two primitives own the gradients: Dot (ranks 1 and 2, one BLAS call) and MatMul (stacks of matrices with
broadcast batch dimensions). Everything else is a composite of them, reshapes and dimshuffles.
"""
import numpy as np

from ..graph.basic import Apply, Op
from .elemwise import DimShuffle, sum_to_shape_of
from .scalar import upcast
from .type import FLOAT_DTYPES, TensorType
from .variable import as_tensor_variable

__all__ = ["Dot", "dot", "MatMul", "matmul", "tensordot", "batched_dot", "batched_tensordot", "outer", "inner",
           "GemmUpdate"]


def _prepare(x, y, where):
    from .basic import cast

    x, y = as_tensor_variable(x), as_tensor_variable(y)
    dtype = upcast(x.dtype, y.dtype)  # bool with bool stays bool (whether any pair is true), as NumPy and Theano
    return cast(x, dtype), cast(y, dtype), dtype


def _check_inner(n1, n2, where, xs, ys):
    if n1 is not None and n2 is not None and n1 != n2:
        raise ValueError(f"{where}: shapes {xs} and {ys} are not aligned ({n1} != {n2})")


class Dot(Op):
    """The product of vectors and matrices (ranks 1 or 2), as ``numpy.dot``."""

    def make_node(self, x, y):
        x, y, dtype = _prepare(x, y, "dot")
        if x.ndim not in (1, 2) or y.ndim not in (1, 2):
            raise TypeError(f"Dot takes ranks 1 or 2, received {x.ndim} and {y.ndim} (use dot())")
        xs, ys = x.type.shape, y.type.shape
        _check_inner(xs[-1], ys[0], "dot", x.type.shape_str(), y.type.shape_str())
        shape = xs[:-1] + ys[1:]
        return Apply(self, [x, y], [TensorType(dtype, shape)()])

    def make_thunk(self, node, xp):
        dot = xp.dot
        if node.outputs[0].ndim == 0:
            return lambda x, y: xp.asarray(dot(x, y))
        return dot

    def grad(self, inputs, output_grads):
        (x, y), (gz,) = inputs, output_grads
        nx, ny = x.ndim, y.ndim
        if nx == 1 and ny == 1:
            gx, gy = gz * y, gz * x
        elif nx == 1 and ny == 2:
            gx, gy = dot(y, gz), outer(x, gz)
        elif nx == 2 and ny == 1:
            gx, gy = outer(gz, y), dot(x.T, gz)
        else:
            gx, gy = dot(gz, y.T), dot(x.T, gz)
        return [gx if x.dtype in FLOAT_DTYPES else None, gy if y.dtype in FLOAT_DTYPES else None]


_dot = Dot()


def dot(x, y):
    """``numpy.dot`` semantics for every rank: matrix products, matrix-vector, inner products, and for higher
    ranks a sum over the last axis of ``x`` and the second-to-last of ``y``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> T.dot(T.matrix(), T.vector()).ndim
        1
    """
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if x.ndim == 0 or y.ndim == 0:
        return x * y
    if x.ndim <= 2 and y.ndim <= 2:
        return _dot(x, y)
    return tensordot(x, y, [[x.ndim - 1], [max(0, y.ndim - 2)]])


class MatMul(Op):
    """Products of stacks of matrices (ranks >= 2) with broadcast batch dimensions, as ``numpy.matmul``."""

    def make_node(self, x, y):
        x, y, dtype = _prepare(x, y, "matmul")
        if x.ndim < 2 or y.ndim < 2:
            raise TypeError(f"MatMul takes ranks >= 2, received {x.ndim} and {y.ndim} (use matmul())")
        xs, ys = x.type.shape, y.type.shape
        _check_inner(xs[-1], ys[-2], "matmul", x.type.shape_str(), y.type.shape_str())
        nb = max(x.ndim, y.ndim) - 2
        xb = (1,) * (nb - (x.ndim - 2)) + xs[:-2]
        yb = (1,) * (nb - (y.ndim - 2)) + ys[:-2]
        from .elemwise import broadcast_shapes_static

        batch = broadcast_shapes_static([xb, yb], "matmul batch dimensions")
        return Apply(self, [x, y], [TensorType(dtype, batch + (xs[-2], ys[-1]))()])

    def make_thunk(self, node, xp):
        return xp.matmul

    def perform(self, xp, node, inputs):
        return [xp.matmul(*inputs)]

    def grad(self, inputs, output_grads):
        (x, y), (gz,) = inputs, output_grads
        gx = matmul(gz, _swap_last(y))
        gy = matmul(_swap_last(x), gz)
        return [_sum_batch(gx, x) if x.dtype in FLOAT_DTYPES else None,
                _sum_batch(gy, y) if y.dtype in FLOAT_DTYPES else None]


def _swap_last(x):
    order = list(range(x.ndim))
    order[-1], order[-2] = order[-2], order[-1]
    return DimShuffle(x.ndim, tuple(order))(x)


def _sum_batch(g, x):
    from .reduce import sum as _sum

    extra = g.ndim - x.ndim
    if extra:
        g = _sum(g, axis=tuple(range(extra)))
    return sum_to_shape_of(g, x)


_matmul = MatMul()


def matmul(x, y):
    """``numpy.matmul`` (the ``@`` operator): 1-d operands are promoted and the added dimension removed."""
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if x.ndim == 0 or y.ndim == 0:
        raise ValueError("matmul: scalar operands are not allowed (use *)")
    if x.ndim <= 2 and y.ndim <= 2:
        return _dot(x, y)
    x2 = x.dimshuffle("x", 0) if x.ndim == 1 else x
    y2 = y.dimshuffle(0, "x") if y.ndim == 1 else y
    out = _matmul(x2, y2)
    if y.ndim == 1:
        out = out.dimshuffle(*range(out.ndim - 1))
    if x.ndim == 1:
        out = out.dimshuffle(*(list(range(out.ndim - 2)) + [out.ndim - 1]))
    return out


def outer(x, y):
    """The outer product of two vectors (inputs are flattened first, as in NumPy)."""
    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if x.ndim != 1:
        x = x.flatten()
    if y.ndim != 1:
        y = y.flatten()
    return x.dimshuffle(0, "x") * y.dimshuffle("x", 0)


def inner(x, y):
    """Inner product over the last axis of both ``x`` and ``y``."""
    return tensordot(x, y, [[as_tensor_variable(x).ndim - 1], [as_tensor_variable(y).ndim - 1]])


def tensordot(a, b, axes=2):
    """Sum products over ``axes`` (an int: the last n of ``a`` and first n of ``b``; or two lists), as NumPy."""
    from .basic import stack, cast
    from .shape import reshape, shape_tuple

    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if isinstance(axes, (int, np.integer)):
        axes = [list(range(a.ndim - axes, a.ndim)), list(range(axes))]
    a_axes, b_axes = ([x] if isinstance(x, (int, np.integer)) else list(x) for x in axes)
    if len(a_axes) != len(b_axes):
        raise ValueError(f"tensordot: axes {a_axes} and {b_axes} have different lengths")
    a_axes = [x % a.ndim for x in a_axes]
    b_axes = [x % b.ndim for x in b_axes]
    for i, j in zip(a_axes, b_axes):
        _check_inner(a.type.shape[i], b.type.shape[j], "tensordot", a.type.shape_str(), b.type.shape_str())
    a_free = [i for i in range(a.ndim) if i not in a_axes]
    b_free = [i for i in range(b.ndim) if i not in b_axes]
    at = a.dimshuffle(*(a_free + a_axes))
    bt = b.dimshuffle(*(b_axes + b_free))
    a_shape, b_shape = shape_tuple(at), shape_tuple(bt)

    def prod(sizes):
        out = None
        for s in sizes:
            out = s if out is None else out * s
        return cast(out, "int64") if out is not None else 1

    k = prod(a_shape[len(a_free):])
    a2 = reshape(at, [prod(a_shape[: len(a_free)]), k])
    b2 = reshape(bt, [k, prod(b_shape[len(b_axes):])])
    out = _dot(a2, b2)
    out_shape = list(a_shape[: len(a_free)]) + list(b_shape[len(b_axes):])
    if not out_shape:
        return reshape(out, [])
    result = reshape(out, stack([cast(s, "int64") for s in out_shape]))
    static = tuple(a.type.shape[i] for i in a_free) + tuple(b.type.shape[i] for i in b_free)
    if any(s is not None for s in static):
        from .shape import specify_shape

        result = specify_shape(result, static)
    return result


def batched_dot(a, b):
    """For each index i of the first dimension, ``dot(a[i], b[i])``."""
    a, b = as_tensor_variable(a), as_tensor_variable(b)
    if a.ndim < 1 or b.ndim < 1:
        raise TypeError("batched_dot: expected tensors of rank >= 1")
    if a.ndim == 1:
        return a.dimshuffle(0, *(["x"] * (b.ndim - 1))) * b
    if b.ndim == 1:
        return a * b.dimshuffle(0, *(["x"] * (a.ndim - 1)))
    if a.ndim == 2 and b.ndim == 2:
        prod = a * b  # summed in its own dtype, as dot does (sum alone would widen int32 to int64)
        return prod.sum(axis=1, dtype=prod.dtype if prod.dtype != "bool" else "int64")
    if a.ndim == 2:
        return matmul(a.dimshuffle(0, "x", 1), b).dimshuffle(0, *range(2, b.ndim))
    if b.ndim == 2:
        return matmul(a, b.dimshuffle(0, 1, "x")).dimshuffle(*range(a.ndim - 1))
    if a.ndim == 3 and b.ndim == 3:
        return matmul(a, b)
    return batched_tensordot(a, b, [[a.ndim - 1], [b.ndim - 2]])


def batched_tensordot(x, y, axes=2):
    """``tensordot`` for each index of the first dimension (which is never summed)."""
    from .basic import stack, cast
    from .shape import reshape, shape_tuple

    x, y = as_tensor_variable(x), as_tensor_variable(y)
    if isinstance(axes, (int, np.integer)):
        axes = [list(range(x.ndim - axes, x.ndim)), list(range(1, axes + 1))]
    xa = [a % x.ndim for a in axes[0]]
    ya = [a % y.ndim for a in axes[1]]
    x_free = [i for i in range(1, x.ndim) if i not in xa]
    y_free = [i for i in range(1, y.ndim) if i not in ya]
    xt = x.dimshuffle(0, *(x_free + xa))
    yt = y.dimshuffle(0, *(ya + y_free))
    xs, ys = shape_tuple(xt), shape_tuple(yt)

    def prod(sizes):
        out = constant_one()
        for s in sizes:
            out = out * s
        return out

    def constant_one():
        from .variable import constant

        return constant(np.int64(1))

    k = prod(xs[1 + len(x_free):])
    x3 = reshape(xt, [xs[0], prod(xs[1:1 + len(x_free)]), k])
    y3 = reshape(yt, [ys[0], k, prod(ys[1 + len(ya):])])
    out = _matmul(x3, y3)
    out_shape = [xs[0]] + list(xs[1:1 + len(x_free)]) + list(ys[1 + len(ya):])
    return reshape(out, [cast(s, "int64") for s in out_shape])  # a list: static sizes stay static


class GemmUpdate(Op):
    """``c + alpha * dot(a, b)`` written into ``c``'s buffer: a weight matrix's SGD update as one BLAS call.

    Only the rewrite ``local_gemm_update`` (rewrite/blas.py) builds it, for the update of a shared variable. The
    linker runs such nodes last, after the outputs are taken, and runs every node's ``make_check`` before any of
    them writes: a call that fails changes no shared variable. When ``c`` cannot be written in place (another shape,
    not C-contiguous, a GPU array), the result is computed out of place, with the same value.
    """

    __props__ = ("inplace",)

    def __init__(self, inplace=True):
        self.inplace = bool(inplace)
        self.destroy_map = {0: [0]} if self.inplace else {}

    def make_node(self, c, alpha, a, b):
        c, alpha, a, b = (as_tensor_variable(v) for v in (c, alpha, a, b))
        if not (c.ndim == a.ndim == b.ndim == 2 and alpha.ndim == 0) or len({c.dtype, alpha.dtype, a.dtype,
                                                                                 b.dtype}) != 1:
            raise TypeError(f"GemmUpdate: expected three matrices and a scalar of one float dtype, received "
                            f"{c.type}, {alpha.type}, {a.type}, {b.type}")
        return Apply(self, [c, alpha, a, b], [c.type()])

    def without_inplace(self):
        return GemmUpdate(inplace=False)

    def make_check(self, node, xp):
        """A callable that raises, before anything is written, where ``dot(a, b)`` or the sum would fail."""
        def check(c, alpha, a, b):
            if a.shape[1] != b.shape[0]:
                raise ValueError(f"dot: shapes {a.shape} and {b.shape} are not aligned ({a.shape[1]} != {b.shape[0]})")
            xp.broadcast_shapes(c.shape, (a.shape[0], b.shape[1]))

        return check

    def make_thunk(self, node, xp):
        inplace = self.inplace and not xp.is_gpu
        if inplace:
            from ..backends.blas import gemm_inplace

        def gemm_update(c, alpha, a, b):
            # a or b may be the caller's array that is c's own buffer (``shared(x, borrow=True)`` called with x):
            # writing c would change them while they are read
            if inplace and c.shape == (a.shape[0], b.shape[1]) and c.flags.c_contiguous and c.flags.writeable \
                    and not xp.may_share_memory(c, a) and not xp.may_share_memory(c, b):
                return gemm_inplace(c, alpha.item(), a, b)
            return c + alpha * xp.matmul(a, b)

        return gemm_update

    def grad(self, inputs, output_grads):
        raise NotImplementedError("GemmUpdate is built after differentiation and has no gradient")
