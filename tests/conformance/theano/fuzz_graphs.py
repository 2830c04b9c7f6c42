"""A differential fuzz over the public tensor API: random expression graphs, evaluated by Theano and by
layerkit_backend, with the gradient of a scalar cost of each.

``generate(seed)`` makes a graph specification from a seed alone (NumPy's legacy RandomState, whose stream is the
same in every NumPy version): typed inputs and their values, then a few operations, each a row of ``OPS`` applied
to earlier values, then the outputs. The generator tracks each value's shape and dtype kind by the rows' own
rules, so most graphs are valid; the rest test that both libraries refuse the same things.

``evaluate(lib, spec)`` builds the graph in one library, compiles the outputs, and compiles the gradient of
``sum(float outputs)`` with respect to the float inputs, recording values, dtypes, shapes or the error of each
part. ``classify(ours, theirs, spec)`` compares two evaluations.
"""
import numpy as np

__all__ = ["generate", "evaluate", "classify", "OPS", "THEANO_ALGEBRA"]

# Theano's rewrites that change results at NaN and infinities (x - x -> 0, x / x -> 1, eq(x, x) -> True, x * 0 ->
# 0...) and its fusion, whose Python code raises Python's exceptions (0.0 ** -1) where NumPy gives inf: the fuzz
# records Theano without them, so that it compares what the operations compute. What those rewrites change is
# the documented difference "nan_algebra" (tests/conformance/theano/differences.py); the recording counts the
# graphs where Theano's default mode gives something else.
THEANO_ALGEBRA = ["fusion", "local_elemwise_sub_zeros", "local_mul_canonizer", "local_add_canonizer",
                  "local_useless_elemwise", "local_useless_elemwise_comparison", "local_mul_zero", "local_zero_div",
                  "local_mul_specialize", "local_mul_switch_sink", "local_div_switch_sink",
                  "local_greedy_distributor"]

DTYPES = ["float64", "float32", "int32", "int64", "int8", "uint8", "bool"]
DTYPE_WEIGHTS = [0.42, 0.16, 0.12, 0.1, 0.08, 0.04, 0.08]


def _kind(dtype):
    return "b" if dtype == "bool" else np.dtype(dtype).kind


def _bshape(*shapes):
    """NumPy's broadcast of concrete shapes, or None when they do not broadcast."""
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        return None


class Info:
    """What the generator knows of a value: its concrete shape and dtype (by NumPy's rules, roughly)."""

    def __init__(self, shape, dtype):
        self.shape, self.dtype = tuple(shape), dtype

    @property
    def kind(self):
        return _kind(self.dtype)

    @property
    def ndim(self):
        return len(self.shape)


# -- the rows --------------------------------------------------------------------------------------------------
# A row: (arity, params(rng, infos) -> params or None when the row does not apply, out(infos, params) -> Info or
# list of Infos or None, build(lib, args, params) -> variable or list). Each runs in both libraries.

def _float_out(infos, params=None):
    shape = _bshape(*[i.shape for i in infos])
    if shape is None:
        return None
    return Info(shape, "float64" if any(i.dtype == "float64" for i in infos) else "float32")


def _same_out(infos, params=None):
    shape = _bshape(*[i.shape for i in infos])
    if shape is None:
        return None
    return Info(shape, np.result_type(*[i.dtype for i in infos]).name)


def _bool_out(infos, params=None):
    shape = _bshape(*[i.shape for i in infos])
    return None if shape is None else Info(shape, "bool")


def _no_params(rng, infos):
    return {}


def _needs_kinds(kinds):
    def params(rng, infos):
        return {} if all(i.kind in kinds for i in infos) else None

    return params


def _unary(fn_name, module="T"):
    def build(lib, args, params):
        mod = lib.T if module == "T" else lib.imp("tensor.nnet")
        return getattr(mod, fn_name)(*args)

    return build


OPS = {}


def _row(name, arity, params, out, build, weight=1.0):
    OPS[name] = (arity, params, out, build, weight)


def _wide_operands(rng, infos):
    # Theano's Python implementations compute float functions of bool/int8/uint8 in float16 (NumPy's loops for
    # them), where its C code does not: such graphs would test that artefact, so the fuzz does not make them
    return None if any(i.dtype in _NARROW for i in infos) else {}


_NARROW = ("bool", "int8", "uint8")

for _name in ["exp", "log", "log1p", "expm1", "sqrt", "sin", "cos", "tan", "tanh", "sinh", "cosh", "arcsin",
              "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "erf", "erfc", "erfinv", "gamma", "gammaln", "psi",
              "log2", "log10", "exp2", "inv", "deg2rad", "rad2deg"]:
    _row(_name, 1, _wide_operands, _float_out, _unary(_name), 0.4)
for _name in ["sigmoid", "softplus", "ultra_fast_sigmoid", "hard_sigmoid", "relu", "softsign", "elu"]:
    _row(_name, 1, _wide_operands, lambda infos, p: _float_out(infos) if infos[0].kind == "f" else
         Info(infos[0].shape, "float64"), _unary(_name, "nnet"), 0.4)
for _name in ["neg", "abs_", "sqr", "sgn"]:
    _row(_name, 1, _no_params, _same_out, _unary(_name), 0.6)
for _name in ["floor", "ceil", "trunc", "round", "iround"]:
    _row(_name, 1, _no_params, lambda infos, p: Info(infos[0].shape, "float64"), _unary(_name), 0.3)
for _name in ["isnan", "isinf"]:
    _row(_name, 1, _no_params, _bool_out, _unary(_name), 0.3)
_row("invert", 1, _needs_kinds("ibu"), _same_out, _unary("invert"), 0.3)
for _name in ["add", "sub", "mul", "maximum", "minimum"]:
    _row(_name, 2, _no_params, _same_out, _unary(_name), 1.5)
_row("true_div", 2, _no_params, _float_out, _unary("true_div"), 0.8)
_row("arctan2", 2, _wide_operands, _float_out, _unary("arctan2"), 0.4)
# int_div of floats: Theano's C code computes floor(x / y) (as layerkit), its Python code NumPy's floor_divide,
# which differs at infinities and where x / y rounds to an integer; the fuzz divides integers only (the
# documentation programs, recorded with C, check floats)
_row("int_div", 2, _needs_kinds("iu"), _same_out, _unary("int_div"), 0.4)
for _name in ["mod", "pow"]:
    _row(_name, 2, _no_params, _same_out, _unary(_name), 0.6)
for _name in ["lt", "gt", "le", "ge", "eq", "neq"]:
    _row(_name, 2, _no_params, _bool_out, _unary(_name), 0.4)
for _name in ["and_", "or_", "xor"]:
    _row(_name, 2, _needs_kinds("ibu"), _same_out, _unary(_name), 0.3)


def _const_params(rng, infos):
    value = [2, -1, 0, 3, 0.5, -1.5, 2.0, 1e-3, 300][rng.randint(9)]
    return {"op": ["add", "sub", "mul", "true_div", "pow", "maximum", "rsub", "rmul", "rpow"][rng.randint(9)],
            "value": value}


def _const_build(lib, args, params):
    x, c, T = args[0], params["value"], lib.T
    return {"add": lambda: x + c, "sub": lambda: x - c, "mul": lambda: x * c, "true_div": lambda: x / c,
            "pow": lambda: x ** c, "maximum": lambda: T.maximum(x, c), "rsub": lambda: c - x,
            "rmul": lambda: c * x, "rpow": lambda: c ** x}[params["op"]]()


def _const_out(infos, params):
    kind = "f" if isinstance(params["value"], float) or params["op"] == "true_div" else infos[0].kind
    return Info(infos[0].shape, infos[0].dtype if kind == infos[0].kind else "float64")


_row("with_constant", 1, _const_params, _const_out, _const_build, 2.5)
_row("switch", 3, _no_params, lambda infos, p: _same_out(infos[1:]) if _bshape(*[i.shape for i in infos]) else None,
     _unary("switch"), 0.6)


def _clip_params(rng, infos):
    lo = [-1, 0, -0.5, 0.2][rng.randint(4)]
    return {"lo": lo, "hi": lo + [1, 2, 0.5, 1.5][rng.randint(4)]}


_row("clip", 1, _clip_params, lambda infos, p: Info(infos[0].shape, infos[0].dtype),
     lambda lib, args, p: lib.T.clip(args[0], p["lo"], p["hi"]), 0.6)


def _cast_params(rng, infos):
    return {"dtype": DTYPES[rng.randint(len(DTYPES))]}


_row("cast", 1, _cast_params, lambda infos, p: Info(infos[0].shape, p["dtype"]),
     lambda lib, args, p: lib.T.cast(args[0], p["dtype"]), 0.6)


# reductions
def _axis_params(rng, infos, allow_none=True, allow_tuple=True):
    nd = infos[0].ndim
    choices = ([None] if allow_none else []) + (list(range(-nd, nd)) if nd else [])
    if allow_tuple and nd >= 2:
        choices.append(tuple(sorted(rng.choice(nd, 2, replace=False).tolist())))
    if not choices:
        return None
    axis = choices[rng.randint(len(choices))]
    return {"axis": axis, "keepdims": bool(rng.rand() < 0.3)}


def _reduced(infos, p, dtype):
    shape, nd = infos[0].shape, infos[0].ndim
    axis = p["axis"]
    axes = tuple(range(nd)) if axis is None else tuple(a % nd for a in (axis if isinstance(axis, tuple) else (axis,)))
    out = tuple(1 if i in axes else s for i, s in enumerate(shape)) if p["keepdims"] else \
        tuple(s for i, s in enumerate(shape) if i not in axes)
    if any(shape[a] == 0 for a in axes) and dtype != "sum":
        return None
    return Info(out, dtype if dtype not in ("same", "sum") else infos[0].dtype)


_row("ptp", 1, lambda rng, infos: dict(_axis_params(rng, infos, allow_tuple=False) or {}, keepdims=False)
     if infos[0].ndim else None, lambda infos, p: _reduced(infos, p, "same"),
     lambda lib, args, p: lib.T.ptp(args[0], axis=p["axis"]), 0.3)  # (Theano's ptp has no keepdims)
for _name, _dt in [("sum", "sum"), ("prod", "sum"), ("max", "same"), ("min", "same"), ("mean", "float64"),
                   ("var", "float64"), ("std", "float64"), ("all", "bool"), ("any", "bool")]:
    _row(_name, 1, _axis_params, (lambda d: lambda infos, p: _reduced(infos, p, d))(_dt),
         (lambda n: lambda lib, args, p: getattr(lib.T, n)(args[0], axis=p["axis"], keepdims=p["keepdims"]))(_name),
         0.5)
for _name in ["argmax", "argmin"]:
    _row(_name, 1, lambda rng, infos: _axis_params(rng, infos, allow_tuple=False),
         lambda infos, p: _reduced(infos, p, "int64"),
         (lambda n: lambda lib, args, p: getattr(lib.T, n)(args[0], axis=p["axis"], keepdims=p["keepdims"]))(_name),
         0.3)


# shapes
def _dimshuffle_params(rng, infos):
    info = infos[0]
    keep = [d for d in range(info.ndim) if info.shape[d] != 1 or rng.rand() < 0.5]
    order = list(rng.permutation(keep))
    for _ in range(rng.randint(0, 2)):
        order.insert(rng.randint(len(order) + 1), "x")
    return {"order": [o if o == "x" else int(o) for o in order], "drop_ok": all(
        info.shape[d] == 1 for d in range(info.ndim) if d not in keep)}


def _dimshuffle_out(infos, p):
    return Info(tuple(1 if o == "x" else infos[0].shape[o] for o in p["order"]), infos[0].dtype)


_row("dimshuffle", 1, _dimshuffle_params, _dimshuffle_out, lambda lib, args, p: args[0].dimshuffle(*p["order"]), 0.7)
_row("transpose", 1, _no_params, lambda infos, p: Info(infos[0].shape[::-1], infos[0].dtype),
     lambda lib, args, p: args[0].T, 0.4)


def _flatten_params(rng, infos):
    return {"ndim": int(rng.randint(1, max(infos[0].ndim, 1) + 1))}


def _flatten_out(infos, p):
    shape, n = infos[0].shape, p["ndim"]
    if n > len(shape) and len(shape):
        return None
    head = shape[:n - 1]
    return Info(head + (int(np.prod(shape[n - 1:], dtype=np.int64)),), infos[0].dtype)


_row("flatten", 1, _flatten_params, _flatten_out, lambda lib, args, p: args[0].flatten(p["ndim"]), 0.4)


def _reshape_params(rng, infos):
    size = int(np.prod(infos[0].shape, dtype=np.int64))
    divisors = [d for d in range(1, size + 1) if size % d == 0] or [1]
    a = divisors[rng.randint(len(divisors))]
    shapes = [(size,), (a, size // a), (size // a, a, 1), (-1,), (a, -1), (1, -1)]
    return {"shape": list(shapes[rng.randint(len(shapes))])}


def _reshape_out(infos, p):
    size = int(np.prod(infos[0].shape, dtype=np.int64))
    try:
        return Info(np.empty(size).reshape(p["shape"]).shape, infos[0].dtype)
    except ValueError:
        return None


_row("reshape", 1, _reshape_params, _reshape_out, lambda lib, args, p: args[0].reshape(tuple(p["shape"])), 0.4)
_row("shape_padleft", 1, _no_params, lambda infos, p: Info((1,) + infos[0].shape, infos[0].dtype),
     lambda lib, args, p: lib.T.shape_padleft(args[0]), 0.2)
_row("shape_padright", 1, _no_params, lambda infos, p: Info(infos[0].shape + (1,), infos[0].dtype),
     lambda lib, args, p: lib.T.shape_padright(args[0]), 0.2)


def _repeat_params(rng, infos):
    if not infos[0].ndim:
        return None
    return {"repeats": int(rng.randint(1, 3)), "axis": int(rng.randint(infos[0].ndim))}


def _repeat_out(infos, p):
    shape = list(infos[0].shape)
    shape[p["axis"]] *= p["repeats"]
    return Info(shape, infos[0].dtype)


_row("repeat", 1, _repeat_params, _repeat_out, lambda lib, args, p: lib.T.repeat(args[0], p["repeats"], p["axis"]),
     0.3)


def _axis1_params(rng, infos):
    if not infos[0].ndim:
        return None
    return {"axis": int(rng.randint(-infos[0].ndim, infos[0].ndim))}


def _roll_params(rng, infos):
    p = _axis1_params(rng, infos)
    if p is not None:
        p["shift"] = int(rng.randint(-3, 4))
    return p


_row("roll", 1, _roll_params, lambda infos, p: infos[0],
     lambda lib, args, p: lib.T.roll(args[0], p["shift"], p["axis"]), 0.3)
_row("cumsum", 1, _axis1_params, lambda infos, p: Info(infos[0].shape, infos[0].dtype),
     lambda lib, args, p: lib.T.cumsum(args[0], axis=p["axis"]), 0.4)
_row("cumprod", 1, _axis1_params, lambda infos, p: Info(infos[0].shape, infos[0].dtype),
     lambda lib, args, p: lib.T.cumprod(args[0], axis=p["axis"]), 0.3)


def _diff_out(infos, p):
    shape = list(infos[0].shape)
    shape[p["axis"]] = max(shape[p["axis"]] - 1, 0)
    return Info(shape, infos[0].dtype)


_row("diff", 1, _axis1_params, _diff_out, lambda lib, args, p: lib.imp("tensor.extra_ops").diff(args[0],
                                                                                               axis=p["axis"]), 0.3)
_row("sort", 1, _axis1_params, lambda infos, p: infos[0], lambda lib, args, p: lib.T.sort(args[0], axis=p["axis"]),
     0.3)
_row("argsort", 1, _axis1_params, lambda infos, p: Info(infos[0].shape, "int64"),
     lambda lib, args, p: lib.T.argsort(args[0], axis=p["axis"]), 0.2)


def _join_params(rng, infos):
    a, b = infos
    if a.ndim != b.ndim or not a.ndim:
        return None
    return {"axis": int(rng.randint(a.ndim))}


def _join_out(infos, p):
    a, b = infos
    ax = p["axis"]
    if any(x != y for d, (x, y) in enumerate(zip(a.shape, b.shape)) if d != ax):
        return None
    shape = list(a.shape)
    shape[ax] += b.shape[ax]
    return Info(shape, np.result_type(a.dtype, b.dtype).name)


_row("concatenate", 2, _join_params, _join_out,
     lambda lib, args, p: lib.T.concatenate(list(args), axis=p["axis"]), 0.5)
_row("stack", 2, lambda rng, infos: {} if infos[0].shape == infos[1].shape else None,
     lambda infos, p: Info((2,) + infos[0].shape, np.result_type(infos[0].dtype, infos[1].dtype).name),
     lambda lib, args, p: lib.T.stack(list(args)), 0.3)
_row("shape", 1, _no_params, lambda infos, p: Info((infos[0].ndim,), "int64"), lambda lib, args, p: args[0].shape,
     0.2)


# indexing
def _index_params(rng, infos):
    info = infos[0]
    if not info.ndim:
        return None
    entries = []
    for d in range(rng.randint(1, info.ndim + 1)):
        n = info.shape[d]
        r = rng.rand()
        if r < 0.3 and n:
            entries.append(["int", int(rng.randint(-n, n))])
        elif r < 0.8:
            start = [None, 0, 1, -1, -2][rng.randint(5)]
            stop = [None, 2, -1, n, 1][rng.randint(5)]
            step = [None, 1, 2, -1, -2][rng.randint(5)]
            entries.append(["slice", start, stop, step])
        elif n:
            entries.append(["list", [int(i) for i in rng.randint(-n, n, size=rng.randint(1, 4))]])
        else:
            entries.append(["slice", None, None, None])
    return {"index": entries}


def _index_tuple(entries):
    out = []
    for e in entries:
        if e[0] == "int":
            out.append(e[1])
        elif e[0] == "slice":
            out.append(slice(e[1], e[2], e[3]))
        else:
            out.append(np.array(e[1], dtype="int64"))
    return tuple(out)


def _index_out(infos, p):
    try:
        shape = np.empty(infos[0].shape)[_index_tuple(p["index"])].shape
    except IndexError:
        return None
    return Info(shape, infos[0].dtype)


_row("getitem", 1, _index_params, _index_out, lambda lib, args, p: args[0][_index_tuple(p["index"])], 1.0)


def _set_params(rng, infos):
    p = _index_params(rng, infos[:1])
    if p is None:
        return None
    p["inc"] = bool(rng.rand() < 0.5)
    return p


def _set_out(infos, p):
    region = _index_out(infos[:1], p)
    if region is None or _bshape(region.shape, infos[1].shape) != region.shape:
        return None
    return infos[0]


def _set_build(lib, args, p):
    x, y, T = args[0], args[1], lib.T
    target = x[_index_tuple(p["index"])]
    return T.inc_subtensor(target, y) if p["inc"] else T.set_subtensor(target, y)


_row("set_subtensor", 2, _set_params, _set_out, _set_build, 0.6)
_row("boolean_mask", 1, lambda rng, infos: {} if infos[0].ndim else None,
     lambda infos, p: Info((int(np.prod(infos[0].shape)) // 2,), infos[0].dtype),  # (a guess: values unknown)
     lambda lib, args, p: args[0][(args[0] > 0).nonzero()], 0.2)


# linear algebra and nnet
def _dot_out(infos, p):
    a, b = infos
    try:
        shape = np.dot(np.empty(a.shape), np.empty(b.shape)).shape
    except ValueError:
        return None
    return Info(shape, np.result_type(a.dtype, b.dtype).name)


_row("dot", 2, lambda rng, infos: {} if 0 < infos[0].ndim <= 2 and 0 < infos[1].ndim <= 2 else None, _dot_out,
     lambda lib, args, p: lib.T.dot(*args), 0.8)
_row("outer", 2, lambda rng, infos: {} if infos[0].ndim == 1 and infos[1].ndim == 1 else None,
     lambda infos, p: Info(infos[0].shape + infos[1].shape, np.result_type(infos[0].dtype, infos[1].dtype).name),
     lambda lib, args, p: lib.T.outer(*args), 0.3)
_row("softmax", 1, lambda rng, infos: {} if infos[0].ndim in (1, 2) else None,
     lambda infos, p: Info(infos[0].shape if infos[0].ndim == 2 else (1,) + infos[0].shape, "float64"),
     lambda lib, args, p: lib.imp("tensor.nnet").softmax(args[0]), 0.4)
_row("logsoftmax", 1, lambda rng, infos: {} if infos[0].ndim == 2 else None,
     lambda infos, p: Info(infos[0].shape, "float64"), lambda lib, args, p: lib.imp("tensor.nnet").logsoftmax(args[0]),
     0.2)
_row("binary_crossentropy", 2, _wide_operands, _float_out,
     lambda lib, args, p: lib.imp("tensor.nnet").binary_crossentropy(lib.imp("tensor.nnet").sigmoid(args[0]),
                                                                     args[1]), 0.2)
def _tile_params(rng, infos):
    return {"reps": [int(r) for r in rng.randint(1, 3, size=max(infos[0].ndim, 1))]}


def _tile_out(infos, p):
    shape = infos[0].shape
    reps = p["reps"]
    if len(reps) < len(shape):
        return None
    shape = (1,) * (len(reps) - len(shape)) + shape
    return Info(tuple(s * r for s, r in zip(shape, reps)), infos[0].dtype)


_row("tile", 1, _tile_params, _tile_out, lambda lib, args, p: lib.T.tile(args[0], tuple(p["reps"])), 0.3)


def _take_params(rng, infos):
    info = infos[0]
    if not info.ndim or 0 in info.shape:
        return None
    axis = [None] + list(range(info.ndim))
    axis = axis[rng.randint(len(axis))]
    n = int(np.prod(info.shape)) if axis is None else info.shape[axis]
    return {"axis": axis, "indices": [int(i) for i in rng.randint(-n, n, size=rng.randint(1, 4))]}


def _take_out(infos, p):
    try:
        return Info(np.take(np.empty(infos[0].shape), p["indices"], axis=p["axis"]).shape, infos[0].dtype)
    except IndexError:
        return None


_row("take", 1, _take_params, _take_out,
     lambda lib, args, p: lib.T.take(args[0], np.array(p["indices"], dtype="int64"), axis=p["axis"]), 0.3)


def _tensordot_params(rng, infos):
    a, b = infos
    if not a.ndim or not b.ndim:
        return None
    return {"axes": 1}


def _tensordot_out(infos, p):
    try:
        shape = np.tensordot(np.empty(infos[0].shape), np.empty(infos[1].shape), axes=p["axes"]).shape
    except ValueError:
        return None
    return Info(shape, np.result_type(infos[0].dtype, infos[1].dtype).name)


_row("tensordot", 2, _tensordot_params, _tensordot_out,
     lambda lib, args, p: lib.T.tensordot(args[0], args[1], axes=p["axes"]), 0.3)
_row("batched_dot", 2, lambda rng, infos: {} if infos[0].ndim == 3 and infos[1].ndim == 3 else None,
     lambda infos, p: Info((infos[0].shape[0], infos[0].shape[1], infos[1].shape[2]),
                           np.result_type(infos[0].dtype, infos[1].dtype).name)
     if infos[0].shape[0] == infos[1].shape[0] and infos[0].shape[2] == infos[1].shape[1] else None,
     lambda lib, args, p: lib.T.batched_dot(*args), 0.3)
_row("squeeze", 1, lambda rng, infos: {} if 1 in infos[0].shape else None,
     lambda infos, p: Info(tuple(s for s in infos[0].shape if s != 1), infos[0].dtype),
     lambda lib, args, p: lib.T.squeeze(args[0]), 0.2)


def _swap_params(rng, infos):
    if infos[0].ndim < 2:
        return None
    a, b = rng.choice(infos[0].ndim, 2, replace=False)
    return {"a": int(a), "b": int(b)}


def _swap_out(infos, p):
    shape = list(infos[0].shape)
    shape[p["a"]], shape[p["b"]] = shape[p["b"]], shape[p["a"]]
    return Info(shape, infos[0].dtype)


_row("swapaxes", 1, _swap_params, _swap_out, lambda lib, args, p: lib.T.swapaxes(args[0], p["a"], p["b"]), 0.2)
_row("max_and_argmax", 1, lambda rng, infos: _axis_params(rng, infos, allow_none=False, allow_tuple=False)
     if infos[0].ndim and 0 not in infos[0].shape else None,
     lambda infos, p: _reduced(infos, dict(p, keepdims=False), "same"),
     lambda lib, args, p: lib.T.max_and_argmax(args[0], axis=p["axis"])[0], 0.2)
_row("ones_like", 1, _no_params, lambda infos, p: infos[0], lambda lib, args, p: lib.T.ones_like(args[0]), 0.2)
_row("zeros_like", 1, _no_params, lambda infos, p: infos[0], lambda lib, args, p: lib.T.zeros_like(args[0]), 0.2)
_row("fill", 2, _no_params, lambda infos, p: Info(_bshape(infos[0].shape, infos[1].shape) or infos[0].shape,
                                                  infos[1].dtype), lambda lib, args, p: lib.T.fill(*args), 0.2)

_NAMES = sorted(OPS)
_WEIGHTS = np.array([OPS[n][4] for n in _NAMES])
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()


# -- generation -------------------------------------------------------------------------------------------------
def _input_values(rng, dtype, shape, mode):
    if dtype == "bool":
        return rng.rand(*shape) < 0.5
    kind = np.dtype(dtype).kind
    if kind == "u":
        return rng.randint(0, 6, size=shape).astype(dtype)
    if kind == "i":
        return rng.randint(-4, 5, size=shape).astype(dtype)
    if mode == "ties":
        v = rng.randint(-2, 3, size=shape) * 0.5
    elif mode == "special":
        v = rng.randn(*shape) * 2
        specials = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0])
        mask = rng.rand(*shape) < 0.3
        v = np.where(mask, specials[rng.randint(len(specials), size=shape)], v)
    elif mode == "positive":
        v = rng.rand(*shape) * 3 + 0.05
    else:
        v = rng.randn(*shape) * 1.5
    return np.asarray(v, dtype=dtype)


def generate(seed):
    """A graph specification (JSON-able but for the input arrays) made from ``seed`` alone."""
    rng = np.random.RandomState(seed)
    floatX = "float64" if rng.rand() < 0.7 else "float32"
    dims = [int(d) for d in rng.randint(1, 5, size=3)]
    if rng.rand() < 0.08:
        dims[rng.randint(3)] = 0
    mode = ["normal", "normal", "ties", "positive", "special"][rng.randint(5)]
    inputs, values, infos = [], [], []
    for k in range(rng.randint(1, 4)):
        dtype = DTYPES[rng.choice(len(DTYPES), p=DTYPE_WEIGHTS)]
        ndim = int(rng.randint(0, 4))
        shape = [1 if rng.rand() < 0.2 else d for d in dims[3 - ndim:]] if ndim else []
        # size-1 dimensions are mostly declared broadcastable: a size-1 dimension not declared so broadcasts
        # here but not in Theano (a documented difference), so the fuzz keeps a few of those, not many
        bcast = [bool(s == 1 and rng.rand() < 0.9) for s in shape]
        inputs.append({"name": f"x{k}", "dtype": dtype, "broadcastable": bcast})
        values.append(_input_values(rng, dtype, shape, mode))
        infos.append(Info(shape, dtype))
    nodes = []
    for _ in range(rng.randint(1, 7)):
        for _attempt in range(20):
            name = _NAMES[rng.choice(len(_NAMES), p=_WEIGHTS)]
            arity, params_fn, out_fn = OPS[name][:3]
            recent = list(range(len(infos)))[::-1]
            picks = [recent[min(int(rng.geometric(0.5)) - 1, len(recent) - 1)] for _ in range(arity)]
            args = [infos[i] for i in picks]
            params = params_fn(rng, args)
            if params is None:
                continue
            out = out_fn(args, params)
            if out is None and rng.rand() < 0.9:  # keep a few invalid graphs: refusing them is behaviour too
                continue
            nodes.append({"op": name, "args": picks, "params": params})
            infos.append(out if out is not None else Info((), "float64"))
            break
    n_values = len(infos)
    outputs = [n_values - 1]
    if n_values > 2 and rng.rand() < 0.4:
        outputs.append(int(rng.randint(len(inputs), n_values - 1)) if n_values - 1 > len(inputs) else 0)
    return {"seed": seed, "floatX": floatX, "inputs": inputs, "values": values, "nodes": nodes,
            "outputs": outputs}


# -- evaluation -------------------------------------------------------------------------------------------------
def _error(err):
    from oracle import ProgramError

    return ProgramError(type(err).__name__, str(err)[:200])


def evaluate(lib, spec, mode=None, builds=None):
    """Build, differentiate, compile (in ``mode``) and run ``spec`` in ``lib``: a dict of results (errors
    included). ``builds`` ({row name: build function}) replaces rows' own builders, to ask what a graph would
    compute if an op computed something else (differences.py's counterfactuals)."""
    theano, T = lib.theano, lib.T
    before = theano.config.floatX
    theano.config.floatX = spec["floatX"]
    try:
        return _evaluate(lib, theano, T, spec, mode, builds or {})
    finally:
        theano.config.floatX = before


def _evaluate(lib, theano, T, spec, mode, builds):
    inputs = [T.TensorType(i["dtype"], tuple(i["broadcastable"]))(i["name"]) for i in spec["inputs"]]
    values = [np.asarray(v) for v in spec["values"]]
    variables = list(inputs)
    try:
        for node in spec["nodes"]:
            build = builds.get(node["op"], OPS[node["op"]][3])
            out = build(lib, [variables[i] for i in node["args"]], node["params"])
            variables.append(out)
        outputs = [variables[k] for k in spec["outputs"]]
    except Exception as err:  # noqa: BLE001
        return {"build": _error(err)}
    result = {"dtypes": [o.dtype for o in outputs], "ndims": [o.ndim for o in outputs]}
    try:
        f = theano.function(inputs, outputs, on_unused_input="ignore", mode=mode)
        result["forward"] = f(*values)
    except Exception as err:  # noqa: BLE001
        result["forward"] = _error(err)
    floats = [o for o in outputs if o.dtype in ("float32", "float64")]
    wrt = [i for i in inputs if i.dtype in ("float32", "float64")]
    if floats and wrt:
        try:
            cost = sum(T.sum(o) for o in floats)
            grads = T.grad(cost, wrt, disconnected_inputs="ignore")
            g = theano.function(inputs, grads, on_unused_input="ignore", mode=mode)
            result["grad"] = g(*values)
        except Exception as err:  # noqa: BLE001
            result["grad"] = _error(err)
    return result


# -- comparison -------------------------------------------------------------------------------------------------
def classify(ours, theirs, theirs_default=None):
    """``(kind, details)``: kind is 'match', 'both_error' or 'mismatch' (details: oracle.compare's list).

    ``theirs`` is Theano without its value-changing algebra (THEANO_ALGEBRA), ``theirs_default`` its default mode
    where that gave something else: each part (dtypes, forward values, gradient) must agree with one of them.
    """
    from oracle import ProgramError, compare

    def refused(result):  # when building, or when running the outputs
        return "build" in result or isinstance(result.get("forward"), ProgramError)

    if ("build" in theirs or "build" in ours) and refused(theirs) and refused(ours):
        return "both_error", []
    diffs = []
    for key in sorted(set(ours) | set(theirs)):
        part = compare({key: ours.get(key)}, {key: theirs.get(key)}) if key in ours and key in theirs else \
            [(f".{key}", "missing", "ours" if key not in ours else "theirs")]
        if part and theirs_default is not None and key in ours and key in theirs_default:
            if not compare({key: ours[key]}, {key: theirs_default[key]}):
                part = []
        diffs += part
    return ("match" if not diffs else "mismatch"), diffs
