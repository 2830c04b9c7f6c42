"""Learning to add: a sequence-to-sequence LSTM reads "12+345" as characters and writes "357".

This is the demo ``make demo`` runs. It generates its data, trains with a progress bar, prints the accuracy on
questions it never saw, saves the model to HDF5, loads it back, checks that the reloaded model predicts exactly the
same numbers, and plots the training curves to a PNG when matplotlib is installed.

    python examples/addition_rnn.py            # the full demo (well under a minute on 2 cores)
    python examples/addition_rnn.py --smoke    # a few steps, for the test suite
"""
import argparse
import os
import tempfile

import numpy as np

import layerkit
from layerkit import layers

CHARS = "0123456789+ "
INDEX = {c: i for i, c in enumerate(CHARS)}


def make_questions(count, digits, rng):
    """``count`` distinct questions 'a+b' (each number up to ``digits`` digits), padded with spaces, and answers."""
    questions, answers, seen = [], [], set()
    while len(questions) < count:
        a, b = (int(rng.integers(0, 10 ** int(rng.integers(1, digits + 1)))) for _ in range(2))
        if (a, b) in seen:
            continue
        seen.add((a, b))
        questions.append(f"{a}+{b}".ljust(2 * digits + 1))
        answers.append(str(a + b).ljust(digits + 1))
    return questions, answers


def one_hot(strings):
    """(samples, length, len(CHARS)) float32 one-hot codes of equally long strings."""
    codes = np.array([[INDEX[c] for c in s] for s in strings])
    return np.eye(len(CHARS), dtype="float32")[codes]


def decode(probabilities):
    return ["".join(CHARS[i] for i in row) for row in probabilities.argmax(axis=-1)]


def build_model(question_length, answer_length, units):
    return layerkit.Sequential([
        layers.Input(shape=(question_length, len(CHARS))),
        layers.LSTM(units),                                  # encoder: the question into one vector
        layers.RepeatVector(answer_length),                  # one copy per answer character
        layers.LSTM(units, return_sequences=True),           # decoder
        layers.TimeDistributed(layers.Dense(len(CHARS), activation="softmax")),
    ])


def main(smoke=False, out_dir=None):
    digits = 2
    layerkit.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    questions, answers = make_questions(600 if smoke else 6000, digits, rng)
    x, y = one_hot(questions), one_hot(answers)
    split = len(x) * 9 // 10
    x_train, y_train, x_test, y_test = x[:split], y[:split], x[split:], y[split:]

    model = build_model(x.shape[1], y.shape[1], units=32 if smoke else 128)
    model.compile(loss="categorical_crossentropy", optimizer=layerkit.optimizers.Adam(0.01),
                  metrics=["accuracy"])
    model.summary()
    history = model.fit(x_train, y_train, batch_size=64, epochs=1 if smoke else 30, validation_split=0.1,
                        verbose=1)

    predicted = decode(model.predict(x_test, batch_size=256, verbose=0))
    exact = np.mean([p == a for p, a in zip(predicted, decode(y_test))])
    print(f"held-out questions answered exactly: {exact:.1%}")
    for question, answer in list(zip(questions[split:], predicted))[:5]:
        print(f"  {question.strip():>7} = {answer.strip()}")

    out_dir = out_dir or tempfile.mkdtemp(prefix="layerkit-demo-")
    path = os.path.join(out_dir, "addition_rnn.h5")
    model.save(path)
    reloaded = layerkit.models.load_model(path)
    same = np.array_equal(model.predict(x_test, verbose=0), reloaded.predict(x_test, verbose=0))
    print(f"saved to {path}; reloaded model predicts identically: {same}")
    if not same:
        raise SystemExit("the reloaded model's predictions differ")
    try:
        picture = history.plot(os.path.join(out_dir, "addition_rnn_training.png"))
        print(f"training curves: {picture}")
    except ImportError as error:
        print(f"(no plot: {error})")
    return exact


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a tiny run for the tests")
    parser.add_argument("--out-dir", help="where to write the .h5 file and the plot (default: a new temp dir)")
    arguments = parser.parse_args()
    main(smoke=arguments.smoke, out_dir=arguments.out_dir)
