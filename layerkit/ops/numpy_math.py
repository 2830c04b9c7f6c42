"""``keras.ops`` NumPy-like math: elementwise functions, comparisons, reductions and products.

Each name is one row mapping onto ``layerkit_backend.tensor`` (or a short composite of its functions), wrapped so
that it also runs on NumPy arrays (see ``layerkit.eager``). Semantics follow NumPy, as ``keras.ops`` does.

Example:
    >>> import numpy as np
    >>> sum(square(np.array([1.0, 2.0]))).item(), argmax(np.array([[1, 5, 2]]), axis=-1).tolist()
    (5.0, [1])
"""
import builtins
import string

import numpy as np

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit_backend.tensor import nnet

from ..eager import eager_function
from .core import tensor

__all__ = ["abs", "absolute", "negative", "square", "sqrt", "rsqrt", "cbrt", "exp", "exp2", "expm1", "log", "log1p",
           "log2", "log10", "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh",
           "arccosh", "arctanh", "sign", "floor", "ceil", "trunc", "round", "reciprocal", "deg2rad", "rad2deg",
           "isnan", "isinf", "isfinite", "isneginf", "isposinf", "signbit", "logical_not", "conj", "conjugate",
           "real", "copy", "fabs", "add", "subtract", "multiply", "divide", "true_divide", "floor_divide", "mod",
           "fmod", "power", "maximum", "minimum", "arctan2", "hypot", "logaddexp", "logaddexp2", "equal",
           "not_equal", "greater", "greater_equal", "less", "less_equal", "logical_and", "logical_or",
           "logical_xor", "divide_no_nan", "heaviside", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not",
           "bitwise_invert", "sum", "mean", "max", "min", "amax", "amin", "prod", "std", "var", "any", "all",
           "argmax", "argmin", "count_nonzero", "ptp", "average", "median", "quantile", "cumsum", "cumprod", "clip",
           "where", "select", "isclose", "allclose", "nan_to_num", "diff", "matmul", "dot", "tensordot", "inner",
           "outer", "vdot", "einsum", "trace", "erfc", "sinc", "ldexp", "left_shift", "right_shift", "imag", "isreal",
           "angle", "percentile", "trapezoid", "kron", "cross", "i0"]


def _named(function, name, doc):
    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    return function


def _unary(name, op, what):
    return eager_function(_named(lambda x: op(tensor(x)), name, f"Elementwise {what}."))


def _binary(name, op, what):
    return eager_function(_named(lambda x1, x2: op(tensor(x1), tensor(x2)), name,
                                 f"Elementwise {what} of ``x1`` and ``x2`` (NumPy broadcasting)."))


def _float(x):
    return x if x.dtype.startswith("float") else T.cast(x, lb.config.floatX)


# ------------------------------------------------------------------------------------------- elementwise
abs = _unary("abs", T.abs, "``|x|``")  # noqa: A001 - keras.ops's names shadow builtins here
absolute = abs   # keras.ops's second name (public alias)
fabs = _unary("fabs", lambda x: T.abs(_float(x)), "``|x|`` as floats")
negative = _unary("negative", lambda x: -x, "``-x``")
square = _unary("square", T.square, "``x ** 2``")
sqrt = _unary("sqrt", lambda x: T.sqrt(_float(x)), "square root")
rsqrt = _unary("rsqrt", lambda x: 1.0 / T.sqrt(_float(x)), "``1 / sqrt(x)``")
cbrt = _unary("cbrt", lambda x: T.sgn(_float(x)) * T.abs(_float(x)) ** (1.0 / 3.0), "cube root")
exp = _unary("exp", lambda x: T.exp(_float(x)), "``e ** x``")
exp2 = _unary("exp2", lambda x: T.exp2(_float(x)), "``2 ** x``")
expm1 = _unary("expm1", lambda x: T.expm1(_float(x)), "``e ** x - 1``")
log = _unary("log", lambda x: T.log(_float(x)), "natural logarithm")
log1p = _unary("log1p", lambda x: T.log1p(_float(x)), "``log(1 + x)``")
log2 = _unary("log2", lambda x: T.log2(_float(x)), "base-2 logarithm")
log10 = _unary("log10", lambda x: T.log10(_float(x)), "base-10 logarithm")
sin = _unary("sin", lambda x: T.sin(_float(x)), "sine")
cos = _unary("cos", lambda x: T.cos(_float(x)), "cosine")
tan = _unary("tan", lambda x: T.tan(_float(x)), "tangent")
arcsin = _unary("arcsin", lambda x: T.arcsin(_float(x)), "inverse sine")
arccos = _unary("arccos", lambda x: T.arccos(_float(x)), "inverse cosine")
arctan = _unary("arctan", lambda x: T.arctan(_float(x)), "inverse tangent")
sinh = _unary("sinh", lambda x: T.sinh(_float(x)), "hyperbolic sine")
cosh = _unary("cosh", lambda x: T.cosh(_float(x)), "hyperbolic cosine")
tanh = _unary("tanh", lambda x: T.tanh(_float(x)), "hyperbolic tangent")
arcsinh = _unary("arcsinh", lambda x: T.arcsinh(_float(x)), "inverse hyperbolic sine")
arccosh = _unary("arccosh", lambda x: T.arccosh(_float(x)), "inverse hyperbolic cosine")
arctanh = _unary("arctanh", lambda x: T.arctanh(_float(x)), "inverse hyperbolic tangent")
sign = _unary("sign", T.sgn, "sign (-1, 0 or 1)")
floor = _unary("floor", T.floor, "floor")
ceil = _unary("ceil", T.ceil, "ceiling")
trunc = _unary("trunc", T.trunc, "truncation towards 0")
reciprocal = _unary("reciprocal", lambda x: 1.0 / _float(x), "``1 / x``")
deg2rad = _unary("deg2rad", lambda x: T.deg2rad(_float(x)), "degrees to radians")
rad2deg = _unary("rad2deg", lambda x: T.rad2deg(_float(x)), "radians to degrees")
isnan = _unary("isnan", T.isnan, "test for NaN")
isinf = _unary("isinf", T.isinf, "test for infinity")
isfinite = _unary("isfinite", lambda x: T.invert(T.or_(T.isnan(x), T.isinf(x))), "test for finite values")
isneginf = _unary("isneginf", lambda x: T.and_(T.isinf(x), T.lt(x, 0)), "test for -inf")
isposinf = _unary("isposinf", lambda x: T.and_(T.isinf(x), T.gt(x, 0)), "test for +inf")
signbit = _unary("signbit", lambda x: T.or_(T.lt(x, 0), T.and_(T.eq(x, 0), T.lt(1.0 / _float(x), 0))),
                 "test for a set sign bit (negative numbers and -0)")
logical_not = _unary("logical_not", lambda x: T.invert(T.neq(x, 0)), "logical not")
conj = _unary("conj", lambda x: x, "complex conjugate (real tensors: unchanged)")
conjugate = conj   # keras.ops's second name (public alias)
real = _unary("real", lambda x: x, "real part (real tensors: unchanged)")
copy = _unary("copy", T.tensor_copy, "copy")
bitwise_not = _unary("bitwise_not", T.invert, "bitwise not (integers)")
erfc = _unary("erfc", lambda x: T.erfc(_float(x)), "complementary error function")
i0 = _unary("i0", lambda x: T.i0(_float(x)), "modified Bessel function of the first kind, order 0")
sinc = _unary("sinc", lambda x: T.switch(T.eq(x, 0), T.ones_like(_float(x)),
                                         T.sin(np.pi * _float(x)) / (np.pi * _float(x))), "``sin(pi x) / (pi x)``")
imag = _unary("imag", T.zeros_like, "imaginary part (real tensors: 0)")
isreal = _unary("isreal", lambda x: T.eq(T.zeros_like(x), 0), "test for a real value (real tensors: True)")
angle = _unary("angle", lambda x: T.switch(T.lt(x, 0), np.pi * T.ones_like(_float(x)), T.zeros_like(_float(x))),
               "complex argument (real tensors: pi below 0, else 0)")
bitwise_invert = bitwise_not   # keras.ops's second name (public alias)


@eager_function
def round(x, decimals=0):  # noqa: A001
    """Rounds half to even (NumPy's ``round``) to ``decimals`` places."""
    x = tensor(x)
    if decimals == 0:
        return T.round(x, mode="half_to_even")
    scale = 10.0 ** decimals
    return T.round(_float(x) * scale, mode="half_to_even") / scale


add = _binary("add", lambda a, b: a + b, "``x1 + x2``")
subtract = _binary("subtract", lambda a, b: a - b, "``x1 - x2``")
multiply = _binary("multiply", lambda a, b: a * b, "``x1 * x2``")
divide = _binary("divide", lambda a, b: _float(a) / b, "``x1 / x2`` (true division)")
true_divide = divide   # keras.ops's second name (public alias)
floor_divide = _binary("floor_divide", T.floor_div, "``x1 // x2``")
mod = _binary("mod", T.mod, "``x1 % x2`` (the sign of x2, as NumPy)")
fmod = _binary("fmod", lambda a, b: a - b * T.trunc(_float(a) / b) if a.dtype.startswith("float") or
               b.dtype.startswith("float") else a - b * T.cast(T.trunc(_float(a) / b), a.dtype),
               "remainder with the sign of x1 (C's fmod)")
power = _binary("power", T.pow, "``x1 ** x2``")
maximum = _binary("maximum", T.maximum, "maximum")
minimum = _binary("minimum", T.minimum, "minimum")
arctan2 = _binary("arctan2", lambda a, b: T.arctan2(_float(a), _float(b)), "``arctan(x1 / x2)`` by quadrant")
hypot = _binary("hypot", lambda a, b: T.sqrt(T.square(_float(a)) + T.square(_float(b))), "``sqrt(x1**2 + x2**2)``")
logaddexp = _binary("logaddexp", lambda a, b: T.maximum(a, b) + T.log1p(T.exp(-T.abs(_float(a) - b))),
                    "``log(exp(x1) + exp(x2))`` without overflow")
logaddexp2 = _binary("logaddexp2", lambda a, b: T.maximum(a, b) + T.log1p(T.exp2(-T.abs(_float(a) - b))) /
                     np.log(2.0), "``log2(2**x1 + 2**x2)`` without overflow")
equal = _binary("equal", T.eq, "``x1 == x2``")
not_equal = _binary("not_equal", T.neq, "``x1 != x2``")
greater = _binary("greater", T.gt, "``x1 > x2``")
greater_equal = _binary("greater_equal", T.ge, "``x1 >= x2``")
less = _binary("less", T.lt, "``x1 < x2``")
less_equal = _binary("less_equal", T.le, "``x1 <= x2``")
logical_and = _binary("logical_and", lambda a, b: T.and_(T.neq(a, 0), T.neq(b, 0)), "logical and")
logical_or = _binary("logical_or", lambda a, b: T.or_(T.neq(a, 0), T.neq(b, 0)), "logical or")
logical_xor = _binary("logical_xor", lambda a, b: T.xor(T.neq(a, 0), T.neq(b, 0)), "logical xor")
divide_no_nan = _binary("divide_no_nan", lambda a, b: T.switch(T.eq(b, 0), T.zeros_like(_float(a) / b),
                                                               _float(a) / T.switch(T.eq(b, 0), T.ones_like(b), b)),
                        "``x1 / x2``, 0 where ``x2 == 0``")
heaviside = _binary("heaviside", lambda a, b: T.switch(T.lt(a, 0), T.zeros_like(_float(a)),
                                                       T.switch(T.gt(a, 0), T.ones_like(_float(a)),
                                                                T.cast(b, _float(a).dtype) * T.ones_like(_float(a)))),
                    "step function: 0 below 0, 1 above, ``x2`` at 0")
bitwise_and = _binary("bitwise_and", T.and_, "bitwise and (integers)")
bitwise_or = _binary("bitwise_or", T.or_, "bitwise or (integers)")
bitwise_xor = _binary("bitwise_xor", T.xor, "bitwise xor (integers)")
ldexp = _binary("ldexp", lambda a, b: _float(a) * T.exp2(T.cast(b, _float(a).dtype)), "``x1 * 2 ** x2``")
left_shift = _binary("left_shift", lambda a, b: a * T.cast(T.pow(2, b), a.dtype), "``x1 << x2`` (integers)")
right_shift = _binary("right_shift", lambda a, b: T.floor_div(a, T.cast(T.pow(2, b), a.dtype)),
                      "``x1 >> x2`` (integers)")


# ------------------------------------------------------------------------------------------- reductions
def _reduction(name, op, what, floats=False):
    def apply(x, axis=None, keepdims=False):
        x = tensor(x)
        return op(_float(x) if floats else x, axis=axis, keepdims=keepdims)
    return eager_function(_named(apply, name, f"The {what} over ``axis`` (all axes if None)."))


sum = _reduction("sum", T.sum, "sum")  # noqa: A001
mean = _reduction("mean", T.mean, "mean", floats=True)
max = _reduction("max", T.max, "maximum")  # noqa: A001
min = _reduction("min", T.min, "minimum")  # noqa: A001
amax = _reduction("amax", T.max, "maximum")
amin = _reduction("amin", T.min, "minimum")
prod = _reduction("prod", T.prod, "product")
std = _reduction("std", T.std, "standard deviation", floats=True)
var = _reduction("var", T.var, "variance", floats=True)
any = _reduction("any", lambda x, axis, keepdims: T.any(T.neq(x, 0), axis=axis, keepdims=keepdims),  # noqa: A001
                 "logical or")
all = _reduction("all", lambda x, axis, keepdims: T.all(T.neq(x, 0), axis=axis, keepdims=keepdims),  # noqa: A001
                 "logical and")
count_nonzero = _reduction("count_nonzero", lambda x, axis, keepdims: T.sum(T.cast(T.neq(x, 0), "int64"),
                                                                              axis=axis, keepdims=keepdims),
                           "number of nonzero entries")
ptp = _reduction("ptp", lambda x, axis, keepdims: T.max(x, axis=axis, keepdims=keepdims) -
                 T.min(x, axis=axis, keepdims=keepdims), "range (max - min)")


@eager_function
def argmax(x, axis=None, keepdims=False):
    """The index of the largest value along ``axis`` (of the flattened tensor if None)."""
    return T.argmax(tensor(x), axis=axis, keepdims=keepdims)


@eager_function
def argmin(x, axis=None, keepdims=False):
    """The index of the smallest value along ``axis`` (of the flattened tensor if None)."""
    return T.argmin(tensor(x), axis=axis, keepdims=keepdims)


@eager_function
def average(x, axis=None, weights=None):
    """The (weighted) mean along ``axis``."""
    x = _float(tensor(x))
    if weights is None:
        return T.mean(x, axis=axis)
    weights = T.cast(tensor(weights), x.dtype)
    if weights.ndim == 1 and x.ndim > 1 and axis is not None:
        pattern = ["x"] * x.ndim
        pattern[axis % x.ndim] = 0
        weights = weights.dimshuffle(*pattern)
    return T.sum(x * weights, axis=axis) / T.sum(weights * T.ones_like(x), axis=axis)


@eager_function
def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The ``q``-th quantiles (``q`` in [0, 1], a number or a vector) along ``axis``, NumPy's linear method."""
    if method != "linear":
        raise ValueError(f"quantile: only method='linear' is available, received {method!r}")
    x = _float(tensor(x))
    if axis is None:
        x, axis, shape_axis = T.flatten(x), 0, None
    else:
        shape_axis = axis
    axis = axis % x.ndim
    ordered = T.sort(x, axis=axis)
    n = T.cast(T.shape(x)[axis], x.dtype)
    q = T.cast(tensor(q), x.dtype)
    position = q * (n - 1)
    lower = T.cast(T.floor(position), "int64")
    upper = T.minimum(lower + 1, T.cast(n, "int64") - 1)
    fraction = position - T.floor(position)

    def at(index):
        moved = ordered.dimshuffle(axis, *[a for a in range(x.ndim) if a != axis])
        return moved[index]

    low, high = at(lower), at(upper)
    if q.ndim:
        fraction = fraction.dimshuffle(0, *(["x"] * (x.ndim - 1)))
    result = low + (high - low) * fraction
    if keepdims:
        result = T.expand_dims(result, axis + (1 if q.ndim else 0)) if shape_axis is not None else \
            T.reshape(result, ((T.shape(result)[0],) if q.ndim else ()) + (1,) * x.ndim)
    return result


@eager_function
def percentile(x, q, axis=None, method="linear", keepdims=False):
    """The ``q``-th percentiles (``q`` in [0, 100]) along ``axis``: ``quantile(x, q / 100)``."""
    return quantile.symbolic(x, T.as_tensor_variable(q) / 100.0 if not np.isscalar(q) else q / 100.0, axis=axis,
                             method=method, keepdims=keepdims)


@eager_function
def median(x, axis=None, keepdims=False):
    """The median along ``axis`` (the mean of the middle two for an even count)."""
    return quantile.symbolic(x, 0.5, axis=axis, keepdims=keepdims)


@eager_function
def cumsum(x, axis=None, dtype=None):
    """Running sums along ``axis`` (of the flattened tensor if None)."""
    x = tensor(x, dtype)
    return T.cumsum(x, axis=axis)


@eager_function
def cumprod(x, axis=None, dtype=None):
    """Running products along ``axis`` (of the flattened tensor if None)."""
    return T.cumprod(tensor(x, dtype), axis=axis)


# ------------------------------------------------------------------------------------------- selection
@eager_function
def clip(x, x_min, x_max):
    """``x`` limited to [x_min, x_max]."""
    return T.clip(tensor(x), x_min, x_max)


@eager_function
def where(condition, x1=None, x2=None):
    """``x1`` where ``condition`` holds, else ``x2`` (NumPy broadcasting)."""
    if x1 is None and x2 is None:
        raise ValueError("where: the one-argument form (indices of nonzero entries) has a data-dependent shape; "
                         "use ops.nonzero")
    return T.switch(T.neq(tensor(condition), 0), tensor(x1), tensor(x2))


@eager_function
def select(condlist, choicelist, default=0):
    """The first choice whose condition holds, per entry (NumPy's ``select``)."""
    result = tensor(default)
    for condition, choice in reversed(list(builtins.zip(condlist, choicelist))):
        result = T.switch(T.neq(tensor(condition), 0), tensor(choice), result)
    return result


@eager_function
def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """``|x1 - x2| <= atol + rtol * |x2|`` elementwise."""
    return T.isclose(tensor(x1), tensor(x2), rtol=rtol, atol=atol, equal_nan=equal_nan)


@eager_function
def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    """True if every entry is close (``isclose``)."""
    return T.all(T.isclose(tensor(x1), tensor(x2), rtol=rtol, atol=atol, equal_nan=equal_nan))


@eager_function
def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """``x`` with NaN replaced by ``nan`` and infinities by the given values (the dtype's extremes by default)."""
    x = tensor(x)
    if not x.dtype.startswith("float"):
        return x
    info = np.finfo(x.dtype)
    x = T.switch(T.isnan(x), T.cast(nan, x.dtype), x)
    x = T.switch(T.and_(T.isinf(x), T.gt(x, 0)), T.cast(info.max if posinf is None else posinf, x.dtype), x)
    return T.switch(T.and_(T.isinf(x), T.lt(x, 0)), T.cast(info.min if neginf is None else neginf, x.dtype), x)


@eager_function
def diff(a, n=1, axis=-1):
    """The ``n``-th discrete difference along ``axis``."""
    return T.diff(tensor(a), n=n, axis=axis)


# ------------------------------------------------------------------------------------------- products
@eager_function
def matmul(x1, x2):
    """NumPy's ``matmul``: batched over leading axes, vectors promoted and their axes removed."""
    return T.matmul(tensor(x1), tensor(x2))


@eager_function
def dot(x1, x2):
    """NumPy's ``dot``: the last axis of ``x1`` against the second-to-last of ``x2`` (scalars multiply)."""
    x1, x2 = tensor(x1), tensor(x2)
    if x1.ndim == 0 or x2.ndim == 0:
        return x1 * x2
    if x1.ndim <= 2 and x2.ndim <= 2:
        return T.dot(x1, x2)
    return T.tensordot(x1, x2, axes=[[x1.ndim - 1], [builtins.max(x2.ndim - 2, 0)]])


@eager_function
def tensordot(x1, x2, axes=2):
    """Sums of products over ``axes`` (an int: the last of x1 against the first of x2; or two lists)."""
    return T.tensordot(tensor(x1), tensor(x2), axes=axes)


@eager_function
def inner(x1, x2):
    """Sums of products over the last axes."""
    x1, x2 = tensor(x1), tensor(x2)
    if x1.ndim == 0 or x2.ndim == 0:
        return x1 * x2
    return T.tensordot(x1, x2, axes=[[x1.ndim - 1], [x2.ndim - 1]])


@eager_function
def outer(x1, x2):
    """The outer product of the flattened inputs."""
    return T.outer(T.flatten(tensor(x1)), T.flatten(tensor(x2)))


@eager_function
def vdot(x1, x2):
    """The dot product of the flattened inputs."""
    return T.sum(T.flatten(tensor(x1)) * T.flatten(tensor(x2)))


@eager_function
def trace(x, offset=0, axis1=0, axis2=1):
    """Sums along diagonals of the (axis1, axis2) planes."""
    x = tensor(x)
    rest = [a for a in range(x.ndim) if a not in (axis1 % x.ndim, axis2 % x.ndim)]
    moved = x.dimshuffle(*rest, axis1 % x.ndim, axis2 % x.ndim)
    rows, cols = T.shape(moved)[-2], T.shape(moved)[-1]
    mask = T.eq(T.arange(rows, dtype="int64").dimshuffle(0, "x") + offset, T.arange(cols, dtype="int64"))
    return T.sum(T.switch(mask, moved, T.zeros_like(moved)), axis=[-2, -1])


@eager_function
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The integral of ``y`` along ``axis`` by the trapezoidal rule (samples at ``x``, or ``dx`` apart)."""
    y = _float(tensor(y))
    axis = axis % y.ndim
    low, high = [slice(None)] * y.ndim, [slice(None)] * y.ndim
    low[axis], high[axis] = slice(None, -1), slice(1, None)
    pairs = (y[tuple(low)] + y[tuple(high)]) / 2.0
    widths = dx if x is None else T.diff(_float(tensor(x)), axis=-1 if tensor(x).ndim == 1 else axis)
    if x is not None and tensor(x).ndim == 1 and y.ndim > 1:
        pattern = ["x"] * y.ndim
        pattern[axis] = 0
        widths = widths.dimshuffle(*pattern)
    return T.sum(pairs * widths, axis=axis)


@eager_function
def kron(x1, x2):
    """The Kronecker product (inputs of one rank)."""
    x1, x2 = tensor(x1), tensor(x2)
    n = builtins.max(x1.ndim, x2.ndim)
    x1 = T.reshape(x1, (1,) * (n - x1.ndim) + tuple(T.shape_tuple(x1))) if x1.ndim < n else x1
    x2 = T.reshape(x2, (1,) * (n - x2.ndim) + tuple(T.shape_tuple(x2))) if x2.ndim < n else x2
    # (a0, 1, a1, 1...) * (1, b0, 1, b1...) -> (a0 * b0, a1 * b1, ...)
    product = x1.dimshuffle(*[p for a in range(n) for p in (a, "x")]) * \
        x2.dimshuffle(*[p for a in range(n) for p in ("x", a)])
    sizes = [T.shape(x1)[a] * T.shape(x2)[a] for a in range(n)]
    return T.reshape(product, T.stack(sizes))


@eager_function
def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of 3-vectors along the last axes."""
    if axis is not None:
        axisa = axisb = axisc = axis
    x1, x2 = tensor(x1), tensor(x2)
    if (axisa, axisb, axisc) != (-1, -1, -1):
        raise ValueError("cross: only the last axes (the default) are supported")
    a = [x1[..., k] for k in range(3)]
    b = [x2[..., k] for k in range(3)]
    return T.stack([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]], axis=-1)


# ------------------------------------------------------------------------------------------- einsum
def _einsum_operands(subscripts, operands):
    """The per-operand letter strings and the output letters, with '...' spelt out as capital letters."""
    if "->" in subscripts:
        inputs, output = subscripts.replace(" ", "").split("->")
    else:
        inputs, output = subscripts.replace(" ", ""), None
    terms = inputs.split(",")
    if len(terms) != len(operands):
        raise ValueError(f"einsum: {subscripts!r} names {len(terms)} operands, received {len(operands)}")
    ellipsis_rank = builtins.max([op.ndim - len(term.replace("...", "")) for term, op in builtins.zip(terms, operands)
                                  if "..." in term] or [0])
    spare = string.ascii_uppercase[:ellipsis_rank]
    spelt = []
    for term, op in builtins.zip(terms, operands):
        if "..." in term:
            own = op.ndim - len(term.replace("...", ""))
            term = term.replace("...", spare[ellipsis_rank - own:])
        if len(term) != op.ndim:
            raise ValueError(f"einsum: term {term!r} has {len(term)} letters for an operand of rank {op.ndim}")
        if len(set(term)) != len(term):
            raise ValueError(f"einsum: a letter repeated within one operand ({term!r}, a diagonal) is not supported")
        spelt.append(term)
    if output is None:
        counts = {}
        for term in spelt:
            for letter in term:
                counts[letter] = counts.get(letter, 0) + 1
        output = spare + "".join(sorted(l for l, c in counts.items() if c == 1 and l not in spare))
    else:
        output = output.replace("...", spare)
    return spelt, output


def _contract(a, sa, b, sb, keep):
    """``a`` (letters ``sa``) times ``b`` (``sb``), summing the shared letters not in ``keep``, as one batched
    matrix product: batch letters (shared, kept), then a's own, then b's own."""
    shared = [l for l in sa if l in sb]
    batch = [l for l in shared if l in keep]
    summed = [l for l in shared if l not in keep]
    a_own, b_own = [l for l in sa if l not in sb], [l for l in sb if l not in sa]
    a_t = a.dimshuffle(*[sa.index(l) for l in batch + a_own + summed])
    b_t = b.dimshuffle(*[sb.index(l) for l in batch + summed + b_own])

    def sizes(t, start, stop):
        return [T.shape(t)[k] for k in range(start, stop)]

    nb, na, ns, nbo = len(batch), len(a_own), len(summed), len(b_own)
    batch_sizes = [T.maximum(T.shape(a_t)[k], T.shape(b_t)[k]) for k in range(nb)]
    a_sizes, b_sizes = sizes(a_t, nb, nb + na), sizes(b_t, nb + ns, nb + ns + nbo)

    def product(values):
        result = T.constant(np.int64(1))
        for v in values:
            result = result * v
        return result

    a_m = T.reshape(T.broadcast_to(a_t, batch_sizes + sizes(a_t, nb, a_t.ndim)),
                    T.stack([product(batch_sizes), product(a_sizes), product(sizes(a_t, nb + na, a_t.ndim))]))
    b_m = T.reshape(T.broadcast_to(b_t, batch_sizes + sizes(b_t, nb, b_t.ndim)),
                    T.stack([product(batch_sizes), product(sizes(b_t, nb, nb + ns)), product(b_sizes)]))
    out = T.matmul(a_m, b_m)
    sizes = batch_sizes + a_sizes + b_sizes
    return T.reshape(out, T.stack(sizes) if sizes else ()), "".join(batch + a_own + b_own)


@eager_function
def einsum(subscripts, *operands):
    """Einstein summation (``'bij,bjk->bik'``, ``'...ij,...jk'``): pairs of operands become batched matrix
    products. Diagonals (a letter twice in one operand) are not supported.

    Example:
        >>> einsum("ij,jk->ik", np.eye(2), np.ones((2, 3))).tolist()
        [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]]
    """
    operands = [tensor(op) for op in operands]
    terms, output = _einsum_operands(subscripts, operands)
    # letters no later operand nor the output needs are summed away early
    current, letters = operands[0], terms[0]
    for k in range(1, len(operands)):
        needed = set(output) | set("".join(terms[k + 1:]))
        current, letters = _sum_unneeded(current, letters, needed | set(terms[k]))
        other, other_letters = _sum_unneeded(operands[k], terms[k], needed | set(letters))
        current, letters = _contract(current, letters, other, other_letters, needed)
    current, letters = _sum_unneeded(current, letters, set(output))
    missing = sorted(set(output) - set(letters))
    if missing:
        raise ValueError(f"einsum: output letters {missing} appear in no operand of {subscripts!r}")
    return current.dimshuffle(*[letters.index(l) for l in output]) if letters != output else current


def _sum_unneeded(x, letters, needed):
    drop = [k for k, l in enumerate(letters) if l not in needed]
    if not drop:
        return x, letters
    return T.sum(x, axis=drop), "".join(l for l in letters if l in needed)
