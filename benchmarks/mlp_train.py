"""W1 mlp_train: training steps per second of the 784-512-512-10 MLP (see WORKLOADS.md).

Usage: python benchmarks/mlp_train.py --system layerkit --variant b128
"""
import mlp
from timing import common_args, run_training

VARIANTS = {"b128": 128, "b16": 16}


def main():
    args = common_args(__doc__, variant=sorted(VARIANTS)).parse_args()
    batch = VARIANTS[args.variant]
    run_training(args, "mlp_train", lambda: mlp.BUILDERS[args.system](mlp.init_params(), *mlp.make_pool(batch)),
                 mlp.reference_losses(batch))


if __name__ == "__main__":
    main()
