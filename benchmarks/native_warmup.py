"""native_warmup: seconds from ``function()`` to the native tier serving calls (issue 16), with a cold and a warm
compile cache, under ``linker=auto`` (the default) and ``linker=tiered``.

Each sample is a fresh Python process (this script with ``--child``) running with its own cache directory: empty
for ``*_cold`` and ``*_tiered``; filled by one untimed process beforehand for ``*_warm``. The child builds the
function, takes the first result, then waits for every background compile (``wait_native()``) and checks that
native code now serves the calls. Under ``auto`` the first call builds (or loads) the native tier and is computed
on it, so the first result is also the moment the native tier serves; under ``tiered`` (``*_tiered``) the first
result comes from the NumPy tier and the native tier takes over later.
Variants: ``mlp`` (W1's training function, B=128), ``lstm`` (W2's), ``arith`` (W4's arith chain at n=10^6).
Usage: python benchmarks/native_warmup.py --system layerkit --variant lstm_cold
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from timing import common_args, fail, report

VARIANTS = [f"{w}_{c}" for w in ("mlp", "lstm", "arith") for c in ("cold", "warm", "tiered")]


def _build(workload):
    """A callable running one step of ``workload`` (data made beforehand), and the function to watch."""
    import layerkit_backend as lb

    if workload == "arith":
        import numpy as np

        import layerkit_backend.tensor as T
        from elemwise_overhead import CHAINS, _NAMES, apply_chain

        x = np.random.default_rng(0).standard_normal(1_000_000, dtype=np.float32)
        xs = T.vector("x")
        t0 = time.perf_counter()
        f = lb.function([xs], apply_chain(CHAINS["arith"], xs, {n: getattr(T, n) for n in _NAMES}))
        return t0, f, lambda: f(x)
    module = __import__("mlp" if workload == "mlp" else "lstm")
    params = module.init_params()
    xs, ys = module.make_pool(128) if workload == "mlp" else module.make_pool()
    t0 = time.perf_counter()
    f = module.layerkit_training_function(params)
    return t0, f, lambda: f(xs[0], ys[0])


def child(workload):
    import layerkit_backend as lb
    from layerkit_backend.compile.tiers import STATS

    t0, f, step = _build(workload)
    step()
    t1 = time.perf_counter()
    lb.wait_native(timeout=600)
    t2 = time.perf_counter()
    step()  # the first call served by the native tier
    t3 = time.perf_counter()
    print(json.dumps({"first_result_s": t1 - t0, "native_ready_s": t2 - t0, "native_first_call_s": t3 - t2,
                      "tier": f.tier, "native_pieces": STATS["native"], "failed": STATS["failed"]}))


def _run_child(workload, cache, linker):
    env = dict(os.environ, LAYERKIT_FLAGS=",".join(filter(None, [os.environ.get("LAYERKIT_FLAGS", ""),
                                                                 f"linker={linker}", f"native_cache={cache}"])))
    out = subprocess.run([sys.executable, __file__, "--system", "layerkit", "--variant", f"{workload}_cold",
                          "--child"], capture_output=True, text=True, env=env, cwd=os.path.dirname(__file__))
    if out.returncode != 0:
        return None, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1]), None


def main():
    parser = common_args(__doc__, variant=VARIANTS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    workload, state = args.variant.split("_")
    if args.child:
        return child(workload)
    linker = "tiered" if state == "tiered" else "auto"
    samples, runs = [], []
    n = int(os.environ.get("BENCH_COMPILE_SAMPLES", 3))
    with tempfile.TemporaryDirectory() as root:
        warm = os.path.join(root, "warm")
        os.mkdir(warm, 0o700)
        if state == "warm":
            _, error = _run_child(workload, warm, linker)  # fills the cache, untimed
            if error:
                fail(args, "native_warmup", args.variant, error)
        for k in range(n):
            cache = warm
            if state != "warm":
                cache = os.path.join(root, f"cold{k}")
                os.mkdir(cache, 0o700)
            run, error = _run_child(workload, cache, linker)
            if error:
                fail(args, "native_warmup", args.variant, error)
            if run["tier"] != "native" or run["failed"]:
                fail(args, "native_warmup", args.variant, f"the native tier did not take over: {run}")
            runs.append(run)
            samples.append(run["native_ready_s"])
    report(args, "native_warmup", args.variant, "native_ready_s", samples, higher_is_better=False,
           first_result_s=statistics.median(r["first_result_s"] for r in runs),
           native_first_call_s=statistics.median(r["native_first_call_s"] for r in runs),
           native_pieces=runs[0]["native_pieces"])


if __name__ == "__main__":
    main()
