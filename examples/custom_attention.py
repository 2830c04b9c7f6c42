"""Writing a research layer: additive attention pooling, built on the ``Layer`` base, trained, saved and reloaded.

``AttentionPooling`` scores every time step of a sequence with a small learned network
(``v . tanh(W h_t + b)``, Bahdanau's additive score), turns the scores into weights with a softmax that skips masked
(padded) steps, and returns the weighted average of the steps. It shows the whole custom-layer contract:

- ``build(input_shape)`` creates the weights with ``add_weight``;
- ``call(inputs, mask=None)`` builds the computation with the Keras backend functions (``layerkit.backend as K``);
- ``compute_mask`` says the output carries no time mask any more, ``compute_output_shape`` the output shape;
- ``get_config`` returns the constructor's arguments, and ``@register_keras_serializable`` lets ``load_model``
  find the class by name, with no ``custom_objects``.

The task: sequences of random tokens of varying lengths, padded with zeros, contain one marker token; the label is
the token right after the marker. The model must learn where to look.

    python examples/custom_attention.py            # the full run (well under a minute on 2 cores)
    python examples/custom_attention.py --smoke    # a few steps, for the test suite
"""
import argparse
import os
import tempfile

import numpy as np

import layerkit
from layerkit import backend as K
from layerkit import layers

VOCABULARY = 10          # tokens 1..9 are data, 0 is padding
MARKER = VOCABULARY      # one extra token marks the position to read
MAX_LENGTH = 12


@layerkit.saving.register_keras_serializable(package="examples")
class AttentionPooling(layers.Layer):
    """Additive attention over time: (batch, steps, features) -> (batch, features), respecting a time mask.

    Example:
        >>> import layerkit_backend.tensor as T
        >>> AttentionPooling(units=8)(T.tensor("float32", shape=(None, 5, 3))).type.shape
        (None, 3)
    """

    def __init__(self, units=16, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.supports_masking = True

    def build(self, input_shape):
        features = input_shape[-1]
        self.w = self.add_weight("w", (features, self.units), initializer="glorot_uniform")
        self.b = self.add_weight("b", (self.units,), initializer="zeros")
        self.v = self.add_weight("v", (self.units,), initializer="glorot_uniform")
        super().build(input_shape)

    def call(self, inputs, mask=None):
        scores = K.sum(K.tanh(K.dot(inputs, self.w) + self.b) * self.v, axis=-1)        # (batch, steps)
        if mask is not None:
            # a large negative score makes a padded step's weight exactly 0 after the softmax
            scores = scores - 1e9 * (1.0 - K.cast(mask, K.floatx()))
        weights = K.softmax(scores, axis=-1)
        return K.sum(inputs * K.expand_dims(weights, -1), axis=1)

    def compute_mask(self, inputs, mask=None):
        return None   # the time axis is gone

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def make_sequences(count, rng):
    """Token sequences (count, MAX_LENGTH) padded with 0 at the end, and labels 0..VOCABULARY-2."""
    x = np.zeros((count, MAX_LENGTH), dtype="int32")
    y = np.zeros(count, dtype="int32")
    for row in range(count):
        length = int(rng.integers(4, MAX_LENGTH + 1))
        tokens = rng.integers(1, VOCABULARY, size=length)
        where = int(rng.integers(0, length - 1))
        tokens[where] = MARKER
        x[row, :length] = tokens
        y[row] = tokens[where + 1] - 1
    return x, y


def build_model(units):
    inputs = layers.Input(shape=(MAX_LENGTH,), dtype="int32")
    embedded = layers.Embedding(VOCABULARY + 1, 16, mask_zero=True)(inputs)
    steps = layers.Bidirectional(layers.GRU(units, return_sequences=True))(embedded)
    pooled = AttentionPooling(units)(steps)
    outputs = layers.Dense(VOCABULARY - 1, activation="softmax")(pooled)
    return layerkit.Model(inputs, outputs)


def main(smoke=False, out_dir=None):
    layerkit.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x, y = make_sequences(256 if smoke else 3000, rng)
    split = len(x) * 9 // 10
    model = build_model(units=8 if smoke else 32)
    model.compile(optimizer=layerkit.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.summary()
    model.fit(x[:split], y[:split], batch_size=64, epochs=1 if smoke else 6, verbose=2)
    loss, accuracy = model.evaluate(x[split:], y[split:], verbose=0)
    print(f"held-out sequences: accuracy {accuracy:.1%} (chance: {1 / (VOCABULARY - 1):.1%})")

    path = os.path.join(out_dir or tempfile.mkdtemp(prefix="layerkit-attention-"), "custom_attention.h5")
    model.save(path)
    reloaded = layerkit.models.load_model(path)   # AttentionPooling is found through the registration
    same = np.array_equal(model.predict(x[split:], verbose=0), reloaded.predict(x[split:], verbose=0))
    print(f"saved to {path}; reloaded {type(reloaded.layers[-2]).__name__} predicts identically: {same}")
    if not same:
        raise SystemExit("the reloaded model's predictions differ")
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a tiny run for the tests")
    parser.add_argument("--out-dir", help="where to write the .h5 file (default: a new temp dir)")
    arguments = parser.parse_args()
    main(smoke=arguments.smoke, out_dir=arguments.out_dir)
