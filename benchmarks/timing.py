"""The timing rules every benchmark script shares (see ../shared/benchmarks/WORKLOADS.md, "Timing").

A script measures one (workload, variant, system), prints one JSON line as its last line of output, and exits.
The driver (run.py) starts one process per measurement and reads that line.
"""
import argparse
import json
import os
import statistics
import sys
import time

__all__ = ["common_args", "time_calls", "report", "skip", "fail", "check_close", "settle_tiers"]


def _env_float(name, default):
    return float(os.environ.get(name, default))


def common_args(description, **variant_choices):
    """An argument parser with ``--system``, ``--reps``, ``--rep-s`` plus one option per ``variant_choices``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--system", required=True, choices=["layerkit", "numpy", "torch", "jax"])
    parser.add_argument("--reps", type=int, default=int(_env_float("BENCH_REPS", 10)),
                        help="timed repetitions (env BENCH_REPS, default 10)")
    parser.add_argument("--rep-s", type=float, default=_env_float("BENCH_REP_S", 0.4),
                        help="seconds one repetition should last (env BENCH_REP_S, default 0.4)")
    for name, choices in variant_choices.items():
        parser.add_argument(f"--{name}", required=True, choices=choices)
    return parser


def settle_tiers():
    """Wait until layerkit's background compiles are done (the native tier serves calls), when layerkit_backend is
    in use; returns a note for the report ({} otherwise). Timed calls then measure the tier a user gets after the
    first moments; ``native_warmup.py`` measures those moments."""
    backend = sys.modules.get("layerkit_backend")
    if backend is None:
        return {}
    t0 = time.perf_counter()
    backend.wait_native(timeout=600)
    from layerkit_backend.compile.tiers import STATS

    return {"linker": backend.config.linker, "native_functions": STATS["native"],
            "native_wait_s": round(time.perf_counter() - t0, 3)}


def time_calls(call, warmup, reps, rep_s, sync=None):
    """Samples of calls per second: ``warmup`` untimed calls, a calibration pass choosing ``inner`` so that one
    repetition lasts about ``rep_s`` seconds, then ``reps`` repetitions of ``inner`` calls each.

    ``sync`` (optional) waits for an asynchronous result once at the end of each repetition.
    """
    for _ in range(warmup):
        call()
    if sync:
        sync()
    inner, elapsed = 1, 0.0
    while True:  # calibration: double inner until a repetition is long enough to scale from
        t0 = time.perf_counter()
        for _ in range(inner):
            call()
        if sync:
            sync()
        elapsed = time.perf_counter() - t0
        if elapsed >= rep_s / 4 or inner >= 1 << 24:
            break
        inner *= 2
    inner = max(1, round(inner * rep_s / max(elapsed, 1e-9)))
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(inner):
            call()
        if sync:
            sync()
        samples.append(inner / (time.perf_counter() - t0))
    return samples, inner


def _emit(record):
    sys.stdout.flush()
    print(json.dumps(record), flush=True)


def report(args, workload, variant, metric, samples, higher_is_better=True, **extra):
    """Print the result line: median, min and max of ``samples`` plus anything in ``extra``."""
    _emit({"workload": workload, "variant": variant, "system": args.system, "status": "ok", "metric": metric,
           "higher_is_better": higher_is_better, "samples": samples, "median": statistics.median(samples),
           "min": min(samples), "max": max(samples), "extra": extra})


def skip(args, workload, variant, why):
    """Print a SKIPPED result line (e.g. the peer is not installed) and exit successfully."""
    _emit({"workload": workload, "variant": variant, "system": args.system, "status": "SKIPPED", "note": why})
    sys.exit(0)


def fail(args, workload, variant, why):
    """Print a FAILED result line (the correctness gate did not pass: the system is not timed)."""
    _emit({"workload": workload, "variant": variant, "system": args.system, "status": "FAILED", "note": why})
    sys.exit(0)


def check_close(name, got, want, rtol, atol=0.0):
    """None when ``got`` matches ``want`` within the tolerances, else a message saying by how much it does not."""
    import numpy as np

    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return f"{name}: expected shape {want.shape}, received {got.shape}"
    bad = ~(np.abs(got - want) <= atol + rtol * np.abs(want))
    if bad.any():
        k = int(np.argmax(bad.ravel()))
        return (f"{name}: {int(bad.sum())} of {bad.size} values outside rtol={rtol}, atol={atol}; first at flat "
                f"index {k}: received {got.ravel()[k]!r}, expected {want.ravel()[k]!r}")
    return None


def run_training(args, workload, build, reference_losses):
    """The training protocol of WORKLOADS.md: build the step (``build() -> (step, sync)``), check the losses of
    steps 0 and 1 against the NumPy reference (untimed), then time steps and report train_steps_per_s."""
    import itertools

    try:
        step, sync = build()
    except ImportError as err:
        skip(args, workload, args.variant, f"{args.system} is not installed ({err})")
    counter = itertools.count()
    losses = [float(step(next(counter))) for _ in range(2)]
    problem = check_close("losses of steps 0 and 1", losses, reference_losses, rtol=2e-3)
    if problem:
        fail(args, workload, args.variant, problem)
    tiers = settle_tiers()
    samples, inner = time_calls(lambda: step(next(counter)), warmup=3, reps=args.reps, rep_s=args.rep_s,
                                sync=sync)
    report(args, workload, args.variant, "train_steps_per_s", samples, inner=inner, gate_losses=losses, **tiers)
