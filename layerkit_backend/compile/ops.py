"""``as_op``: an op from a Python function on NumPy arrays (Theano's ``compile.ops.as_op``).

The function is called on the input values when the compiled function runs; the op has no gradient (as in
Theano): ``grad`` through it raises NullTypeGradError. Give ``infer_shape(node, input_shapes)`` to tell the
output shapes without running it.
"""
import numpy as np

from ..graph.basic import Apply, Op
from ..tensor.type import TensorType

__all__ = ["as_op", "FromFunctionOp"]


class FromFunctionOp(Op):
    """An op running ``fn`` on its input arrays; inputs and outputs have the TensorTypes ``itypes``/``otypes``."""

    __props__ = ("fn", "itypes", "otypes")

    def __init__(self, fn, itypes, otypes, infer_shape=None):
        self.fn, self.itypes, self.otypes = fn, tuple(itypes), tuple(otypes)
        self._infer_shape = infer_shape
        for t in self.itypes + self.otypes:
            if not isinstance(t, TensorType):
                raise TypeError(f"as_op: itypes and otypes must be TensorTypes (e.g. T.dmatrix), received {t!r}")

    def __str__(self):
        return f"FromFunctionOp{{{getattr(self.fn, '__name__', 'fn')}}}"

    def make_node(self, *inputs):
        from ..tensor.variable import as_tensor_variable

        if len(inputs) != len(self.itypes):
            raise TypeError(f"{self}: expected {len(self.itypes)} inputs, received {len(inputs)}")
        inputs = [as_tensor_variable(x) for x in inputs]
        for k, (x, t) in enumerate(zip(inputs, self.itypes)):
            if not t.is_super(x.type) and x.type != t:
                raise TypeError(f"{self}: input {k} has type {x.type}, expected {t}")
        return Apply(self, inputs, [t() for t in self.otypes])

    def perform(self, xp, node, inputs):
        outs = self.fn(*[xp.to_host(x) for x in inputs])
        if len(self.otypes) == 1:
            outs = [outs]
        if len(outs) != len(self.otypes):
            raise ValueError(f"{self}: the function returned {len(outs)} outputs, expected {len(self.otypes)}")
        return [xp.asarray(np.asarray(o, dtype=t.dtype)) for o, t in zip(outs, self.otypes)]

    def infer_shape(self, node, input_shapes):
        if self._infer_shape is None:
            raise NotImplementedError(f"{self}: no infer_shape was given to as_op")
        return self._infer_shape(node, input_shapes)

    def grad(self, inputs, output_grads):
        from ..gradient import grad_not_implemented

        return [grad_not_implemented(self, k, x, "ops made by as_op have no gradient") for k, x in enumerate(inputs)]

    def __reduce__(self):
        return (FromFunctionOp, (self.fn, self.itypes, self.otypes, self._infer_shape))


def as_op(itypes, otypes, infer_shape=None):
    """Decorator: make an op of a Python function on arrays.

    Example:
        >>> import numpy as np
        >>> import layerkit_backend.tensor as T
        >>> @as_op(itypes=[T.dvector], otypes=[T.dvector])
        ... def cumulative_max(v):
        ...     return np.maximum.accumulate(v)
        >>> x = T.dvector('x')
        >>> cumulative_max(x).eval({x: [1.0, 3.0, 2.0]}).tolist()
        [1.0, 3.0, 3.0]
    """
    itypes, otypes = list(itypes), list(otypes)

    def make(fn):
        return FromFunctionOp(fn, itypes, otypes, infer_shape)

    return make
