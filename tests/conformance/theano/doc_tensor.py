"""Programs in the spirit of Theano 1.0's library pages for ``theano.tensor`` (basic, extra_ops, nlinalg, slinalg,
elemwise): constructors and types, shapes, creation, reductions, indexing, operators, math functions, linear
algebra and the extra operations. Written for this project; each returns named results."""
import numpy as np

from programs import program

G = "tensor"


def _rng(seed):
    return np.random.RandomState(seed)


# -- types and constructors ----------------------------------------------------------------------------------------
@program(G)
def tensor_types_are_types(lib):
    T = lib.T
    x = T.dmatrix("x")
    my_type = T.TensorType("float64", (False, False))
    y = my_type("y")
    col_type = T.TensorType("float32", (False, True))
    return {"dmatrix_eq": x.type == T.dmatrix, "tt_eq": my_type == T.dmatrix, "y_type": y.type == T.dmatrix,
            "callable": T.dmatrix("z").name, "col_bcast": col_type.broadcastable, "ndim": col_type.ndim,
            "fvector_dtype": T.fvector.dtype, "row_bcast": T.drow.broadcastable, "tensor3": T.tensor3().ndim,
            "tensor6": T.tensor6("t6").ndim, "tensor7": T.tensor7().ndim, "itensor3": T.itensor3.dtype,
            "ltensor4": T.ltensor4().broadcastable}


@program(G)
def generic_constructors(lib):
    T = lib.T
    a = T.scalar("a", dtype="int32")
    b = T.vector("b", dtype="int8")
    c = T.matrix(dtype="complex64")
    d = T.tensor3("d", dtype="uint8")
    e = T.tensor(dtype="float32", broadcastable=(True, False, True), name="e")
    return {"a": [a.dtype, a.ndim], "b": [b.dtype, b.ndim], "c": c.dtype, "d": d.ndim, "e": e.broadcastable,
            "e_name": e.name}


@program(G)
def constants_and_as_tensor(lib):
    theano, T = lib.theano, lib.T
    c = T.constant(np.array([[1.5, 2.0], [3.0, 4.0]]))
    v = T.as_tensor_variable([1.0, 2.0, 3.0])
    x = T.dvector("x")
    f = theano.function([x], x * c[0].sum() + v)
    return {"c_value": c.value, "v_dtype": v.dtype, "f": f([1.0, 1.0, 1.0]), "c_ndim": c.ndim,
            "int_list": T.as_tensor_variable([1, 2, 3]).dtype}


@program(G)
def shared_variables(lib):
    theano, T = lib.theano, lib.T
    w = theano.shared(np.arange(6.0).reshape(2, 3), name="w")
    i = theano.shared(np.int32(3))
    row = theano.shared(np.ones((1, 3)), broadcastable=(True, False))
    x = T.dmatrix("x")
    f = theano.function([x], x + w + row)
    w.set_value(np.ones((2, 3)))
    return {"f": f(np.zeros((2, 3))), "w_type_ndim": w.ndim, "i_dtype": i.dtype, "row_bcast": row.broadcastable,
            "borrowed": w.get_value(borrow=True), "name": w.name}


# -- shape and dimension manipulation -----------------------------------------------------------------------------
@program(G)
def shape_manipulation(lib):
    theano, T = lib.theano, lib.T
    x = T.dtensor3("x")
    v = _rng(0).randn(2, 3, 4)
    outs = [x.shape, T.shape(x)[1], x.reshape((6, 4)), x.reshape((2, -1)), x.flatten(), x.flatten(2),
            T.flatten(x, 3), x.dimshuffle(2, "x", 0, 1), x.dimshuffle(0, 2, 1), x.T, T.shape_padleft(x),
            T.shape_padright(x, 2), T.shape_padaxis(x, 1), x.transpose(1, 2, 0), T.reshape(x, (4, 6), ndim=2)]
    f = theano.function([x], outs)
    return {"out": f(v), "flat_ndim": x.flatten(2).ndim}


@program(G)
def broadcastable_changes(lib):
    theano, T = lib.theano, lib.T
    m = T.dmatrix("m")
    r = T.addbroadcast(m, 0)
    u = T.unbroadcast(r, 0)
    p = T.patternbroadcast(m, (True, False))
    f = theano.function([m], [r * 2, u + 1, p - 1])
    return {"r": r.broadcastable, "u": u.broadcastable, "p": p.broadcastable, "f": f(np.ones((1, 3))),
            "bad": lib.outcome(lambda: f(np.ones((2, 3))))}


@program(G)
def squeeze_tile_roll(lib):
    theano, T = lib.theano, lib.T
    x = T.dtensor3("x")
    v = np.arange(6.0).reshape(1, 2, 3)
    y = T.dvector("y")
    f = theano.function([x, y], [T.squeeze(x), T.tile(y, (2, 2)), T.roll(y, 1), T.roll(y, -2),
                                 T.roll(x, 1, axis=2), T.roll(x, 2)])
    return {"out": f(v, [1.0, 2.0, 3.0])}


# -- creating tensors ---------------------------------------------------------------------------------------------
@program(G)
def creating_tensors(lib):
    theano, T = lib.theano, lib.T
    x = T.dmatrix("x")
    n = T.iscalar("n")
    outs = [T.zeros_like(x), T.ones_like(x), T.fill(x, 3.0), T.alloc(2.0, 2, n), T.zeros((n, 2)), T.ones((2, n)),
            T.eye(n), T.eye(n, 3, 1), T.identity_like(x), T.arange(n), T.arange(1, n, 2), T.arange(0.5, n),
            T.second(x, 7.0), T.zeros_like(x, dtype="int32"), T.ones_like(n)]
    f = theano.function([x, n], outs)
    return {"out": f(np.ones((2, 3)), 4), "alloc_bcast": T.alloc(2.0, 1, n).broadcastable,
            "arange_dtype": [T.arange(n).dtype, T.arange(0.5, n).dtype]}


@program(G)
def stack_and_concatenate(lib):
    theano, T = lib.theano, lib.T
    a, b, c = T.dscalars("a", "b", "c")
    x = T.stack([a, b, c])
    old_style = T.stack(a, b, c)
    m, n2 = T.dmatrices("m", "n2")
    s0 = T.stack([m, n2])
    s1 = T.stack([m, n2], axis=1)
    cat0 = T.concatenate([m, n2])
    cat1 = T.concatenate([m, n2], axis=1)
    j = T.join(1, m, n2, m)
    lists = T.stacklists([[a, b], [c, a]])
    f = theano.function([a, b, c, m, n2], [x, old_style, s0, s1, cat0, cat1, j, lists])
    return {"out": f(1, 2, 3, np.ones((2, 2)), np.zeros((2, 2))), "lists_ndim": lists.ndim}


@program(G)
def mgrid_ogrid(lib):
    theano, T = lib.theano, lib.T
    a, b = T.mgrid[0:5, 0:3]
    c, d = T.ogrid[0:5, 0:3]
    f = theano.function([], [a, b, c, d])
    return {"out": f()}


# -- reductions ---------------------------------------------------------------------------------------------------
@program(G)
def reductions(lib):
    theano, T = lib.theano, lib.T
    x = T.dmatrix("x")
    v = _rng(1).randn(3, 4)
    outs = [T.max(x), T.max(x, axis=0), T.max(x, axis=1, keepdims=True), T.argmax(x), T.argmax(x, axis=1),
            T.min(x, axis=0), T.argmin(x, axis=0), T.sum(x), T.sum(x, axis=1), T.sum(x, axis=[0, 1]),
            T.prod(x, axis=0), T.mean(x), T.mean(x, axis=1, keepdims=True), T.var(x), T.var(x, axis=0),
            T.std(x, axis=1), x.sum(axis=-1), x.mean(), T.ptp(x), T.ptp(x, axis=0)]
    mx, amx = T.max_and_argmax(x, axis=0)
    f = theano.function([x], outs + [mx, amx])
    return {"out": f(v)}


@program(G)
def integer_and_bool_reductions(lib):
    theano, T = lib.theano, lib.T
    i = T.ivector("i")
    b = T.bvector("b")
    u = T.vector("u", dtype="uint8")
    mask = i > 0
    outs = [T.sum(i), T.prod(i), T.mean(i), T.max(i), T.sum(b), T.sum(u), T.sum(mask), T.any(mask), T.all(mask),
            T.mean(mask), T.sum(i, dtype="int32"), T.sum(i, acc_dtype="int64"), T.max(mask), T.argmax(mask)]
    f = theano.function([i, b, u], outs)
    return {"out": f(np.array([1, -2, 3], dtype="int32"), np.array([100, 100, 100], dtype="int8"),
                     np.array([200, 200], dtype="uint8")),
            "dtypes": [o.dtype for o in outs]}


@program(G)
def all_any(lib):
    theano, T = lib.theano, lib.T
    x = T.dmatrix("x")
    f = theano.function([x], [T.all(x), T.any(x, axis=0), T.all(x > 0, axis=1), x.any(), x.all(keepdims=True)])
    return {"out": f(np.array([[0.0, 1.0], [2.0, 3.0]]))}


# -- indexing ---------------------------------------------------------------------------------------------------
@program(G)
def basic_indexing(lib):
    theano, T = lib.theano, lib.T
    x = T.dmatrix("x")
    i = T.iscalar("i")
    v = np.arange(20.0).reshape(4, 5)
    outs = [x[0], x[-1], x[1:3], x[:, 2], x[::2, ::-1], x[i], x[i:], x[:i, 1:i + 2], x[1, 2], x[-2:, -3:-1]]
    f = theano.function([x, i], outs)
    return {"out": f(v, 2)}


@program(G)
def advanced_indexing(lib):
    theano, T = lib.theano, lib.T
    x = T.dmatrix("x")
    idx = T.lvector("idx")
    v = np.arange(20.0).reshape(4, 5)
    outs = [x[idx], x[:, idx], x[idx, idx], x[[0, 2]], x[x > 10], x[idx, 1:3], x[np.array([1, 3])]]
    f = theano.function([x, idx], outs)
    return {"out": f(v, [3, 0, 1])}


@program(G)
def set_and_inc_subtensor(lib):
    theano, T = lib.theano, lib.T
    r = T.ivector("r")
    new_r = T.set_subtensor(r[10:], 5)
    m = T.dmatrix("m")
    y = T.dvector("y")
    idx = T.lvector("idx")
    outs = [new_r, T.inc_subtensor(m[1:3], 1.5), T.inc_subtensor(m[:, 0], y[:4]), T.set_subtensor(m[2, 2], 0.0),
            T.inc_subtensor(m[idx], 1.0), T.set_subtensor(m[idx, 1], y[:3]), T.inc_subtensor(y[[0, 0, 1]], 1.0)]
    f = theano.function([r, m, y, idx], outs)
    return {"out": f(np.arange(15, dtype="int32"), np.zeros((4, 5)), np.arange(6.0), [0, 2, 2])}


@program(G)
def inc_subtensor_dtypes(lib):
    T = lib.T
    i = T.ivector("i")
    f = T.dvector("f")
    b = i > 1
    exprs = {"int_into_bool": lambda: T.inc_subtensor(b[:2], i[:2]), "bool_into_int": lambda: T.inc_subtensor(
        i[:2], b[1:]), "python_float_into_int": lambda: T.set_subtensor(i[:2], 2.7),
        "float_tensor_into_int": lambda: T.set_subtensor(i[:2], f[:2]),
        "int8_into_int": lambda: T.inc_subtensor(i[1:], np.int8(3)), "int_into_float": lambda: T.inc_subtensor(
            f[1:], i[:2]), "set_bool_into_bool": lambda: T.set_subtensor(b[:1], b[2:])}
    return lib.each([i, f], [np.array([1, 2, 3], dtype="int32"), [0.5, 1.5, 2.5]], exprs)


@program(G)
def take_choose_diagonal(lib):
    theano, T = lib.theano, lib.T
    x = T.dmatrix("x")
    idx = T.lvector("idx")
    c = T.lvector("c")
    v = np.arange(12.0).reshape(3, 4)
    outs = [T.take(x, idx, axis=1), x.take(idx, axis=0), x.take(idx), x.diagonal(), x.diagonal(1), T.diagonal(x, -1),
            x.trace(), x.ravel(), T.choose(c, [x[0], x[1], x[2]])]
    f = theano.function([x, idx, c], outs)
    return {"out": f(v, [2, 0], [0, 2, 1, 0])}


@program(G)
def nonzero_family(lib):
    theano, T = lib.theano, lib.T
    x = T.dmatrix("x")
    v = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]])
    outs = list(x.nonzero()) + [T.flatnonzero(x), x.nonzero_values(), T.nonzero(x, return_matrix=True)]
    f = theano.function([x], outs)
    return {"out": f(v)}


# -- operators and elementwise functions ------------------------------------------------------------------------
@program(G)
def arithmetic_operators(lib):
    T = lib.T
    a, b = T.dvectors("a", "b")
    i, j = T.ivectors("i", "j")
    exprs = {"add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b, "div": lambda: a / b,
             "floordiv": lambda: a // b, "mod": lambda: a % b, "pow": lambda: a ** b, "neg": lambda: -a,
             "abs": lambda: abs(a), "ifloordiv": lambda: i // j, "imod": lambda: i % j, "idiv": lambda: i / j,
             "ipow": lambda: i ** j, "ineg": lambda: -i, "imul2": lambda: i * 2, "iadd_float": lambda: i + 1.5,
             "rmul": lambda: a * 2, "rsub": lambda: 2 - a, "rdiv": lambda: 3 / a}
    return lib.each([a, b, i, j], [[1.5, -2.5, 4.0], [2.0, 3.0, -1.5], [7, -7, 3], [2, 2, 2]], exprs)

@program(G)
def bitwise_and_logical(lib):
    theano, T = lib.theano, lib.T
    i, j = T.ivectors("i", "j")
    a = T.dvector("a")
    outs = [i & j, i | j, i ^ j, ~i, T.and_(i, j), T.or_(i, j), T.xor(i, j), T.invert(i), T.bitwise_and(i, j),
            T.bitwise_or(i, j), T.bitwise_xor(i, j), T.bitwise_not(i), (a > 0) & (a < 2), ~(a > 0)]
    f = theano.function([i, j, a], outs)
    return {"out": f([5, 3, -1], [3, 6, 8], [-1.0, 1.0, 3.0])}


@program(G)
def comparisons(lib):
    theano, T = lib.theano, lib.T
    a, b = T.dvectors("a", "b")
    outs = [T.lt(a, b), T.gt(a, b), T.le(a, b), T.ge(a, b), T.eq(a, b), T.neq(a, b), a < b, a >= 1.0,
            T.isnan(a), T.isinf(b), T.isclose(a, b), T.allclose(a, b)]
    f = theano.function([a, b], outs)
    return {"out": f([1.0, np.nan, 3.0, -np.inf], [1.0, 2.0, np.inf, -np.inf]),
            "dtypes": [o.dtype for o in outs]}


@program(G)
def math_functions(lib):
    T = lib.T
    x = T.dvector("x")
    p = T.dvector("p")
    exprs = {"abs_": lambda: T.abs_(x), "exp": lambda: T.exp(x), "exp2": lambda: T.exp2(x),
             "expm1": lambda: T.expm1(x), "log": lambda: T.log(p), "log2": lambda: T.log2(p),
             "log10": lambda: T.log10(p), "log1p": lambda: T.log1p(p), "sqrt": lambda: T.sqrt(p),
             "sqr": lambda: T.sqr(x), "sgn": lambda: T.sgn(x), "ceil": lambda: T.ceil(x), "floor": lambda: T.floor(x),
             "trunc": lambda: T.trunc(x), "round": lambda: T.round(x), "iround": lambda: T.iround(x),
             "round_away": lambda: T.round(x, mode="half_away_from_zero"),
             "round_even": lambda: T.round(x, mode="half_to_even"), "cos": lambda: T.cos(x), "sin": lambda: T.sin(x),
             "tan": lambda: T.tan(x), "arccos": lambda: T.arccos(x / 5), "arcsin": lambda: T.arcsin(x / 5),
             "arctan": lambda: T.arctan(x), "cosh": lambda: T.cosh(x), "sinh": lambda: T.sinh(x),
             "tanh": lambda: T.tanh(x), "arccosh": lambda: T.arccosh(p + 1), "arcsinh": lambda: T.arcsinh(x),
             "arctanh": lambda: T.arctanh(x / 5), "arctan2": lambda: T.arctan2(x, p), "inv": lambda: T.inv(p),
             "deg2rad": lambda: T.deg2rad(x), "rad2deg": lambda: T.rad2deg(x), "maximum": lambda: T.maximum(x, p),
             "minimum": lambda: T.minimum(x, p), "clip": lambda: T.clip(x, -1, 1.5),
             "switch": lambda: T.switch(x > 0, x, p), "where": lambda: T.where(x > 0, 1.0, -1.0),
             "erf": lambda: T.erf(x), "erfc": lambda: T.erfc(x), "erfinv": lambda: T.erfinv(x / 5),
             "erfcinv": lambda: T.erfcinv(p / 5), "gamma": lambda: T.gamma(p), "gammaln": lambda: T.gammaln(p),
             "psi": lambda: T.psi(p), "true_div": lambda: T.true_div(x, p), "int_div": lambda: T.int_div(x, p),
             "mod": lambda: T.mod(x, p), "pow": lambda: T.pow(p, x), "neg": lambda: T.neg(x),
             "real": lambda: T.real(x), "angle": lambda: T.angle(p), "log_of_neg": lambda: T.log(x),
             "sqrt_of_neg": lambda: T.sqrt(x), "ceil_intdiv": lambda: T.ceil_intdiv(T.cast(x * 4, "int32"), 3),
             "chi2sf": lambda: T.chi2sf(p, 3.0), "j0": lambda: T.j0(x), "j1": lambda: T.j1(x),
             "i0": lambda: T.i0(x), "i1": lambda: T.i1(x), "tri_gamma": lambda: T.tri_gamma(p)}
    return lib.each([x, p], [[-2.5, -0.5, 0.5, 1.5, 2.5, 3.7], [0.5, 1.0, 2.0, 3.0, 4.5, 0.1]], exprs)

@program(G)
def special_function_tails(lib):
    theano, T = lib.theano, lib.T
    x = T.dvector("x")
    outs = [T.erf(x), T.erfc(x), T.erfinv(T.clip(x / 40, -0.999, 0.999)), T.gammaln(abs(x) + 1),
            T.gamma(abs(x) / 4 + 0.1), T.psi(abs(x) + 0.5)]
    f = theano.function([x], outs)
    return {"out": f([-30.0, -8.0, -3.0, 0.0, 1e-8, 3.0, 8.0, 10.0, 26.0, 30.0])}


@program(G)
def rounding_modes(lib):
    theano, T = lib.theano, lib.T
    x = T.dvector("x")
    f = theano.function([x], [T.round(x), x.round(), T.iround(x), T.round(x, "half_away_from_zero")])
    return {"out": f([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 0.49999])}


@program(G)
def clip_dtypes(lib):
    T = lib.T
    i = T.ivector("i")
    x = T.fvector("x")
    exprs = {"int_float_bounds": lambda: T.clip(i, 0.5, 2.5), "int_int_bounds": lambda: T.clip(i, 0, 2),
             "f32_int_bounds": lambda: T.clip(x, 0, 1), "int_mixed": lambda: T.clip(i, -1, 1.0),
             "bool_float_bounds": lambda: T.clip(i > 1, 0.2, 0.8), "bool_int_bounds": lambda: T.clip(i > 1, 0, 1),
             "f32_f64_bounds": lambda: T.clip(x, np.float64(0.1), np.float64(0.9))}
    return lib.each([i, x], [[0, 1, 3], np.array([-1, 0.5, 2], dtype="float32")], exprs)

@program(G)
def bool_arithmetic(lib):
    T = lib.T
    eo = lib.imp("tensor.extra_ops")
    x = T.dvector("x")
    b = x > 0
    exprs = {"sqr": lambda: T.sqr(b), "pow": lambda: b ** b, "mul": lambda: b * b, "add": lambda: b + b,
             "sum": lambda: T.sum(b), "diff": lambda: eo.diff(b), "sub": lambda: b - b, "neg": lambda: -b,
             "floordiv": lambda: b // b, "mod": lambda: b % b, "truediv": lambda: b / b,
             "sqr_float": lambda: T.sqr(b) * 1.5, "exp": lambda: T.exp(b), "abs": lambda: abs(b),
             "maximum": lambda: T.maximum(b, b), "cumsum": lambda: T.cumsum(b), "cumprod": lambda: T.cumprod(b),
             "cast": lambda: T.cast(b, "float32"), "plus_int": lambda: b + 1, "times_float": lambda: b * 1.5,
             "mean": lambda: T.mean(b), "prod": lambda: T.prod(b), "invert": lambda: ~b, "and": lambda: b & b,
             "floor": lambda: T.floor(b), "round": lambda: T.round(b), "sgn": lambda: T.sgn(b)}
    return lib.each([x], [[1.0, -1.0, 2.0, 0.0]], exprs)

@program(G)
def integer_powers(lib):
    T = lib.T
    i = T.ivector("i")
    j = T.ivector("j")
    exprs = {"i_pow_j": lambda: i ** j, "i_pow_minus1": lambda: i ** -1, "i_pow_2": lambda: i ** 2,
             "two_pow_j": lambda: 2 ** j, "i_pow_half": lambda: i ** 0.5}
    return lib.each([i, j], [np.array([1, 2, -1, 3, -2], dtype="int32"), np.array([-1, -2, -3, 2, 0], dtype="int32")],
                    exprs)

@program(G)
def nan_inf_algebra(lib):
    T = lib.T
    x = T.dvector("x")
    exprs = {"x_div_x": lambda: x / x, "x_sub_x": lambda: x - x, "eq_x_x": lambda: T.eq(x, x),
             "neq_x_x": lambda: T.neq(x, x), "x_mul_0": lambda: x * 0, "x_add_0": lambda: x + 0,
             "x_pow_0": lambda: x ** 0, "exp_log": lambda: T.exp(T.log(x)), "x_mul_1": lambda: x * 1,
             "maximum_x_x": lambda: T.maximum(x, x), "abs_div": lambda: abs(x) / x, "log_exp": lambda: T.log(T.exp(x)),
             "x_ge_x": lambda: x >= x, "sqr_sqrt": lambda: T.sqrt(x) ** 2, "neg_neg": lambda: -(-x)}
    return lib.each([x], [[np.nan, np.inf, -np.inf, 0.0, 2.0]], exprs)

@program(G)
def casting(lib):
    T = lib.T
    x = T.dvector("x")
    exprs = {"int32": lambda: T.cast(x, "int32"), "int8": lambda: T.cast(x, "int8"),
             "float32": lambda: T.cast(x, "float32"), "bool": lambda: T.cast(x, "bool"),
             "astype_int64": lambda: x.astype("int64"), "bool_to_int16": lambda: T.cast(x > 0, "int16"),
             "roundtrip": lambda: T.cast(T.cast(x, "int32"), "float64"), "uint8": lambda: T.cast(x, "uint8")}
    return lib.each([x], [[-1.7, 0.0, 2.9, 300.5]], exprs)

@program(G)
def constant_dtypes(lib):
    T = lib.T
    x = T.dscalar("x")
    f32 = T.fvector("f32")
    i8 = T.bvector("i8")
    i32 = T.ivector("i32")
    return {"x_plus_1": (x + 1).dtype, "f32_times_2": (f32 * 2).dtype, "f32_times_half": (f32 * 0.5).dtype,
            "i8_plus_1": (i8 + 1).dtype, "i8_plus_300": (i8 + 300).dtype, "i32_times_2": (i32 * 2).dtype,
            "i32_plus_big": (i32 + 2 ** 40).dtype, "i8_times_half": (i8 * 0.5).dtype,
            "i32_div_2": (i32 / 2).dtype, "f32_plus_i8": (f32 + i8).dtype}


# -- linear algebra -------------------------------------------------------------------------------------------------
@program(G, linker="py")
def dot_family(lib):
    theano, T = lib.theano, lib.T
    a = T.dmatrix("a")
    b = T.dmatrix("b")
    v = T.dvector("v")
    t3 = T.dtensor3("t3")
    r = _rng(2)
    outs = [T.dot(a, b), T.dot(v, b), T.dot(a, v), T.dot(v, v), T.outer(v, v), T.tensordot(a, b, axes=1),
            T.tensordot(t3, a, axes=[[2], [0]]), T.batched_dot(t3, t3.dimshuffle(0, 2, 1)),
            T.batched_tensordot(t3, t3, axes=[[2], [2]]), theano.dot(a, b), a.dot(b), T.tensordot(v, v, axes=0)]
    f = theano.function([a, b, v, t3], outs)
    return {"out": f(r.randn(3, 3), r.randn(3, 3), r.randn(3), r.randn(2, 3, 3))}


@program(G)
def nlinalg(lib):
    theano, T = lib.theano, lib.T
    nl = lib.imp("tensor.nlinalg")
    a = T.dmatrix("a")
    r = _rng(3)
    m = r.randn(4, 4) + 4 * np.eye(4)
    spd = m.dot(m.T)
    w, v = nl.eigh(a)
    u, s, vt = nl.svd(a)
    q, rr = nl.qr(a)
    outs = [nl.matrix_inverse(a), nl.det(a), nl.trace(a), nl.diag(a), nl.diag(nl.diag(a)), nl.pinv(a), w,
            abs(v), s, nl.matrix_dot(a, a, a), nl.extract_diag(a), abs(q), abs(rr), nl.norm(a, None),
            abs(nl.eig(a)[0]), nl.tensorinv(a, ind=1), nl.tensorsolve(a, a[0]), nl.lstsq()(a, a[0], -1)[0],
            nl.matrix_power(a, 3)]
    f = theano.function([a], outs)
    return {"out": f(spd)}


@program(G)
def nlinalg_gradients(lib):
    theano, T = lib.theano, lib.T
    nl = lib.imp("tensor.nlinalg")
    a = T.dmatrix("a")
    r = _rng(4)
    m = r.randn(3, 3) + 3 * np.eye(3)
    spd = m.dot(m.T)
    costs = [nl.det(a), nl.matrix_inverse(a).sum(), nl.trace(nl.matrix_dot(a, a)), nl.eigh(a)[0].sum(),
             (nl.pinv(a) ** 2).sum(), nl.diag(a).sum()]
    f = theano.function([a], [T.grad(c, a) for c in costs])
    return {"out": f(spd)}


@program(G)
def slinalg(lib):
    theano, T = lib.theano, lib.T
    sl = lib.imp("tensor.slinalg")
    a = T.dmatrix("a")
    b = T.dmatrix("b")
    r = _rng(5)
    m = r.randn(4, 4) + 4 * np.eye(4)
    spd = m.dot(m.T)
    rhs = r.randn(4, 2)
    L = sl.cholesky(a)
    outs = [L, sl.solve(a, b), sl.Solve(A_structure="lower_triangular", lower=True)(L, b),
            sl.solve_lower_triangular(L, b), sl.solve_upper_triangular(L.T, b), sl.eigvalsh(a, a + T.eye(4)),
            sl.expm(a / 10), sl.kron(a[:2, :2], b), sl.Cholesky(lower=False)(a)]
    f = theano.function([a, b], outs)
    return {"out": f(spd, rhs)}


@program(G)
def slinalg_gradients(lib):
    theano, T = lib.theano, lib.T
    sl = lib.imp("tensor.slinalg")
    a = T.dmatrix("a")
    b = T.dmatrix("b")
    r = _rng(6)
    m = r.randn(3, 3) + 3 * np.eye(3)
    spd = m.dot(m.T)
    costs = [sl.cholesky(a).sum(), (sl.solve(a, b) ** 2).sum(), sl.solve_lower_triangular(sl.cholesky(a), b).sum(),
             sl.expm(a / 10).sum()]
    f = theano.function([a, b], [g for c in costs for g in T.grad(c, [a, b], disconnected_inputs="ignore")])
    return {"out": f(spd, r.randn(3, 2))}


# -- extra ops ------------------------------------------------------------------------------------------------------
@program(G)
def extra_ops(lib):
    theano, T = lib.theano, lib.T
    eo = lib.imp("tensor.extra_ops")
    x = T.dmatrix("x")
    v = T.dvector("v")
    i = T.lvector("i")
    xv = np.arange(12.0).reshape(3, 4) % 5
    outs = [eo.cumsum(x), eo.cumsum(x, axis=0), eo.cumprod(v), eo.diff(v), eo.diff(x, n=2, axis=1),
            eo.bincount(i), eo.bincount(i, minlength=7), eo.squeeze(x[:1]), eo.repeat(v, 2), eo.repeat(x, 2, axis=0),
            eo.to_one_hot(i, 6), eo.fill_diagonal(x, 9.0), eo.fill_diagonal_offset(x, 7.0, 1),
            eo.fill_diagonal_offset(x, 5.0, -1), eo.searchsorted(v, v[:2] + 0.5),
            eo.compress(v > 1, v), eo.ravel_multi_index((i[:2], i[1:3]), (4, 5)), eo.unravel_index(i, (3, 4))[0],
            eo.Unique()(i), eo.cumsum(v > 1)]
    f = theano.function([x, v, i], outs)
    return {"out": f(xv, [1.0, 2.0, 4.0, 7.0], [1, 3, 3, 5])}


@program(G)
def sort_argsort(lib):
    theano, T = lib.theano, lib.T
    x = T.dmatrix("x")
    xv = np.array([[3.0, 1.0, 2.0], [0.5, 0.25, 9.0]])
    f = theano.function([x], [T.sort(x), T.sort(x, axis=0), T.argsort(x), x.argsort(axis=0), T.sort(x, axis=None)])
    return {"out": f(xv)}


@program(G)
def elemwise_gradients(lib):
    theano, T = lib.theano, lib.T
    x = T.dvector("x")
    y = T.dvector("y")
    costs = [T.maximum(x, y).sum(), T.minimum(x, y).sum(), T.maximum(x, x).sum(), T.max(x), T.min(x),
             T.clip(x, 0.0, 1.0).sum(), abs(x).sum(), (x ** y).sum(), T.sqrt(abs(x)).sum(), T.max(T.stack([x, y]),
                                                                                               axis=0).sum()]
    f = theano.function([x, y], [g for c in costs for g in T.grad(c, [x, y], disconnected_inputs="ignore")])
    return {"out": f([1.0, 2.0, 2.0, 0.0, 1.0], [1.0, 3.0, 2.0, -1.0, 0.5])}


@program(G)
def softmax_of_vector(lib):
    theano, T = lib.theano, lib.T
    nnet = lib.imp("tensor.nnet")
    v = T.dvector("v")
    m = T.dmatrix("m")
    sv = nnet.softmax(v)
    f = theano.function([v, m], [sv, nnet.softmax(m), T.grad(sv[0, 1], v)])
    return {"out": f([1.0, 2.0, 3.0], np.array([[1.0, 2.0], [3.0, 5.0]])), "ndim": sv.ndim}
