"""The native tier: tier switching, fallbacks that never raise, the compile cache's safety rules, and agreement
with the NumPy tier on layouts, broadcasting, in-place kernels and threads.

The op table, gradient checks, scan suites and the property test run on the native tier in the
``LAYERKIT_FLAGS=linker=native`` pass of ``make test``; this file tests what only the native tier has.
"""
import logging
import os
import shutil
import stat

import numpy as np
import pytest

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit_backend.backends.native import CompileCache, library, toolchain
from layerkit_backend.compile import tiers
from layerkit_backend.config import config

needs_cc = pytest.mark.skipif(shutil.which("gcc") is None and shutil.which(config.cc.split()[0]) is None,
                              reason="no C compiler")


@pytest.fixture
def flags():
    """Set config flags for one test; restores them and forgets compiler and cache lookups made under them."""
    saved = {}

    def set_(**kw):
        for k, v in kw.items():
            saved.setdefault(k, getattr(config, k))
            setattr(config, k, v)
        toolchain.reset()
        library.reset()

    yield set_
    for k, v in saved.items():
        setattr(config, k, v)
    toolchain.reset()
    library.reset()


@pytest.fixture
def private_cache(tmp_path, flags):
    path = str(tmp_path / "cache")
    flags(native_cache=path)
    return path


@pytest.fixture
def no_failures_counted():
    """For tests that make compiles fail on purpose: the session check counts only unexpected failures."""
    before = tiers.STATS["failed"]
    yield
    tiers.STATS["failed"] = before


def _both(inputs, outputs, **kw):
    """The same graph compiled on each tier: (numpy function, native function)."""
    before = config.linker
    try:
        config.linker = "numpy"
        f_np = lb.function(inputs, outputs, **kw)
        config.linker = "native"
        f_c = lb.function(inputs, outputs, **kw)
    finally:
        config.linker = before
    return f_np, f_c


@needs_cc
def test_auto_builds_the_native_tier_before_the_first_call_is_computed(flags, private_cache):
    flags(linker="auto")
    x = T.fmatrix("x")
    f = lb.function([x], T.tanh(x * 2) + 1)
    assert f.tier == "numpy" and not f._native_jobs  # never called: nothing compiled
    assert not lb.wait_native(f, timeout=0)
    v = np.linspace(-2, 2, 12, dtype="float32").reshape(3, 4)
    first = f(v)
    assert f.tier == "native"  # already for the first call: nothing runs in the background
    assert "native tier" in f.source and "tanh(" in f.source and "def compiled_function" in f.source
    np.testing.assert_array_equal(f(v), first)  # every call on one tier: the same bits
    np.testing.assert_allclose(first, np.tanh(v * 2) + 1, rtol=2e-6)
    _, f_c = _both([x], T.tanh(x * 2) + 1)
    np.testing.assert_array_equal(f_c(v), first)  # what linker=native computes


@needs_cc
def test_tiered_starts_on_numpy_and_switches_between_calls(flags, private_cache):
    flags(linker="tiered")
    x = T.dvector("x")
    f = lb.function([x], T.cosh(x) * 3 + 1)
    assert not lb.wait_native(f, timeout=0)  # never called: nothing is compiling, nothing to wait for
    assert not f._native_jobs
    tiers._WORKER.hold()  # the test holds the compile thread: the switch cannot happen before it looks
    try:
        np.testing.assert_allclose(f(np.zeros(3)), 4.0)
        assert f.tier == "numpy" and f._native_jobs and not f._native_jobs[0].done.is_set()
    finally:
        tiers._WORKER.release()
    assert lb.wait_native(f, timeout=120) and f.tier == "native"
    np.testing.assert_allclose(f(np.zeros(3)), 4.0)


@needs_cc
@pytest.mark.parametrize("interrupted", ["_go_native", "_go_whole"])
def test_a_ctrl_c_during_the_first_build_leaves_the_function_usable(flags, private_cache, monkeypatch, interrupted):
    flags(linker="auto")
    x = T.dmatrix("x")
    w = lb.shared(np.ones((3, 3)), name="w")
    h = T.tanh(T.dot(x, w) * 2 + 1)
    f = lb.function([x], (T.exp(h) / T.exp(h).sum(axis=1, keepdims=True)).sum() + T.sqrt(abs(h)).mean())
    real = getattr(tiers, interrupted)

    def interrupt(*args):
        monkeypatch.setattr(tiers, interrupted, real)  # only once, as a user's Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(tiers, interrupted, interrupt)
    v = np.arange(6.0).reshape(2, 3) / 7
    with pytest.raises(KeyboardInterrupt):
        f(v)
    got = f(v)  # the build starts again and completes: the same tier and bits as an uninterrupted function
    g = lb.function([x], (T.exp(h) / T.exp(h).sum(axis=1, keepdims=True)).sum() + T.sqrt(abs(h)).mean())
    expected = g(v)
    assert f.tier == "native" and "whole function" in g.source and "whole function" in f.source
    np.testing.assert_array_equal(got, expected)


@needs_cc
def test_a_function_keeps_the_linker_it_was_compiled_under(flags, private_cache):
    flags(linker="auto")
    x = T.dvector("x")
    f = lb.function([x], T.exp(x) * 3 - 1)
    flags(linker="numpy")  # changed between function() and the first call
    np.testing.assert_allclose(f(np.arange(3.0)), np.exp(np.arange(3.0)) * 3 - 1, rtol=1e-14)
    assert f.tier == "native"


@needs_cc
def test_native_flag_compiles_before_function_returns(flags, private_cache):
    flags(linker="native")
    x = T.dvector("x")
    f = lb.function([x], T.exp(x) * 3 - 1)
    assert f.tier == "native"
    np.testing.assert_allclose(f(np.arange(4.0)), np.exp(np.arange(4.0)) * 3 - 1, rtol=1e-14)


def test_numpy_flag_never_compiles(flags):
    flags(linker="numpy")
    x = T.dvector("x")
    f = lb.function([x], T.exp(x) * 3 - 1)
    assert f.tier == "numpy" and not lb.wait_native(f, timeout=1)
    assert "native tier" not in f.source


def test_no_compiler_means_numpy_tier_and_a_debug_line(flags, private_cache, caplog):
    flags(linker="native", cc="no-such-compiler-for-layerkit")
    tiers._NO_COMPILER_LOGGED.clear()
    x = T.dvector("x")
    with caplog.at_level(logging.DEBUG, logger="layerkit_backend.native"):
        f = lb.function([x], T.exp(x) + 1)
        lb.function([x], T.exp(x) + 2)
    assert f.tier == "numpy"
    np.testing.assert_allclose(f(np.zeros(2)), 2.0)
    lines = [r.getMessage() for r in caplog.records if r.name == "layerkit_backend.native"]
    assert len(lines) == 1 and "no-such-compiler-for-layerkit" in lines[0], lines


@needs_cc
def test_failed_compile_means_numpy_tier_and_a_debug_line(flags, private_cache, caplog, no_failures_counted,
                                                          monkeypatch):
    flags(linker="native")
    tc = toolchain.find_toolchain()
    monkeypatch.setattr(tc, "flags", tc.flags + ("-fno-such-flag-for-layerkit",))
    x = T.dvector("x")
    with caplog.at_level(logging.DEBUG, logger="layerkit_backend.native"):
        f = lb.function([x], T.exp(x) + 1)
    assert f.tier == "numpy"
    np.testing.assert_allclose(f(np.zeros(2)), 2.0)
    lines = [r.getMessage() for r in caplog.records if r.name == "layerkit_backend.native"]
    assert len(lines) == 1 and "-fno-such-flag-for-layerkit" in lines[0], lines


@needs_cc
@pytest.mark.parametrize("layout", ["contiguous", "fortran", "strided", "reversed", "broadcast_row",
                                    "broadcast_col", "scalar"])
def test_layouts_and_broadcasting_agree_with_numpy_tier(layout, private_cache):
    a, b = T.fmatrix("a"), T.fmatrix("b")
    f_np, f_c = _both([a, b], T.exp(a * 0.5) * b - T.tanh(b))
    assert f_c.tier == "native"
    rng = np.random.default_rng(0)
    av = rng.standard_normal((37, 53)).astype("float32")
    bv = rng.standard_normal((37, 53)).astype("float32")
    if layout == "fortran":
        av, bv = np.asfortranarray(av), np.asfortranarray(bv)
    elif layout == "strided":
        av = np.repeat(av, 2, axis=1)[:, ::2]
    elif layout == "reversed":
        av, bv = av[::-1, ::-1], bv[::-1]
    elif layout == "broadcast_row":
        bv = bv[:1]
    elif layout == "broadcast_col":
        bv = bv[:, :1]
    elif layout == "scalar":
        av = av[:1, :1]
    np.testing.assert_allclose(f_c(av, bv), f_np(av, bv), rtol=2e-6, atol=2e-6)  # float32, values ~1


@needs_cc
def test_inplace_kernel_writes_its_intermediate(private_cache):
    x, y = T.dmatrix("x"), T.dmatrix("y")
    out = T.sin(T.dot(x, y)) * 2 + x  # the dot's result is an intermediate: the fused kernel may overwrite it
    f_np, f_c = _both([x, y], out)
    nodes = [n for n in f_c.maker.fgraph.toposort() if n.op.destroy_map]
    assert nodes, "expected an in-place elementwise node"
    xv = np.random.default_rng(1).standard_normal((5, 5))
    np.testing.assert_allclose(f_c(xv, xv.T), f_np(xv, xv.T), rtol=1e-13)


@needs_cc
def test_large_loops_split_over_threads_agree(flags, private_cache, monkeypatch):
    monkeypatch.setattr(library, "THREAD_WORK", 1.0)  # every loop of >= 2 x 4096 elements is split
    flags(native_threads="2")
    x = T.fvector("x")
    f_np, f_c = _both([x], T.log1p(T.exp(x * 0.3)) + T.sqr(x))
    v = np.random.default_rng(2).standard_normal(100_003).astype("float32")
    np.testing.assert_allclose(f_c(v), f_np(v), rtol=2e-6, atol=1e-6)


@needs_cc
def test_kernel_declines_what_it_cannot_read_and_numpy_computes_it(private_cache):
    x = T.fvector("x")
    _, f_c = _both([x], T.exp(x) + 1)
    kernel_call = next(v for k, v in f_c._namespace.items() if k.startswith("t") and k[1:].isdigit())
    big_endian = np.arange(4, dtype=">f4")  # another dtype object: C declines, the NumPy thunk runs
    np.testing.assert_allclose(kernel_call(big_endian), np.exp(np.arange(4.0)) + 1, rtol=1e-6)


@needs_cc
@pytest.mark.parametrize("linker", ["auto", "tiered"])
def test_scan_loop_tiers(flags, private_cache, linker):
    """auto: the loop is C from its first run (the same bits as linker=native); tiered: from a later call."""
    x = T.fmatrix("x")
    h0 = T.fvector("h0")
    hs, _ = lb.scan(lambda x_t, h: T.tanh(x_t + h * 0.5), sequences=x, outputs_info=h0)
    xv = np.random.default_rng(3).standard_normal((6, 4)).astype("float32")
    h0v = np.zeros(4, "float32")
    flags(linker="native")
    expected = lb.function([x, h0], hs[-1])(xv, h0v)
    flags(linker=linker)
    f = lb.function([x, h0], hs[-1])
    before = tiers.STATS["native"]
    tiers._WORKER.hold()  # holds tiered's compile thread until the test has looked
    try:
        first = f(xv, h0v)
        built = tiers.STATS["native"] - before
    finally:
        tiers._WORKER.release()
    if linker == "auto":
        assert built >= 1  # the C loop was built during the first call, which it computed
        np.testing.assert_array_equal(first, expected)
    else:
        assert built == 0
    assert lb.wait_native(timeout=120)
    np.testing.assert_allclose(f(xv, h0v), first, rtol=2e-6)
    np.testing.assert_array_equal(f(xv, h0v), expected)


# -- the compile cache ----------------------------------------------------------------------------------------
def _fake_build(work, lib_path):
    with open(lib_path, "wb") as f:
        f.write(b"\x7fELF not really a library")


def test_cache_directory_is_created_private(tmp_path):
    cache = CompileCache(str(tmp_path / "a" / "cache"), 1 << 20)
    assert cache.persistent
    mode = stat.S_IMODE(os.stat(cache.directory).st_mode)
    assert mode == 0o700, oct(mode)
    key_mode = stat.S_IMODE(os.stat(os.path.join(cache.directory, "hmac.key")).st_mode)
    assert key_mode == 0o600, oct(key_mode)


@pytest.mark.parametrize("problem", ["group_writable", "symlink", "other_owner"])
def test_cache_refuses_a_directory_that_is_not_private(tmp_path, problem, monkeypatch):
    path = tmp_path / "cache"
    if problem == "group_writable":
        path.mkdir(mode=0o700)
        os.chmod(path, 0o770)
    elif problem == "symlink":
        (tmp_path / "elsewhere").mkdir(mode=0o700)
        path.symlink_to(tmp_path / "elsewhere")
    else:
        path.mkdir(mode=0o700)
        real = os.getuid()
        monkeypatch.setattr(os, "getuid", lambda: real + 1)
    cache = CompileCache(str(path), 1 << 20)
    assert not cache.persistent and cache.directory != str(path)
    assert not os.path.exists(os.path.join(str(path), "hmac.key"))


def test_cache_loads_only_what_it_wrote(tmp_path):
    cache = CompileCache(str(tmp_path / "cache"), 1 << 20)
    path = cache.store("k1", _fake_build)
    assert cache.lookup("k1") == path
    with open(path, "ab") as f:  # altered after the cache wrote it
        f.write(b"x")
    assert cache.lookup("k1") is None
    foreign = os.path.join(cache.directory, "k2.so")  # dropped in by someone else: no tag
    shutil.copy(__file__, foreign)
    assert cache.lookup("k2") is None
    cache.store("k3", _fake_build)
    shutil.copy(os.path.join(cache.directory, "k3.tag"), os.path.join(cache.directory, "k2.tag"))
    assert cache.lookup("k2") is None  # a tag belongs to one key and one content


def test_cache_ignores_entries_writable_by_others(tmp_path):
    cache = CompileCache(str(tmp_path / "cache"), 1 << 20)
    path = cache.store("k1", _fake_build)
    os.chmod(path, 0o722)
    assert cache.lookup("k1") is None


def test_cache_is_bounded_least_recently_used_first(tmp_path):
    size = len(b"\x7fELF not really a library")
    cache = CompileCache(str(tmp_path / "cache"), 3 * size)
    for k in range(3):
        cache.store(f"k{k}", _fake_build)
        os.utime(cache.path_of(f"k{k}"), (1000 + k, 1000 + k))
    cache.lookup("k0")  # used again: now the most recent
    cache.store("k3", _fake_build)
    left = sorted(key for _, _, key in cache.entries())
    assert "k0" in left and "k3" in left and "k1" not in left
    assert sum(s for _, s, _ in cache.entries()) <= 3 * size


@needs_cc
def test_warm_cache_loads_without_compiling(flags, private_cache, monkeypatch):
    flags(linker="native")
    x = T.dvector("x")
    lb.function([x], T.cos(x) * 7 + 2)
    library.reset()  # a new process would find the library in the cache

    def no_compile(*args):
        raise AssertionError("compiled although the cache holds the library")

    monkeypatch.setattr(toolchain.Toolchain, "compile", no_compile)
    f = lb.function([x], T.cos(x) * 7 + 2)
    assert f.tier == "native"


@needs_cc
def test_a_library_is_unloaded_with_the_last_function_using_it(flags, private_cache):
    import gc
    import weakref

    flags(linker="native")
    x = T.dvector("x")
    f = lb.function([x], T.sinh(x) * 5 + 3)
    lib = next(v for k, v in f._namespace.items() if k.startswith("t") and k[1:].isdigit()).__globals__["_library"]
    ref = weakref.ref(lib)
    del lib, f
    gc.collect()
    assert ref() is None
    g = lb.function([x], T.sinh(x) * 5 + 3)  # loaded again from the cache, and it works
    np.testing.assert_allclose(g(np.ones(2)), np.sinh(1.0) * 5 + 3)


# -- whole functions as one C call ----------------------------------------------------------------------------
def _softmax_regression(linker, seed=0):
    """A training function (dot, bias, log-softmax cross-entropy on integer labels, SGD through GemmUpdate)
    compiled on ``linker``, with its weight matrix."""
    before = config.linker
    config.linker = linker
    try:
        rng = np.random.default_rng(seed)
        w = lb.shared(rng.standard_normal((5, 3)), name="w")
        b = lb.shared(np.zeros(3), name="b")
        x, y = T.dmatrix("x"), T.ivector("y")
        z = T.dot(x, w) + b
        logp = z - T.log(T.exp(z - z.max(axis=1, keepdims=True)).sum(axis=1, keepdims=True)) - \
            z.max(axis=1, keepdims=True)
        loss = -logp[T.arange(y.shape[0]), y].mean()
        gw, gb = lb.grad(loss, [w, b])
        f = lb.function([x, y], loss, updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)])
    finally:
        config.linker = before
    return f, w


def _batches(n, rows=(8, 8, 8, 3)):
    rng = np.random.default_rng(1)
    return [(rng.standard_normal((r, 5)), rng.integers(0, 3, r).astype("int32")) for r in rows[:n]]


@needs_cc
def test_a_training_function_becomes_one_c_call_and_agrees_with_numpy(private_cache):
    f_np, w_np = _softmax_regression("numpy")
    f_c, w_c = _softmax_regression("native")
    buffer = w_c.get_value(borrow=True)
    for xb, yb in _batches(4) * 3:  # the 3-row batch is another signature: a second program
        np.testing.assert_allclose(f_c(xb, yb), f_np(xb, yb), rtol=1e-10)
    np.testing.assert_allclose(w_c.get_value(), w_np.get_value(), rtol=1e-10)
    assert list(f_c._programs)[0][:2] == ((8, 5), (8,)) and len(f_c._programs) == 2
    assert "whole function" in f_c.source and "lk_dgemm" in f_c.source
    assert w_c.get_value(borrow=True) is buffer  # the weight update stays in place, as on the NumPy tier


@needs_cc
def test_whole_function_errors_and_aliases_take_the_per_node_path(private_cache):
    f_np, w_np = _softmax_regression("numpy")
    f_c, w_c = _softmax_regression("native")
    (xb, yb), = _batches(1)
    f_np(xb, yb), f_c(xb, yb)
    before = w_c.get_value()
    bad = yb.copy()
    bad[2] = 7  # a label past the 3 classes: the NumPy tier's IndexError, nothing updated
    with pytest.raises(IndexError):
        f_c(xb, bad)
    np.testing.assert_array_equal(w_c.get_value(), before)
    np.testing.assert_allclose(f_c(xb, yb), f_np(xb, yb), rtol=1e-10)


@needs_cc
def test_native_results_do_not_depend_on_the_calls_before(flags, private_cache):
    flags(linker="native")
    rng = np.random.default_rng(2)
    w = lb.shared(rng.standard_normal((5, 3)).astype("float32"))
    x = T.fmatrix("x")
    z = T.tanh(T.dot(x, w)) * 2 + 1
    big, small = (rng.standard_normal((n, 5)).astype("float32") for n in (8, 3))
    one, two = lb.function([x], T.exp(z) / T.exp(z).sum()), lb.function([x], T.exp(z) / T.exp(z).sum())
    one(small)  # one meets the small batch first, two the big one: each shape still gets its own program
    np.testing.assert_array_equal(one(big), two(big))
    np.testing.assert_array_equal(one(small), two(small))
