"""Count how layerkit_backend compares with Theano on a full fuzz recording (``make theano-fixtures`` writes
build/theano_fuzz_full.json; the test suite replays only the committed sample).

    .venv/bin/python tests/conformance/theano/fuzz_report.py [path]

Prints the number of graphs that match, fail in both, differ in a documented way (per difference) and differ in
an undocumented way (with their seeds), and how many graphs Theano's own default mode computes differently from
Theano without its value-changing algebra.
"""
import collections
import os
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

import fuzz_graphs  # noqa: E402
import oracle  # noqa: E402
from differences import explain_fuzz  # noqa: E402


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "..", "..", "build", "theano_fuzz_full.json")
    _, recorded = oracle.load_fixture(path)
    lib = oracle.Lib("layerkit_backend")
    counts, keys, undocumented = collections.Counter(), collections.Counter(), []
    for seed in sorted(recorded, key=int):
        entry = recorded[seed]
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            ours = fuzz_graphs.evaluate(lib, entry["spec"])
        counts["theano's default mode differs from its exact one"] += "default" in entry
        kind, diffs = fuzz_graphs.classify(ours, entry["result"], entry.get("default"))
        if kind != "mismatch":
            counts[kind] += 1
            continue
        left, used = explain_fuzz(entry["spec"], ours, entry["result"], diffs)
        keys.update(used)
        if left:
            counts["undocumented mismatch"] += 1
            undocumented.append((seed, left))
        else:
            counts["documented difference"] += 1
    print(f"{len(recorded)} graphs:", dict(counts))
    print("documented differences met:", dict(keys.most_common()))
    for seed, left in undocumented:
        print(f"  seed {seed}: " + "; ".join(f"{p} {w} {d[:160]}" for p, w, d in left[:3]))


if __name__ == "__main__":
    main()
