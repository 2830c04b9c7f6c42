"""BLAS thread control and configuration flags."""
import subprocess
import sys

import pytest

from layerkit_backend import config
from layerkit_backend.backends.blas import blas_info, get_blas_threads, set_blas_threads


def test_blas_threads_round_trip():
    info = blas_info()
    if info["library"] != "OpenBLAS":
        pytest.skip(f"NumPy uses {info['library']}: thread control is OpenBLAS-only")
    before = get_blas_threads()
    try:
        assert set_blas_threads(1) is True
        assert get_blas_threads() == 1
    finally:
        set_blas_threads(before)
    assert get_blas_threads() == before


@pytest.mark.parametrize("bad", [0, -2])
def test_blas_threads_rejects_non_positive(bad):
    with pytest.raises(ValueError, match="positive thread count"):
        set_blas_threads(bad)


@pytest.mark.parametrize("name, value, message", [
    ("floatX", "float128", "expected one of"),
    ("blas_threads", "many", "positive integer"),
    ("device", "tpu", "expected one of"),
])
def test_config_rejects_bad_values(name, value, message):
    with pytest.raises(ValueError, match=message):
        setattr(config, name, value)


def test_unknown_flag_names_the_known_ones():
    with pytest.raises(AttributeError, match="known flags"):
        config.no_such_flag  # noqa: B018


def test_flags_from_the_environment():
    code = "import layerkit_backend as lb, layerkit_backend.tensor as T; print(lb.config.floatX, T.matrix().dtype)"
    env = {"LAYERKIT_FLAGS": "floatX=float64,blas_threads=1", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True,
                         cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]))
    assert out.stdout.split() == ["float64", "float64"]


def test_malformed_environment_flags_fail_clearly():
    env = {"LAYERKIT_FLAGS": "floatX", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", "import layerkit_backend"], capture_output=True, text=True, env=env,
                         cwd=str(__import__("pathlib").Path(__file__).resolve().parents[2]))
    assert out.returncode != 0 and "expected 'name=value'" in out.stderr
