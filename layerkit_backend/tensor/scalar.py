"""Elementwise operations as table rows: name, arity, how the array module computes it, dtype rule, gradient.

``Elemwise`` (elemwise.py) lifts a row to tensors with broadcasting; fusion (rewrite/fusion.py) turns a chain of
rows into one generated kernel. A new unary op is one ``ScalarOp(...)`` line plus its gradient rule.

Gradient rules receive tensor Variables ``(inputs, output, output_gradient)`` and return one gradient per input
(None where the input is not differentiable, e.g. the condition of ``switch``).
"""
import math as _pymath

import numpy as np

from ..config import config
from .special import SPECIAL_ROWS
from .type import FLOAT_DTYPES

__all__ = ["ScalarOp", "SCALAR_OPS", "upcast", "Composite"]


def upcast(*dtypes):
    """The dtype of an elementwise result. NumPy's promotion, except that an integer or bool operand never widens
    a float one: int32 * float32 is float32 (NumPy says float64), so a float32 model stays float32."""
    floats = [d for d in dtypes if d in FLOAT_DTYPES or d.startswith("complex")]
    if floats and len(floats) < len(dtypes):
        dtypes = floats
    return np.result_type(*dtypes).name


def _float_upcast(*dtypes):
    d = upcast(*dtypes)
    return d if d in FLOAT_DTYPES or d.startswith("complex") else config.floatX


DTYPE_RULES = {
    "upcast": upcast,
    "upcast_nobool": lambda *d: "int8" if upcast(*d) == "bool" else upcast(*d),  # bool ** bool is int8
    "float": _float_upcast,           # integers become floatX (sqrt, exp, true division...)
    "bool": lambda *d: "bool",        # comparisons and predicates
    "switch": lambda c, a, b: upcast(a, b),
}

_natural_cache = {}


def _natural_dtype(fn, in_dtypes):
    """The dtype NumPy's own function returns for these input dtypes (probed once on empty arrays)."""
    key = (fn, in_dtypes)
    if key not in _natural_cache:
        try:
            _natural_cache[key] = np.asarray(fn(*[np.empty(0, d) for d in in_dtypes])).dtype.name
        except TypeError:
            _natural_cache[key] = None
    return _natural_cache[key]


class ScalarOp:
    """One elementwise operation.

    Args:
        name: the user-facing name (``exp``) and the array-module function called, unless ``impl`` is given.
        nin: number of inputs.
        dtype_rule: a key of DTYPE_RULES.
        grad: ``f(inputs, output, gz) -> [grad per input]`` over tensor Variables, or None (no gradient flows:
            the output is piecewise constant or boolean; an input reached only through it gets zeros).
        impl: ``f(xp, *args, out=None)`` for operations the array module spells differently or lacks.
        xp_name: the array-module function name when it differs from ``name``.
        cuda: the C expression for generated kernels, CUDA and native CPU alike (see ``_c_float`` below and
            backends/scalar_c.py), or None to run through the array module.
    """

    def __init__(self, name, nin, dtype_rule="upcast", grad=None, impl=None, xp_name=None, commutative=False,
                 identity=None, cuda=None):
        self.name, self.nin, self.dtype_rule = name, nin, dtype_rule
        self.cuda = cuda
        self.grad_rule, self.impl = grad, impl
        self.xp_name = xp_name or name
        self.commutative, self.identity = commutative, identity

    def output_dtype(self, *in_dtypes):
        return DTYPE_RULES[self.dtype_rule](*in_dtypes)

    def make_call(self, xp, in_dtypes, out_dtype):
        """A callable ``f(*arrays, out=None)`` computing this op with the right output dtype."""
        if self.impl is not None:
            impl = self.impl

            def call(*args, out=None):
                r = impl(xp, *args, out=out)
                # an impl may follow NumPy's promotion (where(c, int32, float32) is float64): enforce our rule
                return r if r.dtype == out_dtype else r.astype(out_dtype)

            return call
        fn = getattr(xp, self.xp_name)
        natural = _natural_dtype(getattr(np, self.xp_name), tuple(in_dtypes))
        if natural == out_dtype or self.dtype_rule == "bool":
            return fn
        return lambda *args, out=None: fn(*args, out=out, dtype=out_dtype)

    def grad(self, inputs, output, gz):
        if self.grad_rule is None:
            # piecewise constant or boolean: no gradient flows (None, not a zeros tensor that would turn an
            # infinite or NaN gradient further down into NaN); an input reached only this way gets zeros
            return [None] * len(inputs)
        return self.grad_rule(inputs, output, gz)

    def __eq__(self, other):
        return type(other) is type(self) and other.name == self.name

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return self.name

    def __reduce__(self):
        # a table row pickles as its name (its rules are lambdas): loading finds the same row
        if SCALAR_OPS.get(self.name) is not self:
            raise TypeError(f"cannot pickle the scalar op {self.name}: it is not a row of SCALAR_OPS")
        return (_table_row, (self.name,))


def _table_row(name):
    return SCALAR_OPS[name]


class Cast(ScalarOp):
    """Conversion to a fixed dtype; its gradient is the output gradient cast back (float inputs only)."""

    def __init__(self, dtype):
        super().__init__(f"cast_{dtype}", 1, grad=self._grad)
        self.dtype = dtype

    def output_dtype(self, *in_dtypes):
        return self.dtype

    def make_call(self, xp, in_dtypes, out_dtype):
        dtype = self.dtype

        def cast(x, out=None):
            if out is None:
                return xp.asarray(x).astype(dtype)
            out[...] = x
            return out

        return cast

    def _grad(self, inputs, output, gz):
        (x,) = inputs
        return [_m.cast(gz, x.dtype) if x.dtype in FLOAT_DTYPES else None]

    def __eq__(self, other):
        return type(other) is Cast and other.dtype == self.dtype

    def __hash__(self):
        return hash(("cast", self.dtype))

    def __reduce__(self):
        return (Cast, (self.dtype,))


# -- implementations the array module spells differently ---------------------------------------------------------
def _round_half_away(xp, x, out=None):
    r = xp.floor(xp.abs(x) + 0.5)
    return xp.multiply(xp.sign(x), r, out=out)


def _pow_impl(xp, x, y, out=None):
    if x.dtype.kind in "iub" and y.dtype.kind in "iub":
        # Theano's integer power (its C code): a negative exponent is computed in double and truncated toward 0
        # (2 ** -1 == 0, (-1) ** -3 == -1), where NumPy refuses; bools count as int8 (True ** True == 1).
        xi = x.astype("int8") if x.dtype.kind == "b" else x
        yi = y.astype("int8") if y.dtype.kind == "b" else y
        negative = yi < 0
        if not negative.any():
            return xp.power(xi, yi, out=out)
        with xp.errstate(divide="ignore", invalid="ignore", over="ignore"):
            inverse = xp.trunc(xp.power(xi.astype("float64"), yi.astype("float64")))
        inverse = xp.where(xp.isfinite(inverse), inverse, 0)  # 0 ** -k: Theano's C code is undefined there
        r = xp.where(negative, inverse, xp.power(xi, xp.where(negative, 0, yi)))
        if out is None:
            return r
        out[...] = r
        return out
    return xp.power(x, y, out=out)


def _int_div_impl(xp, x, y, out=None):
    if x.dtype.kind == "f" or y.dtype.kind == "f":
        # Theano's floor(x / y): NumPy's floor_divide differs where x / y rounds up to an integer (3.7 // 0.1)
        r = xp.true_divide(x, y)
        return xp.floor(r, out=out)
    return xp.floor_divide(x, y, out=out)


def _bool_square(xp, x, out=None):
    return xp.multiply(x, x, out=out)  # NumPy has no bool square; x * x is x and x


def _integer_safe(fn_name):
    """floor/ceil/trunc/round: identity on integers (NumPy would return float64)."""
    def impl(xp, x, out=None):
        if x.dtype.kind in "iub":
            if out is None:
                return xp.array(x, copy=True)
            out[...] = x
            return out
        return getattr(xp, fn_name)(x, out=out)

    return impl


_integer_floor = _integer_safe("floor")


def _round_half_away_impl(xp, x, out=None):
    return _integer_floor(xp, x, out) if x.dtype.kind in "iub" else _round_half_away(xp, x, out)


def _switch(xp, c, a, b, out=None):
    r = xp.where(c, a, b)
    if out is None:
        return r.astype(xp.result_type(a, b), copy=False) if hasattr(r, "astype") else r
    out[...] = r
    return out


def _clip(xp, x, lo, hi, out=None):
    # Theano's clip(x, lo, hi) is min(max(x, lo), hi), in the upcast dtype of the three (make_call casts)
    return xp.minimum(xp.maximum(x, lo), hi, out=out)


def _ultra_fast_sigmoid_impl(xp, x, out=None):
    # Theano's piecewise approximation of sigmoid (not monotonic at |x| = 3.4, as there)
    h = xp.abs(x) * 0.5
    z = xp.where(h < 1.7, 1.5 * h / (1 + h), xp.where(h < 3, 0.935409070603099 + 0.0458812946797165 * (h - 1.7),
                                                       0.99505475368673))
    r = 0.5 * (xp.where(x >= 0, z, -z) + 1)  # (NaN takes Theano's negative branch)
    if out is None:
        return r.astype(x.dtype, copy=False)
    out[...] = r
    return out


def _g_ultra_fast_sigmoid(i, o, g):
    h = _m.abs(i[0]) * 0.5
    slope = _m.switch(_m.lt(h, 1.7), 0.375 / _m.sqr(1 + h), _m.switch(_m.lt(h, 3), 0.0114703236699291, 0.0))
    return [g * slope]


def _relu_impl(xp, x, out=None):
    # maximum propagates NaN (a NaN pre-activation stays visible); a Python 0 keeps the input's dtype
    return xp.maximum(x, 0, out=out)


def _sigmoid_impl(xp, x, out=None):
    # 1 / (1 + exp(-x)) keeps full relative precision in both tails wherever the result is a normal number (the
    # tanh form rounds sigmoid(-20) to exactly 0 in float32); where exp(-x) overflows the result is 1 / inf = 0,
    # below the smallest normal number anyway. Four passes: this runs at every step of an LSTM.
    errstate = getattr(xp, "errstate", None)
    if errstate is not None:
        with errstate(over="ignore"):
            e = xp.exp(xp.negative(x))
    else:
        e = xp.exp(xp.negative(x))
    return xp.divide(1, xp.add(e, 1), out=out)


def _softplus_impl(xp, x, out=None):
    # log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)): no overflow for large |x|.
    r = xp.log1p(xp.exp(-xp.abs(x)))
    return xp.add(r, xp.maximum(x, 0), out=out)


# -- gradient rules ---------------------------------------------------------------------------------------------
_LN2, _LN10 = _pymath.log(2.0), _pymath.log(10.0)


def _g_pow(i, o, g):
    # d/dx x ** y = y x ** (y - 1), and 0 for the constant exponent 0 (not 0 * inf at x == 0: what Theano's
    # default mode gives too); d/dy = log(x) x ** y, taken as 0 where x == 0 (Theano's rule)
    x, y = i
    data = getattr(y, "data", None)
    if data is not None and not np.any(data):
        from .basic import zeros_like

        gx = zeros_like(x)
    else:
        gx = g * y * _m.pow(x, y - 1)
    gy = _m.switch(_m.eq(x, 0), 0, g * o * _m.log(x)) if y.dtype in FLOAT_DTYPES else None
    return [gx, gy]


def _g_extremum(i, o, g):
    # Theano's rule: where both arguments are equal the whole gradient goes to the first one (so
    # maximum(x, x) has gradient 1, not 2); where the result is NaN it goes to the second.
    x, y = i
    first = _m.cast(_m.eq(o, x), g.dtype)
    return [g * first, g * (1 - first)]


def _g_clip(i, o, g):
    x, lo, hi = i
    inside = _m.and_(_m.ge(x, lo), _m.le(x, hi))
    return [g * _m.cast(inside, g.dtype),
            g * _m.cast(_m.lt(x, lo), g.dtype) if lo.dtype in FLOAT_DTYPES else None,
            g * _m.cast(_m.gt(x, hi), g.dtype) if hi.dtype in FLOAT_DTYPES else None]


def _g_switch(i, o, g):
    c, a, b = i
    from .basic import zeros_like

    zero = zeros_like(g)
    return [None, _m.switch(c, g, zero), _m.switch(c, zero, g)]


# The ``cuda`` column: a C expression over the operands {0}, {1}, ... (already cast to the step's compute dtype),
# or a dict from dtype kind to expression; a kind left out runs through the array module. The generated CUDA kernels
# and the native CPU tier both read it (backends/scalar_c.py).
def _c_float(fn):
    return {"f": fn + "({0})"}


def _c_rounding(fn):
    return {"f": fn + "({0})", "i": "{0}", "u": "{0}", "b": "{0}"}


def _c_float_int(float_expr, int_expr):
    return {"f": float_expr, "i": int_expr, "u": int_expr}


def _c_float_or(float_expr, other):
    return {"f": float_expr, "i": other, "u": other, "b": other}


_ROWS = [
    # name, nin, dtype rule, gradient rule, keyword arguments
    ("add", 2, "upcast", lambda i, o, g: [g, g], dict(commutative=True, identity=0, cuda="{0} + {1}")),
    ("sub", 2, "upcast", lambda i, o, g: [g, -g], dict(xp_name="subtract", cuda="{0} - {1}")),
    ("mul", 2, "upcast", lambda i, o, g: [g * i[1], g * i[0]], dict(xp_name="multiply", commutative=True,
                                                                    identity=1, cuda="{0} * {1}")),
    ("true_div", 2, "float", lambda i, o, g: [g / i[1], -g * o / i[1]], dict(xp_name="true_divide",
                                                                             cuda="{0} / {1}")),
    ("int_div", 2, "upcast", None, dict(impl=_int_div_impl,   # Theano's floor(x / y) for floats
                                         cuda=_c_float_int("floor({0} / {1})", "lk_ifloordiv({0}, {1})"))),
    ("mod", 2, "upcast", lambda i, o, g: [g, -g * _m.int_div(i[0], i[1])], dict(xp_name="mod",
          cuda=_c_float_int("lk_fmod({0}, {1})", "lk_imod({0}, {1})"))),
    ("pow", 2, "upcast_nobool", _g_pow, dict(impl=_pow_impl, cuda={"f": "pow({0}, {1})"})),
    ("maximum", 2, "upcast", _g_extremum, dict(commutative=True, cuda="lk_max({0}, {1})")),
    ("minimum", 2, "upcast", _g_extremum, dict(commutative=True, cuda="lk_min({0}, {1})")),
    ("arctan2", 2, "float", lambda i, o, g: [g * i[1] / (_m.sqr(i[0]) + _m.sqr(i[1])),
                                            -g * i[0] / (_m.sqr(i[0]) + _m.sqr(i[1]))],
     dict(cuda={"f": "atan2({0}, {1})"})),
    ("lt", 2, "bool", None, dict(xp_name="less", cuda="{0} < {1}")),
    ("gt", 2, "bool", None, dict(xp_name="greater", cuda="{0} > {1}")),
    ("le", 2, "bool", None, dict(xp_name="less_equal", cuda="{0} <= {1}")),
    ("ge", 2, "bool", None, dict(xp_name="greater_equal", cuda="{0} >= {1}")),
    ("eq", 2, "bool", None, dict(xp_name="equal", commutative=True, cuda="{0} == {1}")),
    ("neq", 2, "bool", None, dict(xp_name="not_equal", commutative=True, cuda="{0} != {1}")),
    ("and_", 2, "upcast", None, dict(xp_name="bitwise_and", commutative=True, cuda="{0} & {1}")),
    ("or_", 2, "upcast", None, dict(xp_name="bitwise_or", commutative=True, cuda="{0} | {1}")),
    ("xor", 2, "upcast", None, dict(xp_name="bitwise_xor", commutative=True, cuda="{0} ^ {1}")),
    ("invert", 1, "upcast", None, dict(xp_name="invert", cuda={"b": "!{0}", "i": "~{0}", "u": "~{0}"})),
    ("neg", 1, "upcast", lambda i, o, g: [-g], dict(xp_name="negative", cuda=_c_float_int("-{0}", "-{0}"))),
    ("abs", 1, "upcast", lambda i, o, g: [g * _m.sgn(i[0])], dict(xp_name="absolute",
          cuda={"f": "fabs({0})", "i": "({0} < 0 ? -{0} : {0})", "u": "{0}", "b": "{0}"})),
    ("sgn", 1, "upcast", None, dict(xp_name="sign", cuda=_c_float_int("lk_sign({0})", "lk_sign({0})"))),
    ("exp", 1, "float", lambda i, o, g: [g * o], dict(cuda=_c_float("exp"))),
    ("exp2", 1, "float", lambda i, o, g: [g * o * _LN2], dict(cuda=_c_float("exp2"))),
    ("expm1", 1, "float", lambda i, o, g: [g * (o + 1)], dict(cuda=_c_float("expm1"))),
    ("log", 1, "float", lambda i, o, g: [g / i[0]], dict(cuda=_c_float("log"))),
    ("log2", 1, "float", lambda i, o, g: [g / (i[0] * _LN2)], dict(cuda=_c_float("log2"))),
    ("log10", 1, "float", lambda i, o, g: [g / (i[0] * _LN10)], dict(cuda=_c_float("log10"))),
    ("log1p", 1, "float", lambda i, o, g: [g / (1 + i[0])], dict(cuda=_c_float("log1p"))),
    ("sqrt", 1, "float", lambda i, o, g: [g * 0.5 / o], dict(cuda=_c_float("sqrt"))),
    ("sqr", 1, "upcast", lambda i, o, g: [g * 2 * i[0]], dict(impl=_bool_square, cuda="{0} * {0}")),
    ("reciprocal", 1, "float", lambda i, o, g: [-g * _m.sqr(o)], dict(cuda={"f": "1 / {0}"})),
    ("sin", 1, "float", lambda i, o, g: [g * _m.cos(i[0])], dict(cuda=_c_float("sin"))),
    ("cos", 1, "float", lambda i, o, g: [-g * _m.sin(i[0])], dict(cuda=_c_float("cos"))),
    ("tan", 1, "float", lambda i, o, g: [g * (1 + _m.sqr(o))], dict(cuda=_c_float("tan"))),
    ("arcsin", 1, "float", lambda i, o, g: [g / _m.sqrt(1 - _m.sqr(i[0]))], dict(cuda=_c_float("asin"))),
    ("arccos", 1, "float", lambda i, o, g: [-g / _m.sqrt(1 - _m.sqr(i[0]))], dict(cuda=_c_float("acos"))),
    ("arctan", 1, "float", lambda i, o, g: [g / (1 + _m.sqr(i[0]))], dict(cuda=_c_float("atan"))),
    ("sinh", 1, "float", lambda i, o, g: [g * _m.cosh(i[0])], dict(cuda=_c_float("sinh"))),
    ("cosh", 1, "float", lambda i, o, g: [g * _m.sinh(i[0])], dict(cuda=_c_float("cosh"))),
    ("tanh", 1, "float", lambda i, o, g: [g * (1 - _m.sqr(o))], dict(cuda=_c_float("tanh"))),
    ("arcsinh", 1, "float", lambda i, o, g: [g / _m.sqrt(_m.sqr(i[0]) + 1)], dict(cuda=_c_float("asinh"))),
    ("arccosh", 1, "float", lambda i, o, g: [g / _m.sqrt(_m.sqr(i[0]) - 1)], dict(cuda=_c_float("acosh"))),
    ("arctanh", 1, "float", lambda i, o, g: [g / (1 - _m.sqr(i[0]))], dict(cuda=_c_float("atanh"))),
    ("sigmoid", 1, "float", lambda i, o, g: [g * o * (1 - o)], dict(impl=_sigmoid_impl, cuda=_c_float("lk_sigmoid"))),
    # a row, not switch(x > 0, x, 0): one fusable op forward, and a gradient that is 0 at x == 0 as everywhere
    ("relu", 1, "upcast", lambda i, o, g: [g * _m.cast(_m.gt(i[0], 0), g.dtype)],
     dict(impl=_relu_impl, cuda="lk_relu({0})")),
    ("ultra_fast_sigmoid", 1, "float", _g_ultra_fast_sigmoid, dict(impl=_ultra_fast_sigmoid_impl)),
    ("softsign", 1, "float", lambda i, o, g: [g / _m.sqr(1 + _m.abs(i[0]))],
     dict(impl=lambda xp, x, out=None: xp.divide(x, xp.add(xp.abs(x), 1), out=out), cuda=_c_float("lk_softsign"))),
    ("softplus", 1, "float", lambda i, o, g: [g * _m.sigmoid(i[0])], 
     dict(impl=_softplus_impl, cuda=_c_float("lk_softplus"))),
    ("floor", 1, "upcast", None, dict(impl=_integer_safe("floor"), cuda=_c_rounding("floor"))),
    ("ceil", 1, "upcast", None, dict(impl=_integer_safe("ceil"), cuda=_c_rounding("ceil"))),
    ("trunc", 1, "upcast", None, dict(impl=_integer_safe("trunc"), cuda=_c_rounding("trunc"))),
    ("round_half_to_even", 1, "upcast", None, dict(impl=_integer_safe("rint"), cuda=_c_rounding("rint"))),
    ("round_half_away_from_zero", 1, "upcast", None, 
     dict(impl=_round_half_away_impl, cuda=_c_rounding("lk_round_away"))),
    ("isnan", 1, "bool", None, dict(cuda=_c_float_or("isnan({0})", "false"))),
    ("isinf", 1, "bool", None, dict(cuda=_c_float_or("isinf({0})", "false"))),
    ("identity", 1, "upcast", lambda i, o, g: [g], dict(impl=lambda xp, x, out=None: xp.array(x, copy=True)
                                                        if out is None else xp.copyto(out, x) or out, cuda="{0}")),
    ("switch", 3, "switch", _g_switch, dict(impl=_switch, cuda="{0} ? {1} : {2}")),
    ("clip", 3, "upcast", _g_clip, dict(impl=_clip, cuda="lk_min(lk_max({0}, {1}), {2})")),
]

_ROWS += SPECIAL_ROWS  # erf, erfinv, gamma, psi, Bessel functions...: tensor/special.py
SCALAR_OPS = {name: ScalarOp(name, nin, rule, grad, **kw) for name, nin, rule, grad, kw in _ROWS}



class Composite(ScalarOp):
    """Several scalar ops fused into one: built by the fusion rewrite from a subgraph of Elemwise nodes.

    ``steps`` is a tuple of ``(scalar_op, argument refs)`` where a ref is ``('in', k)`` (k-th input),
    ``('step', k)`` (result of step k) or ``('const', value, dtype)``. The last step is the output. The kernel's
    source is generated by rewrite/fusion.py.
    """

    def __init__(self, steps, in_dtypes, step_dtypes, full_steps, block_full_steps, big_inputs):
        names = "_".join(op.name for op, _ in steps)
        super().__init__(f"fused[{names}]" if len(names) < 60 else f"fused[{len(steps)} ops]", len(in_dtypes))
        self.steps, self.in_dtypes, self.step_dtypes = steps, tuple(in_dtypes), tuple(step_dtypes)
        self.full_steps = frozenset(full_steps)  # steps whose result surely has the full output shape
        self.block_full_steps = frozenset(block_full_steps)  # the same when all big inputs share one shape
        self.big_inputs = frozenset(big_inputs)  # inputs not statically of size 1
        self._key = (steps, self.in_dtypes, self.step_dtypes, self.full_steps, self.block_full_steps,
                     self.big_inputs)

    def output_dtype(self, *in_dtypes):
        return self.step_dtypes[-1]

    def source(self):
        """Python source of the fused kernel ``def kernel(i0, i1, ..., out=None)``."""
        from ..rewrite.fusion import composite_source

        return composite_source(self)

    def make_call(self, xp, in_dtypes, out_dtype):
        from ..rewrite.fusion import compile_composite

        return compile_composite(self, xp)

    def grad(self, inputs, output, gz):
        raise NotImplementedError("fused kernels are built after differentiation and have no gradient")

    def __eq__(self, other):
        return type(other) is Composite and other._key == self._key

    def __hash__(self):
        return hash(self._key)

    def __reduce__(self):
        return (Composite, (self.steps, self.in_dtypes, self.step_dtypes, self.full_steps, self.block_full_steps,
                            self.big_inputs))


from . import math as _m  # noqa: E402  (gradient rules are written with the tensor functions)
