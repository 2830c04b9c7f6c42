"""Elementwise ops, one row each: every entry of ``SCALAR_OPS`` through ``layerkit_backend.tensor.math``, the
Python operators on variables, casts and DimShuffle patterns. Every row runs through ``opcheck.check_op``."""
import numpy as np
import pytest
import scipy.special

import layerkit_backend.tensor as T
from layerkit_backend.config import config
from layerkit_backend.gradient import grad_scale
from layerkit_backend.graph.basic import Apply, Op
from layerkit_backend.tensor import math as M
from layerkit_backend.tensor.scalar import SCALAR_OPS
from opcheck import BINARY_SHAPES, F64, TERNARY_SHAPES, UNARY_SHAPES, OpSpec, check_op, params

I32, I8, U8, B = "int32", "int8", "uint8", "bool"
FLOAT_INT = [(F64,), (I32,)]                    # a float function on ints gives floatX
SAME_KIND = [(F64,), (I32,)]                    # an int-preserving function keeps the int dtype
ARITH = [(F64, F64), (I32, I32), (I32, F64), (F64, I8), (U8, I8), (I8, I32), ("float32", F64)]
COMPARE = [(F64, F64), (I32, F64), (I32, I32), (U8, I8)]
BITS = [(B, B), (I32, I32), (U8, U8), (I8, "int64")]
GRID = lambda rng, shape, dtype: rng.integers(-2, 3, size=shape) * (0.5 if np.dtype(dtype).kind == "f" else 1)


def _lattice(offset):
    """Values on k * 0.2 + offset (jittered by 0.02): two lattices 0.1 apart never come within a finite-difference
    step of each other, so maximum/minimum have no near-ties where the gradient jumps."""
    return lambda rng, s, d: rng.integers(-10, 10, size=s) * 0.2 + offset + rng.uniform(-0.02, 0.02, size=s)


NO_TIES = (_lattice(0.0), _lattice(0.1))


def unary(name, fn, ref, domain="real", grad=True, dtypes=FLOAT_INT, **kw):
    return OpSpec(name, fn, ref, UNARY_SHAPES, dtypes=dtypes, domain=domain, grad=grad, **kw)


def binary(name, fn, ref, domain="real", grad=True, dtypes=ARITH, **kw):
    return OpSpec(name, fn, ref, BINARY_SHAPES, dtypes=dtypes, domain=domain, grad=grad, **kw)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _round_half_away(x):
    return np.sign(x) * np.floor(np.abs(x) + 0.5) if x.dtype.kind == "f" else x.copy()


def _ultra_fast_sigmoid(x):
    # Theano's piecewise approximation: 1.5 h / (1 + h) for h = |x| / 2 < 1.7, a line up to 3, then a constant
    h = np.abs(x) / 2
    z = np.where(h < 1.7, 1.5 * h / (1 + h), np.where(h < 3, 0.935409070603099 + 0.0458812946797165 * (h - 1.7),
                                                       0.99505475368673))
    return (np.where(x < 0, -z, z) + 1) / 2


def _floor_of_quotient(x, y):
    # Theano's int_div: floor(x / y) for floats (NumPy's floor_divide differs where x / y rounds to an integer)
    return np.floor(np.true_divide(x, y)).astype(np.result_type(x, y)) if np.result_type(x, y).kind == "f" \
        else np.floor_divide(x, y)


def _int_power(x, y):
    # Theano's integer power: a negative exponent goes through double precision, truncated toward zero
    negative = y < 0
    with np.errstate(divide="ignore"):
        inverse = np.trunc(np.power(x.astype("float64"), y.astype("float64")))
    inverse = np.where(np.isfinite(inverse), inverse, 0)
    return np.where(negative, inverse, np.power(x, np.where(negative, 0, y))).astype(np.result_type(x, y))


def _keep_int(fn):
    """floor/ceil/trunc/rint: identity on integers (NumPy would return float64)."""
    return lambda x: fn(x) if x.dtype.kind == "f" else x.copy()


SCALAR_ROWS = [
    binary("add", M.add, np.add, dtypes=ARITH + [(B, B)]),
    binary("sub", M.sub, np.subtract),
    binary("mul", M.mul, np.multiply, dtypes=ARITH + [(B, B)]),
    binary("true_div", M.true_div, np.true_divide, domain=("real", "nonzero"),
           dtypes=[(F64, F64), (I32, I32), (I32, F64), (U8, I8)]),
    binary("int_div", M.int_div, _floor_of_quotient, domain=("real", "nonzero"), grad=False),
    binary("mod", M.mod, np.mod, domain=("real", "nonzero")),
    binary("pow", M.pow, np.power, domain=("positive", "exponent"),
           dtypes=[(F64, F64), (I32, I32), (F64, I32), (I32, F64)]),
    binary("pow_negative_int_exponent", M.pow, _int_power, grad=False, float32=False,
           domain=("nonzero", lambda rng, s, d: rng.integers(-3, 3, size=s)), dtypes=[(I32, I32), (I8, "int64")]),
    binary("pow_bool", M.pow, lambda a, b: np.power(a.astype("int8"), b.astype("int8")), grad=False,
           dtypes=[(B, B)], out_dtype="int8"),
    binary("maximum", M.maximum, np.maximum, grad_domain=NO_TIES),
    binary("minimum", M.minimum, np.minimum, grad_domain=NO_TIES),
    binary("arctan2", M.arctan2, np.arctan2, domain=("real", "nonzero"),
           dtypes=[(F64, F64), (I32, I32), (I32, F64)]),
    binary("lt", M.lt, np.less, domain=GRID, dtypes=COMPARE, grad=False),
    binary("gt", M.gt, np.greater, domain=GRID, dtypes=COMPARE, grad=False),
    binary("le", M.le, np.less_equal, domain=GRID, dtypes=COMPARE, grad=False),
    binary("ge", M.ge, np.greater_equal, domain=GRID, dtypes=COMPARE, grad=False),
    binary("eq", M.eq, np.equal, domain=GRID, dtypes=COMPARE, grad=False),
    binary("neq", M.neq, np.not_equal, domain=GRID, dtypes=COMPARE, grad=False),
    binary("and_", M.and_, np.bitwise_and, domain="bits", dtypes=BITS, grad=False),
    binary("or_", M.or_, np.bitwise_or, domain="bits", dtypes=BITS, grad=False),
    binary("xor", M.xor, np.bitwise_xor, domain="bits", dtypes=BITS, grad=False),
    unary("invert", M.invert, np.invert, domain="bits", dtypes=[(B,), (I32,), (U8,)], grad=False),
    unary("neg", M.neg, np.negative, dtypes=SAME_KIND + [(I8,)]),
    unary("relu", M.relu, lambda x: np.maximum(x, 0).astype(x.dtype), domain="nonzero", dtypes=SAME_KIND + [(I8,)]),
    unary("abs", M.abs, np.abs, domain="nonzero", dtypes=SAME_KIND + [(I8,)]),
    unary("sgn", M.sgn, np.sign, domain="nonzero", dtypes=SAME_KIND),
    unary("exp", M.exp, np.exp, dtypes=FLOAT_INT + [(I8,), (U8,), (B,)]),
    unary("exp2", M.exp2, np.exp2),
    unary("expm1", M.expm1, np.expm1),
    unary("log", M.log, np.log, domain="positive"),
    unary("log2", M.log2, np.log2, domain="positive"),
    unary("log10", M.log10, np.log10, domain="positive"),
    unary("log1p", M.log1p, np.log1p, domain="unit"),
    unary("sqrt", M.sqrt, np.sqrt, domain="positive", dtypes=FLOAT_INT + [("int64",)]),
    unary("sqr", M.sqr, lambda x: x * x, dtypes=SAME_KIND + [(B,)]),
    unary("reciprocal", M.reciprocal, lambda x: np.true_divide(1, x), domain="nonzero"),
    unary("sin", M.sin, np.sin),
    unary("cos", M.cos, np.cos),
    unary("tan", M.tan, np.tan, domain="small"),
    unary("arcsin", M.arcsin, np.arcsin, domain="unit"),
    unary("arccos", M.arccos, np.arccos, domain="unit"),
    unary("arctan", M.arctan, np.arctan),
    unary("sinh", M.sinh, np.sinh),
    unary("cosh", M.cosh, np.cosh),
    unary("tanh", M.tanh, np.tanh),
    unary("arcsinh", M.arcsinh, np.arcsinh),
    unary("arccosh", M.arccosh, np.arccosh, domain="gt1"),
    unary("arctanh", M.arctanh, np.arctanh, domain="unit"),
    unary("sigmoid", M.sigmoid, _sigmoid),
    unary("ultra_fast_sigmoid", M.ultra_fast_sigmoid, _ultra_fast_sigmoid, domain=lambda rng, s, d: rng.uniform(
        -8, 8, size=s), grad_domain="real"),
    unary("softplus", M.softplus, lambda x: np.logaddexp(0, x)),
    unary("softsign", M.softsign, lambda x: x / (1 + np.abs(x))),
    unary("floor", M.floor, _keep_int(np.floor), domain="halves", dtypes=SAME_KIND),
    unary("ceil", M.ceil, _keep_int(np.ceil), domain="halves", dtypes=SAME_KIND),
    unary("trunc", M.trunc, _keep_int(np.trunc), domain="halves", dtypes=SAME_KIND),
    # Ties (k + 0.5) test the rounding rule; gradients are taken away from them, where rounding is flat.
    unary("round_half_to_even", M.round_half_to_even, _keep_int(np.rint), domain="halves", grad_domain="off_ties",
          dtypes=SAME_KIND),
    unary("round_half_away_from_zero", M.round_half_away_from_zero, _round_half_away, domain="halves",
          grad_domain="off_ties", dtypes=SAME_KIND),
    unary("isnan", M.isnan, np.isnan, domain="special", dtypes=None, grad=False),
    unary("isinf", M.isinf, np.isinf, domain="special", dtypes=None, grad=False),
    unary("identity", M.identity, np.copy, dtypes=SAME_KIND + [(B,)]),
    OpSpec("switch", M.switch, np.where, TERNARY_SHAPES, domain=(GRID, "real", "real"), grad=True,
           dtypes=[(B, F64, F64), (B, I32, F64), (I32, F64, F64), (B, I32, I8)]),
    OpSpec("clip", M.clip, lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi), TERNARY_SHAPES, grad=True,
           domain=("real", lambda rng, s, d: rng.uniform(-1.5, -0.2, s), "positive"),
           dtypes=[(F64, F64, F64), (I32, I32, I32), (I32, F64, F64), (B, I32, I32)]),
]

# Aliases and composites in math.py that are not table rows.
MATH_ROWS = [
    unary("round_default", M.round, _keep_int(np.rint), domain="halves", grad_domain="off_ties", dtypes=SAME_KIND),
    unary("round_half_to_even_mode", lambda x: M.round(x, "half_to_even"), _keep_int(np.rint), domain="halves",
          grad_domain="off_ties", dtypes=SAME_KIND),
    OpSpec("where", M.where, np.where, TERNARY_SHAPES, dtypes=[(B, F64, F64)], domain=(GRID, "real", "real"),
           grad=True),
    binary("isclose", M.isclose, np.isclose, domain=GRID, dtypes=[(F64, F64)], grad=False),
    binary("allclose", M.allclose, lambda a, b: np.asarray(np.allclose(a, b)), domain=GRID, dtypes=[(F64, F64)],
           grad=False),
    binary("ceil_intdiv", M.ceil_intdiv, lambda a, b: -np.floor_divide(-a, b), domain=("real", "nonzero"),
           dtypes=[(I32, I32), ("int64", I8)], grad=False),
    unary("deg2rad", M.deg2rad, np.deg2rad),
    unary("rad2deg", M.rad2deg, np.rad2deg),
    unary("logical_not_bool", M.logical_not, np.logical_not, dtypes=[(B,)], grad=False),
]

# Python operators on variables, with variables and Python numbers on either side.
OPERATOR_ROWS = [
    binary("op_add", lambda a, b: a + b, np.add),
    binary("op_sub", lambda a, b: a - b, np.subtract),
    binary("op_mul", lambda a, b: a * b, np.multiply),
    binary("op_truediv", lambda a, b: a / b, np.true_divide, domain=("real", "nonzero")),
    binary("op_floordiv", lambda a, b: a // b, np.floor_divide, domain=("real", "nonzero"), grad=False),
    binary("op_mod", lambda a, b: a % b, np.mod, domain=("real", "nonzero")),
    binary("op_pow", lambda a, b: a ** b, np.power, domain=("positive", "exponent"), dtypes=[(F64, F64), (F64, I32)]),
    unary("op_abs", abs, np.abs, domain="nonzero", dtypes=SAME_KIND),
    unary("op_neg", lambda a: -a, np.negative, dtypes=SAME_KIND),
    unary("op_pos", lambda a: +a, np.positive, dtypes=SAME_KIND),
    binary("op_lt", lambda a, b: a < b, np.less, domain=GRID, dtypes=COMPARE, grad=False),
    binary("op_gt", lambda a, b: a > b, np.greater, domain=GRID, dtypes=COMPARE, grad=False),
    binary("op_le", lambda a, b: a <= b, np.less_equal, domain=GRID, dtypes=COMPARE, grad=False),
    binary("op_ge", lambda a, b: a >= b, np.greater_equal, domain=GRID, dtypes=COMPARE, grad=False),
    binary("op_and", lambda a, b: a & b, np.bitwise_and, domain="bits", dtypes=BITS, grad=False),
    binary("op_or", lambda a, b: a | b, np.bitwise_or, domain="bits", dtypes=BITS, grad=False),
    binary("op_xor", lambda a, b: a ^ b, np.bitwise_xor, domain="bits", dtypes=BITS, grad=False),
    unary("op_invert", lambda a: ~a, np.invert, domain="bits", dtypes=[(B,), (I32,)], grad=False),
    # Python numbers are weak: float32 stays float32, an int tensor stays int with an int, goes floatX with a float.
    unary("const_add_float", lambda a: a + 1.5, lambda a: a + 1.5, dtypes=SAME_KIND),
    unary("const_radd_float", lambda a: 1.5 + a, lambda a: 1.5 + a, dtypes=SAME_KIND),
    unary("const_rsub_float", lambda a: 2.5 - a, lambda a: 2.5 - a, dtypes=SAME_KIND),
    unary("const_mul_int", lambda a: a * 3, lambda a: a * 3, dtypes=SAME_KIND + [(I8,), (U8,)]),
    unary("const_rtruediv", lambda a: 1.5 / a, lambda a: 1.5 / a, domain="nonzero", dtypes=SAME_KIND),
    unary("const_truediv_int", lambda a: a / 2, lambda a: a / 2, dtypes=SAME_KIND + [(I8,)]),
    unary("const_rfloordiv", lambda a: 7 // a, lambda a: 7 // a, domain="nonzero", dtypes=SAME_KIND, grad=False),
    unary("const_pow_float", lambda a: a ** 2.0, lambda a: a ** 2.0, dtypes=[(F64,)]),
    unary("const_pow_int", lambda a: a ** 3, lambda a: a ** 3, dtypes=SAME_KIND),
    unary("const_rpow", lambda a: 2.0 ** a, lambda a: 2.0 ** a, dtypes=[(F64,)]),
    unary("const_maximum", lambda a: M.maximum(a, 0.5), lambda a: np.maximum(a, 0.5), dtypes=[(F64,)]),
    unary("const_clip", lambda a: M.clip(a, -0.5, 0.5), lambda a: np.clip(a, -0.5, 0.5), dtypes=[(F64,)]),
    unary("const_lt_float", lambda a: a < 0.5, lambda a: a < 0.5, dtypes=SAME_KIND, grad=False),
    unary("const_numpy_float64", lambda a: a * np.float64(2.0), lambda a: a * np.float64(2.0), dtypes=[(F64,)]),
    # A Python int that does not fit the tensor's dtype joins as the smallest integer dtype that holds it, as in
    # Theano (int8 + 1000 is int16); NumPy 2 raises OverflowError.
    unary("const_int8_with_big_int", lambda a: a + 1000, lambda a: a.astype("int16") + 1000, dtypes=[(I8,)],
          grad=False, float32=False),
    unary("const_bool_plus_int", lambda a: (a > 0) + 1, lambda a: (a > 0).astype("int8") + 1, dtypes=[(F64,)],
          grad=False, float32=False),
]


def _cast_row(src, dst, domain="positive"):
    return unary(f"cast_{src}_to_{dst}", lambda x: T.cast(x, dst), lambda x: x.astype(dst), domain=domain,
                 dtypes=[(src,)], out_dtype=dst, float32=False,
                 grad=src.startswith("float") and dst.startswith("float"))


CAST_ROWS = [
    _cast_row(F64, "float32"), _cast_row("float32", F64), _cast_row(F64, "int32", "real"), _cast_row(F64, "int64"),
    _cast_row(F64, U8), _cast_row(F64, B, GRID), _cast_row(I32, F64, "real"), _cast_row(I32, "float32", "real"),
    _cast_row(I32, "int64", "real"), _cast_row(I32, I8, "small"), _cast_row(I32, B, "small"),
    _cast_row(B, "float32"), _cast_row(B, "int64"), _cast_row(F64, F64),
    unary("astype_floatX", lambda x: x.astype("floatX"), lambda x: x.astype(config.floatX), dtypes=[(I32,)],
          out_dtype=config.floatX, grad=False),
    unary("astype_int32", lambda x: x.astype("int32"), lambda x: x.astype("int32"), dtypes=[(F64,)],
          out_dtype="int32", grad=False, float32=False),
]


def _dimshuffle_row(name, pattern, ref, shapes):
    return OpSpec(f"dimshuffle_{name}", lambda x: x.dimshuffle(*pattern), ref, [(s,) for s in shapes],
                  dtypes=[(F64,), (I32,)], grad=True)


DIMSHUFFLE_ROWS = [
    _dimshuffle_row("transpose", (1, 0), lambda x: x.T, [(3, 4), (1, 4), (3, 1), (0, 3)]),
    _dimshuffle_row("identity", (0, 1), lambda x: x, [(3, 4), (0, 1)]),
    _dimshuffle_row("row", ("x", 0), lambda x: x[None, :], [(5,), (1,), (0,)]),
    _dimshuffle_row("col", (0, "x"), lambda x: x[:, None], [(5,), (1,), (0,)]),
    _dimshuffle_row("scalar_to_matrix", ("x", "x"), lambda x: x[None, None], [()]),
    _dimshuffle_row("drop_last", (0,), lambda x: x[:, 0], [(3, 1), (1, 1), (0, 1)]),
    _dimshuffle_row("drop_first", (1,), lambda x: x[0], [(1, 4), (1, 0)]),
    _dimshuffle_row("to_scalar", (), lambda x: x.reshape(()), [(1,)]),
    _dimshuffle_row("drop_and_permute", (2, "x", 0), lambda x: np.transpose(x[:, 0, :])[:, None, :],
                    [(2, 1, 3), (1, 1, 1), (0, 1, 2)]),
    _dimshuffle_row("permute3", (2, 0, 1), lambda x: np.transpose(x, (2, 0, 1)), [(2, 3, 4), (2, 1, 3), (1, 1, 1)]),
    _dimshuffle_row("insert_middle", (0, "x", 1), lambda x: x[:, None, :], [(3, 4), (1, 0)]),
]

WIDE = lambda rng, shape, dtype: rng.uniform(-800, 800, size=shape)
TWO_D = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((4,), (3, 4)), ((0, 4), (1, 4)), ((), (2, 3))]

# Chains of ops (what fusion and the inplace rewrites see), and numerically hard inputs.
COMPOSITE_ROWS = [
    # exp of an int is floatX, which then meets y: float64 with floatX=float64 even when y is float32.
    binary("chain_exp_mul_sin", lambda x, y: M.exp(x) * y + M.sin(x), lambda x, y: np.exp(x) * y + np.sin(x),
           dtypes=[(F64, F64), (I32, F64)],
           out_dtype=lambda d: np.result_type(d[0] if d[0].startswith("float") else config.floatX, d[1]).name),
    OpSpec("chain_transposed_operand", lambda x, y: M.tanh(x.T) * 2 + y, lambda x, y: np.tanh(x.T) * 2 + y,
           [((4, 3), (3, 4)), ((4, 1), (1, 4)), ((1, 3), (3, 1)), ((0, 3), (3, 0))], grad=True),
    OpSpec("chain_broadcast_row", lambda x, y: (x.dimshuffle("x", 0) + y) * x.dimshuffle("x", 0),
           lambda x, y: (x[None] + y) * x[None], [((4,), (3, 4)), ((1,), (2, 3)), ((4,), (0, 4))], grad=True),
    OpSpec("leaky_relu", lambda x: M.switch(x > 0, x, 0.1 * x), lambda x: np.where(x > 0, x, 0.1 * x),
           UNARY_SHAPES, grad=True, grad_domain="nonzero"),
    OpSpec("switch_const_branch", lambda c, x: M.switch(c, x, 0), lambda c, x: np.where(c, x, 0).astype(x.dtype),
           TWO_D, dtypes=[(B, F64), (B, I32)], domain=(GRID, "real"), grad=True),
    OpSpec("sigmoid_derivative", lambda x: M.sigmoid(x) * (1 - M.sigmoid(x)),
           lambda x: _sigmoid(x) * (1 - _sigmoid(x)), UNARY_SHAPES, grad=True),
    OpSpec("reused_input", lambda x: x * x + x / (x * x + 1), lambda x: x * x + x / (x * x + 1), UNARY_SHAPES,
           dtypes=[(F64,), (I32,)], grad=True),
    OpSpec("two_outputs_shared_input", lambda x: (M.exp(x), x + 1), lambda x: (np.exp(x), x + 1), UNARY_SHAPES),
    OpSpec("output_is_input", lambda x: (x, x * 2), lambda x: (x, x * 2), UNARY_SHAPES),
    unary("sigmoid_wide", M.sigmoid, _sigmoid, domain=WIDE, dtypes=None, grad=False),
    unary("softplus_wide", M.softplus, lambda x: np.logaddexp(0, x), domain=WIDE, dtypes=None, grad=False),
    unary("tanh_wide", M.tanh, np.tanh, domain=WIDE, dtypes=None, grad=False),
    unary("erfc_wide", M.erfc, scipy.special.erfc, domain=WIDE, dtypes=None, grad=False),
]

ALL_ROWS = SCALAR_ROWS + MATH_ROWS + OPERATOR_ROWS + CAST_ROWS + DIMSHUFFLE_ROWS + COMPOSITE_ROWS


@pytest.mark.parametrize("spec", params(ALL_ROWS))
def test_elemwise_op(spec):
    check_op(spec)


BOOL_REFUSED = [
    ("neg", lambda b: -b), ("sub", lambda b: b - b), ("sgn", M.sgn), ("int_div", lambda b: b // b),
    ("mod", lambda b: b % b),
]


@pytest.mark.parametrize("name,build", BOOL_REFUSED, ids=[r[0] for r in BOOL_REFUSED])
def test_bool_arithmetic_without_meaning_is_refused_when_built(name, build):
    b = T.dvector("x") > 0
    with pytest.raises(TypeError, match=f"{name}: not defined for bool tensors"):
        build(b)


def test_every_scalar_op_has_a_row():
    from test_special import SPECIAL_ROWS  # the special functions' rows live with their fallback tests

    covered = {row.name for row in SCALAR_ROWS + SPECIAL_ROWS}
    assert set(SCALAR_OPS) <= covered, f"SCALAR_OPS without a test row: {sorted(set(SCALAR_OPS) - covered)}"


def test_dimshuffle_rejects_dropping_a_non_broadcastable_dim():
    with pytest.raises(ValueError, match="only size-1 dimensions"):
        T.tensor("float64", shape=(3, 4), name="x").dimshuffle(0)


def test_dimshuffle_drop_checks_size_at_run_time():
    import layerkit_backend as lb

    x = T.dmatrix("x")
    f = lb.function([x], x.dimshuffle(0))
    with pytest.raises(ValueError):
        f(np.ones((3, 2)))


def test_broadcast_clash_is_a_static_error():
    a, b = T.tensor("float64", shape=(3,)), T.tensor("float64", shape=(4,))
    with pytest.raises(ValueError, match="cannot broadcast"):
        a + b


# -- the checker itself: each check must fail on an op that breaks it --------------------------------------------
class _Broken(Op):
    """Identity on a vector that breaks one promise: 'mutate' writes into its input, 'shape' declares a wrong
    static shape."""

    __props__ = ("how",)

    def __init__(self, how):
        self.how = how

    def make_node(self, x):
        x = T.as_tensor_variable(x)
        shape = (7,) if self.how == "shape" else x.type.shape
        return Apply(self, [x], [T.TensorType(x.dtype, shape)()])

    def perform(self, xp, node, inputs):
        (x,) = inputs
        if self.how == "mutate" and x.size:
            x[...] = 0
        return [x.copy()]

    def grad(self, inputs, output_grads):
        return [output_grads[0]]


@pytest.mark.parametrize("spec, message", [
    (OpSpec("wrong_values", M.exp, np.sin, [((3,),)]), "Not equal"),
    (OpSpec("upcasts_float32", lambda x: T.cast(x, "float64") * 1, np.copy, [((3,),)]), "dtype float64"),
    (OpSpec("mutates", _Broken("mutate"), np.copy, [((3,),)], domain="positive"), "mutated"),
    (OpSpec("static_shape", _Broken("shape"), np.copy, [((3,),)]), "static shape"),
    (OpSpec("wrong_grad", lambda x: grad_scale(x, 2.0), np.copy, [((3,),)], grad=True), "finite differences"),
], ids=lambda v: v.name if isinstance(v, OpSpec) else "")
def test_checker_catches(spec, message):
    with pytest.raises(AssertionError, match=message):
        check_op(spec)
