"""Run the benchmarks (W1 mlp_train, W2 lstm_train, W3 compile, W4 elemwise_overhead, W6 conv_train, native_warmup)
and print a table of ratios.

Every (workload, variant, system) runs in its own process. Rounds are interleaved: within a round the systems of
one variant run back to back, in an order rotated each round, so that a noisy minute hits all of them. The table
shows the median over rounds of each round's median, the min-max over all samples, and ratios against the
baselines computed within each round (then the median over rounds). Results go to stdout and to
benchmarks/results/latest.md (and latest.json).

Usage: python benchmarks/run.py [--quick] [--rounds N] [--only WORKLOAD_OR_VARIANT ...] [--systems a,b]
Environment: BENCH_REP_S (seconds per repetition, default 0.4), BENCH_REPS, BENCH_ROUNDS, BENCH_COMPILE_SAMPLES,
BENCH_COMPILE_BUDGET_S.
"""
import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SYSTEMS = ["layerkit", "layerkit_numpy", "numpy", "torch", "backend", "keras_jax", "jax"]
# Systems a script knows, when not the default ones (a job runs the systems it knows among --systems).
# layerkit is the default tiered build, timed once the native tier serves calls; layerkit_numpy is the same code
# held on the NumPy tier (LAYERKIT_FLAGS=linker=numpy), i.e. layerkit before the native tier.
DEFAULT_SYSTEMS = ["layerkit", "layerkit_numpy", "numpy", "torch"]
SCRIPT_SYSTEMS = {"fit_train.py": ["layerkit", "layerkit_numpy", "backend", "keras_jax", "torch"],
                  "elemwise_overhead.py": DEFAULT_SYSTEMS + ["jax"],
                  "native_warmup.py": ["layerkit"]}
# (script, workload, variants): the workloads of WORKLOADS.md this project implements
JOBS = [
    ("mlp_train.py", "mlp_train", ["b128", "b16"]),
    ("lstm_train.py", "lstm_train", ["b32"]),
    ("compile_time.py", "compile", ["mlp", "lstm"]),
    ("elemwise_overhead.py", "elemwise_overhead", ["n1000", "n1000000", "arith_n1000", "arith_n1000000"]),
    ("conv_train.py", "conv_train", ["b64"]),
    ("fit_train.py", "fit_train", ["mlp_b128", "lstm_b32"]),
    ("native_warmup.py", "native_warmup", [f"{w}_{c}" for w in ("mlp", "lstm", "arith")
                                           for c in ("cold", "warm", "tiered")]),
]
MFLOP_PER_STEP = {"b128": 513.5, "b16": 513.5 / 8}  # 6 * B * sum(W), WORKLOADS.md's convention
# The targets for layerkit: (workload, variant, against, minimum ratio, what it means).
# against=None means an absolute bound on the median (seconds).
TARGETS = [
    ("mlp_train", "b128", "numpy", 1.0, ">= NumPy by hand"),
    ("mlp_train", "b128", "torch", 1.0, ">= 1.0x PyTorch (issue 16)"),
    ("mlp_train", "b16", "torch", 1.6, ">= 1.6x PyTorch eager"),
    ("lstm_train", "b32", "torch", 1.2, ">= 1.2x PyTorch's fused nn.LSTM (issue 16)"),
    ("compile", "mlp", None, 0.25, "<= 0.25 s to first result"),
    ("compile", "lstm", None, 0.5, "<= 0.5 s to first result (W2)"),
    ("fit_train", "mlp_b128", "backend", 0.9, "fit costs <= 10% over the backend function (W1)"),
    ("fit_train", "lstm_b32", "backend", 0.9, "fit costs <= 10% over the backend function (W2)"),
    ("fit_train", "mlp_b128", "keras_jax", 1.0, "fit beats Keras 3 on JAX (W1)"),
    ("fit_train", "lstm_b32", "keras_jax", 1.5, "fit >= 1.5x Keras 3 on JAX (W2, issue 16)"),
    ("elemwise_overhead", "n1000", "layerkit_numpy", 2.0, ">= 2x the NumPy tier (issue 16)"),
    ("elemwise_overhead", "n1000", "numpy", 2.8, ">= 2.8x NumPy (issue 16)"),
    ("elemwise_overhead", "n1000000", "numpy", 1.0, ">= NumPy eager"),
    ("elemwise_overhead", "arith_n1000000", "jax", 1.5, ">= 1.5x JAX jit (issue 16)"),
    ("conv_train", "b64", "layerkit_numpy", 1.0, "no regression against the NumPy tier (issue 16)"),
    ("conv_train", "b64", "torch", 1.0, "stretch: >= 1.0x PyTorch eager (issue 16)"),
]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="fewer rounds, repetitions and compile samples")
    p.add_argument("--rounds", type=int, default=None)
    p.add_argument("--only", nargs="*", default=None, help="workload or variant names to run")
    p.add_argument("--systems", default=",".join(SYSTEMS))
    p.add_argument("--out", default=os.path.join(HERE, "results"))
    args = p.parse_args()
    quick = {"BENCH_REPS": "5", "BENCH_COMPILE_SAMPLES": "2"} if args.quick else {}
    env = dict(os.environ)
    for k, v in quick.items():
        env.setdefault(k, v)
    rounds = args.rounds or int(env.get("BENCH_ROUNDS", 3 if args.quick else 5))
    return args, env, rounds


def run_one(script, system, variant, env):
    python = sys.executable
    if system in ("keras_jax", "jax"):  # Keras 3 + JAX may live in another environment (benchmarks/README.md)
        python = env.get("BENCH_KERAS_PYTHON", sys.executable)
        env = dict(env, KERAS_BACKEND="jax")
    if system == "layerkit_numpy":
        env = dict(env, LAYERKIT_FLAGS=",".join(filter(None, [env.get("LAYERKIT_FLAGS", ""), "linker=numpy"])))
    cmd = [python, os.path.join(HERE, script), "--system", "layerkit" if system == "layerkit_numpy" else system,
           "--variant", variant]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=HERE)
    lines = out.stdout.strip().splitlines()
    try:
        rec = json.loads(lines[-1])
        rec["system"] = system
        return rec
    except (IndexError, json.JSONDecodeError):
        return {"status": "ERROR", "note": f"exit {out.returncode}: {out.stderr.strip()[-600:]}"}


def collect(args, env, rounds):
    systems = args.systems.split(",")
    results = {}  # (workload, variant, system) -> list of per-round records
    for r in range(rounds):
        for script, workload, variants in JOBS:
            for variant in variants:
                if args.only and workload not in args.only and variant not in args.only:
                    continue
                known = SCRIPT_SYSTEMS.get(script, DEFAULT_SYSTEMS)
                mine = [s for s in systems if s in known]
                order = mine[r % len(mine):] + mine[:r % len(mine)]
                for system in order:
                    t0 = time.perf_counter()
                    rec = run_one(script, system, variant, env)
                    rec["round"] = r
                    results.setdefault((workload, variant, system), []).append(rec)
                    shown = f"{rec['median']:.4g} {rec['metric']}" if rec["status"] == "ok" else rec["status"]
                    print(f"round {r + 1}/{rounds} {workload} {variant} {system}: {shown} "
                          f"({time.perf_counter() - t0:.1f} s)", file=sys.stderr, flush=True)
    return results


def ratio(results, key, against):
    """Median over rounds of the within-round ratio of ``key``'s system to ``against`` (> 1 = better)."""
    mine = {rec["round"]: rec for rec in results.get(key, []) if rec["status"] == "ok"}
    base = {rec["round"]: rec for rec in results.get((key[0], key[1], against), []) if rec["status"] == "ok"}
    per_round = []
    for r in sorted(set(mine) & set(base)):
        a, b = mine[r]["median"], base[r]["median"]
        per_round.append(a / b if mine[r]["higher_is_better"] else b / a)
    return statistics.median(per_round) if per_round else None


def summarise(recs):
    ok = [rec for rec in recs if rec["status"] == "ok"]
    if not ok:
        return None
    samples = [s for rec in ok for s in rec["samples"]]
    extras = {}
    for k in ok[0]["extra"]:
        values = [rec["extra"][k] for rec in ok if isinstance(rec["extra"].get(k), (int, float))]
        if values:
            extras[k] = statistics.median(values)
    return {"median": statistics.median(rec["median"] for rec in ok), "min": min(samples), "max": max(samples),
            "metric": ok[0]["metric"], "extra": extras, "rounds": len(ok)}


def _fmt(x):
    return "—" if x is None else f"{x:.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def _notes(workload, variant, s):
    e = s["extra"]
    if workload == "compile":
        return f"import {e['import_s']:.2f} s; first call − steady {e['first_call_minus_steady_s'] * 1e3:.1f} ms"
    if workload == "native_warmup":
        return (f"first result {e['first_result_s']:.3f} s; first native call {e['native_first_call_s'] * 1e3:.1f} ms;"
                f" {e['native_pieces']} native pieces")
    if workload == "mlp_train":
        return f"{s['median'] * MFLOP_PER_STEP[variant] / 1e3:.0f} GFLOP/s"
    return ""


def table(results, systems):
    rows = ["| workload | variant | system | metric | median | min–max | vs torch | vs numpy | vs NumPy tier | "
            "notes |", "|---|---|---|---|---|---|---|---|---|---|"]
    for _, workload, variants in JOBS:
        for variant in variants:
            for system in systems:
                recs = results.get((workload, variant, system))
                if not recs:
                    continue
                s = summarise(recs)
                if s is None:
                    bad = next(rec for rec in recs if rec["status"] != "ok")
                    note = bad.get("note", "").replace("\n", " ").replace("|", "/")[:200]
                    rows.append(f"| {workload} | {variant} | {system} | | {bad['status']} | | | | | {note} |")
                    continue
                key = (workload, variant, system)
                rows.append(f"| {workload} | {variant} | {system} | {s['metric']} | {_fmt(s['median'])} | "
                            f"{_fmt(s['min'])}–{_fmt(s['max'])} | {_fmt(ratio(results, key, 'torch'))} | "
                            f"{_fmt(ratio(results, key, 'numpy'))} | {_fmt(ratio(results, key, 'layerkit_numpy'))} | "
                            f"{_notes(workload, variant, s)} |")
    return "\n".join(rows)


def targets(results):
    rows = ["| target | workload | variant | measured | met |", "|---|---|---|---|---|"]
    for workload, variant, against, bound, what in TARGETS:
        key = (workload, variant, "layerkit")
        if against is None:
            s = summarise(results.get(key, []))
            value = s and s["median"]
            met = value is not None and value <= bound
            shown = f"{value:.3g} s" if value is not None else "—"
        else:
            value = ratio(results, key, against)
            met = value is not None and value >= bound
            shown = f"{value:.3g}x {against}" if value is not None else "—"
        if value is None:
            verdict = "not measured"
        else:
            verdict = "yes" if met else "no"
        rows.append(f"| {what} | {workload} | {variant} | {shown} | {verdict} |")
    return "\n".join(rows)


def machine(env, rounds):
    info = [f"date: {datetime.datetime.now().isoformat(timespec='seconds')}",
            f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
            f"settings: rounds={rounds}, reps={env.get('BENCH_REPS', 10)}, BENCH_REP_S={env.get('BENCH_REP_S', 0.4)}"]
    for package in ("numpy", "torch"):
        try:
            info.append(f"{package} {importlib.metadata.version(package)}")
        except importlib.metadata.PackageNotFoundError:
            info.append(f"{package}: not installed")
    try:
        from layerkit_backend.backends.blas import blas_info

        info.append(f"BLAS: {blas_info()}")
    except ImportError:
        pass
    return info


def main():
    args, env, rounds = parse_args()
    t0 = time.perf_counter()
    results = collect(args, env, rounds)
    systems = args.systems.split(",")
    text = "\n".join(["# layerkit benchmarks", "", *[f"- {line}" for line in machine(env, rounds)],
                      f"- wall time: {time.perf_counter() - t0:.0f} s", "",
                      "Ratios are speed relative to the column's system within each round (median over rounds); "
                      "> 1 = layerkit (or the row's system) is faster.", "", table(results, systems), "",
                      "## Targets from the issues", "", targets(results), ""])
    print(text)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "latest.md"), "w") as f:
        f.write(text)
    with open(os.path.join(args.out, "latest.json"), "w") as f:
        json.dump({"|".join(k): v for k, v in results.items()}, f, indent=1)


if __name__ == "__main__":
    main()
