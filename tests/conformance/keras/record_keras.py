"""Records what Keras 3 computes for every conformance case: the referee's side of the Keras conformance suite.

Run by ``make keras-fixtures`` (which creates ``.venv-keras`` with keras, jax, torch and h5py if it is missing)::

    KERAS_BACKEND=jax .venv-keras/bin/python tests/conformance/keras/record_keras.py [--only SUBSTRING]
    KERAS_BACKEND=torch .venv-keras/bin/python tests/conformance/keras/record_keras.py [--only SUBSTRING]
    KERAS_BACKEND=tensorflow .venv-keras/bin/python tests/conformance/keras/record_keras.py [--only SUBSTRING]

Each run records the cases of its backend (a case says which: JAX; torch for the few cases where Keras on JAX
does not do what Keras documents; TensorFlow for the string layers, which Keras runs in a model only on
TensorFlow) and keeps the other backends' records.

For each group of cases (``keras_cases/<group>.py``) it writes ``fixtures/<group>.json`` (meta, per-epoch history,
evaluate results, names...) and ``fixtures/<group>.npz`` (data, Keras's initial weights, predictions, weights
after training); files a case saves in Keras (``.h5``, ``.weights.h5``) go to ``fixtures/files/<case>/``.
``--only`` re-records the matching cases and keeps the other recorded ones. The replay
(``test_keras_conformance.py``) never needs Keras.
"""
import argparse
import os
import platform
import shutil
import sys
import traceback
import zlib

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from keras_cases import GROUPS  # noqa: E402
from keras_session import FIXTURES, Session, load_group, save_group  # noqa: E402


def _backend_version(backend):
    return __import__(backend).__version__


def _on_grid(value):
    """Float data rounded to multiples of 1/64: few distinct values compress well, so the fixtures stay small."""
    value = np.asarray(value)
    return (np.round(value * 64) / 64).astype(value.dtype) if value.dtype.kind == "f" else value


def case_files(case):
    return os.path.join(FIXTURES, "files", case.name.replace("/", "__"))


def record(case):
    """{'data', 'weights', 'results'} of one case run in Keras."""
    rng = np.random.default_rng(zlib.crc32(case.name.encode()))
    data = {key: _on_grid(value) for key, value in case.data(rng).items()}
    keras.utils.set_random_seed(case.seed)
    keras.backend.clear_session()
    files = case_files(case)
    shutil.rmtree(files, ignore_errors=True)
    os.makedirs(files)
    session = Session(keras, data, recording=True, files=files)
    case.program(session)
    if not os.listdir(files):
        os.rmdir(files)
    return {"data": data, "weights": session.weights, "results": session.out,
            "keras_backend": keras.backend.backend()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=None, help="re-record only the cases whose name contains this")
    args = parser.parse_args()
    backend = keras.backend.backend()
    if backend not in ("jax", "torch", "tensorflow"):
        sys.exit(f"record_keras.py: run with KERAS_BACKEND=jax, torch or tensorflow, not {backend}")
    base_meta = {"keras": keras.__version__, "numpy": np.__version__, "python": platform.python_version(),
                 backend: _backend_version(backend)}
    failed = []
    for module in GROUPS:
        group = module.__name__.rsplit(".", 1)[-1]
        cases = [c for c in module.CASES if c.backend == backend and (args.only is None or args.only in c.name)]
        if not cases:
            continue
        records, meta = {}, dict(base_meta)
        if os.path.exists(os.path.join(FIXTURES, f"{group}.json")):
            records, old_meta = load_group(group)
            meta = dict(old_meta, **base_meta)
            known = {c.name for c in module.CASES if args.only is not None or c.backend != backend}
            records = {k: v for k, v in records.items() if k in known}
        for case in cases:
            print(f"{case.name}", file=sys.stderr, flush=True)
            try:
                records[case.name] = record(case)
            except Exception as error:   # noqa: BLE001 - report every broken case, then fail
                failed.append(f"{case.name}: {type(error).__name__}: {error}")
                traceback.print_exc()
        order = [c.name for c in module.CASES if c.name in records]
        save_group(group, {name: records[name] for name in order}, meta)
    print(f"keras {keras.__version__} on {backend} {_backend_version(backend)}: fixtures in {FIXTURES}",
          file=sys.stderr)
    if failed:
        sys.exit("cases that fail in Keras (fix the case):\n  " + "\n  ".join(failed))


if __name__ == "__main__":
    main()
