"""The GPU backend without a GPU: device selection and its errors, transfer semantics, the float64 warning, the
kernel cache and the generated CUDA source, against the NumPy-backed stand-in in fake_cupy.py (whose kernels run
the generated C body compiled by g++). What still needs a real GPU is listed in docs/gpu.md."""
import shutil
import subprocess
import sys
import warnings

import numpy as np
import pytest

import fake_cupy
import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit_backend.backends import cupy_backend, resolve_device
from layerkit_backend.backends.cuda_codegen import kernel_source
from layerkit_backend.config import config
from layerkit_backend.ifelse import ifelse
from layerkit_backend.tensor.elemwise import Elemwise
from layerkit_backend.tensor.scalar import Composite

needs_gxx = pytest.mark.skipif(shutil.which("g++") is None, reason="the stand-in's kernels are compiled by g++")


@pytest.fixture
def gpu(monkeypatch):
    return fake_cupy.install(monkeypatch)


@pytest.fixture
def device_config():
    before = config.device
    yield config
    config.device = before


def _fused(f):
    nodes = [n for n in f.maker.fgraph.toposort() if isinstance(n.op, Elemwise)
             and isinstance(n.op.scalar_op, Composite)]
    assert len(nodes) == 1, f.maker.fgraph.toposort()
    return nodes[0].op.scalar_op


# -- device selection ---------------------------------------------------------------------------------------------
def test_import_never_imports_cupy():
    code = "import sys, layerkit_backend, layerkit_backend.tensor; assert 'cupy' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, env={"LAYERKIT_FLAGS": "device=cpu", "PATH": ""})


@pytest.mark.parametrize("name, expected", [("cpu", "cpu"), ("cuda", "cuda0"), ("cuda0", "cuda0"), ("cuda1", "cuda1")])
def test_device_names_resolve(name, expected):
    assert resolve_device(name) == expected


@pytest.mark.parametrize("value", ["gpu", "cuda:0", "CUDA", "tpu"])
def test_config_device_rejects_unknown_names(device_config, value):
    with pytest.raises(ValueError, match="expected one of 'cpu', 'cuda', 'cuda<index>'"):
        device_config.device = value


ERROR_ROWS = [  # (stand-in state, device asked for, expected message part)
    ("missing", "cuda", r"CuPy is not installed.*pip install -e \.\[gpu-cuda12\]"),
    ("unavailable", "cuda", r"is_available\(\) is False.*nvidia-smi.*device='auto'"),
    ("available", "cuda1", r"expected a GPU index below 1"),
]


@pytest.mark.parametrize("state, device, message", ERROR_ROWS, ids=[r[0] for r in ERROR_ROWS])
def test_unusable_gpu_gives_one_clear_error(monkeypatch, state, device, message):
    if state == "missing":
        monkeypatch.setitem(sys.modules, "cupy", None)  # import cupy raises ImportError
    else:
        fake_cupy.install(monkeypatch, available=state == "available")
    x = T.fvector("x")
    with pytest.raises(cupy_backend.DeviceUnavailableError, match=message):
        lb.function([x], x * 2, device=device)


@pytest.mark.parametrize("state", ["missing", "unavailable"])
def test_auto_falls_back_to_cpu(monkeypatch, device_config, state):
    if state == "missing":
        monkeypatch.setitem(sys.modules, "cupy", None)
    else:
        fake_cupy.install(monkeypatch, available=False)
    device_config.device = "auto"
    w = lb.shared(np.ones(3, "float32"))
    x = T.fvector("x")
    f = lb.function([x], x * w)
    assert not f._xp.is_gpu and type(w.container.value) is np.ndarray
    np.testing.assert_allclose(f(np.arange(3, dtype="float32")), [0, 1, 2])


def test_auto_picks_the_gpu_and_mode_or_argument_override(gpu, device_config):
    device_config.device = "auto"
    x = T.fvector("x")
    assert lb.function([x], x + 1)._xp.is_gpu
    assert not lb.function([x], x + 1, device="cpu")._xp.is_gpu
    device_config.device = "cpu"
    assert lb.function([x], x + 1, mode=lb.Mode(device="cuda"))._xp.is_gpu


# -- transfers ----------------------------------------------------------------------------------------------------
def test_shared_lives_on_the_device_and_get_value_returns_numpy(gpu, device_config):
    device_config.device = "cuda"
    w = lb.shared(np.ones(4, "float32"), name="w")
    assert isinstance(w.container.value, gpu.ndarray)
    value = w.get_value()
    assert type(value) is np.ndarray and value.dtype == np.float32
    w.set_value(np.full(4, 2, "float32"))  # a host value is copied over: the value stays on the device
    assert isinstance(w.container.value, gpu.ndarray)
    w.set_value(gpu.asarray(np.full(4, 3, "float32")))
    np.testing.assert_array_equal(w.get_value(), 3)


def test_inputs_copied_once_outputs_numpy_updates_stay(gpu, device_config):
    device_config.device = "cuda"
    w = lb.shared(np.ones(4, "float32"), name="w")
    x = T.fvector("x")
    f = lb.function([x], [x * w, (x - w).sum()], updates=[(w, w * 0.5)])
    gpu.transfers.update(to_device=0, to_host=0)
    out, total = f(np.arange(4, dtype="float32"))
    assert type(out) is np.ndarray and type(total) is np.ndarray
    np.testing.assert_allclose(out, np.arange(4))
    assert gpu.transfers == {"to_device": 1, "to_host": 2}  # one input in, two outputs out, the update stays
    assert isinstance(w.container.value, gpu.ndarray)
    gpu.transfers.update(to_device=0, to_host=0)
    f(gpu.asarray(np.arange(4, dtype="float32")))
    assert gpu.transfers == {"to_device": 1, "to_host": 2}  # the asarray above; a device input passes through
    np.testing.assert_allclose(w.get_value(), 0.25)


def test_device_arrays_on_request(gpu):
    x = T.fvector("x")
    both = lb.function([x], [x + 1, x * 2], device="cuda", return_device_arrays=True)
    assert all(isinstance(o, gpu.ndarray) for o in both(np.ones(2, "float32")))
    one = lb.function([x], [lb.Out(x + 1, device_array=True), x * 2], device="cuda")
    a, b = one(np.ones(2, "float32"))
    assert isinstance(a, gpu.ndarray) and type(b) is np.ndarray


def test_host_shared_moves_to_the_gpu_once_and_cpu_functions_still_read_it(gpu):
    w = lb.shared(np.ones(3, "float32"), name="w")  # created on the CPU
    x = T.fvector("x")
    on_gpu = lb.function([x], x + w, device="cuda", updates=[(w, w + 1)])
    on_cpu = lb.function([x], x * w, device="cpu")
    gpu.transfers.update(to_device=0, to_host=0)
    on_gpu(gpu.asarray(np.zeros(3, "float32")))
    on_gpu(gpu.asarray(np.zeros(3, "float32")))
    assert gpu.transfers["to_device"] == 3  # two asarray calls above and one move of w
    np.testing.assert_allclose(on_cpu(np.ones(3, "float32")), 3)  # reads the device value through a copy
    assert type(on_cpu(np.ones(3, "float32"))) is np.ndarray


# -- float64 warning ----------------------------------------------------------------------------------------------
def test_float64_on_the_gpu_is_reported_once(gpu):
    x = T.dvector("x")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lb.function([x], x * 2, device="cuda")
        lb.function([x], x + 3, device="cuda")
    hits = [w for w in caught if issubclass(w.category, cupy_backend.Float64OnGPUWarning)]
    assert len(hits) == 1 and "30x" in str(hits[0].message)


def test_float32_graph_gives_no_float64_warning(gpu):
    x = T.fvector("x")
    with warnings.catch_warnings():
        warnings.simplefilter("error", cupy_backend.Float64OnGPUWarning)
        lb.function([x], T.exp(x) * 2, device="cuda")


# -- generated CUDA source ----------------------------------------------------------------------------------------
SOURCE_ROWS = [  # (id, input dtypes, builder, expected C fragments; None: no CUDA source, CuPy's ufuncs run it)
    ("exp_mul_add", ("float32",), lambda x: T.exp(x * 2) + 1,
     ["float32 i0", "float32 out", "const float s0 = i0 * ((float)2.0);", "exp(s0)"]),
    ("sigmoid_softplus", ("float32",), lambda x: T.nnet.sigmoid(x) + T.nnet.softplus(x),
     ["lk_sigmoid(i0)", "lk_softplus(i0)"]),
    ("int_times_float_casts", ("int32", "float32"), lambda a, b: a * b + b, ["int32 i0", "((float)i0) * i1"]),
    ("comparison_switch", ("float64", "float64"), lambda a, b: T.switch(T.lt(a, b), a, b * 3),
     ["const bool s0 = i0 < i1;", "? i0 : s1", "double"]),
    ("max_clip", ("float32", "float32"), lambda a, b: T.clip(T.maximum(a, b) - 1, 0, 2),
     ["lk_max(i0, i1)", "lk_min(lk_max(s1, ((float)0.0)), ((float)2.0))"]),
    ("int_floor_div_mod", ("int64", "int64"), lambda a, b: a // b + a % b,
     ["lk_ifloordiv(i0, i1)", "lk_imod(i0, i1)", "long long"]),
    ("float16_falls_back", ("float16",), lambda x: T.exp(x) + 1, None),
    ("integer_pow_falls_back", ("int32", "int32"), lambda a, b: a ** b + 1, None),
]


@pytest.mark.parametrize("row", SOURCE_ROWS, ids=[r[0] for r in SOURCE_ROWS])
def test_generated_cuda_source(row):
    _, dtypes, build, fragments = row
    xs = [T.tensor(d, shape=(None,), name=f"x{k}") for k, d in enumerate(dtypes)]
    source = kernel_source(_fused(lb.function(xs, build(*xs))))
    if fragments is None:
        assert source is None
        return
    for fragment in fragments:
        assert fragment in source.operation or fragment in source.in_params + source.out_params, \
            f"{fragment!r} not in\n{source.operation}"


# -- generated kernels run (C body compiled by g++), compared with the CPU --------------------------------------
def _special(dtype, n=12):
    rng = np.random.default_rng(0)
    if np.dtype(dtype).kind == "f":
        v = rng.uniform(-4, 4, n)
        v[:4] = [np.nan, np.inf, -np.inf, 0.0]
        return v.astype(dtype)
    return rng.integers(-7, 8, n).astype(dtype)


RUN_ROWS = [  # (id, input dtypes, builder)
    ("exp_mul_add", ("float32",), lambda x: T.exp(x * 2) + 1),
    ("sigmoid_softplus_tanh", ("float32",), lambda x: T.nnet.sigmoid(x) * T.tanh(x) + T.nnet.softplus(x)),
    ("nan_max_min_sign", ("float64", "float64"), lambda a, b: T.maximum(a, b) + T.minimum(a, b) * T.sgn(a)),
    ("int_floor_div_mod_by_zero", ("int64", "int64"), lambda a, b: a // b + a % b * 3),
    ("float_mod_round", ("float64", "float64"), lambda a, b: T.mod(a, b) + T.round(a, "half_away_from_zero")),
    ("switch_isnan_clip", ("float32", "float32"), lambda a, b: T.switch(T.isnan(a), b, T.clip(a, -1, 1) * b)),
    ("int8_mix_float32", ("int8", "float32"), lambda a, b: abs(a) * b - a),
]


@needs_gxx
@pytest.mark.filterwarnings("ignore::layerkit_backend.backends.cupy_backend.Float64OnGPUWarning")
@pytest.mark.parametrize("row", RUN_ROWS, ids=[r[0] for r in RUN_ROWS])
def test_generated_kernel_matches_cpu(gpu, row):
    _, dtypes, build = row
    xs = [T.tensor(d, shape=(None,), name=f"x{k}") for k, d in enumerate(dtypes)]
    out = build(*xs)
    on_gpu, on_cpu = lb.function(xs, out, device="cuda"), lb.function(xs, out, device="cpu")
    values = [_special(d) for d in dtypes]
    values[-1] = np.where(np.arange(12) == 5, 0, values[-1]).astype(dtypes[-1])  # a zero divisor
    with np.errstate(all="ignore"):
        want = on_cpu(*values)
        got = on_gpu(*values)
    assert len(gpu.kernels_built) == 1, "the fused group should be one generated kernel"
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-6 if want.dtype == np.float32 else 1e-12, equal_nan=True)


@needs_gxx
@pytest.mark.filterwarnings("ignore::layerkit_backend.backends.cupy_backend.Float64OnGPUWarning")
def test_kernel_cache_compiles_once_per_source_and_dtypes(gpu):
    x, y = T.fvector("x"), T.dvector("y")
    for _ in range(2):
        f = lb.function([x], T.exp(x) * 2 + 1, device="cuda")
    assert len(gpu.kernels_built) == 1
    np.testing.assert_allclose(f(np.zeros(3, "float32")), 3)
    lb.function([y], T.exp(y) * 2 + 1, device="cuda")  # the same expression in float64: another kernel
    assert len(gpu.kernels_built) == 2
    assert len(cupy_backend.KERNEL_CACHE) == 2


def test_fallback_group_runs_through_the_array_module(gpu):
    a, b = T.ivector("a"), T.ivector("b")
    f = lb.function([a, b], a ** b + 1, device="cuda")
    np.testing.assert_array_equal(f(np.array([2, 3], "int32"), np.array([3, 2], "int32")), [9, 10])
    assert gpu.kernels_built == []


def test_mlp_training_step_runs_on_the_stand_in(gpu, device_config):
    """Dot, softmax, crossentropy, their gradients and updates: every op runs on the stand-in's CuPy namespace."""
    device_config.device = "cuda"
    rng = np.random.default_rng(1)
    w = lb.shared(rng.normal(size=(5, 3)).astype("float32"), name="w")
    b = lb.shared(np.zeros(3, "float32"), name="b")
    x, y = T.fmatrix("x"), T.ivector("y")
    p = T.nnet.softmax(T.dot(x, w) + b)
    loss = T.nnet.categorical_crossentropy(p, y).mean()
    gw, gb = lb.grad(loss, [w, b])
    step = lb.function([x, y], loss, updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)])
    xs, ys = rng.normal(size=(8, 5)).astype("float32"), rng.integers(0, 3, 8).astype("int32")
    first = float(step(xs, ys))
    for _ in range(5):
        last = float(step(xs, ys))
    assert last < first and isinstance(w.container.value, gpu.ndarray)


# -- inner graphs -------------------------------------------------------------------------------------------------
def test_ifelse_branches_stay_on_the_device(gpu):
    x, c = T.fvector("x"), T.bscalar("c")
    f = lb.function([c, x], ifelse(c, x * 2, x + 1) * 3, device="cuda")
    xs = gpu.asarray(np.ones(2, "float32"))
    gpu.transfers.update(to_device=0, to_host=0)
    np.testing.assert_allclose(f(gpu.asarray(np.int8(1)), xs), 6)
    assert gpu.transfers == {"to_device": 1, "to_host": 1}  # the asarray above, and the output


def test_scan_steps_stay_on_the_device(gpu):
    x = T.fmatrix("x")
    out, _ = lb.scan(lambda row, acc: T.tanh(acc + row), sequences=[x], outputs_info=[T.zeros_like(x[0])])
    f = lb.function([x], out * 2, device="cuda")
    xs = gpu.asarray(np.ones((5, 2), "float32"))
    gpu.transfers.update(to_device=0, to_host=0)
    f(xs)
    assert gpu.transfers == {"to_device": 0, "to_host": 1}  # only the output comes back
