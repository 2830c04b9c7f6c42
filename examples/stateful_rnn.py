"""A stateful LSTM predicts the next value of a long noisy time series that it reads in short consecutive chunks.

The series is a sum of two sines plus noise. It is cut into ``BATCH`` parallel streams, and each stream into
chunks of ``CHUNK`` steps; batch ``k`` holds chunk ``k`` of every stream, so row ``i`` of one batch continues row
``i`` of the previous one. With ``stateful=True`` the LSTM carries its state from batch to batch: it sees the whole
history while the gradient is truncated to one chunk (truncated backpropagation through time). Training therefore
runs one epoch at a time with ``shuffle=False`` and calls ``reset_states()`` before each pass over the streams.

    python examples/stateful_rnn.py            # the full run (well under a minute on 2 cores)
    python examples/stateful_rnn.py --smoke    # a few steps, for the test suite
"""
import argparse

import numpy as np

import layerkit
from layerkit import layers

BATCH = 8      # parallel streams
CHUNK = 10     # time steps per chunk (the truncation length)


def make_series(length, rng):
    """A float32 series of ``length`` steps: two sines (periods 40 and 13 steps) plus Gaussian noise."""
    t = np.arange(length)
    clean = np.sin(2 * np.pi * t / 40) + 0.5 * np.sin(2 * np.pi * t / 13)
    return (clean + 0.1 * rng.standard_normal(length)).astype("float32")


def to_chunks(series):
    """Inputs and next-step targets of shape (chunks * BATCH, CHUNK, 1), ordered so that sample ``k * BATCH + i``
    is chunk ``k`` of stream ``i``."""
    chunks = (len(series) - 1) // (BATCH * CHUNK)
    usable = chunks * BATCH * CHUNK
    inputs = series[:usable].reshape(BATCH, chunks, CHUNK)
    targets = series[1:usable + 1].reshape(BATCH, chunks, CHUNK)
    order = lambda a: a.transpose(1, 0, 2).reshape(chunks * BATCH, CHUNK, 1)   # noqa: E731
    return order(inputs), order(targets)


def build_model(units):
    return layerkit.Sequential([
        layers.Input(shape=(CHUNK, 1), batch_size=BATCH),
        layers.LSTM(units, return_sequences=True, stateful=True),
        layers.TimeDistributed(layers.Dense(1)),
    ])


def main(smoke=False):
    layerkit.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    train_x, train_y = to_chunks(make_series(800 if smoke else 8000, rng))
    test_x, test_y = to_chunks(make_series(2000, rng))

    model = build_model(units=8 if smoke else 32)
    model.compile(optimizer=layerkit.optimizers.Adam(learning_rate=0.01), loss="mse")
    model.summary()
    for epoch in range(1 if smoke else 10):
        model.reset_states()            # each pass over the streams starts from a blank memory
        history = model.fit(train_x, train_y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
        print(f"epoch {epoch + 1}: training mse {history.history['loss'][-1]:.4f}")

    model.reset_states()
    mse = model.evaluate(test_x, test_y, batch_size=BATCH, verbose=0)
    previous_value = float(np.mean((test_x - test_y) ** 2))
    print(f"held-out series: next-step mse {mse:.4f}; repeating the last value scores {previous_value:.4f}; "
          f"the target's own noise costs {0.1 ** 2:.4f}")
    return mse, previous_value


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a tiny run for the tests")
    main(smoke=parser.parse_args().smoke)
