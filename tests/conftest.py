"""Which tier the suite runs on. Without ``linker`` in LAYERKIT_FLAGS the suite runs on the NumPy tier, so a
function never changes tier between two calls of a test; ``LAYERKIT_FLAGS=linker=native`` runs it with every
function on the native tier from its first call (``make test`` does both, .ci/run too). In that run a compile
failure (the compiler rejecting generated C) fails the session: it would otherwise pass silently on NumPy."""
import os

import pytest

from layerkit_backend.compile import tiers
from layerkit_backend.config import config as lk_config

if "linker" not in os.environ.get("LAYERKIT_FLAGS", ""):
    lk_config.linker = "numpy"


def pytest_report_header(config):
    return f"layerkit tier: linker={lk_config.linker}"


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    if lk_config.linker == "native" and tiers.STATS["failed"]:
        session.exitstatus = 1
        print(f"\nnative tier: {tiers.STATS['failed']} function(s) failed to compile (see the "
              f"layerkit_backend.native debug log)")
