"""W1 and W2 trained through a model's ``fit`` (issue 5): steps per second of ``Sequential(...).fit``.

Systems: ``layerkit`` (layerkit's Sequential + fit), ``backend`` (the same step as one backend function called in a
Python loop: what fit costs on top of it), ``keras_jax`` (Keras 3 on its JAX backend; run with an interpreter that
has keras and jax, see benchmarks/README.md), ``torch`` (PyTorch eager, a hand loop). Each timed call is one epoch
over the workload's pool of batches, so per-epoch costs of fit (callbacks, progress, shuffling) are included.

Usage: python benchmarks/fit_train.py --system layerkit --variant mlp_b128
"""
import argparse
import itertools
import os
import sys

import numpy as np

import lstm
import mlp
from timing import check_close, fail, report, settle_tiers, skip, time_calls

VARIANTS = ("mlp_b128", "lstm_b32")
SYSTEMS = ("layerkit", "backend", "keras_jax", "torch")


def _data(variant):
    """(x, y, batch) with every batch of the pool in order, batch-major as a user would feed fit."""
    if variant == "mlp_b128":
        xs, ys = mlp.make_pool(128)
        return xs.reshape(-1, xs.shape[-1]), ys.reshape(-1), 128
    xs, ys = lstm.make_pool()                        # time-major pool: back to batch-major for fit
    x = np.ascontiguousarray(xs.transpose(0, 2, 1, 3)).reshape(-1, lstm.STEPS, lstm.IN)
    return x, ys.reshape(-1), lstm.BATCH


def _reference(variant):
    return mlp.reference_losses(128) if variant == "mlp_b128" else lstm.reference_losses()


def _keras_weights(variant):
    """The workload's initial parameters in Keras's layer order (Dense: kernel, bias; LSTM: kernel, recurrent
    kernel, bias with gates i, f, c, o = the workload's i, f, g, o)."""
    return (mlp.init_params() if variant == "mlp_b128" else lstm.init_params())


def _build_keras_like(api, variant):
    """The model in Keras's API; ``api`` is the ``layerkit`` or ``keras`` module (the same program for both)."""
    layers = api.layers
    if variant == "mlp_b128":
        model = api.Sequential([layers.Input(shape=(784,)), layers.Dense(512, activation="relu"),
                                layers.Dense(512, activation="relu"), layers.Dense(10)])
    else:
        model = api.Sequential([layers.Input(shape=(lstm.STEPS, lstm.IN)), layers.LSTM(lstm.HIDDEN),
                                layers.Dense(10)])
    model.set_weights(_keras_weights(variant))
    model.compile(optimizer=api.optimizers.SGD(learning_rate=0.01),
                  loss=api.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _fit_system(api, variant):
    x, y, batch = _data(variant)
    model = _build_keras_like(api, variant)
    losses = [float(np.ravel(model.train_on_batch(x[k * batch:(k + 1) * batch], y[k * batch:(k + 1) * batch]))[0])
              for k in range(2)]
    epoch = lambda: model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0)  # noqa: E731
    return losses, epoch, len(x) // batch


def _backend_system(variant):
    x, y, batch = _data(variant)
    if variant == "mlp_b128":
        train = mlp.layerkit_training_function(mlp.init_params())
        batches = [(x[k * batch:(k + 1) * batch], y[k * batch:(k + 1) * batch].astype("int32"))
                   for k in range(len(x) // batch)]
    else:
        train = lstm.layerkit_training_function(lstm.init_params())
        xs, ys = lstm.make_pool()
        batches = list(zip(xs, ys))
    losses = [float(train(*batches[k])) for k in range(2)]

    def epoch():
        for xb, yb in batches:
            train(xb, yb)

    return losses, epoch, len(batches)


def _torch_system(variant):
    module = mlp if variant == "mlp_b128" else lstm
    pool = mlp.make_pool(128) if variant == "mlp_b128" else lstm.make_pool()
    step, _ = module.build_torch(module.init_params(), *pool)
    counter = itertools.count()
    losses = [float(step(next(counter))) for _ in range(2)]
    steps = module.POOL

    def epoch():
        for _ in range(steps):
            step(next(counter))

    return losses, epoch, steps


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--system", required=True, choices=SYSTEMS)
    parser.add_argument("--variant", required=True, choices=VARIANTS)
    parser.add_argument("--reps", type=int, default=int(float(os.environ.get("BENCH_REPS", 10))))
    parser.add_argument("--rep-s", type=float, default=float(os.environ.get("BENCH_REP_S", 0.4)))
    args = parser.parse_args()
    try:
        if args.system == "layerkit":
            import layerkit
            losses, epoch, steps = _fit_system(layerkit, args.variant)
        elif args.system == "keras_jax":
            os.environ.setdefault("KERAS_BACKEND", "jax")
            import keras
            if keras.backend.backend() != "jax":
                skip(args, "fit_train", args.variant, f"keras runs on {keras.backend.backend()}, not jax")
            losses, epoch, steps = _fit_system(keras, args.variant)
        elif args.system == "backend":
            losses, epoch, steps = _backend_system(args.variant)
        else:
            losses, epoch, steps = _torch_system(args.variant)
    except ImportError as error:
        skip(args, "fit_train", args.variant, f"{args.system} is not installed ({error}; {sys.executable})")
    problem = check_close("losses of steps 0 and 1", losses, _reference(args.variant), rtol=2e-3)
    if problem:
        fail(args, "fit_train", args.variant, problem)
    tiers = settle_tiers()
    samples, inner = time_calls(epoch, warmup=2, reps=args.reps, rep_s=args.rep_s)
    report(args, "fit_train", args.variant, "train_steps_per_s", [s * steps for s in samples], inner=inner,
           gate_losses=losses, **tiers)


if __name__ == "__main__":
    main()
