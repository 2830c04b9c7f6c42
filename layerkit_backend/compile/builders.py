"""``OpFromGraph``: a graph packaged as one op (Theano's ``compile.builders.OpFromGraph``).

The op computes its outputs by a function compiled from the inner graph (once, on first use); shared variables
the inner graph reads become extra inputs, so the op always sees their current values. Its gradient is the inner
graph's gradient, built on the op's actual inputs. With ``inline=True`` calling the op returns the inner graph
itself, rebuilt on the given inputs, so the outer function's rewrites see through it.
"""
from ..graph.basic import Apply, Op, Variable
from ..graph.traversal import clone_replace, graph_inputs

__all__ = ["OpFromGraph"]


class OpFromGraph(Op):
    """An op whose outputs are ``outputs`` as functions of ``inputs``.

    Example:
        >>> import layerkit_backend as lb, layerkit_backend.tensor as T
        >>> x, y = T.dscalars('x', 'y')
        >>> op = OpFromGraph([x, y], [x + y * 2])
        >>> float(op(x, y).eval({x: 1.0, y: 3.0}))
        7.0
    """

    def __init__(self, inputs, outputs, inline=False, grad_overrides="default", rop_overrides="default", name=None,
                 **kwargs):
        from .sharedvalue import SharedVariable

        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        for v in list(inputs) + list(outputs):
            if not isinstance(v, Variable):
                raise TypeError(f"OpFromGraph: inputs and outputs must be variables, received {v!r}")
        if grad_overrides != "default":
            raise NotImplementedError("OpFromGraph: grad_overrides is not supported; the inner graph's gradient is "
                                      "used")
        self.inputs, self.outputs, self.inline, self.name = list(inputs), list(outputs), bool(inline), name
        self.shared_inputs = [v for v in graph_inputs(self.outputs) if isinstance(v, SharedVariable)]
        self._fn = None

    def __str__(self):
        return f"OpFromGraph{{{self.name or 'inline' if self.inline else self.name or ''}}}"

    def __eq__(self, other):
        return self is other

    def __hash__(self):
        return id(self)

    def __call__(self, *inputs):
        if self.inline:
            from ..tensor.variable import as_tensor_variable

            inputs = [as_tensor_variable(x) for x in inputs]
            outs = clone_replace(self.outputs, dict(zip(self.inputs, inputs)))
            return outs[0] if len(outs) == 1 else outs
        return super().__call__(*inputs)

    def make_node(self, *inputs):
        from ..tensor.variable import as_tensor_variable

        if len(inputs) != len(self.inputs):
            raise TypeError(f"{self}: expected {len(self.inputs)} inputs, received {len(inputs)}")
        inputs = [as_tensor_variable(x) for x in inputs]
        for k, (x, inner) in enumerate(zip(inputs, self.inputs)):
            if x.type != inner.type and not inner.type.is_super(x.type):
                raise TypeError(f"{self}: input {k} has type {x.type}, expected {inner.type}")
        return Apply(self, inputs + list(self.shared_inputs), [o.type() for o in self.outputs])

    def perform(self, xp, node, inputs):
        if self._fn is None:
            from .function import function

            stand_ins = [s.type() for s in self.shared_inputs]  # the shared values arrive as inputs
            outs = clone_replace(self.outputs, dict(zip(self.shared_inputs, stand_ins)))
            self._fn = function(self.inputs + stand_ins, outs, on_unused_input="ignore")
        return list(self._fn(*inputs))  # (compiled with a list of outputs: returns a list)

    def grad(self, inputs, output_grads):
        from ..gradient import grad

        outer = inputs[:len(self.inputs)]
        wrt = list(self.inputs) + list(self.shared_inputs)
        inner_grads = grad(None, wrt, known_grads=dict(zip(self.outputs, output_grads)),
                           disconnected_inputs="ignore", return_disconnected="None")
        replace = dict(zip(self.inputs, outer))
        replace.update(zip(self.shared_inputs, inputs[len(self.inputs):]))
        return [None if g is None else clone_replace([g], replace)[0] for g in inner_grads]

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_fn"] = None
        return state
