"""Activation functions, built from the elementwise table (tensor/scalar.py), so none needs gradient code.

``sigmoid`` and ``softplus`` are table rows (their implementations never overflow); everything else here is a
composite of rows. Where a branch of ``switch`` could overflow on the side it does not select (``elu``), its
argument is clamped first: ``switch`` multiplies the unselected branch's gradient by zero, and 0 * inf is NaN.
"""
import math as _pymath

from .. import math as tmath
from ..variable import as_tensor_variable

__all__ = ["sigmoid", "hard_sigmoid", "softplus", "softsign", "relu", "elu", "selu", "gelu", "swish"]

# SELU's constants (Klambauer et al., 2017): the fixed point of mean 0, variance 1 activations.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_HALF = _pymath.sqrt(0.5)
_SQRT_2_OVER_PI = _pymath.sqrt(2.0 / _pymath.pi)


def sigmoid(x):
    """The logistic function ``1 / (1 + exp(-x))``, computed without overflow.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> sigmoid(x).eval({x: [0.0, 1000.0]}).tolist()
        [0.5, 1.0]
    """
    return tmath.sigmoid(x)


def softplus(x):
    """``log(1 + exp(x))``, computed as ``max(x, 0) + log1p(exp(-|x|))`` so large ``|x|`` neither overflows
    nor rounds to zero. Its gradient is ``sigmoid(x)``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> softplus(x).eval({x: [0.0, 1000.0]}).round(4).tolist()
        [0.6931, 1000.0]
    """
    return tmath.softplus(x)


def hard_sigmoid(x):
    """The piecewise-linear sigmoid ``clip(0.2 * x + 0.5, 0, 1)`` (Theano's definition).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> hard_sigmoid(x).eval({x: [-5.0, 0.0, 1.0]}).tolist()
        [0.0, 0.5, 0.7]
    """
    x = as_tensor_variable(x)
    return tmath.clip(x * 0.2 + 0.5, 0.0, 1.0)


def softsign(x):
    """``x / (1 + |x|)``, a sigmoid-shaped function in (-1, 1) with polynomial tails; a table row whose gradient
    ``1 / (1 + |x|)**2`` is 0 at infinities (the quotient rule would give inf / inf there).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> softsign(x).eval({x: [-1.0, 3.0]}).tolist()
        [-0.5, 0.75]
    """
    return tmath.softsign(x)


def relu(x, alpha=0):
    """Rectified linear unit: ``x`` where ``x > 0``, else ``alpha * x`` (leaky when ``alpha`` is not 0).

    Theano's formula ``0.5 * (1 + alpha) * x + 0.5 * (1 - alpha) * |x|``, so the gradient at 0 is the mean of the
    two slopes (0.5 for ``alpha=0``), as in Theano. (``tensor.relu``, the elementwise row that layerkit's Keras
    activations use, has gradient 0 there, as in Keras.)

    Args:
        x: a tensor.
        alpha: the slope for negative inputs (a number or a scalar tensor).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> relu(x).eval({x: [-2.0, 3.0]}).tolist(), relu(x, 0.1).eval({x: [-2.0, 3.0]}).tolist()
        ([0.0, 3.0], [-0.2, 3.0])
    """
    x = as_tensor_variable(x)
    if _is_zero(alpha):
        return 0.5 * (x + tmath.abs(x))
    return 0.5 * (1 + alpha) * x + 0.5 * (1 - alpha) * tmath.abs(x)


def elu(x, alpha=1.0):
    """Exponential linear unit: ``x`` where ``x > 0``, else ``alpha * (exp(x) - 1)``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> elu(x).eval({x: [-1000.0, 2.0]}).tolist()
        [-1.0, 2.0]
    """
    x = as_tensor_variable(x)
    # expm1 of a large positive x is inf; the unselected branch must stay finite for the gradient (see module doc)
    return tmath.switch(tmath.gt(x, 0), x, tmath.expm1(tmath.minimum(x, 0.0)) * alpha)


def selu(x):
    """Scaled exponential linear unit: ``SELU_SCALE * elu(x, SELU_ALPHA)``, self-normalising.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> selu(x).eval({x: [0.0, 1.0]}).round(4).tolist()
        [0.0, 1.0507]
    """
    return elu(x, SELU_ALPHA) * SELU_SCALE


def gelu(x, approximate=False):
    """Gaussian error linear unit ``x * Phi(x)``: with ``erf`` (``0.5 * x * (1 + erf(x / sqrt(2)))``), or its
    tanh approximation ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))`` when ``approximate``.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> gelu(x).eval({x: [0.0, 1.0]}).round(4).tolist()
        [0.0, 0.8413]
    """
    x = as_tensor_variable(x)
    if approximate:
        inner = (x + tmath.pow(x, 3) * 0.044715) * _SQRT_2_OVER_PI
        return x * 0.5 * (1.0 + tmath.tanh(inner))
    return x * 0.5 * (1.0 + tmath.erf(x * _SQRT_HALF))


def swish(x):
    """``x * sigmoid(x)`` (also called SiLU).

    Example:
        >>> import layerkit_backend.tensor as T
        >>> x = T.dvector('x')
        >>> swish(x).eval({x: [0.0, 1000.0]}).tolist()
        [0.0, 1000.0]
    """
    x = as_tensor_variable(x)
    return x * tmath.sigmoid(x)


def _is_zero(alpha):
    return isinstance(alpha, (int, float)) and alpha == 0
