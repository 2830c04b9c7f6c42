"""The cost of Keras 3's eager calls in layerkit: a call on NumPy arrays against the compiled call it runs.

layerkit runs ``ops.add(a, b)``, ``layer(x)``, ``model(x)``, ``loss(y, p)`` and ``metric.update_state(y, p)`` on
arrays by compiling the graph once per call signature and calling the cached function; this measures what the
dispatch (flattening the arguments, the cache key, the lookup, copying the outputs) adds to the compiled call,
and, in the same run, what Keras 3 on JAX takes for the same eager calls (if ``--keras PYTHON`` is given).

Usage: python benchmarks/eager_overhead.py [--keras /path/to/keras/python] [--reps 7]
Prints one line per call: median microseconds per call over ``reps`` repetitions of about 0.2 s each.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np


def _time(call, reps):
    """Median microseconds per call over ``reps`` repetitions (after a warm-up, calibrated to ~0.2 s each)."""
    for _ in range(20):
        call()
    inner, start = 1, time.perf_counter()
    while time.perf_counter() - start < 0.05:
        call()
        inner += 1
    inner = max(int(inner * 4), 10)
    samples = []
    for _ in range(reps):
        start = time.perf_counter()
        for _ in range(inner):
            call()
        samples.append((time.perf_counter() - start) / inner * 1e6)
    return statistics.median(samples)


def _workload(kl):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(32, 16)).astype("float32"), rng.normal(size=(32, 16)).astype("float32")
    x = rng.normal(size=(32, 16)).astype("float32")
    y = rng.normal(size=(32, 8)).astype("float32")
    dense = kl.layers.Dense(8)
    model = kl.Sequential([kl.Input((16,)), kl.layers.Dense(32, activation="relu"), kl.layers.Dense(8)])
    loss = kl.losses.MeanSquaredError()
    metric = kl.metrics.MeanAbsoluteError()
    return {"ops.add(a, b)": lambda: kl.ops.add(a, b), "ops.sum(ops.exp(a), axis=1)":
            lambda: kl.ops.sum(kl.ops.exp(a), axis=1), "Dense(8)(x)": lambda: dense(x), "model(x)": lambda: model(x),
            "loss(y, p)": lambda: loss(y, dense(x)), "metric.update_state(y, p)": lambda: metric.update_state(y, y)}, \
        (a, b, x, y, dense, model)


def layerkit_side(reps):
    import layerkit as kl
    import layerkit_backend as lb
    import layerkit_backend.tensor as T

    calls, (a, b, x, y, dense, model) = _workload(kl)
    for call in calls.values():
        call()
    sa, sb = T.matrix("a"), T.matrix("b")
    compiled = {"ops.add(a, b)": (lb.function([sa, sb], sa + sb), (a, b)),
                "ops.sum(ops.exp(a), axis=1)": (lb.function([sa], T.sum(T.exp(sa), axis=1)), (a,)),
                "Dense(8)(x)": (lb.function([sa], dense.call(sa)), (x,)),
                "model(x)": (model._predict_function(), (x,))}
    results = {}
    for name, call in calls.items():
        eager = _time(call, reps)
        function, args = compiled.get(name, (None, None))
        direct = _time(lambda: function(*args), reps) if function is not None else None
        results[name] = (eager, direct)
    return results


def keras_side(reps):
    import keras

    calls, _ = _workload(keras)
    return {name: (_time(call, reps), None) for name, call in calls.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keras", default=None, help="a Python with Keras 3 and JAX, to time the same calls")
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--side", default="layerkit", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side == "keras":
        print(json.dumps(keras_side(args.reps)))
        return
    ours = layerkit_side(args.reps)
    theirs = {}
    if args.keras:
        output = subprocess.run([args.keras, os.path.abspath(__file__), "--side", "keras", "--reps", str(args.reps)],
                                env=dict(os.environ, KERAS_BACKEND="jax"), capture_output=True, text=True, check=True)
        theirs = json.loads(output.stdout.strip().splitlines()[-1])
    print(f"{'call on NumPy arrays':30} {'layerkit eager':>15} {'compiled call':>14} {'overhead':>9} "
          f"{'Keras 3/JAX eager':>18}")
    for name, (eager, direct) in ours.items():
        keras_time = theirs.get(name, [None])[0]
        print(f"{name:30} {eager:13.1f}us {'' if direct is None else f'{direct:12.1f}us'!s:>14} "
              f"{'' if direct is None else f'{eager - direct:7.1f}us'!s:>9} "
              f"{'' if keras_time is None else f'{keras_time:16.1f}us'!s:>18}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
