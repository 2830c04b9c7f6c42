"""A multi-layer perceptron classifies points from three interleaved spiral arms, a task no linear model can solve.

Shows the everyday Keras workflow with ``keras`` replaced by ``layerkit``: a ``Sequential`` stack of ``Dense`` and
``Dropout`` layers, ``compile`` with an optimizer, a loss and a metric, ``fit`` with a validation split and an
``EarlyStopping`` callback, ``evaluate`` on held-out points and ``predict``.

    python examples/mlp.py            # the full run (a few seconds on 2 cores)
    python examples/mlp.py --smoke    # a couple of epochs, for the test suite
"""
import argparse

import numpy as np

import layerkit
from layerkit import layers

CLASSES = 3


def make_spirals(points_per_class, rng, noise=0.2):
    """``CLASSES`` spiral arms in the plane: x of shape (n, 2) float32 and integer labels y of shape (n,)."""
    radius = np.tile(np.linspace(0.05, 1.0, points_per_class), CLASSES)
    labels = np.repeat(np.arange(CLASSES), points_per_class)
    angle = labels * 2 * np.pi / CLASSES + 4 * radius + noise * rng.standard_normal(radius.shape)
    x = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1).astype("float32")
    order = rng.permutation(len(x))
    return x[order], labels[order]


def build_model(hidden):
    return layerkit.Sequential([
        layers.Input(shape=(2,)),
        layers.Dense(hidden, activation="relu"),
        layers.Dropout(0.1),
        layers.Dense(hidden, activation="relu"),
        layers.Dense(CLASSES, activation="softmax"),
    ])


def main(smoke=False):
    layerkit.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x, y = make_spirals(100 if smoke else 600, rng)
    split = len(x) * 4 // 5
    x_train, y_train, x_test, y_test = x[:split], y[:split], x[split:], y[split:]

    model = build_model(hidden=16 if smoke else 64)
    model.compile(optimizer=layerkit.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.summary()
    stop = layerkit.callbacks.EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)
    model.fit(x_train, y_train, batch_size=32, epochs=2 if smoke else 100, validation_split=0.1,
              callbacks=[stop], verbose=2)

    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"held-out points: loss {loss:.3f}, accuracy {accuracy:.1%} (chance: {1 / CLASSES:.1%})")
    probabilities = model.predict(x_test[:3], verbose=0)
    for point, row, label in zip(x_test[:3], probabilities, y_test[:3]):
        print(f"  point ({point[0]:+.2f}, {point[1]:+.2f}): arm {row.argmax()} "
              f"(p = {row.max():.2f}), true arm {label}")
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a tiny run for the tests")
    main(smoke=parser.parse_args().smoke)
