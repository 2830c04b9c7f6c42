"""Record what Theano 1.0.5 computes for the conformance programs and the fuzz graphs (run by ``make
theano-fixtures``; the test suite only replays the fixtures and never needs Theano).

    .venv-theano/bin/python tests/conformance/theano/record.py            # everything
    .venv-theano/bin/python tests/conformance/theano/record.py programs   # docs examples and tutorial patterns
    .venv-theano/bin/python tests/conformance/theano/record.py fuzz [--count 6000]

Theano runs with ``blas.ldflags=`` (NumPy 1.23 lacks the BLAS info Theano looks for). Programs run with its C
implementations (what Theano users ran), except those marked ``linker="py"``, which use scan: its C loop does not
build on Python 3.11, so they run in a second process with ``cxx=`` (Theano's Python implementations), as do the
fuzz graphs (thousands of graphs would otherwise each compile C code). Writes:

- ``fixtures/programs.json``: the results of every program in doc_tutorial, doc_tensor, doc_library and
  tutorial_patterns;
- ``fixtures/fuzz_sample.json``: the first ``SAMPLE`` fuzz graphs (their specification, input values and Theano's
  results without its value-changing algebra, fuzz_graphs.THEANO_ALGEBRA, plus its default mode's results where
  they differ), replayed by ``make test``;
- with ``fuzz``, also ``build/theano_fuzz_full.json`` (git-ignored): ``--count`` graphs, for
  ``fuzz_report.py``, which counts the mismatches against layerkit_backend.
"""
import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
LINKER = os.environ.get("RECORD_LINKER", "py")  # set by main() for its child processes
FLAGS = f"blas.ldflags=,floatX=float64,base_compiledir={os.path.join(ROOT, 'build', 'theano')}" + \
    (",cxx=" if LINKER == "py" else "")
USER_FLAGS = os.environ.get("THEANO_FLAGS", "")
os.environ["THEANO_FLAGS"] = FLAGS + ("," + USER_FLAGS if USER_FLAGS else "")
sys.path.insert(0, HERE)

import warnings  # noqa: E402

warnings.simplefilter("ignore")  # Theano's deprecation chatter is not a result

import numpy as np  # noqa: E402

import oracle  # noqa: E402
from programs import LINKERS, all_programs  # noqa: E402

FIXTURES = os.path.join(HERE, "fixtures")
SAMPLE = 400


def _meta():
    import scipy
    import theano

    return {"theano": theano.__version__, "numpy": np.__version__, "scipy": scipy.__version__,
            "python": oracle.python_version(), "THEANO_FLAGS": FLAGS}


def record_programs(names=None):
    """Record the programs of this process's linker into a partial file that ``merge_programs`` collects."""
    lib = oracle.Lib("theano")
    results = {}
    for name, (fn, floatX) in sorted(all_programs().items()):
        if names and name not in names or LINKERS[name] != LINKER:
            continue
        t0 = time.time()
        results[name] = oracle.run_program(fn, lib, floatX)
        err = results[name].get("__error__")
        print(f"{name:60s} {time.time() - t0:6.2f}s {'ERROR ' + repr(err) if err else ''}", flush=True)
    oracle.save_fixture(_partial(LINKER), _meta(), results)


def _partial(linker):
    return os.path.join(ROOT, "build", f"theano_programs_{linker}.json")


def merge_programs(names):
    """One fixture from the two linkers' partial files (a run with --only refreshes just those programs)."""
    path = os.path.join(FIXTURES, "programs.json")
    results = {}
    if names and os.path.exists(path):
        results = oracle.load_fixture(path)[1]
    meta = {}
    for linker in ("c", "py"):
        part_meta, part = oracle.load_fixture(_partial(linker))
        results.update(part)
        meta.update(part_meta, **{f"THEANO_FLAGS_{linker}": part_meta.pop("THEANO_FLAGS")})
    oracle.save_fixture(path, meta, results)
    print(f"wrote {len(results)} programs to {path}")


def record_fuzz(count):
    import fuzz_graphs

    lib = oracle.Lib("theano")
    exact = lib.theano.compile.get_default_mode().excluding(*fuzz_graphs.THEANO_ALGEBRA)
    results = {}
    t0 = time.time()
    for seed in range(count):
        spec = fuzz_graphs.generate(seed)
        entry = {"spec": spec, "result": fuzz_graphs.evaluate(lib, spec, exact)}
        default = fuzz_graphs.evaluate(lib, spec)
        if oracle.compare(default, entry["result"]):  # Theano's algebra rewrites changed something
            entry["default"] = default
        results[str(seed)] = entry
        if seed % 500 == 0:
            print(f"fuzz {seed}/{count} {time.time() - t0:.0f}s", flush=True)
    sample = {k: v for k, v in results.items() if int(k) < SAMPLE}
    oracle.save_fixture(os.path.join(FIXTURES, "fuzz_sample.json"), _meta(), sample)
    full = os.path.join(ROOT, "build", "theano_fuzz_full.json")
    os.makedirs(os.path.dirname(full), exist_ok=True)
    oracle.save_fixture(full, _meta(), results)
    print(f"recorded {count} graphs ({time.time() - t0:.0f}s); sample of {len(sample)} in fixtures/")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", nargs="?", default="all", choices=["all", "programs", "fuzz"])
    parser.add_argument("--count", type=int, default=6000, help="fuzz graphs to record")
    parser.add_argument("--only", nargs="*", help="program names to re-record")
    args = parser.parse_args()
    os.makedirs(FIXTURES, exist_ok=True)
    os.makedirs(os.path.join(ROOT, "build"), exist_ok=True)
    if "RECORD_LINKER" in os.environ:  # a child: one linker's share of the work
        if args.what == "programs":
            record_programs(args.only)
        else:
            record_fuzz(args.count)
        return
    if args.what in ("all", "programs"):
        for linker in ("c", "py"):
            _child(linker, ["programs"] + (["--only"] + args.only if args.only else []))
        merge_programs(args.only)
    if args.what in ("all", "fuzz"):
        _child("py", ["fuzz", "--count", str(args.count)])


def _child(linker, argv):
    import subprocess

    env = dict(os.environ, RECORD_LINKER=linker, THEANO_FLAGS=USER_FLAGS)
    subprocess.run([sys.executable, os.path.abspath(__file__)] + argv, env=env, check=True)


if __name__ == "__main__":
    main()
