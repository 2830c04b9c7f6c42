"""A character-level LSTM learns to write like a small corpus, then generates text at several temperatures.

The corpus ships with the repository (``examples/data/corpus.txt``, original prose written for layerkit). The model
reads a window of characters as one-hot vectors and predicts the next character; generation feeds each sampled
character back in. The temperature reshapes the predicted distribution before sampling: low temperatures repeat the
most likely phrases, high ones invent more (and misspell more).

    python examples/char_lstm.py            # the full run (well under a minute on 2 cores)
    python examples/char_lstm.py --smoke    # a few steps and a short sample, for the test suite
"""
import argparse
import os

import numpy as np

import layerkit
from layerkit import layers

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "corpus.txt")
WINDOW = 24


def load_corpus(path=CORPUS):
    """The corpus as one lower-case line of text (its first line, a header, is left out)."""
    with open(path, encoding="utf-8") as handle:
        body = handle.read().split("\n", 1)[1]
    return " ".join(body.lower().split())


def make_windows(text, index, step):
    """One-hot windows x (n, WINDOW, chars) and the index of the character that follows each, y (n,)."""
    starts = np.arange(0, len(text) - WINDOW, step)
    codes = np.array([index[c] for c in text])
    x = np.eye(len(index), dtype="float32")[codes[starts[:, None] + np.arange(WINDOW)]]
    return x, codes[starts + WINDOW]


def sample(probabilities, temperature, rng):
    """An index drawn from ``probabilities`` sharpened (temperature < 1) or flattened (> 1)."""
    logits = np.log(np.maximum(probabilities.astype("float64"), 1e-12)) / temperature
    weights = np.exp(logits - logits.max())
    return int(rng.choice(len(weights), p=weights / weights.sum()))


def generate(model, seed, chars, length, temperature, rng):
    """``length`` characters continuing ``seed`` (at least WINDOW characters of the corpus's alphabet)."""
    index = {c: i for i, c in enumerate(chars)}
    codes = [index[c] for c in seed[-WINDOW:]]
    eye = np.eye(len(chars), dtype="float32")
    written = []
    for _ in range(length):
        probabilities = model.predict_on_batch(eye[codes[-WINDOW:]][None])[0]
        codes.append(sample(probabilities, temperature, rng))
        written.append(chars[codes[-1]])
    return "".join(written)


def main(smoke=False):
    layerkit.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    text = load_corpus()
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    x, y = make_windows(text, index, step=7 if smoke else 1)
    print(f"corpus: {len(text)} characters, {len(chars)} distinct; {len(x)} training windows of {WINDOW}")

    model = layerkit.Sequential([
        layers.Input(shape=(WINDOW, len(chars))),
        layers.LSTM(32 if smoke else 128),
        layers.Dense(len(chars), activation="softmax"),
    ])
    model.compile(optimizer=layerkit.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.summary()
    history = model.fit(x, y, batch_size=64, epochs=1 if smoke else 6, verbose=2)
    print(f"final training loss {history.history['loss'][-1]:.3f} "
          f"(a uniform guess would score {np.log(len(chars)):.3f})")

    seed = text[:WINDOW]
    for temperature in (0.2, 0.5, 1.0):
        written = generate(model, seed, chars, 20 if smoke else 200, temperature, rng)
        print(f"--- temperature {temperature}: {seed}|{written}")
    return history.history["loss"][-1]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a tiny run for the tests")
    main(smoke=parser.parse_args().smoke)
