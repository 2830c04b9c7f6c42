"""An LSTM language model written directly against the backend (scan + grad + updates) learns with BPTT.

The corpus is a fixed pattern where the next symbol depends on more than the current one ("abcab dabcab d..."
style), so the model must carry state: a bigram table cannot predict it, an LSTM can.
"""
import numpy as np

import layerkit_backend as lb
import layerkit_backend.tensor as T
from layerkit_backend.tensor import nnet

PATTERN = "abcabdabcabe"          # after "ab": c, d, c or e depending on what came before
VOCAB = sorted(set(PATTERN))
HIDDEN = 24


def _batches(steps, batch, rng):
    text = PATTERN * 40
    codes = np.array([VOCAB.index(c) for c in text])
    starts = rng.integers(0, len(codes) - steps - 1, batch)
    windows = np.stack([codes[s:s + steps + 1] for s in starts])       # (batch, steps + 1)
    return windows[:, :-1].T.astype("int64"), windows[:, 1:].T.astype("int64")  # time-major inputs, next symbols


def _language_model(rng):
    V, H = len(VOCAB), HIDDEN

    def weight(*shape):
        return lb.shared(rng.uniform(-0.3, 0.3, shape).astype("float32"))

    embed, wx, wh, b = weight(V, H), weight(H, 4 * H), weight(H, 4 * H), lb.shared(np.zeros(4 * H, "float32"))
    wy, by = weight(H, V), lb.shared(np.zeros(V, "float32"))
    params = [embed, wx, wh, b, wy, by]

    def step(x_t, h, c):
        a = T.dot(embed[x_t], wx) + T.dot(h, wh) + b
        i, f, o = (nnet.sigmoid(a[:, k * H:(k + 1) * H]) for k in (0, 1, 3))
        c_new = f * c + i * T.tanh(a[:, 2 * H:3 * H])
        return o * T.tanh(c_new), c_new

    x, y = T.lmatrix("x"), T.lmatrix("y")
    zeros = T.zeros((x.shape[1], H), dtype="float32")
    (hs, _), _ = lb.scan(step, sequences=x, outputs_info=[zeros, zeros])
    logits = T.dot(hs, wy) + by                                           # (steps, batch, V)
    flat = logits.reshape((-1, V))
    loss = nnet.categorical_crossentropy(nnet.softmax(flat), y.flatten()).mean()
    grads = lb.grad(loss, params)
    updates = [(p, p - 0.5 * T.clip(g, -1.0, 1.0)) for p, g in zip(params, grads)]
    predict = lb.function([x], T.argmax(logits, axis=-1))                  # (steps, batch) next-symbol guesses
    return lb.function([x, y], loss, updates=updates), lb.function([x, y], loss), predict


def test_lstm_language_model_learns_a_pattern_that_needs_memory():
    rng = np.random.default_rng(0)
    train, evaluate, predict = _language_model(rng)
    start_loss = evaluate(*_batches(16, 16, np.random.default_rng(1)))
    for _ in range(400):
        train(*_batches(16, 16, rng))
    x, y = _batches(24, 64, np.random.default_rng(2))
    loss = evaluate(x, y)
    # Scored from step 8 on, once the window has shown the context: a bigram model gets 10 of 12 symbols (83%;
    # after "b" it must guess between c, d and e), the LSTM must remember the last "d" or "e" to do better.
    accuracy = (predict(x)[8:] == y[8:]).mean()
    assert loss < 0.25 * start_loss and accuracy > 0.88, (start_loss, loss, accuracy)
