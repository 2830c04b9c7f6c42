"""Keras 3 losses added for issue 15: binary and categorical focal cross-entropy, Dice, Tversky and CTC."""
import numpy as np

from keras_session import Case, train_and_report

from .programs import LABELS, UNIT, WIDE, dense_case, named


def _only(shapes, *tags):
    return {tag: shapes[tag] for tag in tags}


# name, loss (kl -> identifier), target family, activation, units, metrics, shapes
ROWS = [
    ("binary_focal_crossentropy", named("binary_focal_crossentropy"), "binary", "sigmoid", 1, [], UNIT),
    ("BinaryFocalCrossentropy_balanced", lambda kl: kl.losses.BinaryFocalCrossentropy(
        apply_class_balancing=True, alpha=0.4, gamma=1.5), "binary", "sigmoid", 3, [], WIDE),
    ("BinaryFocalCrossentropy_logits_smoothing", lambda kl: kl.losses.BinaryFocalCrossentropy(
        from_logits=True, label_smoothing=0.1), "binary", None, 1, [named("accuracy")], _only(UNIT, "n", "n1")),
    ("categorical_focal_crossentropy", named("categorical_focal_crossentropy"), "onehot", "softmax", 3,
     [named("accuracy")], WIDE),
    ("CategoricalFocalCrossentropy_options", lambda kl: kl.losses.CategoricalFocalCrossentropy(
        alpha=0.5, gamma=1.0, from_logits=True, label_smoothing=0.1), "onehot", None, 3, [], _only(WIDE, "nk")),
    ("dice", named("dice"), "binary", "sigmoid", 1, [], _only(UNIT, "n1", "nT1")),
    ("Dice_axis", lambda kl: kl.losses.Dice(axis=1), "binary", "sigmoid", 3, [], _only(WIDE, "nk")),
    ("tversky", named("tversky"), "binary", "sigmoid", 1, [], _only(UNIT, "n1")),
    ("Tversky_weights", lambda kl: kl.losses.Tversky(alpha=0.7, beta=0.3), "binary", "sigmoid", 3, [],
     _only(WIDE, "nk")),
    ("focal_sample_weight", named("binary_focal_crossentropy"), "binary", "sigmoid", 1, [],
     _only(UNIT, "n1")),
]

CASES = [dense_case("losses_k3", name, tag, make_x, width, family, loss, activation, units, metrics,
                    **({"sample_weight": "samples"} if "sample_weight" in name else {}))
         for name, loss, family, activation, units, metrics, shapes in ROWS
         for tag, (make_x, width) in shapes.items()]


def _ctc_data(rng):
    x = rng.normal(size=(24, 8, 3)).astype("float32")
    labels = rng.integers(1, 4, size=(24, 3)).astype("int32")
    lengths = rng.integers(1, 4, size=24)
    labels[np.arange(3)[None, :] >= lengths[:, None]] = 0      # 0-padded label sequences of 1-3 symbols
    return {"x": x, "y": labels}


def _ctc_program(loss):
    def program(s):
        kl = s.kl
        model = kl.Sequential([kl.Input((8, 3)), kl.layers.Dense(6, activation="tanh"), kl.layers.Dense(4)])
        model.compile(optimizer=kl.optimizers.SGD(0.05), loss=loss(kl))
        train_and_report(s, model, s.d["x"], s.d["y"], batch_size=8)
    return program


CASES += [Case("losses_k3/ctc/logits", _ctc_program(lambda kl: kl.losses.CTC()), _ctc_data),
          Case("losses_k3/ctc/by_name", _ctc_program(lambda kl: "ctc"), _ctc_data)]
