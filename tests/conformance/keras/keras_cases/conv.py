"""Convolution, pooling, padding, cropping and upsampling layers (channels last), trained two epochs."""
from keras_session import Case, train_and_report

from .data import targets


def _images(rng):
    x = rng.normal(size=(16, 8, 8, 2)).astype("float32")
    return {"x": x, "y": targets("binary:1", x.mean(axis=(1, 2)), rng)}


def _signals(rng):
    x = rng.normal(size=(16, 10, 2)).astype("float32")
    return {"x": x, "y": targets("binary:1", x.mean(axis=1), rng)}


def _case(name, middle, data):
    def program(s):
        kl = s.kl
        model = kl.Sequential([kl.Input(s.d["x"].shape[1:])] + middle(kl) +
                              [kl.layers.Flatten(), kl.layers.Dense(1, activation="sigmoid")])
        model.compile(optimizer=kl.optimizers.SGD(0.05), loss="binary_crossentropy", metrics=["accuracy"])
        train_and_report(s, model, s.d["x"], s.d["y"], batch_size=8)

    return Case(f"conv/{name}", program, data)


L = lambda make: (lambda kl: make(kl.layers))   # noqa: E731 - a row's layers, written against kl.layers

ROWS_2D = [
    ("Conv2D/valid", L(lambda l: [l.Conv2D(3, 3, activation="relu")])),
    ("Conv2D/same", L(lambda l: [l.Conv2D(3, 3, padding="same")])),
    ("Conv2D/strides", L(lambda l: [l.Conv2D(3, (3, 2), strides=2, padding="same")])),
    ("Conv2D/strides_valid", L(lambda l: [l.Conv2D(2, 3, strides=(2, 1))])),
    ("Conv2D/dilation", L(lambda l: [l.Conv2D(3, 3, dilation_rate=2, padding="same")])),
    ("Conv2D/no_bias_1x1", L(lambda l: [l.Conv2D(4, 1, use_bias=False)])),
    ("Conv2DTranspose/valid", L(lambda l: [l.Conv2DTranspose(2, 3)])),
    ("Conv2DTranspose/same_strides", L(lambda l: [l.Conv2DTranspose(2, 3, strides=2, padding="same")])),
    ("Conv2DTranspose/valid_strides", L(lambda l: [l.Conv2DTranspose(2, 2, strides=2)])),
    ("MaxPooling2D/valid", L(lambda l: [l.Conv2D(3, 3), l.MaxPooling2D()])),
    ("MaxPooling2D/same_odd", L(lambda l: [l.Conv2D(3, 2), l.MaxPooling2D(2, padding="same")])),
    ("MaxPooling2D/strides", L(lambda l: [l.MaxPooling2D(3, strides=2)])),
    ("AveragePooling2D/valid", L(lambda l: [l.Conv2D(3, 3), l.AveragePooling2D(2)])),
    ("AveragePooling2D/same_odd", L(lambda l: [l.Conv2D(3, 2), l.AveragePooling2D(2, padding="same")])),
    ("AveragePooling2D/same_strides", L(lambda l: [l.AveragePooling2D(3, strides=2, padding="same")])),
    ("GlobalMaxPooling2D", L(lambda l: [l.Conv2D(3, 3), l.GlobalMaxPooling2D(), l.Reshape((3, 1))])),
    ("GlobalAveragePooling2D", L(lambda l: [l.Conv2D(3, 3), l.GlobalAveragePooling2D(), l.Reshape((3, 1))])),
    ("ZeroPadding2D", L(lambda l: [l.ZeroPadding2D(((1, 0), (2, 1))), l.Conv2D(2, 3)])),
    ("Cropping2D", L(lambda l: [l.Cropping2D(((1, 2), (0, 1))), l.Conv2D(2, 3)])),
    ("UpSampling2D", L(lambda l: [l.Conv2D(2, 3, strides=2), l.UpSampling2D((2, 1))])),
    ("LeNet", L(lambda l: [l.Conv2D(4, 3, activation="relu"), l.MaxPooling2D(), l.Conv2D(4, 2, activation="relu"),
                           l.MaxPooling2D(), l.Flatten(), l.Dense(8, activation="relu")])),
]

ROWS_1D = [
    ("Conv1D/valid", L(lambda l: [l.Conv1D(3, 3, activation="relu")])),
    ("Conv1D/same", L(lambda l: [l.Conv1D(3, 4, padding="same")])),
    ("Conv1D/causal", L(lambda l: [l.Conv1D(3, 3, padding="causal")])),
    ("Conv1D/strides", L(lambda l: [l.Conv1D(3, 3, strides=2)])),
    ("Conv1D/dilation", L(lambda l: [l.Conv1D(3, 2, dilation_rate=3, padding="causal")])),
    ("MaxPooling1D", L(lambda l: [l.Conv1D(3, 3), l.MaxPooling1D(2)])),
    ("MaxPooling1D/same", L(lambda l: [l.MaxPooling1D(3, strides=2, padding="same")])),
    ("AveragePooling1D/same", L(lambda l: [l.AveragePooling1D(3, strides=2, padding="same")])),
    ("AveragePooling1D/valid", L(lambda l: [l.Conv1D(3, 3), l.AveragePooling1D(3)])),
    ("GlobalMaxPooling1D", L(lambda l: [l.Conv1D(3, 3), l.GlobalMaxPooling1D(), l.Reshape((3, 1))])),
    ("GlobalAveragePooling1D", L(lambda l: [l.Conv1D(3, 3), l.GlobalAveragePooling1D(), l.Reshape((3, 1))])),
    ("ZeroPadding1D", L(lambda l: [l.ZeroPadding1D((2, 1)), l.Conv1D(2, 3)])),
    ("Cropping1D", L(lambda l: [l.Cropping1D((1, 3)), l.Conv1D(2, 3)])),
    ("UpSampling1D", L(lambda l: [l.Conv1D(2, 3, strides=2), l.UpSampling1D(3)])),
]

CASES = [_case(name, middle, _images) for name, middle in ROWS_2D]
CASES += [_case(name, middle, _signals) for name, middle in ROWS_1D]
