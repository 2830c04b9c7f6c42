"""Data-parallel throughput with MPIStrategy: 1 and 2 processes on this machine, and the allreduce time per step.

``python benchmarks/mpi_train.py`` launches itself with ``mpiexec -n 1`` and ``-n 2`` (the mpich wheel's mpiexec
in the venv) and prints one line per run: samples/s of ``fit`` (after a warm-up epoch), seconds per step, and the
seconds per step spent in the gradient allreduce (one in-place Allreduce of the flat float32 buffer).

Each process gets ``--threads`` BLAS threads (default 1), so that N processes use N cores instead of fighting over
them with a multi-threaded BLAS. The model is an MLP 784-512-512-10 (670k parameters, a 2.7 MB gradient buffer) with a global batch of 256.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import numpy as np

SAMPLES, BATCH, EPOCHS = 8192, 256, 2


def worker():
    from layerkit import layers, models
    from layerkit.distribute import MPIStrategy

    strategy = MPIStrategy()
    rng = np.random.RandomState(0)
    x = rng.normal(size=(SAMPLES, 784)).astype("float32")
    y = np.eye(10, dtype="float32")[rng.randint(0, 10, size=SAMPLES)]
    model = models.Sequential([layers.Dense(512, activation="relu", input_shape=(784,)),
                               layers.Dense(512, activation="relu"), layers.Dense(10, activation="softmax")])
    model.compile("adam", "categorical_crossentropy", strategy=strategy)
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)   # warm-up: compilation, first touches
    strategy.allreduce_seconds, strategy.allreduce_calls = 0.0, 0
    strategy.comm.Barrier() if strategy.size > 1 else None
    start = time.perf_counter()
    model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, verbose=0)
    seconds = time.perf_counter() - start
    steps = strategy.allreduce_calls
    if strategy.is_root:
        print(json.dumps({"processes": strategy.size, "samples_per_s": SAMPLES * EPOCHS / seconds,
                          "ms_per_step": 1e3 * seconds / steps,
                          "allreduce_ms_per_step": 1e3 * strategy.allreduce_seconds / steps,
                          "buffer_mb": 4 * model.count_params() / 1e6}), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS threads per process (1: processes, not threads, use the cores; 0: BLAS default)")
    args = parser.parse_args()
    if args.worker:
        return worker()
    mpiexec = shutil.which("mpiexec", path=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    if mpiexec is None:
        sys.exit("mpi_train: no mpiexec found; pip install -e .[mpi]")
    env = dict(os.environ)
    if args.threads:
        env.update({name: str(args.threads) for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")})
    rows = []
    for n in args.processes:
        done = subprocess.run([mpiexec, "-n", str(n), sys.executable, "-m", "mpi4py", os.path.abspath(__file__),
                               "--worker"], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=600,
                              env=env)
        if done.returncode:
            sys.exit(f"mpi_train: {n} process(es) failed:\n{done.stdout}{done.stderr}")
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    base = rows[0]["samples_per_s"]
    for row in rows:
        print(f"{row['processes']} process(es): {row['samples_per_s']:8.0f} samples/s "
              f"(x{row['samples_per_s'] / base:.2f}), {row['ms_per_step']:.1f} ms/step, allreduce "
              f"{row['allreduce_ms_per_step']:.2f} ms/step of a {row['buffer_mb']:.1f} MB buffer")


if __name__ == "__main__":
    main()
