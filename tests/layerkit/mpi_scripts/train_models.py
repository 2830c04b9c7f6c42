"""Trains an MLP and a small LSTM with ``MPIStrategy``; launched by tests/layerkit/test_distribute.py.

Usage: ``mpiexec -n N python train_models.py OUT_DIR [MODE]``. ``train`` writes OUT_DIR/result.npz (rank 0
only) and, through callbacks, files under OUT_DIR/rank<r>/ (only rank 0's should appear). The other modes make
rank 1 leave abnormally while rank 0 waits in a collective, and the job must end promptly: ``fail`` raises at the
start of the second epoch, ``exit`` calls ``sys.exit(3)`` there, ``exit_before_fit`` calls ``sys.exit(3)`` before
``fit`` (rank 0 waits in fit's first broadcast).
``run(strategy, out_dir)`` is imported by the test to compute the one-process reference without MPI.
"""
import os
import sys

import numpy as np

from layerkit import callbacks, layers, models, optimizers

EPOCHS, BATCH = 2, 16   # 50 samples: batches of 16, 16, 16 and 2 (so 2 processes also split an odd batch 1/1)


def _mlp():
    model = models.Sequential([layers.Dense(8, activation="tanh", input_shape=(4,)),
                               layers.Dense(3, activation="softmax")])
    model.compile(optimizers.SGD(learning_rate=0.1, momentum=0.9), "categorical_crossentropy",
                  metrics=["accuracy", "AUC"])
    return model


def _lstm():
    inputs = layers.Input((5, 3))
    outputs = layers.Dense(1)(layers.LSTM(4)(inputs))
    model = models.Model(inputs, outputs)
    model.compile(optimizers.Adam(learning_rate=0.01), "mse", metrics=["mae"])
    return model


def _data():
    rng = np.random.RandomState(1)
    x_mlp = rng.normal(size=(50, 4)).astype("float32")
    y_mlp = np.eye(3, dtype="float32")[rng.randint(0, 3, size=50)]
    x_lstm = rng.normal(size=(50, 5, 3)).astype("float32")
    y_lstm = x_lstm.sum(axis=(1, 2))[:, None].astype("float32")
    return (x_mlp, y_mlp), (x_lstm, y_lstm)


def _deterministic_weights(model, seed):
    rng = np.random.RandomState(seed)
    model.set_weights([rng.uniform(-0.5, 0.5, size=w.shape).astype(w.dtype) for w in model.get_weights()])


def run(strategy, out_dir, mode="train"):
    """Trains both models; returns {name: array} of final weights, histories, evaluations and predictions."""
    rank = 0 if strategy is None else strategy.rank
    own_dir = os.path.join(out_dir, f"rank{rank}")
    os.makedirs(own_dir, exist_ok=True)
    found = {}
    for name, build, (x, y) in zip(("mlp", "lstm"), (_mlp, _lstm), _data()):
        model = build()
        if strategy is not None:
            model.compile(**model._compile_args, strategy=strategy)
        _deterministic_weights(model, seed=7)
        hooks = [callbacks.ModelCheckpoint(os.path.join(own_dir, f"{name}.h5"), save_weights_only=True),
                 callbacks.CSVLogger(os.path.join(own_dir, f"{name}.csv")),
                 callbacks.LambdaCallback(on_train_end=lambda logs, m=model, n=name:
                                          m.save_weights(os.path.join(own_dir, f"{n}_manual.h5")))]
        if mode in ("fail", "exit") and rank == 1:
            def explode(epoch, logs):
                if epoch == 1 and mode == "exit":
                    print("rank 1 exits with code 3", flush=True)
                    sys.exit(3)
                if epoch == 1:
                    raise RuntimeError("deliberate failure in rank 1")
            hooks.append(callbacks.LambdaCallback(on_epoch_begin=explode))
        if mode == "exit_before_fit" and rank == 1:
            print("rank 1 exits with code 3 before fit", flush=True)
            sys.exit(3)
        np.random.seed(3)
        history = model.fit(x, y, batch_size=BATCH, epochs=EPOCHS, verbose=0, shuffle=True,
                            validation_data=(x[:20], y[:20]), callbacks=hooks)
        for k, w in enumerate(model.get_weights()):
            found[f"{name}_w{k}"] = w
        for key, values in history.history.items():
            found[f"{name}_history_{key}"] = np.asarray(values)
        found[f"{name}_evaluate"] = np.asarray(model.evaluate(x, y, batch_size=BATCH, verbose=0))
        found[f"{name}_predict"] = model.predict(x, batch_size=BATCH)
    return found


def main():
    from layerkit.distribute import MPIStrategy

    out_dir, mode = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "train"
    strategy = MPIStrategy()
    found = run(strategy, out_dir, mode)
    if strategy.is_root:
        np.savez(os.path.join(out_dir, "result.npz"), size=strategy.size, **found)


if __name__ == "__main__":
    main()
