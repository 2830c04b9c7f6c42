"""Multinomial draws from uniform numbers (Theano's ``sandbox.multinomial``), used by ``MRG_RandomStreams``.

Both walk each row's cumulative probabilities (in float64) to the first one above the uniform number, as Theano
does, so the same uniforms give Theano's counts and choices.
"""
import numpy as np

from ..graph.basic import Apply, Op
from ..tensor.basic import as_index_scalar
from ..tensor.type import TensorType
from ..tensor.variable import as_tensor_variable

__all__ = ["MultinomialFromUniform", "ChoiceFromUniform"]


def _check(pvals, unis, where):
    if pvals.ndim != 2:
        raise NotImplementedError(f"{where}: pvals must be a matrix (one distribution per row), received {pvals.type}")
    if unis.ndim != 1:
        raise NotImplementedError(f"{where}: unis must be a vector, received {unis.type}")


class MultinomialFromUniform(Op):
    """``(pvals, unis, n) -> counts``: ``n`` draws per row of ``pvals``, the ``c``-th draw of row ``r`` decided by
    ``unis[c * rows + r]``; the counts have the shape of ``pvals``."""

    __props__ = ("odtype",)
    foldable = False

    def __init__(self, odtype="int64"):
        self.odtype = odtype

    def make_node(self, pvals, unis, n):
        pvals, unis = as_tensor_variable(pvals), as_tensor_variable(unis)
        _check(pvals, unis, "multinomial")
        dtype = pvals.dtype if self.odtype == "auto" else self.odtype
        return Apply(self, [pvals, unis, as_index_scalar(n, "multinomial n")],
                     [TensorType(dtype, pvals.type.shape)()])

    def perform(self, xp, node, inputs):
        pvals, unis, n = (xp.to_host(v) for v in inputs)
        rows, n = pvals.shape[0], int(n)
        if unis.shape[0] != rows * n:
            raise ValueError(f"multinomial: {unis.shape[0]} uniform numbers for {rows} rows and n={n}")
        z = np.zeros(pvals.shape, dtype=node.outputs[0].dtype)
        cumulative = np.cumsum(pvals, axis=1, dtype="float64")
        for c in range(n):
            for r in range(rows):
                z[r, np.searchsorted(cumulative[r], unis[c * rows + r])] += 1
        return [xp.asarray(z)]

    def grad(self, inputs, output_grads):
        return [None, None, None]

    def connection_pattern(self, node):
        return [[False], [False], [False]]


class ChoiceFromUniform(Op):
    """``(pvals, unis, n) -> indices``: ``n`` indices per row of ``pvals`` drawn without replacement (a chosen
    outcome's probability becomes 0 and the row is renormalised), shape ``(rows, n)``."""

    __props__ = ("odtype", "replace")
    foldable = False

    def __init__(self, odtype="int64", replace=False):
        self.odtype, self.replace = odtype, bool(replace)

    def make_node(self, pvals, unis, n):
        pvals, unis = as_tensor_variable(pvals), as_tensor_variable(unis)
        _check(pvals, unis, "choice")
        dtype = "int64" if self.odtype == "auto" else self.odtype
        return Apply(self, [pvals, unis, as_index_scalar(n, "choice size")],
                     [TensorType(dtype, (pvals.type.shape[0], None))()])

    def perform(self, xp, node, inputs):
        pvals, unis, n = (xp.to_host(v) for v in inputs)
        pvals = np.array(pvals, copy=True)
        rows, outcomes, n = pvals.shape[0], pvals.shape[1], int(n)
        if n > outcomes:
            raise ValueError(f"choice: cannot draw {n} samples without replacement from {outcomes} outcomes")
        if unis.shape[0] != rows * n:
            raise ValueError(f"choice: {unis.shape[0]} uniform numbers for {rows} rows and n={n}")
        z = -np.ones((rows, n), dtype=node.outputs[0].dtype)
        for c in range(n):
            for r in range(rows):
                total = 0.0
                for m in range(outcomes):
                    total += pvals[r, m]
                    if total > unis[c * rows + r]:
                        z[r, c] = m
                        if not self.replace:
                            pvals[r, m] = 0.0
                            pvals[r] /= pvals[r].sum()
                        break
        return [xp.asarray(z)]

    def grad(self, inputs, output_grads):
        return [None, None, None]

    def connection_pattern(self, node):
        return [[False], [False], [False]]
