"""Every deliberate difference from Theano 1.0.5 that the recorded programs and the fuzz meet: its reason, the test
that pins layerkit_backend's behaviour, and how to recognise it in a comparison. docs/migration.md lists the same
entries (a test keeps the two in step).

``PROGRAM_RESULTS`` says which results of which recorded programs a difference explains; ``explain_fuzz`` sorts a
fuzz graph's mismatches into these differences, or leaves them unexplained (a bug to fix).
"""
import functools
import re
import warnings

import numpy as np

import fuzz_graphs
from oracle import Lib, ProgramError, values_agree

__all__ = ["Difference", "DIFFERENCES", "PROGRAM_RESULTS", "explain_program", "explain_fuzz"]


class Difference:
    def __init__(self, key, title, reason, pinned_by):
        self.key, self.title, self.reason, self.pinned_by = key, title, reason, pinned_by


PIN = "tests/conformance/theano/test_theano_differences.py::"

DIFFERENCES = {d.key: d for d in [
    Difference("dtype_rules", "Float results of mixed int/float operations and of Python numbers",
               "An integer or bool operand never widens a float one (int32 * float32 is float32; Theano: float64), "
               "float-valued functions of integers give floatX (Theano: float32 for int8/int16/bool, float64 "
               "for int32/int64), and a Python number adopts the dtype of the tensor it meets (float32 * 0.1 is "
               "float32; Theano types exactly representable Python floats as float32 and others as floatX, and "
               "Python ints as the smallest signed int, so uint8 + 2 is int16). So a float32 model stays float32 "
               "whatever constants and integer tensors it meets, as in Keras.",
               PIN + "test_dtype_rules"),
    Difference("rounding_keeps_ints", "floor, ceil, trunc, round and iround of integers and bools",
               "They return their input's dtype (NumPy 2 does the same); Theano made floor/ceil/trunc floats and "
               "refused round of integers.", PIN + "test_rounding_keeps_integer_dtypes"),
    Difference("cumulative_int64", "cumsum and cumprod of bools and small integers",
               "They accumulate in int64, as NumPy (cumsum of bools counts); Theano kept the input dtype (a bool "
               "cumsum was a running 'or', an int32 one could overflow).", PIN + "test_cumulative_ops_accumulate_in_int64"),
    Difference("nan_algebra", "Algebraic rewrites never change results at NaN and infinities",
               "layerkit rewrites only into expressions equal for every input, so FAST_RUN and FAST_COMPILE agree "
               "with NumPy: x / x, x - x, x * 0 and eq(x, x) at NaN or inf are NaN, NaN, NaN and False. Theano's "
               "default rewrites replace them by 1, 0, 0 and True. (The fuzz records Theano without those rewrites "
               "and accepts either of its answers; tensor.nan_inf_algebra records its default.)",
               PIN + "test_nan_algebra_follows_ieee"),
    Difference("runtime_broadcast", "Size-1 dimensions broadcast whatever their declared type",
               "A type carries a static shape, not a broadcastable pattern: a dimension of unknown size that is 1 "
               "at run time broadcasts, and dimshuffle may drop it (checked at run time). Theano raised unless the "
               "dimension was declared broadcastable, and its gradients then summed by the declared pattern; where "
               "one of its rewrites had removed the op that would raise (fill(x, v) became v, trusting the "
               "declared types), it returned v unbroadcast.",
               PIN + "test_unknown_size_one_dimensions_broadcast"),
    Difference("shape_inference", "Shapes are computed from the values that have them",
               "x.shape of a graph whose op fails (a join of mismatched shapes) raises the op's error: layerkit "
               "evaluates what the shape depends on. Theano's shape inference answered from the inputs' shapes "
               "without running the op, also in gradients whose forward op fails.",
               PIN + "test_shape_of_a_failing_join_raises"),
    Difference("ultra_fast_sigmoid_gradient", "ultra_fast_sigmoid has a gradient",
               "The derivative of Theano's piecewise approximation; Theano defined none (T.grad raised).",
               PIN + "test_ultra_fast_sigmoid_has_the_derivative_of_its_pieces"),
    Difference("exact_product_gradients", "Gradients of prod and cumprod do not divide",
               "They multiply the other elements (exclusive products), so zeros and infinities give the exact "
               "gradient; Theano divided the product by the element (NaN where an element is 0 or the product "
               "overflows).", PIN + "test_prod_and_cumprod_gradients_at_zeros"),
    Difference("gradient_dtype", "A gradient has the dtype of its variable",
               "Always; Theano returned floatX zeros for some piecewise-constant ops (a float32 variable could get "
               "a float64 gradient).", PIN + "test_gradients_have_their_variables_dtype"),
    Difference("bool_arithmetic_refused", "Integer division, modulo, negation, subtraction and sign of bools",
               "Refused when the graph is built, with a message (Theano refused the last three when building and "
               "failed inside NumPy or C at run time for the first two).", PIN + "test_meaningless_bool_arithmetic"),
    Difference("lossless_subtensor_writes", "set_subtensor/inc_subtensor never truncate silently",
               "Writing floats into an integer tensor is refused with a message saying to cast (whole Python "
               "numbers such as 1.0 are accepted); Theano truncated (2.7 became 2).",
               PIN + "test_float_writes_into_integer_tensors_are_refused"),
    Difference("zero_gradients", "No gradient flows through piecewise-constant operations",
               "floor, ceil, round, sign, comparisons and x ** 0 (for the constant 0) pass no gradient, so an "
               "infinite or NaN factor further down leaves the result 0; Theano multiplied zeros in (0 * inf is NaN) "
               "unless one of its rewrites removed the product.", PIN + "test_no_gradient_through_piecewise_constants"),
    Difference("nonfinite_gradients", "NaN versus infinity where a gradient is not finite",
               "Where both libraries' gradients are not finite, which of NaN, inf and -inf comes out depends on the "
               "order of the products; layerkit's and Theano's may differ there (finite values agree).",
               PIN + "test_nonfinite_gradients_stay_nonfinite"),
    Difference("unselected_branch_overflow", "elu's gradient is finite where exp overflows",
               "elu computes its exponential branch on a clamped input, so where that branch is not selected its "
               "gradient is 0, not 0 * inf = NaN (Theano's).", PIN + "test_elu_gradient_where_exp_overflows"),
    Difference("theano_bugs", "Where Theano 1.0.5 is wrong",
               "Theano's gradient of an input declared broadcastable could have the broadcast shape (through "
               "diff), slicing a size-1 dimension of a computed value past its end gave one element instead of "
               "none (mean(keepdims=True)[1:]) or failed in a rewrite (a Rebroadcast error), and its Python "
               "implementations (which the fuzz records) returned values of another dtype than the graph declared "
               "(int64 from a cumsum of bools), and switch broadcast a dimension of size 2 against one of size 0; "
               "layerkit follows NumPy and its own declared types.",
               PIN + "test_where_theano_was_wrong"),
    Difference("sigmoid_saturation", "sigmoid is not cut off to exactly 0 and 1",
               "layerkit computes 1 / (1 + exp(-x)) everywhere (without overflow). Theano's sigmoid returned exactly "
               "0 and 1 beyond thresholds as a speed shortcut (its C code below -709 and above 19 in float64, "
               "below -88 and above 15 in float32; its Python code beyond 30), so the values agree within 6e-9 "
               "(3e-7 in float32) but tests for exact 0 or 1 (eq, all, any) can differ.",
               PIN + "test_sigmoid_is_not_cut_off"),
    Difference("int_div_of_floats", "int_div of floats is floor(x / y)",
               "As Theano's C code computes it (layerkit follows the C code, which Theano's users ran); Theano's "
               "Python code (used without a compiler, as the fuzz records) took NumPy's floor_divide, which "
               "differs where x / y rounds to a whole number and at infinities (also in mod's gradient).",
               PIN + "test_int_div_of_floats_is_the_floor_of_the_quotient"),
    Difference("computes_where_theano_fails", "Graphs Theano 1.0.5 could not run",
               "layerkit computes some graphs on which Theano raised: repeat's gradient of N-d tensors, argmax "
               "with keepdims and no axis, gradients through int-valued max/floor, softmax of empty matrices, "
               "reshapes to () of 1-element vectors, pooling with padding in average_exc_pad mode, ctc without "
               "Baidu's warp-ctc, and what Theano's Python implementations (used without a C compiler) fail on: "
               "negative integer powers, float-to-int overflows. Each is tested against NumPy in tests/backend.",
               PIN + "test_graphs_theano_could_not_run"),
]}

# -- recorded programs ---------------------------------------------------------------------------------------------
# {program: {result path prefix: difference key}}: these results differ from Theano's for that reason.
PROGRAM_RESULTS = {
    "tensor.nan_inf_algebra": {"x_div_x": "nan_algebra", "x_sub_x": "nan_algebra", "eq_x_x": "nan_algebra",
                               "neq_x_x": "nan_algebra", "x_mul_0": "nan_algebra", "x_ge_x": "nan_algebra"},
    "tensor.bool_arithmetic": {"truediv": "nan_algebra", "cumsum": "cumulative_int64",
                               "cumprod": "cumulative_int64", "exp": "dtype_rules", "sqr_float": "dtype_rules",
                               "times_float": "dtype_rules", "floor": "rounding_keeps_ints",
                               "round": "rounding_keeps_ints"},
    "tensor.extra_ops": {"out[19]": "cumulative_int64"},
    "tensor.constant_dtypes": {"i8_times_half": "dtype_rules"},
    "tensor.creating_tensors": {"out[2]": "dtype_rules", "out[3]": "dtype_rules", "out[12]": "dtype_rules"},
    "tensor.math_functions": {"where": "dtype_rules"},
    "tutorial.scan_fibonacci_until": {"powers": "dtype_rules"},
    "tensor.inc_subtensor_dtypes": {"float_tensor_into_int": "lossless_subtensor_writes",
                                    "python_float_into_int": "lossless_subtensor_writes"},
    "tutorial.shape_inference": {"join_shape_mismatch": "shape_inference"},
    "library.nnet_activations": {"ultra_fast_sigmoid_grad": "ultra_fast_sigmoid_gradient"},
    "library.nnet_ctc": {"out": "computes_where_theano_fails"},
}


def explain_program(name, diffs):
    """``(unexplained diffs, keys used)`` for a program's comparison (oracle.compare's list)."""
    table = PROGRAM_RESULTS.get(name, {})
    unexplained, used = [], set()
    for path, what, detail in diffs:
        key = next((k for prefix, k in table.items() if path.lstrip(".") == prefix or path.lstrip(".").startswith(
            prefix + "[") or path.lstrip(".").startswith(prefix + ".")), None)
        if key is None:
            unexplained.append((path, what, detail))
        else:
            used.add((path.lstrip(".").split("[")[0].split(".")[0], key))
    return unexplained, used


# -- fuzz graphs ---------------------------------------------------------------------------------------------------
_BROADCAST_ERRORS = re.compile(r"Dimension mismatch|Input dimension mis-match|could not broadcast|not broadcastable "
                               r"to correct shape|cannot drop a non-broadcastable dimension")
_THEANO_FAILURES = re.compile(r"Grad is not implemented for inputs with ?number of dimension|cannot be interpreted as "
                              r"an integer|illegally +returned an integer-valued|'NotImplementedType' object is not "
                              r"iterable|^AssertionError|zero-size array to reduction|Cannot reshape input of shape "
                              r"\(\d+,\) to shape \[\]|Integers to negative integer powers|cannot convert float "
                              r"(infinity|NaN) to integer|Python int too large|Theano Assert failed|only float type "
                              r"are supported|negative dimensions are not allowed|Cannot reshape input of shape")
_ROUNDING = {"floor", "ceil", "trunc", "round", "iround"}
_CUMULATIVE = {"cumsum", "cumprod"}
_FLOATS = {"float32", "float64", "float16"}


def _message(value):
    return f"{value.exc_type}: {value.message}" if isinstance(value, ProgramError) else ""


def _part(result, path):
    """The value at ``path`` ('.grad', 'forward[1]', 'dtypes[0]') of an evaluation result."""
    key = path.lstrip(".").split("[")[0]
    value = result.get(key)
    index = re.findall(r"\[(\d+)\]", path)
    for i in index:
        if not isinstance(value, (list, tuple)):
            return None
        value = value[int(i)]
    return value


def explain_fuzz(spec, ours, theirs, diffs):
    """``(unexplained diffs, keys used)`` for one fuzz graph's mismatches."""
    ops = {n["op"] for n in spec["nodes"]}
    messages = [_message(v) for v in theirs.values()]
    theirs_failed = [m for m in messages if m]
    ours_messages = [_message(v) for v in ours.values() if _message(v)]
    graph_keys = set()
    if any(_BROADCAST_ERRORS.search(m) for m in theirs_failed) and not ours_messages:
        return [], {"runtime_broadcast"}  # everything downstream of Theano's refusal differs with it
    if "build" in theirs and re.search(r"\bbool\b", theirs["build"].message) and ops & _CUMULATIVE and \
            "build" not in ours:
        return [], {"cumulative_int64"}  # our int64 running sums can be negated or subtracted; Theano's bools not
    if "build" in ours and "expected a float" in ours["build"].message and "build" not in theirs and \
            ops & _ROUNDING:
        return [], {"rounding_keeps_ints"}  # floor of an integer stayed one here, so softmax refuses it
    if "build" in ours and "not defined for bool tensors" in ours["build"].message:
        return [], {"bool_arithmetic_refused"}
    if "build" in ours and "cannot write y of dtype" in ours["build"].message:
        return [], {"lossless_subtensor_writes"}
    if "build" in theirs and re.search(r"only float type are supported", theirs["build"].message) and \
            ops & {"round", "iround"}:
        return [], {"rounding_keeps_ints"}
    unexplained = []
    for path, what, detail in diffs:
        mine, other = _part(ours, path), _part(theirs, path)
        key = None
        if what == "value_vs_error" and isinstance(other, ProgramError):
            msg = _message(other)
            if "UltraFastScalarSigmoid" in msg:
                key = "ultra_fast_sigmoid_gradient"
            elif "Rebroadcast's input was supposed to be 1 (got 0" in msg and "getitem" in ops:
                key = "theano_bugs"  # an empty slice of a broadcastable dimension
            elif _THEANO_FAILURES.search(msg):
                key = "computes_where_theano_fails"
        elif what == "error_vs_value" and isinstance(mine, ProgramError):
            if any(m.split(": ", 1)[-1][:40] in mine.message for m in theirs_failed) or any(
                    _BROADCAST_ERRORS.search(m) or "concatenation axis" in m for m in theirs_failed):
                key = "shape_inference"  # the forward op fails in both; Theano's gradient skipped it
            elif "could not be broadcast" in mine.message and 0 in np.shape(other[0] if isinstance(
                    other, (list, tuple)) and other else other):
                key = "theano_bugs"  # Theano broadcast a size against 0
        elif what == "missing" and path == ".grad" and detail == "ours":
            # no float output here (the outputs kept integer dtypes), so no cost to differentiate
            key = "rounding_keeps_ints" if ops & _ROUNDING else ("cumulative_int64" if ops & _CUMULATIVE else None)
        elif path.startswith("dtypes") or what == "dtype":
            key = _dtype_key(mine, other, ops, path)
            if key is None and _declared_dtype(theirs, path) not in (None, _dtype_of(other)) and \
                    _declared_dtype(theirs, path) == _dtype_of(mine):
                key = "theano_bugs"  # Theano's value did not have the dtype its graph declared
        elif what == "value":
            key = _value_key(path, mine, other, ops, spec)
        elif what == "shape":
            key = _shape_key(path, mine, other, ops, spec)
        if key is None:
            unexplained.append((path, what, detail))
        else:
            graph_keys.add(key)
    return unexplained, graph_keys


def _declared_dtype(result, path):
    index = re.findall(r"\[(\d+)\]", path)
    if not path.lstrip(".").startswith("forward") or not index or not isinstance(result.get("dtypes"), list):
        return None
    return result["dtypes"][int(index[0])]


def _dtype_of(value):
    return value if isinstance(value, str) else getattr(value, "dtype", None) and np.dtype(value.dtype).name


def _dtype_key(mine, other, ops, path):
    a, b = _dtype_of(mine), _dtype_of(other)
    if a is None or b is None:
        return None
    if path.startswith(".grad") or path.startswith("grad"):
        return "gradient_dtype" if a in _FLOATS and b in _FLOATS else None
    if a in _FLOATS and b in _FLOATS:
        return "dtype_rules"
    if ops & _ROUNDING and b in _FLOATS and a not in _FLOATS:
        return "rounding_keeps_ints"
    if ops & _CUMULATIVE and a in ("int64", "uint64"):
        return "cumulative_int64"
    if a not in _FLOATS and b not in _FLOATS and ops & {"with_constant", "clip"}:
        return "dtype_rules"  # a Python int with an unsigned tensor
    if a in _FLOATS and b not in _FLOATS and ops & _ROUNDING:
        return "rounding_keeps_ints"
    return None


_PIECEWISE = _ROUNDING | {"sgn", "lt", "gt", "le", "ge", "eq", "neq", "isnan", "isinf", "pow", "with_constant",
                          "int_div", "argmax", "argmin", "argsort", "any", "all", "zeros_like", "ones_like"}
_DISCONTINUOUS = _ROUNDING | {"mod", "int_div", "sgn", "lt", "gt", "le", "ge", "eq", "neq"}


def _value_key(path, mine, other, ops, spec):
    if mine is None or other is None:
        return None
    mine_arr, other_arr = np.asarray(mine), np.asarray(other)
    if mine_arr.shape != other_arr.shape:
        return None
    dtypes = {np.dtype(mine_arr.dtype).name, np.dtype(other_arr.dtype).name}
    if dtypes <= _FLOATS and _intermediate_dtypes_differ(spec, ops, mine_arr, other_arr):
        # the same numbers computed through float32 here and float64 there (or back): float32's precision, or
        # anything after a discontinuous function (mod of a number just below or above a multiple)
        with np.errstate(over="ignore"):
            narrow = mine_arr.astype(np.float32), other_arr.astype(np.float32)
        if values_agree(*narrow) or (ops & _DISCONTINUOUS and mine_arr.dtype != other_arr.dtype):
            return "dtype_rules"
    if ops & _CUMULATIVE and mine_arr.dtype.kind in "iu" and mine_arr.dtype != other_arr.dtype:
        return "cumulative_int64"
    if mine_arr.dtype.kind not in "fc":
        # an exact result (a comparison, all/any) of floats computed in another precision or saturated
        if spec["floatX"] == "float32" and _agrees_if(spec, path, other_arr, floatX="float64"):
            return "dtype_rules"  # Theano computed float functions of int32/int64 in float64, not floatX
        if "sigmoid" in ops and _agrees_if(spec, path, other_arr, builds={"sigmoid": _theano_py_sigmoid}):
            return "sigmoid_saturation"
    if ops & _ROUNDING and mine_arr.dtype.kind != other_arr.dtype.kind:
        return "rounding_keeps_ints"
    if not path.lstrip(".").startswith("grad") or mine_arr.dtype.kind != "f":
        return None
    with np.errstate(invalid="ignore"):
        differ = ~(np.isclose(mine_arr, other_arr, rtol=2e-4, atol=1e-10, equal_nan=True))
    a, b = mine_arr[differ], other_arr[differ]
    if ops & {"prod", "cumprod"} and (np.isnan(a) | np.isnan(b)).all() or ops & {"prod", "cumprod"} and any(
            np.asarray(v).dtype.kind == "f" and (np.asarray(v) == 0).any() for v in spec["values"]):
        return "exact_product_gradients"
    if "mod" in ops and not np.isfinite(np.concatenate([np.ravel(v) for v in spec["values"]]).astype(float)).all():
        return "int_div_of_floats"  # mod's gradient uses x // y, which Theano's Python code took from NumPy
    if "elu" in ops and np.isfinite(a).all() and np.isnan(b).all():
        return "unselected_branch_overflow"
    if ops & _PIECEWISE and (a == 0).all() and np.isnan(b).all():
        return "zero_gradients"
    if not np.isfinite(a).any() and not np.isfinite(b).any():
        return "nonfinite_gradients"
    return None


def _intermediate_dtypes_differ(spec, ops, mine, other):
    """Could a dtype rule have made an intermediate float32 on one side and float64 on the other?"""
    kinds = {np.dtype(i["dtype"]).kind if i["dtype"] != "bool" else "b" for i in spec["inputs"]}
    return mine.dtype != other.dtype or "with_constant" in ops or kinds & {"i", "u", "b"} or \
        spec["floatX"] == "float32"


def _shape_key(path, mine, other, ops, spec):
    mine_shape, other_shape = np.shape(mine), np.shape(other)
    if path.lstrip(".").startswith("grad"):
        # the gradient of an input has that input's shape (Theano's could have the broadcast shape)
        k = int(re.findall(r"\[(\d+)\]", path)[0])
        floats = [v for i, v in zip(spec["inputs"], spec["values"]) if i["dtype"] in ("float32", "float64")]
        return "theano_bugs" if k < len(floats) and mine_shape == np.shape(floats[k]) else None
    if "getitem" in ops and 0 in mine_shape and 1 in other_shape and len(mine_shape) == len(other_shape):
        return "theano_bugs"  # an empty slice of a broadcastable dimension
    if "fill" in ops and len(mine_shape) == len(other_shape) and all(
            a == b or b == 1 for a, b in zip(mine_shape, other_shape)):
        return "runtime_broadcast"  # Theano refused the fill, unless its rewrite fill(x, v) -> v removed it
    return None


# -- counterfactuals: would layerkit compute Theano's value if the named rule were Theano's? ---------------------
def _theano_py_sigmoid(lib, args, params):
    """Theano's Python sigmoid (the fuzz records Theano without a C compiler): exactly 0 below -30, 1 above 30."""
    T, x = lib.T, args[0]
    return T.switch(T.lt(x, -30.0), 0.0, T.switch(T.gt(x, 30.0), 1.0, lib.imp("tensor.nnet").sigmoid(x)))


@functools.lru_cache(maxsize=1)
def _ours():
    return Lib("layerkit_backend")


def _agrees_if(spec, path, other, floatX=None, builds=None):
    """Does layerkit compute ``other`` at ``path`` with floatX ``floatX`` or with the rows built by ``builds``?"""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        result = fuzz_graphs.evaluate(_ours(), dict(spec, floatX=floatX or spec["floatX"]), builds=builds)
    value = _part(result, path)
    return value is not None and not isinstance(value, ProgramError) and np.shape(value) == np.shape(other) and \
        values_agree(np.asarray(value), np.asarray(other))
