"""W1 mlp_train: training steps per second of the 784-512-512-10 MLP (see WORKLOADS.md).

Usage: python benchmarks/mlp_train.py --system layerkit --variant b128
"""
import itertools

import mlp
from timing import check_close, common_args, fail, report, skip, time_calls

VARIANTS = {"b128": 128, "b16": 16}


def main():
    args = common_args(__doc__, variant=sorted(VARIANTS)).parse_args()
    batch = VARIANTS[args.variant]
    try:
        step, sync = mlp.BUILDERS[args.system](mlp.init_params(), *mlp.make_pool(batch))
    except ImportError as err:
        skip(args, "mlp_train", args.variant, f"{args.system} is not installed ({err})")
    counter = itertools.count()
    losses = [float(step(next(counter))) for _ in range(2)]  # the correctness gate: steps 0 and 1, untimed
    problem = check_close("losses of steps 0 and 1", losses, mlp.reference_losses(batch), rtol=2e-3)
    if problem:
        fail(args, "mlp_train", args.variant, problem)
    samples, inner = time_calls(lambda: step(next(counter)), warmup=3, reps=args.reps, rep_s=args.rep_s,
                                sync=sync)
    report(args, "mlp_train", args.variant, "train_steps_per_s", samples, inner=inner, gate_losses=losses)


if __name__ == "__main__":
    main()
