"""MPIStrategy: N-process training equals one-process training; only rank 0 writes; a failing rank ends the job.

The scripts in mpi_scripts/ run under ``mpiexec`` (1 and 2 processes, no standard input, a timeout); the
one-process reference without a strategy runs in this process from the same script.
"""
import importlib.util
import os
import pathlib
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

SCRIPTS = pathlib.Path(__file__).parent / "mpi_scripts"
MPIEXEC = shutil.which("mpiexec", path=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))

try:
    import mpi4py  # noqa: F401
    HAVE_MPI4PY = True
except ImportError:
    HAVE_MPI4PY = False

needs_mpi = pytest.mark.skipif(not (HAVE_MPI4PY and MPIEXEC),
                               reason="needs mpi4py and mpiexec: pip install -e .[mpi] (make test installs them)")


def _script():
    spec = importlib.util.spec_from_file_location("train_models", SCRIPTS / "train_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _launch(processes, out_dir, mode="train", timeout=60):
    command = [MPIEXEC, "-n", str(processes), sys.executable, str(SCRIPTS / "train_models.py"), str(out_dir), mode]
    start = time.perf_counter()
    done = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    return done, time.perf_counter() - start


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return _script().run(None, str(tmp_path_factory.mktemp("reference")))


@needs_mpi
@pytest.mark.parametrize("processes", [1, 2])
def test_same_weights_metrics_and_predictions_as_one_process(processes, reference, tmp_path):
    done, _ = _launch(processes, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    with np.load(tmp_path / "result.npz") as result:
        assert int(result["size"]) == processes
        assert sorted(set(reference) - set(result.files)) == []
        for key, expected in reference.items():
            # float32 everywhere; only the order of the gradient sums differs between 1 and 2 processes
            np.testing.assert_allclose(result[key], expected, rtol=1e-5, atol=1e-6, err_msg=key)
    written = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    expected_files = {"result.npz"} | {f"rank0/{model}{suffix}" for model in ("mlp", "lstm")
                                       for suffix in (".h5", ".csv", "_manual.h5")}
    assert written == expected_files   # ModelCheckpoint, CSVLogger and model.save_weights in a callback: rank 0


@needs_mpi
@pytest.mark.parametrize("mode, message", [("fail", "deliberate failure in rank 1"),
                                           ("exit", "rank 1 exits with code 3"),
                                           ("exit_before_fit", "rank 1 exits with code 3 before fit")])
def test_a_rank_leaving_abnormally_ends_the_job(tmp_path, mode, message):
    done, seconds = _launch(2, tmp_path, mode=mode, timeout=60)
    assert done.returncode != 0
    assert message in done.stdout + done.stderr
    assert seconds < 20, f"the job took {seconds:.1f}s to end after rank 1 left"


def test_one_process_without_mpiexec(reference, tmp_path):
    """The same code without mpiexec (a one-process communicator, or the stand-in when mpi4py is missing)."""
    from layerkit.distribute import MPIStrategy

    strategy = MPIStrategy()
    assert (strategy.rank, strategy.size) == (0, 1)
    found = _script().run(strategy, str(tmp_path))
    for key, expected in reference.items():
        np.testing.assert_allclose(found[key], expected, rtol=1e-6, atol=1e-7, err_msg=key)
    assert strategy.allreduce_calls == 2 * 2 * 4   # models x epochs x steps: one allreduce per step
