"""Elementwise functions users call (``exp``, ``maximum``, ``switch``...), one per row of scalar.py's table."""
from .elemwise import Elemwise
from .scalar import SCALAR_OPS

__all__ = list(SCALAR_OPS) + ["sub", "where", "cast", "clip", "round", "abs_", "pow", "sqr", "square", "inv",
                              "sgn", "sign", "true_divide", "floor_div", "ceil_intdiv", "logical_not",
                              "logical_and", "logical_or", "logical_xor", "bitwise_not", "isclose", "allclose",
                              "real", "angle", "deg2rad", "rad2deg", "iround", "bitwise_and", "bitwise_or",
                              "bitwise_xor"]

ELEMWISE = {name: Elemwise(op) for name, op in SCALAR_OPS.items()}


def _function(name):
    op = ELEMWISE[name]
    nin = SCALAR_OPS[name].nin

    def fn(*args):
        if len(args) != nin:
            raise TypeError(f"{name}() takes {nin} argument{'s' if nin > 1 else ''}, received {len(args)}")
        return op(*args)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Elementwise ``{name}`` with NumPy broadcasting (see scalar.py for its dtype and gradient rules)."
    return fn


# One function per table row: add, sub, mul, true_div, exp, tanh, ...
for _name in SCALAR_OPS:
    globals()[_name] = _function(_name)


def cast(x, dtype):
    """``x`` converted to ``dtype`` ('floatX' allowed); a no-op when it already has it."""
    from .basic import cast as _cast

    return _cast(x, dtype)


def round(x, mode=None):  # noqa: A001  (Theano's name)
    """Round to the nearest integer; ties go ``half_to_even`` (the default, as in Theano 1.0 and NumPy) or
    ``half_away_from_zero``."""
    if mode is None or mode == "half_to_even":
        return round_half_to_even(x)  # noqa: F821
    if mode == "half_away_from_zero":
        return round_half_away_from_zero(x)  # noqa: F821
    raise ValueError(f"round: mode must be 'half_away_from_zero' or 'half_to_even', received {mode!r}")


def iround(x, mode=None):
    """``round(x, mode)`` as int64 (Theano's name)."""
    return cast(round(x, mode), "int64")


def clip(x, a_min, a_max):
    """``min(max(x, a_min), a_max)``; the gradient flows to x inside the interval and to the bound that clips."""
    return ELEMWISE["clip"](x, a_min, a_max)


def where(condition, x, y):
    """Elementwise ``x if condition else y`` (eager: both sides are computed; use ``ifelse`` to branch lazily)."""
    return ELEMWISE["switch"](condition, x, y)


def isclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Elementwise ``|a - b| <= atol + rtol * |b|`` for finite values, equality for infinite ones (NumPy's)."""
    finite = and_(invert(isinf(a)), invert(isinf(b)))  # noqa: F821
    close = or_(and_(finite, le(abs(sub(a, b)), add(atol, mul(rtol, abs(b))))), eq(a, b))  # noqa: F821
    if equal_nan:
        close = or_(close, and_(isnan(a), isnan(b)))  # noqa: F821
    return close


def allclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Scalar: True when every element of ``a`` is close to ``b`` (as ``numpy.allclose``)."""
    from .reduce import all as _all

    return _all(isclose(a, b, rtol, atol, equal_nan))


def ceil_intdiv(a, b):
    """``ceil(a / b)`` for integers, without going through floats."""
    return neg(int_div(neg(a), b))  # noqa: F821


def deg2rad(x):
    """Degrees to radians."""
    return mul(x, 3.141592653589793 / 180.0)  # noqa: F821


def rad2deg(x):
    """Radians to degrees."""
    return mul(x, 180.0 / 3.141592653589793)  # noqa: F821


def angle(x):
    """The complex argument; for real tensors 0 where ``x >= 0`` and pi where it is negative (``numpy.angle``)."""
    return arctan2(0.0, x)  # noqa: F821


def real(x):
    """Real part; tensors are real-valued here, so ``x`` itself."""
    return x


# NumPy and Theano spellings of the same operations (public aliases only).
abs_ = abs  # noqa: F821
square = sqr  # noqa: F821
inv = reciprocal  # noqa: F821
sign = sgn  # noqa: F821
true_divide = true_div  # noqa: F821
floor_div = int_div  # noqa: F821
bitwise_not = invert  # noqa: F821
bitwise_and = and_  # noqa: F821
bitwise_or = or_  # noqa: F821
bitwise_xor = xor  # noqa: F821
logical_not = invert  # noqa: F821  (on bool tensors, which comparisons return)
logical_and = and_  # noqa: F821
logical_or = or_  # noqa: F821
logical_xor = xor  # noqa: F821
