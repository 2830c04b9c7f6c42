"""W4 elemwise_overhead: calls per second of a 20-op elementwise chain on a float32 vector (see WORKLOADS.md).

layerkit compiles the chain once with ``function``; NumPy and PyTorch eager evaluate it directly.
Usage: python benchmarks/elemwise_overhead.py --system layerkit --variant n1000
"""
import operator

import numpy as np

from timing import check_close, common_args, fail, report, settle_tiers, skip, time_calls

# One step is a unary function name, or ("mul" | "add", Python float constant).
CHAINS = {
    "mixed": ["tanh", ("mul", 1.01), ("add", 0.5), "abs", "neg", "exp", ("mul", 2.0), ("add", -0.3), "sin",
              "square", ("add", 1.0), "sqrt", "log", ("mul", 0.9), "cos", ("add", 2.0), "reciprocal", "tanh",
              ("mul", 3.0), ("add", -0.1)],
    "arith": [("mul", 1.01), ("add", 0.5), "abs", ("mul", 0.9), ("add", -0.3), "neg", ("mul", 1.5), ("add", 2.0),
              "square", ("mul", 0.25), ("add", 0.1), "abs", ("mul", 0.99), ("add", -0.5), "neg", ("mul", 1.1),
              ("add", 0.3), "square", ("mul", 0.5), ("add", -0.2)],
}
VARIANTS = {"n1000": ("mixed", 1000), "n1000000": ("mixed", 1000000),
            "arith_n1000": ("arith", 1000), "arith_n1000000": ("arith", 1000000)}
_NAMES = ["tanh", "exp", "sin", "sqrt", "log", "cos", "square", "reciprocal"]  # spelled alike in each library


def apply_chain(chain, y, unary):
    """Apply ``chain`` to ``y`` with ``unary[name]`` for named steps and Python operators for the rest."""
    for step in chain:
        if step == "abs":
            y = abs(y)
        elif step == "neg":
            y = -y
        elif isinstance(step, tuple):
            y = (operator.mul if step[0] == "mul" else operator.add)(y, step[1])
        else:
            y = unary[step](y)
    return y


def build_numpy(chain, x):
    unary = {name: getattr(np, name) for name in _NAMES}
    return lambda: apply_chain(chain, x, unary)


def build_torch(chain, x):
    import torch

    unary = {name: getattr(torch, name) for name in _NAMES}
    xt = torch.from_numpy(x)
    return lambda: apply_chain(chain, xt, unary)  # CPU eager: the result is ready when the call returns


def build_layerkit(chain, x):
    import layerkit_backend as lb
    import layerkit_backend.tensor as T

    unary = {name: getattr(T, name) for name in _NAMES}
    xs = T.vector("x")
    f = lb.function([xs], apply_chain(chain, xs, unary))
    f(x)  # the first call runs on the NumPy tier while the native one compiles (timing.settle_tiers waits)
    return lambda: f(x)


def build_jax(chain, x):
    import jax
    import jax.numpy as jnp

    unary = {name: getattr(jnp, name) for name in _NAMES}
    f = jax.jit(lambda y: apply_chain(chain, y, unary))
    xj = jnp.asarray(x)
    return lambda: f(xj).block_until_ready()  # synchronous, as the other systems' calls


BUILDERS = {"layerkit": build_layerkit, "numpy": build_numpy, "torch": build_torch, "jax": build_jax}


def main():
    args = common_args(__doc__, variant=sorted(VARIANTS)).parse_args()
    chain_name, n = VARIANTS[args.variant]
    chain = CHAINS[chain_name]
    x = np.random.default_rng(0).standard_normal(n, dtype=np.float32)
    try:
        call = BUILDERS[args.system](chain, x)
    except ImportError as err:
        skip(args, "elemwise_overhead", args.variant, f"{args.system} is not installed ({err})")
    want = build_numpy(chain, x.astype(np.float64))()
    got = np.asarray(call())
    problem = check_close("output", got, want, rtol=2e-3, atol=2e-4) or (
        None if got.dtype == np.float32 else f"output: expected dtype float32, received {got.dtype}")
    if problem:
        fail(args, "elemwise_overhead", args.variant, problem)
    tiers = settle_tiers()
    samples, inner = time_calls(call, warmup=5, reps=args.reps, rep_s=args.rep_s)
    report(args, "elemwise_overhead", args.variant, "calls_per_s", samples, inner=inner, **tiers)


if __name__ == "__main__":
    main()
