"""Plot layerkit's speed relative to its peers from a run's results (benchmarks/results/latest.json).

Usage: python benchmarks/plot.py [results.json] [out.png]   (needs matplotlib: pip install -e .[bench])
"""
import json
import os
import sys

from run import JOBS, ratio

HERE = os.path.dirname(os.path.abspath(__file__))
# (workload, peer) pairs worth a bar: every workload against PyTorch eager, fit against Keras 3 on JAX too
PEERS = ("torch", "numpy", "keras_jax")


def bars(results):
    """[(label, peer, ratio)] for every layerkit measurement with a peer in the same rounds."""
    found = []
    for _, workload, variants in JOBS:
        if workload == "compile":
            continue
        for variant in variants:
            for peer in PEERS:
                value = ratio(results, (workload, variant, "layerkit"), peer)
                if value is not None:
                    found.append((f"{workload} {variant}", peer, value))
    return found


def main():
    source = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "results", "latest.json")
    target = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, "ratios.png")
    with open(source) as f:
        results = {tuple(k.split("|")): v for k, v in json.load(f).items()}
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = bars(results)
    labels = sorted({label for label, _, _ in rows}, key=[r[0] for r in rows].index)
    figure, axis = plt.subplots(figsize=(9, 0.45 * len(labels) * len(PEERS) / 2 + 1.5))
    height = 0.8 / len(PEERS)
    for k, peer in enumerate(PEERS):
        values = {label: v for label, p, v in rows if p == peer}
        ys = [i + k * height for i, label in enumerate(labels) if label in values]
        axis.barh(ys, [values[label] for label in labels if label in values], height, label=f"vs {peer}")
    axis.axvline(1.0, color="black", linewidth=0.8)
    axis.set_yticks([i + height for i in range(len(labels))], labels)
    axis.invert_yaxis()
    axis.set_xlabel("layerkit speed / peer speed (> 1: layerkit faster), median of within-round ratios")
    axis.legend(loc="lower right")
    figure.tight_layout()
    figure.savefig(target, dpi=100)
    print(target)


if __name__ == "__main__":
    main()
