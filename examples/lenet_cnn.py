"""A LeNet-style convolutional network learns to tell four drawn shapes apart in small noisy images.

The images are generated: a horizontal bar, a vertical bar, a square outline or a diagonal cross, each of random
size and position, on a noisy 16x16 background. The network is LeNet's pattern in Keras's layers (channels last):
``Conv2D`` -> ``MaxPooling2D`` -> ``Conv2D`` -> ``MaxPooling2D`` -> ``Flatten`` -> ``Dense`` -> softmax.

    python examples/lenet_cnn.py            # the full run (well under a minute on 2 cores)
    python examples/lenet_cnn.py --smoke    # one short epoch, for the test suite
"""
import argparse

import numpy as np

import layerkit
from layerkit import layers

SIZE = 16
SHAPES = ("horizontal bar", "vertical bar", "square", "cross")


def draw(shape, rng):
    """One (SIZE, SIZE) float32 image of ``SHAPES[shape]`` at a random place, plus background noise."""
    image = 0.3 * rng.random((SIZE, SIZE))
    extent = int(rng.integers(6, 11))
    top, left = (int(v) for v in rng.integers(0, SIZE - extent + 1, size=2))
    middle = int(rng.integers(2, extent - 2))
    rows, cols = slice(top, top + extent), slice(left, left + extent)
    if shape == 0:
        image[top + middle, cols] = 1.0
    elif shape == 1:
        image[rows, left + middle] = 1.0
    elif shape == 2:
        image[top, cols] = image[top + extent - 1, cols] = 1.0
        image[rows, left] = image[rows, left + extent - 1] = 1.0
    else:
        steps = np.arange(extent)
        image[top + steps, left + steps] = 1.0
        image[top + steps, left + extent - 1 - steps] = 1.0
    return image.astype("float32")


def make_images(count, rng):
    """Images (count, SIZE, SIZE, 1) and integer labels (count,)."""
    labels = rng.integers(0, len(SHAPES), size=count)
    images = np.stack([draw(int(label), rng) for label in labels])[..., None]
    return images, labels


def build_model(filters):
    return layerkit.Sequential([
        layers.Input(shape=(SIZE, SIZE, 1)),
        layers.Conv2D(filters, 3, activation="relu", padding="same"),
        layers.MaxPooling2D(2),
        layers.Conv2D(2 * filters, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(32, activation="relu"),
        layers.Dense(len(SHAPES), activation="softmax"),
    ])


def main(smoke=False):
    layerkit.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x, y = make_images(128 if smoke else 2000, rng)
    split = len(x) * 4 // 5
    x_train, y_train, x_test, y_test = x[:split], y[:split], x[split:], y[split:]

    model = build_model(filters=4 if smoke else 8)
    model.compile(optimizer=layerkit.optimizers.Adam(learning_rate=0.005), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.summary()
    model.fit(x_train, y_train, batch_size=32, epochs=1 if smoke else 8, validation_split=0.1, verbose=2)

    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"held-out images: loss {loss:.3f}, accuracy {accuracy:.1%} (chance: {1 / len(SHAPES):.0%})")
    predicted = model.predict(x_test[:4], verbose=0).argmax(axis=-1)
    for guess, label in zip(predicted, y_test[:4]):
        print(f"  predicted {SHAPES[guess]!r}, drawn {SHAPES[label]!r}")
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a tiny run for the tests")
    main(smoke=parser.parse_args().smoke)
