"""Keras's example programs that need no download, shrunk to a few seconds each, with accuracy thresholds.

Each test trains from a fixed seed (``set_random_seed``) on generated data and asserts real learning, far above
chance. Thresholds sit well below what the runs reach (the reached values are noted next to each threshold) so
that the tests are not flaky.
"""
import numpy as np
import pytest

import layerkit
from layerkit import backend as K
from layerkit import layers, optimizers
from layerkit.utils import set_random_seed


@pytest.fixture(autouse=True)
def _seeded():
    set_random_seed(0)


def _reached(what, value):
    print(f"{what}: {value}")   # shown with pytest -s: what a run reaches, to keep the thresholds honest


# ----------------------------------------------------------------------------------------- addition RNN
def test_addition_rnn_learns_one_digit_sums():
    """keras/examples/addition_rnn.py with one-digit numbers: "3+5" -> "8 ", character by character."""
    chars = "0123456789+ "
    eye = np.eye(len(chars), dtype="float32")
    pairs = [(a, b) for a in range(10) for b in range(10)]
    encode = lambda strings: eye[[[chars.index(c) for c in s] for s in strings]]   # noqa: E731
    x = encode([f"{a}+{b}" for a, b in pairs])
    y = encode([str(a + b).ljust(2) for a, b in pairs])
    model = layerkit.Sequential([
        layers.Input(shape=(3, len(chars))),
        layers.LSTM(64),
        layers.RepeatVector(2),
        layers.LSTM(64, return_sequences=True),
        layers.TimeDistributed(layers.Dense(len(chars), activation="softmax")),
    ])
    model.compile(optimizers.Adam(0.01), "categorical_crossentropy")
    model.fit(x, y, batch_size=10, epochs=80, verbose=0)
    exact = np.mean(np.all(model.predict(x, verbose=0).argmax(-1) == y.argmax(-1), axis=1))
    _reached("addition exact", exact)
    assert exact > 0.6    # reaches 0.85 to 1.00 over seeds 0-4; chance is about 0.01


# ----------------------------------------------------------------------------------------- stateful LSTM
def _echo_data(streams, chunks, steps, lag, rng):
    """Random inputs and the input ``lag`` steps earlier, in stateful order (sample k*streams+i = chunk k of
    stream i): the first ``lag`` targets of each chunk are only known from the previous chunk."""
    series = rng.uniform(-1, 1, size=(streams, chunks * steps + lag)).astype("float32")
    x = series[:, lag:].reshape(streams, chunks, steps).transpose(1, 0, 2).reshape(-1, steps, 1)
    y = series[:, :-lag].reshape(streams, chunks, steps).transpose(1, 0, 2).reshape(-1, steps, 1)
    return x, y


@pytest.mark.parametrize("stateful", [True, False])
def test_stateful_lstm_learns_a_lagged_echo(stateful):
    """keras/examples/lstm_stateful.py: the target is the input two steps ago, read in chunks of 4 steps; only a
    stateful LSTM can echo the values that arrived in the previous chunk."""
    batch, steps, lag = 16, 4, 2
    x, y = _echo_data(batch, 40, steps, lag, np.random.default_rng(0))
    model = layerkit.Sequential([
        layers.Input(shape=(steps, 1), batch_size=batch),
        layers.LSTM(16, return_sequences=True, stateful=stateful),
        layers.TimeDistributed(layers.Dense(1)),
    ])
    model.compile(optimizers.Adam(0.02), "mse")
    for _ in range(12):
        if stateful:
            model.reset_states()
        model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0)
    if stateful:
        model.reset_states()
    predicted = model.predict(x, batch_size=batch, verbose=0)
    carried = np.mean((predicted[:, :lag] - y[:, :lag]) ** 2)     # steps that need the previous chunk
    within = np.mean((predicted[:, lag:] - y[:, lag:]) ** 2)      # steps visible inside the chunk
    variance = np.var(y)                                          # 1/3 for uniform(-1, 1)
    _reached(f"echo stateful={stateful} carried/var, within/var", (carried / variance, within / variance))
    assert within < 0.1 * variance                                # both reach 0.002 to 0.01 of the variance
    if stateful:
        assert carried < 0.2 * variance                           # reaches about 0.02
    else:
        assert carried > 0.6 * variance                           # stays at 1.0: nothing to remember


# ----------------------------------------------------------------------------------------- MLP and CNN
def test_mlp_classifies_gaussian_blobs():
    """keras/examples/mnist_mlp.py's model (Dense-Dropout-Dense-Dropout-softmax) on five 20-d Gaussian blobs."""
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(5, 20)).astype("float32")
    labels = rng.integers(0, 5, size=1200)
    x = (centres[labels] + 0.9 * rng.normal(size=(1200, 20))).astype("float32")
    y = layerkit.utils.to_categorical(labels, 5)
    model = layerkit.Sequential([
        layers.Input(shape=(20,)),
        layers.Dense(64, activation="relu"), layers.Dropout(0.2),
        layers.Dense(64, activation="relu"), layers.Dropout(0.2),
        layers.Dense(5, activation="softmax"),
    ])
    model.compile(optimizers.RMSprop(0.005), "categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:1000], y[:1000], batch_size=50, epochs=8, verbose=0)
    _, accuracy = model.evaluate(x[1000:], y[1000:], verbose=0)
    _reached("mlp accuracy", accuracy)
    assert accuracy > 0.85    # reaches 0.99; chance is 0.2


def _bars(count, rng, size=10):
    """Noisy images with one horizontal (label 0) or vertical (label 1) bar: (count, size, size, 1), labels."""
    labels = rng.integers(0, 2, size=count)
    images = 0.4 * rng.random((count, size, size)).astype("float32")
    where = rng.integers(0, size, size=count)
    for image, label, index in zip(images, labels, where):
        if label == 0:
            image[index, 2:-2] = 1.0
        else:
            image[2:-2, index] = 1.0
    return images[..., None], labels


def test_cnn_tells_horizontal_from_vertical_bars():
    """keras/examples/mnist_cnn.py's model (Conv2D-Conv2D-MaxPooling2D-Dropout-Flatten-Dense) on generated bars."""
    rng = np.random.default_rng(0)
    x, y = _bars(600, rng)
    model = layerkit.Sequential([
        layers.Input(shape=x.shape[1:]),
        layers.Conv2D(4, 3, activation="relu"),
        layers.Conv2D(8, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(16, activation="relu"),
        layers.Dense(2, activation="softmax"),
    ])
    model.compile(optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x[:500], y[:500], batch_size=32, epochs=4, verbose=0)
    _, accuracy = model.evaluate(x[500:], y[500:], verbose=0)
    _reached("cnn accuracy", accuracy)
    assert accuracy > 0.9    # reaches 1.00; chance is 0.5


# ----------------------------------------------------------------------------------------- seq2seq
def test_seq2seq_with_return_state_reverses_digit_strings():
    """keras/examples/lstm_seq2seq.py: the encoder's final states start the decoder (teacher forcing in training);
    at inference an encoder model and a one-step decoder model, sharing the trained layers, decode greedily."""
    length, tokens = 4, 6                  # digits 1..5; 0 is the start token of the decoder
    rng = np.random.default_rng(0)
    digits = rng.integers(1, tokens, size=(1200, length))
    eye = np.eye(tokens, dtype="float32")
    targets = digits[:, ::-1]
    decoder_in = np.concatenate([np.zeros((len(digits), 1), int), targets[:, :-1]], axis=1)

    encoder_inputs = layers.Input(shape=(None, tokens))
    _, h, c = layers.LSTM(48, return_state=True)(encoder_inputs)
    decoder_inputs = layers.Input(shape=(None, tokens))
    decoder_lstm = layers.LSTM(48, return_sequences=True, return_state=True)
    decoder_dense = layers.Dense(tokens, activation="softmax")
    sequence, _, _ = decoder_lstm(decoder_inputs, initial_state=[h, c])
    model = layerkit.Model([encoder_inputs, decoder_inputs], decoder_dense(sequence))
    model.compile(optimizers.Adam(0.02), "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit([eye[digits[:1000]], eye[decoder_in[:1000]]], targets[:1000], batch_size=50, epochs=12, verbose=0)

    encoder = layerkit.Model(encoder_inputs, [h, c])
    state_h, state_c = layers.Input(shape=(48,)), layers.Input(shape=(48,))
    step, h2, c2 = decoder_lstm(decoder_inputs, initial_state=[state_h, state_c])
    decoder = layerkit.Model([decoder_inputs, state_h, state_c], [decoder_dense(step), h2, c2])
    states = encoder.predict(eye[digits[1000:]], verbose=0)
    token = np.zeros((200, 1), int)
    decoded = []
    for _ in range(length):
        probabilities, *states = decoder.predict([eye[token]] + list(states), verbose=0)
        token = probabilities.argmax(-1)
        decoded.append(token[:, 0])
    exact = np.mean(np.all(np.stack(decoded, axis=1) == targets[1000:], axis=1))
    _reached("seq2seq exact", exact)
    assert exact > 0.7    # reaches 1.00; chance is 5**-4


# ----------------------------------------------------------------------------------------- VAE with add_loss
class _Sampling(layers.Layer):
    """z = mean + exp(log_var / 2) * noise while training (the mean otherwise); adds the KL term with add_loss."""

    def __init__(self, kl_weight=0.05, **kwargs):
        super().__init__(**kwargs)
        self.kl_weight = kl_weight

    def call(self, inputs, training=None):
        mean, log_var = inputs
        kl = -0.5 * K.mean(K.sum(1 + log_var - K.square(mean) - K.exp(log_var), axis=-1))
        self.add_loss(self.kl_weight * kl)
        if training is not True:
            return mean
        return mean + K.exp(0.5 * log_var) * K.random_normal(K.shape(mean))


def test_vae_add_loss_term_is_in_the_loss_and_training_lowers_it():
    """keras/examples/variational_autoencoder.py on points of a noisy circle embedded in 8 dimensions."""
    rng = np.random.default_rng(0)
    angle = rng.uniform(0, 2 * np.pi, 800)
    embed = rng.normal(size=(2, 8))
    x = (np.stack([np.cos(angle), np.sin(angle)], 1) @ embed + 0.05 * rng.normal(size=(800, 8))).astype("float32")

    inputs = layers.Input(shape=(8,))
    hidden = layers.Dense(32, activation="tanh")(inputs)
    z_mean, z_log_var = layers.Dense(2)(hidden), layers.Dense(2)(hidden)
    z = _Sampling()([z_mean, z_log_var])
    decoded = layers.Dense(8)(layers.Dense(32, activation="tanh")(z))
    vae = layerkit.Model(inputs, decoded)
    encoder = layerkit.Model(inputs, [z_mean, z_log_var])
    assert len(vae.losses) == 1
    vae.compile(optimizers.Adam(0.01), "mse")
    before = vae.evaluate(x, x, verbose=0)
    history = vae.fit(x, x, batch_size=50, epochs=15, verbose=0)

    losses = history.history["loss"]
    _reached("vae loss / initial", losses[-1] / before)
    assert losses[-1] < 0.4 * before                              # reaches 0.18 to 0.22 of it over seeds 0-3
    assert losses[-1] < losses[0]
    # evaluate (no sampling) reports reconstruction + weighted KL, recomputed here from the two sub-models
    mean, log_var = encoder.predict(x, verbose=0)
    kl = -0.5 * np.mean(np.sum(1 + log_var - mean ** 2 - np.exp(log_var), axis=-1))
    reconstruction = np.mean((vae.predict(x, verbose=0) - x) ** 2)
    _reached("vae kl", kl)
    assert kl > 0.5                                               # the KL term is not negligible (about 2.5)
    np.testing.assert_allclose(vae.evaluate(x, x, batch_size=len(x), verbose=0), reconstruction + 0.05 * kl,
                               rtol=1e-4)


# ----------------------------------------------------------------------------------------- masked BiRNN
def _adding_problem(count, rng, min_length=5, max_length=12):
    """Lasagne's recurrent example: (count, max_length, 2) rows of (value, marker) padded with zero rows at the
    end, and the sum of the two marked values (one in each half of the unpadded part)."""
    x = np.zeros((count, max_length, 2), dtype="float32")
    y = np.zeros((count, 1), dtype="float32")
    lengths = rng.integers(min_length, max_length + 1, size=count)
    for row, length in enumerate(lengths):
        x[row, :length, 0] = rng.uniform(0.05, 1.0, size=length)   # never 0, so no real step looks like padding
        first, second = rng.integers(0, length // 2), rng.integers(length // 2, length)
        x[row, [first, second], 1] = 1.0
        y[row] = x[row, first, 0] + x[row, second, 0]
    return x, y, lengths


def test_masked_bidirectional_lstm_solves_the_adding_problem_and_ignores_padding():
    """Lasagne's examples/recurrent.py in Keras's layers: Masking -> Bidirectional(LSTM) -> Dense."""
    rng = np.random.default_rng(0)
    x, y, lengths = _adding_problem(1200, rng)
    model = layerkit.Sequential([
        layers.Input(shape=(None, 2)),
        layers.Masking(mask_value=0.0),
        layers.Bidirectional(layers.LSTM(16)),
        layers.Dense(1),
    ])
    model.compile(optimizers.Adam(0.02), "mse")
    model.fit(x[:1000], y[:1000], batch_size=50, epochs=10, verbose=0)
    mse = model.evaluate(x[1000:], y[1000:], verbose=0)
    _reached("adding mse/var", mse / np.var(y))
    assert mse < 0.3 * np.var(y)      # reaches 0.01 to 0.03 of the variance; predicting the mean scores 1

    # more padding at the end must not change any prediction
    longer = np.concatenate([x[1000:], np.zeros((200, 7, 2), "float32")], axis=1)
    np.testing.assert_allclose(model.predict(longer, verbose=0), model.predict(x[1000:], verbose=0), atol=1e-5)


def test_embedding_mask_zero_bidirectional_gru_sums_tokens_regardless_of_padding():
    """The same idea with tokens: Embedding(mask_zero=True) -> Bidirectional(GRU) predicts the sum of a
    variable-length token sequence; padding zeros at either end changes nothing."""
    rng = np.random.default_rng(0)
    lengths = rng.integers(2, 9, size=900)
    tokens = [rng.integers(1, 5, size=n) for n in lengths]
    x = layerkit.utils.pad_sequences(tokens, maxlen=8, padding="post")
    y = np.array([t.sum() for t in tokens], dtype="float32")[:, None] / 10
    model = layerkit.Sequential([
        layers.Input(shape=(None,), dtype="int32"),
        layers.Embedding(5, 8, mask_zero=True),
        layers.Bidirectional(layers.GRU(12)),
        layers.Dense(1),
    ])
    model.compile(optimizers.Adam(0.02), "mse")
    model.fit(x[:800], y[:800], batch_size=50, epochs=10, verbose=0)
    mse = model.evaluate(x[800:], y[800:], verbose=0)
    _reached("token sum mse/var", mse / np.var(y))
    assert mse < 0.1 * np.var(y)      # reaches under 0.001 of the variance

    pre = layerkit.utils.pad_sequences(tokens[800:], maxlen=12, padding="pre")
    np.testing.assert_allclose(model.predict(pre, verbose=0), model.predict(x[800:], verbose=0), atol=1e-5)
