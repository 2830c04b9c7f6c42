"""W2 lstm_train: training steps per second of a 64 -> 128 LSTM over 50 steps with a Dense head (WORKLOADS.md).

Usage: python benchmarks/lstm_train.py --system layerkit --variant b32
"""
import lstm
from timing import common_args, run_training


def main():
    args = common_args(__doc__, variant=["b32"]).parse_args()
    run_training(args, "lstm_train", lambda: lstm.BUILDERS[args.system](lstm.init_params(), *lstm.make_pool()),
                 lstm.reference_losses())


if __name__ == "__main__":
    main()
