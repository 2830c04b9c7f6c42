"""``keras.ops`` names for the code Keras 3 users write in custom layers, losses and metrics.

Each function takes and returns symbolic tensors (NumPy arrays and Python numbers are accepted as constants) and
follows NumPy's semantics, as ``keras.ops`` does. The set covers what custom layers commonly use; everything
else is in ``layerkit.backend`` (Keras 2's ``K``) and ``layerkit_backend.tensor``.

Example:
    >>> import layerkit_backend.tensor as T
    >>> from layerkit import ops
    >>> x, w = T.matrix('x'), T.matrix('w')
    >>> ops.sum(ops.square(ops.matmul(x, w)), axis=-1).ndim
    1
"""
import layerkit_backend.tensor as T

from . import activations
from . import backend as K

__all__ = ["abs", "absolute", "add", "all", "any", "arange", "argmax", "argmin", "cast", "clip", "concatenate",
           "convert_to_tensor", "cos", "cumsum", "divide", "dot", "elu", "equal", "exp", "expand_dims", "gelu",
           "greater", "greater_equal", "hard_sigmoid", "leaky_relu", "less", "less_equal", "log", "log1p",
           "log_softmax", "logical_and", "logical_not", "logical_or", "logsumexp", "matmul", "max", "maximum",
           "mean", "min", "minimum", "multiply", "negative", "not_equal", "ones_like", "power", "prod", "relu",
           "relu6", "reshape", "round", "selu", "shape", "sigmoid", "sign", "silu", "sin", "softmax", "softplus",
           "softsign", "sqrt", "square", "squeeze", "stack", "std", "stop_gradient", "subtract", "sum", "swish",
           "tanh", "transpose", "var", "where", "zeros_like"]


def convert_to_tensor(x, dtype=None):
    """``x`` as a symbolic tensor (cast to ``dtype`` if given)."""
    x = T.as_tensor_variable(x)
    return x if dtype is None else T.cast(x, dtype)


def _named(function, name, doc):
    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    return function


def _binary(name, op, what):
    def apply(x1, x2):
        return op(T.as_tensor_variable(x1), T.as_tensor_variable(x2))
    return _named(apply, name, f"Elementwise {what} of ``x1`` and ``x2`` (NumPy broadcasting).")


add = _binary("add", lambda a, b: a + b, "``x1 + x2``")
subtract = _binary("subtract", lambda a, b: a - b, "``x1 - x2``")
multiply = _binary("multiply", lambda a, b: a * b, "``x1 * x2``")
divide = _binary("divide", lambda a, b: a / b, "``x1 / x2``")
power = _binary("power", lambda a, b: a ** b, "``x1 ** x2``")
maximum = _binary("maximum", T.maximum, "maximum")
minimum = _binary("minimum", T.minimum, "minimum")
equal = _binary("equal", T.eq, "``x1 == x2``")
not_equal = _binary("not_equal", T.neq, "``x1 != x2``")
greater = _binary("greater", T.gt, "``x1 > x2``")
greater_equal = _binary("greater_equal", T.ge, "``x1 >= x2``")
less = _binary("less", T.lt, "``x1 < x2``")
less_equal = _binary("less_equal", T.le, "``x1 <= x2``")
logical_and = _binary("logical_and", T.and_, "logical and")
logical_or = _binary("logical_or", T.or_, "logical or")


def matmul(x1, x2):
    """NumPy's ``matmul`` (batched over leading axes)."""
    x1, x2 = T.as_tensor_variable(x1), T.as_tensor_variable(x2)
    if x1.ndim > 2 and x2.ndim > 2:
        return K.batch_dot(x1, x2, axes=(x1.ndim - 1, x2.ndim - 2))
    return K.dot(x1, x2)


dot = matmul


def _unary(name, op, what):
    def apply(x):
        return op(T.as_tensor_variable(x))
    return _named(apply, name, f"Elementwise {what}.")


abs = _unary("abs", T.abs, "``|x|``")   # noqa: A001 - keras.ops's names
absolute = abs   # keras.ops's second name (a public alias)
negative = _unary("negative", lambda x: -x, "``-x``")
square = _unary("square", T.sqr, "``x ** 2``")
sqrt = _unary("sqrt", T.sqrt, "square root")
exp = _unary("exp", T.exp, "``e ** x``")
log = _unary("log", T.log, "natural logarithm")
log1p = _unary("log1p", T.log1p, "``log(1 + x)``")
sin = _unary("sin", T.sin, "sine")
cos = _unary("cos", T.cos, "cosine")
sign = _unary("sign", T.sgn, "sign (-1, 0 or 1)")
logical_not = _unary("logical_not", T.invert, "logical not")
ones_like = _unary("ones_like", T.ones_like, "ones of ``x``'s shape and dtype")
zeros_like = _unary("zeros_like", T.zeros_like, "zeros of ``x``'s shape and dtype")
stop_gradient = K.stop_gradient
round = K.round   # noqa: A001
tanh, sigmoid, relu, relu6, softplus, softsign = (activations.tanh, activations.sigmoid, activations.relu,
                                                   activations.relu6, activations.softplus, activations.softsign)
elu, selu, gelu, silu, swish = activations.elu, activations.selu, activations.gelu, activations.silu, \
    activations.swish
hard_sigmoid, leaky_relu = activations.hard_sigmoid, activations.leaky_relu
softmax, log_softmax = activations.softmax, activations.log_softmax


def _reduction(name, op, what):
    def apply(x, axis=None, keepdims=False):
        return op(T.as_tensor_variable(x), axis=axis, keepdims=keepdims)
    return _named(apply, name, f"The {what} over ``axis`` (all axes if None).")


sum = _reduction("sum", T.sum, "sum")   # noqa: A001
mean = _reduction("mean", T.mean, "mean")
max = _reduction("max", T.max, "maximum")   # noqa: A001
min = _reduction("min", T.min, "minimum")   # noqa: A001
prod = _reduction("prod", T.prod, "product")
std = _reduction("std", T.std, "standard deviation")
var = _reduction("var", T.var, "variance")
any = _reduction("any", T.any, "logical or")   # noqa: A001
all = _reduction("all", T.all, "logical and")   # noqa: A001


def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x)))`` over ``axis``, computed without overflow."""
    return K.logsumexp(x, axis=axis, keepdims=keepdims)


def argmax(x, axis=None, keepdims=False):
    """The index of the largest value along ``axis``."""
    return T.argmax(x, axis=axis, keepdims=keepdims)


def argmin(x, axis=None, keepdims=False):
    """The index of the smallest value along ``axis``."""
    return T.argmin(x, axis=axis, keepdims=keepdims)


def cumsum(x, axis=None):
    """Running sums along ``axis`` (of the flattened tensor if None)."""
    return T.cumsum(x, axis=axis)


def cast(x, dtype):
    """``x`` as ``dtype``."""
    return T.cast(x, dtype)


def clip(x, x_min, x_max):
    """``x`` limited to [x_min, x_max]."""
    return T.clip(x, x_min, x_max)


def where(condition, x1, x2):
    """``x1`` where ``condition`` holds, else ``x2``."""
    return T.switch(condition, x1, x2)


def expand_dims(x, axis):
    """``x`` with a new axis of length 1 at ``axis``."""
    return K.expand_dims(x, axis)


def squeeze(x, axis=None):
    """``x`` without the axes of length 1 (those in ``axis``, or all of them)."""
    x = T.as_tensor_variable(x)
    if axis is None:
        axis = [a for a, size in enumerate(x.type.shape) if size == 1]
    return T.squeeze(x, axis=axis)


def reshape(x, new_shape):
    """``x`` with ``new_shape`` (one entry may be -1)."""
    return T.reshape(x, new_shape)


def transpose(x, axes=None):
    """``x`` with its axes permuted (reversed if ``axes`` is None)."""
    return T.transpose(x, axes)


def concatenate(xs, axis=0):
    """The tensors ``xs`` joined along ``axis``."""
    return K.concatenate(list(xs), axis=axis)


def stack(x, axis=0):
    """The tensors ``x`` (of one shape) stacked along a new ``axis``."""
    return T.stack(list(x), axis=axis)


def shape(x):
    """The symbolic shape of ``x``."""
    return T.shape(x)


def arange(start, stop=None, step=1, dtype="int64"):
    """``start, start + step, ...`` below ``stop`` (NumPy's ``arange``)."""
    return T.arange(start, stop, step, dtype=dtype)
