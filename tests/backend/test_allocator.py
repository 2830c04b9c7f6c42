"""config.allocator: with 'tuned', freed large buffers are reused instead of faulting fresh pages in every call."""
import subprocess
import sys

import pytest

import layerkit_backend as lb

PROBE = """
import resource, numpy as np
import layerkit_backend
for _ in range(3):
    a = np.ones(16 << 20, dtype=np.float32); del a
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    a = np.ones(16 << 20, dtype=np.float32); del a  # 64 MB: above glibc's largest dynamic mmap threshold
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 20)
"""


def _faults_per_allocation(flag):
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True,
                         env={"LAYERKIT_FLAGS": f"allocator={flag}", "PATH": "/usr/bin:/bin"})
    return float(out.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the tuning is glibc's mallopt")
def test_tuned_allocator_reuses_freed_buffers():
    assert _faults_per_allocation("tuned") < 10           # the pages stay mapped: reused, not faulted again
    assert _faults_per_allocation("system") > 100         # glibc mmaps and unmaps 64 MB every time


def test_allocator_flag_values_are_checked():
    with pytest.raises(ValueError, match="config.allocator: expected one of"):
        lb.config.allocator = "jemalloc"
    assert lb.config.allocator in ("tuned", "system")
