"""The native tier under AddressSanitizer: generated libraries are built with ``-fsanitize=address`` and the
sanitizer's runtime is preloaded into a Python subprocess (so NumPy's buffers get red zones too), which then runs
the native-tier tests, the elementwise op table and the scan suites. A canary library that reads past an array
proves the sanitizer is active. Slow (every library is compiled afresh): ``make test-slow`` runs it."""
import os
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SUITES = ["tests/backend/test_native_tier.py", "tests/backend/test_elemwise_ops.py",
          "tests/backend/test_scan.py", "tests/backend/test_scan_grad.py", "tests/backend/test_scan_lstm_lm.py"]
CANARY = """
import numpy as np
from layerkit_backend.backends.native import build_library
lib = build_library("int lk_canary(lk_array *a) { volatile float x = ((float *)a->data)[a->dims[0] + 4]; "
                    "(void)x; return 0; }")
lib.function("lk_canary", 1)(np.zeros(10, np.float32))
"""


def _asan_runtime():
    if shutil.which("gcc") is None:
        return None
    path = subprocess.run(["gcc", "-print-file-name=libasan.so"], capture_output=True, text=True).stdout.strip()
    return path if os.path.isabs(path) and os.path.exists(path) else None


@pytest.mark.slow
@pytest.mark.skipif(_asan_runtime() is None, reason="gcc's AddressSanitizer runtime is not installed")
def test_native_tier_has_no_memory_errors_under_address_sanitizer(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    env = dict(os.environ, LD_PRELOAD=_asan_runtime(), ASAN_OPTIONS="detect_leaks=0:abort_on_error=0",
               LAYERKIT_FLAGS=f"linker=native,native_cflags=-fsanitize=address -fno-omit-frame-pointer,"
                              f"native_cache={cache}")
    canary = subprocess.run([sys.executable, "-c", CANARY], capture_output=True, text=True, env=env, cwd=ROOT,
                            timeout=300)
    assert "AddressSanitizer: heap-buffer-overflow" in canary.stderr, \
        f"the sanitizer did not catch the canary's overflow:\n{canary.stderr[-2000:]}"
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "not slow", *SUITES],
                         capture_output=True, text=True, env=env, cwd=ROOT, timeout=3600)
    report = run.stdout[-3000:] + run.stderr[-3000:]
    assert "AddressSanitizer" not in run.stdout + run.stderr, report
    assert run.returncode == 0, report
