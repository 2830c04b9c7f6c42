"""W3 compile: seconds from graph definition to the first result of W1's (variant mlp, B=128) or W2's (variant lstm)
training function.

Each sample is a fresh Python process (this script started with ``--child``), so nothing is cached in memory;
layerkit keeps no disk cache, so every sample is cold. The import of the framework is timed but excluded.
Usage: python benchmarks/compile_time.py --system layerkit --variant mlp|lstm
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from timing import check_close, common_args, fail, report, skip

BATCH = 128
STEADY_STEPS = 10


def _workload(variant):
    """(build() -> (step, sync), reference losses of the first call) for a variant; data made beforehand."""
    if variant == "lstm":
        import lstm

        params, (xs, ys) = lstm.init_params(), lstm.make_pool()
        return (lambda system: lstm.BUILDERS[system](params, xs, ys)), (lambda: lstm.reference_losses(steps=1))
    import mlp

    params, (xs, ys) = mlp.init_params(), mlp.make_pool(BATCH)
    return (lambda system: mlp.BUILDERS[system](params, xs, ys)), (lambda: mlp.reference_losses(BATCH, steps=1))


def child(system, variant):
    """Runs in the fresh process: prints {import_s, define_s, first_call_s, steady_s, loss} as JSON."""
    t0 = time.perf_counter()
    import numpy  # noqa: F401  (every system here needs it; counted as part of the import)

    if system == "layerkit":
        import layerkit_backend  # noqa: F401
    elif system == "torch":
        import torch  # noqa: F401
    import_s = time.perf_counter() - t0
    build, _ = _workload(variant)  # initial values and data exist beforehand
    t1 = time.perf_counter()
    step, sync = build(system)
    t2 = time.perf_counter()
    loss = float(step(0))  # float() waits for the result
    t3 = time.perf_counter()
    steady = []
    for i in range(1, STEADY_STEPS + 1):
        t = time.perf_counter()
        float(step(i))
        steady.append(time.perf_counter() - t)
    print(json.dumps({"import_s": import_s, "define_s": t2 - t1, "first_call_s": t3 - t2,
                      "steady_s": statistics.median(steady), "loss": loss}))


def main():
    parser = common_args(__doc__, variant=["mlp", "lstm"])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.system, args.variant)
    if args.system == "torch":
        try:
            import torch  # noqa: F401
        except ImportError as err:
            skip(args, "compile", args.variant, f"torch is not installed ({err})")
    max_samples = int(os.environ.get("BENCH_COMPILE_SAMPLES", 5))
    budget = float(os.environ.get("BENCH_COMPILE_BUDGET_S", 40))
    want = _workload(args.variant)[1]()
    runs = []
    start = time.perf_counter()
    while len(runs) < max_samples and (not runs or time.perf_counter() - start < budget):
        out = subprocess.run([sys.executable, __file__, "--system", args.system, "--variant", args.variant,
                              "--child"], capture_output=True, text=True, cwd=os.path.dirname(__file__))
        if out.returncode != 0:
            fail(args, "compile", args.variant, f"child process failed:\n{out.stderr[-2000:]}")
        run = json.loads(out.stdout.strip().splitlines()[-1])
        problem = check_close("loss of the first call", [run["loss"]], want, rtol=2e-3)
        if problem:
            fail(args, "compile", args.variant, problem)
        runs.append(run)
    firsts = [r["define_s"] + r["first_call_s"] for r in runs]

    def med(key):
        return statistics.median(r[key] for r in runs)

    report(args, "compile", args.variant, "time_to_first_result_s", firsts, higher_is_better=False,
           import_s=med("import_s"), define_s=med("define_s"),
           first_call_minus_steady_s=statistics.median(r["first_call_s"] - r["steady_s"] for r in runs))


if __name__ == "__main__":
    main()
