"""Activations (as arguments and as layers), core layers, merge layers, embeddings, regularizers and
constraints: the forward pass and two epochs of training from Keras's initial weights."""
import numpy as np

from keras_session import Case, train_and_report

from .data import features, targets


def _data(rng):
    x = features(rng) * 2.0
    return {"x": x, "y": targets("real:1", x, rng)}


def _dense_stack(name, middle, lr=0.05):
    def program(s):
        kl = s.kl
        x = s.d["x"]
        model = kl.Sequential([kl.Input(x.shape[1:])] + middle(kl) + [kl.layers.Flatten(), kl.layers.Dense(1)])
        model.compile(optimizer=kl.optimizers.SGD(lr), loss="mse")
        train_and_report(s, model, x, s.d["y"])

    return Case(f"layers/{name}", program, _data)


ACTIVATIONS = ["relu", "sigmoid", "tanh", "softmax", "softplus", "softsign", "elu", "selu", "gelu", "swish",
               "silu", "exponential", "hard_sigmoid", "hard_silu", "relu6", "leaky_relu", "mish", "linear",
               "log_softmax"]


def _activation(name):
    lr = 1e-4 if name == "exponential" else 0.01   # exp of the outputs grows fast: a small step stays finite
    return _dense_stack(f"activation/{name}", lambda kl: [kl.layers.Dense(4, activation=name)], lr=lr)


def _merge(name, make):
    def program(s):
        kl = s.kl
        x = kl.Input((4,))
        a = kl.layers.Dense(3, activation="tanh")(x)
        b = kl.layers.Dense(3)(x)
        model = kl.Model(x, kl.layers.Dense(1)(kl.layers.Flatten()(make(kl, a, b))))
        model.compile(optimizer=kl.optimizers.SGD(0.05), loss="mse")
        train_and_report(s, model, s.d["x"], s.d["y"])

    return Case(f"layers/merge/{name}", program, _data)


L = lambda make: (lambda kl: make(kl.layers))   # noqa: E731 - a row's layers, written against kl.layers

LAYER_ROWS = [
    ("ReLU/max_value_slope", L(lambda l: [l.Dense(4), l.ReLU(max_value=1.0, negative_slope=0.1, threshold=0.2)])),
    ("LeakyReLU", L(lambda l: [l.Dense(4), l.LeakyReLU(negative_slope=0.2)])),
    ("LeakyReLU_default", L(lambda l: [l.Dense(4), l.LeakyReLU()])),
    ("PReLU", L(lambda l: [l.Dense(4), l.PReLU()])),
    ("ELU", L(lambda l: [l.Dense(4), l.ELU(alpha=0.5)])),
    ("Softmax_layer", L(lambda l: [l.Dense(4), l.Softmax()])),
    ("Activation_layer", L(lambda l: [l.Dense(4), l.Activation("gelu")])),
    ("Dense/no_bias", L(lambda l: [l.Dense(4, use_bias=False, activation="relu")])),
    ("Dense/rank3", L(lambda l: [l.Reshape((2, 2)), l.Dense(3, activation="tanh")])),
    ("Reshape_Permute", L(lambda l: [l.Dense(6), l.Reshape((2, 3)), l.Permute((2, 1)), l.Dense(2)])),
    ("RepeatVector", L(lambda l: [l.Dense(2), l.RepeatVector(3), l.Dense(2)])),
    ("Identity", L(lambda l: [l.Dense(3), l.Identity()])),
    ("Dropout_rate0", L(lambda l: [l.Dense(3), l.Dropout(0.0)])),
    # the bias starts at 1, not 0: at 0 the gradient of |b| is 1 in JAX and 0 in layerkit (docs: abs-gradient-at-zero)
    ("regularizers/l2", L(lambda l: [l.Dense(4, kernel_regularizer="l2", bias_regularizer="l1",
                                             bias_initializer="ones")])),
    ("regularizers/L1L2_activity", lambda kl: [kl.layers.Dense(4, activity_regularizer=kl.regularizers.L1L2(
        l1=0.01, l2=0.02))]),
    ("constraints/max_norm", L(lambda l: [l.Dense(4, kernel_constraint="max_norm", bias_constraint="non_neg")])),
    ("constraints/unit_norm", L(lambda l: [l.Dense(4, kernel_constraint="unit_norm")])),
]

MERGES = [
    ("Add", lambda kl, a, b: kl.layers.Add()([a, b])),
    ("Subtract", lambda kl, a, b: kl.layers.Subtract()([a, b])),
    ("Multiply", lambda kl, a, b: kl.layers.Multiply()([a, b])),
    ("Average", lambda kl, a, b: kl.layers.Average()([a, b])),
    ("Maximum", lambda kl, a, b: kl.layers.Maximum()([a, b])),
    ("Minimum", lambda kl, a, b: kl.layers.Minimum()([a, b])),
    ("Concatenate", lambda kl, a, b: kl.layers.Concatenate()([a, b])),
    ("Dot", lambda kl, a, b: kl.layers.Dot(axes=1)([a, b])),
    ("Dot_normalize", lambda kl, a, b: kl.layers.Dot(axes=1, normalize=True)([a, b])),
    ("functions", lambda kl, a, b: kl.layers.concatenate([kl.layers.add([a, b]), kl.layers.multiply([a, b])])),
]


def _embedding(s):
    kl = s.kl
    tokens = (s.d["x"] > 0).astype("int32") * 3 + (s.d["x"] > 1).astype("int32")
    model = kl.Sequential([kl.Input((4,), dtype="int32"), kl.layers.Embedding(7, 3), kl.layers.Flatten(),
                           kl.layers.Dense(1)])
    model.compile(optimizer=kl.optimizers.SGD(0.1), loss="mse")
    train_and_report(s, model, tokens, s.d["y"])


def _embedding_masked_pooling(s):
    kl = s.kl
    tokens = (s.d["x"] > 0).astype("int32") * 3 + (s.d["x"] > 1).astype("int32")
    tokens[:, 0] = np.maximum(tokens[:, 0], 1)   # no sample is all padding (0 / 0 in Keras and layerkit alike)
    model = kl.Sequential([kl.Input((4,), dtype="int32"), kl.layers.Embedding(7, 3, mask_zero=True),
                           kl.layers.GlobalAveragePooling1D(), kl.layers.Dense(1)])
    model.compile(optimizer=kl.optimizers.SGD(0.1), loss="mse")
    train_and_report(s, model, tokens, s.d["y"])


CASES = [_activation(name) for name in ACTIVATIONS]
CASES += [_dense_stack(name, middle) for name, middle in LAYER_ROWS]
CASES += [_merge(name, make) for name, make in MERGES]
CASES += [Case("layers/Embedding", _embedding, _data), Case("layers/Embedding/masked_pooling",
                                                           _embedding_masked_pooling, _data)]
