"""Compiling and calling: ``function``'s arguments, outputs, aliasing, shared variables, updates, givens, modes,
error messages raised at run time, thread safety and the floatX dtype rules."""
import concurrent.futures
import inspect
import re
import warnings

import numpy as np
import pytest

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit_backend.compile import In, MissingInputError, Mode, Out, UnusedInputError


def _line():
    """The line number of the caller (to check that errors point at the line that built a node)."""
    return inspect.currentframe().f_back.f_lineno


# -- binding arguments --------------------------------------------------------------------------------------------
def _bind_fn():
    x, y = T.dscalar("x"), T.dscalar("y")
    return lb.function([x, In(y, value=2.0)], x * 10 + y)


def _renamed_fn():
    x, y = T.dscalar("x"), T.dscalar("y")
    return lb.function([x, In(y, name="why")], x * 10 + y)


BIND_CASES = [
    # (id, maker, args, kwargs, expected value or (exception, regex))
    ("positional", _bind_fn, (1.0, 3.0), {}, 13.0),
    ("default", _bind_fn, (1.0,), {}, 12.0),
    ("keyword_by_var_name", _bind_fn, (), {"x": 1.0, "y": 4.0}, 14.0),
    ("keyword_mixed", _bind_fn, (1.0,), {"y": 5.0}, 15.0),
    ("keyword_only_default", _bind_fn, (), {"x": 2.0}, 22.0),
    ("In_name", _renamed_fn, (1.0,), {"why": 7.0}, 17.0),
    ("missing", _bind_fn, (), {}, (TypeError, r"missing.*\bx\b")),
    ("missing_renamed", _renamed_fn, (1.0,), {}, (TypeError, r"missing.*why")),
    ("extra", _bind_fn, (1.0, 2.0, 3.0), {}, (TypeError, r"at most 2 arguments, received 3")),
    ("duplicate", _bind_fn, (1.0,), {"x": 2.0}, (TypeError, r"'x'.*both")),
    ("unknown_keyword", _bind_fn, (1.0,), {"z": 2.0}, (TypeError, r"unknown keyword.*'z'")),
    ("old_name_after_In_name", _renamed_fn, (1.0,), {"y": 2.0}, (TypeError, r"unknown keyword.*'y'")),
]


@pytest.mark.parametrize("maker, args, kwargs, expected", [c[1:] for c in BIND_CASES], ids=[c[0] for c in BIND_CASES])
def test_bind_arguments(maker, args, kwargs, expected):
    f = maker()
    if isinstance(expected, tuple):
        with pytest.raises(expected[0], match=expected[1]):
            f(*args, **kwargs)
    else:
        assert float(f(*args, **kwargs)) == expected


# -- output structures ---------------------------------------------------------------------------------------------
def test_output_structures():
    x = T.dvector("x")
    xv = np.array([1.0, 2.0])
    single = lb.function([x], x * 2)(xv)
    assert isinstance(single, np.ndarray) and np.array_equal(single, [2.0, 4.0])
    as_list = lb.function([x], [x * 2, x.sum()])(xv)
    assert isinstance(as_list, list) and len(as_list) == 2
    assert np.array_equal(as_list[0], [2.0, 4.0]) and float(as_list[1]) == 3.0
    assert isinstance(as_list[1], np.ndarray) and as_list[1].shape == ()  # 0-d results stay arrays
    as_dict = lb.function([x], {"double": x * 2, "total": x.sum()})(xv)
    assert set(as_dict) == {"double", "total"} and float(as_dict["total"]) == 3.0
    borrowed = lb.function([x], Out(x * 2, borrow=True))(xv)
    assert np.array_equal(borrowed, [2.0, 4.0])
    assert lb.function([x], [], on_unused_input="ignore")(xv) == []


# -- aliasing: returned arrays are the caller's to mutate ----------------------------------------------------------
def _alias_cases():
    s = lb.shared(np.arange(4.0), name="s")
    x = T.dvector("x")
    c = T.constant(np.arange(4.0))
    return [
        # (id, inputs, outputs, args, shared variable whose value must not change)
        ("shared", [], s, (), s),
        ("shared_transpose", [], s.dimshuffle(0), (), s),
        ("shared_times_one", [], s * 1, (), s),
        ("shared_twice", [], [s, s], (), s),
        ("input", [x], x, (np.arange(4.0),), None),
        ("input_view", [x], x.dimshuffle("x", 0), (np.arange(4.0),), None),
        ("input_twice", [x], [x, x], (np.arange(4.0),), None),
        ("constant", [], c, (), None),
        ("constant_plus_zero", [], c + 0, (), None),
        ("borrowed_shared", [], Out(s, borrow=True), (), s),
    ]


ALIAS_IDS = [c[0] for c in _alias_cases()]


@pytest.mark.parametrize("case", range(len(ALIAS_IDS)), ids=ALIAS_IDS)
def test_outputs_never_alias_inputs_shared_or_constants(case):
    name, inputs, outputs, args, s = _alias_cases()[case]
    f = lb.function(inputs, outputs)
    args_before = [np.copy(a) for a in args]
    first = f(*args)
    first_list = first if isinstance(first, list) else [first]
    expected = [np.copy(r) for r in first_list]
    for r in first_list:
        r[...] = -99.0  # the caller owns what it receives
    for a, before in zip(args, args_before):
        assert np.array_equal(a, before), f"{name}: mutating the output changed the input"
    if s is not None:
        assert np.array_equal(s.get_value(), np.arange(4.0)), f"{name}: mutating the output changed the shared value"
    second = f(*args)
    for r, e in zip(second if isinstance(second, list) else [second], expected):
        assert np.array_equal(r, e), f"{name}: mutating the output changed a later call's result"


def test_two_outputs_of_one_variable_are_distinct_arrays():
    x = T.dvector("x")
    a, b = lb.function([x], [x * 2, x * 2])(np.ones(3))
    a[0] = 5.0
    assert b[0] == 2.0


def _no_mutation_cases():
    x = T.dvector("x")
    s = lb.shared(np.array([1.0, 2.0]), name="s")
    return [
        # (id, inputs, outputs, updates): no call may overwrite an input, a default or shared storage
        ("exp_of_input", [x], T.exp(x) + 1, None),
        ("chain_on_input", [x], (x * 2 + 1) * 3, None),
        ("exp_of_shared", [x], T.exp(s) * x, None),
        ("default_value", [In(x, value=np.array([1.0, 2.0]))], T.exp(x) * 2 + 1, None),
        ("update_from_shared", [x], x.sum(), {s: s * 2 + 1}),
        ("update_from_input", [x], x.sum(), {s: x * 2}),
        ("output_equals_update", [x], s * 2 + x, {s: s * 2 + x}),
    ], x, s


NO_MUTATION_IDS = [c[0] for c in _no_mutation_cases()[0]]


@pytest.mark.parametrize("case", range(len(NO_MUTATION_IDS)), ids=NO_MUTATION_IDS)
def test_calls_never_overwrite_inputs_or_shared_storage(case):
    cases, x, s = _no_mutation_cases()
    _, inputs, outputs, updates = cases[case]
    f = lb.function(inputs, outputs, updates=updates, on_unused_input="ignore")
    xv = np.array([1.0, 2.0])
    held = s.get_value(borrow=True)  # the array shared storage held before the calls
    args = () if isinstance(inputs[0], In) else (xv,)
    first = f(*args)
    second = f(*args)
    assert np.array_equal(xv, [1.0, 2.0]) and np.array_equal(held, [1.0, 2.0])
    if not updates:
        assert np.array_equal(first, second)
    else:
        new = s.get_value(borrow=True)
        out = f(*args)
        for r in out if isinstance(out, list) else [out]:
            r[...] = -7.0
        assert not np.any(s.get_value() == -7.0) and not np.any(new == -7.0)


# -- shared variables ---------------------------------------------------------------------------------------------
def test_shared_get_set_value_and_borrow():
    value = np.arange(6.0).reshape(2, 3)
    w = lb.shared(value, name="w")
    value[0, 0] = 100.0  # shared copies its value unless borrow=True
    assert w.get_value()[0, 0] == 0.0
    got = w.get_value()
    got[0, 0] = 50.0
    assert w.get_value()[0, 0] == 0.0
    assert w.get_value(borrow=True) is w.get_value(borrow=True)
    new = np.ones((4, 5))
    w.set_value(new)  # the static shape is unknown: another shape is fine
    new[0, 0] = 7.0
    assert w.get_value()[0, 0] == 1.0
    w.set_value(new, borrow=True)
    assert w.get_value(borrow=True) is new
    b = lb.shared(value, borrow=True)
    assert b.get_value(borrow=True) is value


@pytest.mark.parametrize("value, dtype", [(1.5, "float32"), (3, "int64"), (True, "bool"),
                                          (np.float64(1.5), "float64"), (np.zeros(2, "int32"), "int32")])
def test_shared_dtype(value, dtype):
    assert lb.shared(value).dtype == dtype


SET_VALUE_ERRORS = [
    # (id, value, regex)
    ("ndim", np.zeros((2, 2), "float32"), r"'weights'.*expected 1 dimensions.*received 2"),
    ("dtype", np.zeros(3, "float64"), r"'weights'.*expected dtype float32, received float64"),
    ("strings", np.array(["a", "b"]), r"'weights'"),
]


@pytest.mark.parametrize("value, regex", [c[1:] for c in SET_VALUE_ERRORS], ids=[c[0] for c in SET_VALUE_ERRORS])
def test_set_value_errors_name_the_variable(value, regex):
    w = lb.shared(np.zeros(3, "float32"), name="weights")
    with pytest.raises((TypeError, ValueError), match=regex):
        w.set_value(value)
    assert np.array_equal(w.get_value(), np.zeros(3, "float32"))


def test_set_value_python_list_keeps_dtype():
    w = lb.shared(np.zeros(3, "float32"), name="w")
    w.set_value([1.0, 2.0, 3.0])
    assert w.get_value().dtype == np.float32


# -- updates -------------------------------------------------------------------------------------------------------
def test_updates_return_values_from_before():
    s = lb.shared(np.float64(1.0), name="s")
    f = lb.function([], s * 10, updates={s: s + 1})
    assert float(f()) == 10.0 and float(s.get_value()) == 2.0
    assert float(f()) == 20.0 and float(s.get_value()) == 3.0


def test_updates_are_applied_together():
    a = lb.shared(np.array([1.0]), name="a")
    b = lb.shared(np.array([2.0]), name="b")
    swap = lb.function([], [], updates={a: b, b: a})
    swap()
    assert a.get_value()[0] == 2.0 and b.get_value()[0] == 1.0
    swap()
    assert a.get_value()[0] == 1.0 and b.get_value()[0] == 2.0
    # both updates read the old values, whatever the order they are listed in
    chain = lb.function([], a + b, updates=[(a, a + b), (b, a * b)])
    assert float(chain()[0]) == 3.0
    assert a.get_value()[0] == 3.0 and b.get_value()[0] == 2.0
    # the shared value after an update is not an array the caller holds
    out = lb.function([], a, updates={a: a * 1})()
    out[0] = -5.0
    assert a.get_value()[0] == 3.0


def test_one_value_for_two_updates_gives_two_buffers():
    x = T.dvector("x")
    a, b = lb.shared(np.zeros(2), name="a"), lb.shared(np.zeros(2), name="b")
    v = x * 2
    lb.function([x], v, updates={a: v, b: v})(np.array([1.0, 2.0]))
    a.get_value(borrow=True)[0] = -1.0
    assert np.array_equal(b.get_value(), [2.0, 4.0])


def _failing_call_cases():
    x = T.dmatrix("x")
    a = lb.shared(np.ones((2, 2)), name="a")
    b = lb.shared(np.ones((2, 2)) * 2, name="b")
    return [
        # (id, outputs, updates): every case raises for x of shape (3, 3)
        ("later_output", [a.sum(), T.dot(a, x).sum(), T.dot(x, a)], {a: a + 1, b: b + 1}),
        ("one_update", a.sum(), [(a, a + 1), (b, T.dot(x, b))]),
        ("first_update_ok", [], [(a, a * 3), (b, b + T.dot(x, b).sum())]),
    ], x, a, b


@pytest.mark.parametrize("case", range(3), ids=[c[0] for c in _failing_call_cases()[0]])
def test_a_call_that_raises_changes_no_shared_variable(case):
    cases, x, a, b = _failing_call_cases()
    _, outputs, updates = cases[case]
    f = lb.function([x], outputs, updates=updates, on_unused_input="ignore")
    with pytest.raises(ValueError):
        f(np.ones((3, 3)))
    assert np.array_equal(a.get_value(), np.ones((2, 2)))
    assert np.array_equal(b.get_value(), np.ones((2, 2)) * 2)


UPDATE_ERRORS = [
    # (id, make(s) -> updates, exception, regex)
    ("dtype", lambda s: {s: s.astype("float64")}, TypeError, r"'?acc'?.*dtype float64, expected float32"),
    ("ndim", lambda s: {s: s.dimshuffle("x", 0)}, TypeError, r"acc.*2 dimensions, expected 1"),
    ("not_shared", lambda s: {T.fvector("v"): s}, TypeError, r"not a shared variable"),
    ("twice", lambda s: [(s, s + 1), (s, s * 2)], ValueError, r"acc.*updated twice"),
]


@pytest.mark.parametrize("make, exc, regex", [c[1:] for c in UPDATE_ERRORS], ids=[c[0] for c in UPDATE_ERRORS])
def test_update_errors(make, exc, regex):
    s = lb.shared(np.zeros(3, "float32"), name="acc")
    with pytest.raises(exc, match=regex):
        lb.function([], [], updates=make(s))


# -- givens, default updates, unused and missing inputs ----------------------------------------------------------
def test_givens():
    x, y = T.dvector("x"), T.dvector("y")
    f = lb.function([y], x * 2, givens={x: y + 1})
    assert np.array_equal(f(np.array([1.0, 2.0])), [4.0, 6.0])
    s = lb.shared(np.array([5.0, 5.0]), name="s")
    g = lb.function([y], s * 2, givens=[(s, y)])
    assert np.array_equal(g(np.array([1.0, 2.0])), [2.0, 4.0])
    with pytest.raises(TypeError, match="cannot replace"):
        lb.function([y], x * 2, givens={x: T.dmatrix("m")})


@pytest.mark.parametrize("no_default_updates, applied", [(False, True), (True, False), ("list", False),
                                                         ("other", True)])
def test_no_default_updates(no_default_updates, applied):
    s = lb.shared(np.float64(0.0), name="counter")
    other = lb.shared(np.float64(0.0), name="other")
    s.default_update = s + 1
    ndu = {"list": [s], "other": [other]}.get(no_default_updates, no_default_updates)
    f = lb.function([], s * 1, no_default_updates=ndu)
    assert float(f()) == 0.0
    assert float(s.get_value()) == (1.0 if applied else 0.0)


def test_on_unused_input():
    x, y = T.dvector("x"), T.dvector("unused_y")
    with pytest.raises(UnusedInputError, match="unused_y"):
        lb.function([x, y], x * 2)
    with pytest.raises(UnusedInputError, match="unused_y"):
        lb.function([x, y], x * 2, on_unused_input="raise")
    with pytest.warns(UserWarning, match="unused_y"):
        f = lb.function([x, y], x * 2, on_unused_input="warn")
    assert np.array_equal(f(np.ones(2), np.ones(3)), [2.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = lb.function([x, y], x * 2, on_unused_input="ignore")
    assert np.array_equal(g(np.ones(2), np.ones(3)), [2.0, 2.0])


def test_missing_input_names_the_variable():
    x, y = T.dvector("x"), T.dvector("forgotten_y")
    with pytest.raises(MissingInputError, match="forgotten_y"):
        lb.function([x], x + y)


FUNCTION_ARG_ERRORS = [
    ("shared_as_input", lambda x, s: lb.function([s], s * 2), TypeError, r"shared variable s"),
    ("intermediate_as_input", lambda x, s: lb.function([x * 2], x), TypeError, r"graph leaves"),
    ("constant_as_input", lambda x, s: lb.function([T.constant(1.0)], x), TypeError, r"constant"),
    ("listed_twice", lambda x, s: lb.function([x, x], x), ValueError, r"\bx\b.*twice"),
    ("not_a_list", lambda x, s: lb.function(x, x), TypeError, r"inputs must be a list"),
]


@pytest.mark.parametrize("build, exc, regex", [c[1:] for c in FUNCTION_ARG_ERRORS],
                         ids=[c[0] for c in FUNCTION_ARG_ERRORS])
def test_function_argument_errors(build, exc, regex):
    with pytest.raises(exc, match=regex):
        build(T.dvector("x"), lb.shared(np.zeros(2), name="s"))


# -- input conversion and validation ------------------------------------------------------------------------------
def test_allow_input_downcast():
    x = T.fvector("xf")
    value = np.array([1.5, 2.5])  # float64
    with pytest.raises(TypeError, match=r"'xf'.*expected dtype float32, received float64.*allow_input_downcast"):
        lb.function([x], x * 2)(value)
    out = lb.function([x], x * 2, allow_input_downcast=True)(value)
    assert out.dtype == np.float32 and np.array_equal(out, [3.0, 5.0])
    # a Python list carries no dtype: accepted when its values fit
    assert np.array_equal(lb.function([x], x * 2)([1.5, 2.5]), [3.0, 5.0])
    # float32 into a float64 input is a safe upcast
    d = T.dvector("xd")
    assert lb.function([d], d * 2)(np.ones(2, "float32")).dtype == np.float64


INPUT_ERRORS = [
    # (id, input factory, value, exception, regex)
    ("ndim", lambda: T.dvector("vec"), np.ones((2, 2)), TypeError,
     r"'vec'.*expected 1 dimensions.*received 2 dimensions with shape \(2, 2\)"),
    ("scalar_for_matrix", lambda: T.dmatrix("mat"), 3.0, TypeError, r"'mat'.*expected 2 dimensions.*received 0"),
    ("static_shape", lambda: T.tensor("float64", shape=(None, 3), name="fixed"), np.ones((2, 4)), ValueError,
     r"'fixed'.*expected shape \(\?, 3\), received shape \(2, 4\)"),
    ("strings", lambda: T.dvector("vec"), ["a", "b"], TypeError, r"'vec'"),
    ("int_into_float_array", lambda: T.fvector("fv"), np.array([1, 2], dtype="int64"), TypeError,
     r"'fv'.*expected dtype float32, received int64"),
]


@pytest.mark.parametrize("make, value, exc, regex", [c[1:] for c in INPUT_ERRORS], ids=[c[0] for c in INPUT_ERRORS])
def test_input_errors_name_the_input(make, value, exc, regex):
    x = make()
    f = lb.function([x], x * 2)
    with pytest.raises(exc, match=regex):
        f(value)


def test_python_lists_and_scalars_are_accepted():
    x, s = T.dmatrix("x"), T.dscalar("s")
    f = lb.function([x, s], x * s)
    assert np.array_equal(f([[1, 2], [3, 4]], 2), [[2.0, 4.0], [6.0, 8.0]])


def test_eval():
    x, y = T.dvector("x"), T.dscalar("y")
    assert np.array_equal((x * 2).eval({x: np.array([1.0, 2.0])}), [2.0, 4.0])
    expr = x * y
    assert np.array_equal(expr.eval({x: [1.0, 2.0], y: 3.0}), [3.0, 6.0])
    assert np.array_equal(expr.eval({y: 2.0, x: [1.0, 2.0]}), [2.0, 4.0])  # cached, order independent
    assert float(T.constant(2.0).eval()) == 2.0


def test_copy_with_swap():
    s1 = lb.shared(np.array([1.0, 2.0]), name="s1")
    s2 = lb.shared(np.array([10.0, 20.0]), name="s2")
    x = T.dvector("x")
    f = lb.function([x], s1 + x, updates={s1: s1 * 2})
    g = f.copy(swap={s1: s2})
    assert np.array_equal(g(np.zeros(2))[0], [10.0, 20.0])  # a copy returns a list, as Theano's does
    assert np.array_equal(s2.get_value(), [20.0, 40.0]) and np.array_equal(s1.get_value(), [1.0, 2.0])
    assert np.array_equal(f(np.zeros(2)), [1.0, 2.0]) and np.array_equal(s1.get_value(), [2.0, 4.0])
    h = f.copy(delete_updates=True)
    assert np.array_equal(h(np.zeros(2))[0], [2.0, 4.0]) and np.array_equal(s1.get_value(), [2.0, 4.0])
    with pytest.raises(TypeError, match="cannot replace"):
        f.copy(swap={s1: lb.shared(np.zeros((2, 2)))})


def test_source_is_python():
    x = T.dvector("x")
    f = lb.function([x], T.tanh(x) * 2)
    assert isinstance(f.source, str) and "def " in f.source
    assert f.maker.fgraph.outputs


MODES = [None, "FAST_RUN", "FAST_COMPILE", Mode(optimizer=None), Mode(excluding=["fusion"])]


def test_modes_give_the_same_results():
    x, y = T.dmatrix("x"), T.dvector("y")
    s = lb.shared(np.linspace(-1, 1, 3), name="s")
    outs = [T.tanh(x * 2 + y) * 1 + 0, T.dot(x, y + s).sum(), (T.exp(x - x) * y).max(axis=0),
            lb.grad((T.sin(x) * s).sum(), x)]
    rng = np.random.default_rng(0)
    xv, yv = rng.normal(size=(4, 3)), rng.normal(size=3)
    results = [lb.function([x, y], outs, mode=m)(xv, yv) for m in MODES]
    for got in results[1:]:
        for a, b in zip(results[0], got):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(results[0][0], np.tanh(xv * 2 + yv))
    np.testing.assert_allclose(results[0][1], (xv @ (yv + s.get_value())).sum())
    np.testing.assert_allclose(results[0][3], np.cos(xv) * s.get_value())


# -- errors raised while running ----------------------------------------------------------------------------------
def test_runtime_failure_names_op_shapes_and_line():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    z = T.dot(x, y); line = _line()  # noqa: E702  (the node and the line number on one line)
    for mode in (None, "FAST_COMPILE"):
        f = lb.function([x, y], T.tanh(z) + 1, mode=mode)
        with pytest.raises(Exception) as info:
            f(np.ones((2, 3)), np.ones((4, 5)))
        msg = str(info.value)
        assert re.search(r"(?i)dot|gemm|matmul", msg), msg
        assert "(2, 3)" in msg and "(4, 5)" in msg, msg
        assert f"test_function.py:{line}" in msg, msg


def test_runtime_failure_in_elementwise_broadcast():
    x, y = T.dvector("x"), T.dvector("y")
    out = (T.exp(x) + y) * 2; line = _line()  # noqa: E702  (fusion makes one node of the three)
    f = lb.function([x, y], out)
    with pytest.raises(ValueError) as info:
        f(np.ones(3), np.ones(4))
    msg = str(info.value)
    assert "(3,)" in msg and "(4,)" in msg and f"test_function.py:{line}" in msg, msg


def test_nan_guard_names_the_op_and_line():
    x = T.dvector("x")
    y = T.log(x) * 2; line = _line()  # noqa: E702
    for mode in ("NanGuardMode", Mode(nan_guard=True, optimizer=None)):
        f = lb.function([x], y, mode=mode)
        np.testing.assert_allclose(f(np.array([1.0])), [0.0])
        with pytest.raises(lb.compile.NanGuardError, match=rf"test_function.py:{line}.*NaN"), \
                np.errstate(invalid="ignore"):
            f(np.array([-1.0]))


# -- threads ------------------------------------------------------------------------------------------------------
def test_one_function_called_from_many_threads():
    x, w = T.dmatrix("x"), T.dmatrix("w")
    f = lb.function([x, w], [T.tanh(T.dot(x, w)) + x.sum(), (x * 2).T])
    rng = np.random.default_rng(1)
    jobs = [(rng.normal(size=(n, 4)), rng.normal(size=(4, 4))) for n in range(2, 10)]

    def run(job):
        out = None
        for _ in range(25):
            out = f(*job)
        return out

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(run, jobs))
    for (xv, wv), (a, b) in zip(jobs, results):
        np.testing.assert_allclose(a, np.tanh(xv @ wv) + xv.sum())
        np.testing.assert_allclose(b, (xv * 2).T)


# -- floatX and dtype rules ---------------------------------------------------------------------------------------
DTYPE_CASES = [
    # (id, build expression, expected dtype) with config.floatX at its default, float32
    ("matrix_default", lambda: T.matrix(), "float32"),
    ("f32_times_python_float", lambda: T.fmatrix() * 2.0, "float32"),
    ("f32_plus_python_int", lambda: T.fvector() + 1, "float32"),
    ("int32_times_f32", lambda: T.ivector() * T.fvector(), "float32"),
    ("int64_times_f32", lambda: T.lvector() * T.fvector(), "float32"),
    ("int_div_int", lambda: T.ivector() / T.ivector(), "float32"),
    ("int64_div_int64", lambda: T.lscalar() / T.lscalar(), "float32"),
    ("int_times_python_float", lambda: T.ivector() * 2.5, "float32"),
    ("f64_times_f32", lambda: T.dvector() * T.fvector(), "float64"),
    ("int_plus_python_int", lambda: T.ivector() + 1, "int32"),
    ("exp_of_int", lambda: T.exp(T.ivector()), "float32"),
    ("shared_python_float", lambda: lb.shared(0.5), "float32"),
]


@pytest.mark.parametrize("build, dtype", [c[1:] for c in DTYPE_CASES], ids=[c[0] for c in DTYPE_CASES])
def test_floatX_dtype_rules(build, dtype):
    assert lb.config.floatX == "float32"
    assert build().dtype == dtype


def test_float32_stays_float32_when_run():
    x, i = T.fvector("x"), T.ivector("i")
    f = lb.function([x, i], [x * 2.0, i * x, i / i])
    a, b, c = f(np.ones(3, "float32"), np.array([1, 2, 3], "int32"))
    assert a.dtype == b.dtype == c.dtype == np.float32
    np.testing.assert_allclose(c, [1.0, 1.0, 1.0])
