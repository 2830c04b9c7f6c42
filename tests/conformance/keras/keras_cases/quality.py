"""Learning quality where weights cannot be transferred: dropout in training and Keras's own random initial
weights. Each case trains from several seeds in each library and compares the mean final loss and validation
accuracy, allowing for the spread between seeds (:func:`same_quality`)."""
import numpy as np

from keras_session import Case

from .data import features, sequences, targets

SEEDS = (0, 1, 2, 3, 4)


def _tabular(rng):
    x = features(rng, n=192, f=6)
    return {"x": x, "y": targets("binary:1", x, rng)}


def _sequences(rng):
    x = sequences(rng, n=160, t=8, f=3)
    return {"x": x, "y": targets("binary:1", x.sum(axis=1), rng)}


def _quality_case(name, build, data, epochs):
    """``build(kl)`` -> a compiled binary classifier; trained from each seed (no weights shared)."""
    def program(s):
        kl = s.kl
        losses, accuracies = [], []
        for seed in SEEDS:
            kl.utils.set_random_seed(seed)
            model = build(kl)
            history = model.fit(s.d["x"], s.d["y"], epochs=epochs, batch_size=16, validation_split=0.25,
                                verbose=0).history
            losses.append(history["loss"][-1])
            accuracies.append(history["val_accuracy"][-1])
        s.out["final_loss"] = losses
        s.out["final_val_accuracy"] = accuracies

    return Case(f"quality/{name}", program, data, differs="learning-quality", skip=("final_loss",
                                                                                   "final_val_accuracy"),
                check=same_quality)


def same_quality(keras, ours, tol):
    """The means over seeds agree within three standard errors of their difference (and 0.03 at least)."""
    problems = []
    for key in ("final_loss", "final_val_accuracy"):
        k, o = np.asarray(keras[key]), np.asarray(ours[key])
        allowed = max(0.03, 3.0 * np.sqrt(k.var(ddof=1) / len(k) + o.var(ddof=1) / len(o)))
        if abs(k.mean() - o.mean()) > allowed:
            problems.append(f"{key}: Keras {k.mean():.4f} (seeds {np.round(k, 3).tolist()}), layerkit "
                            f"{o.mean():.4f} (seeds {np.round(o, 3).tolist()}); allowed difference {allowed:.4f}")
    return problems


def _mlp_dropout(kl):
    model = kl.Sequential([kl.Input((6,)), kl.layers.Dense(32, activation="relu"), kl.layers.Dropout(0.4),
                           kl.layers.Dense(16, activation="relu"), kl.layers.Dropout(0.2),
                           kl.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def _lstm_dropout(kl):
    model = kl.Sequential([kl.Input((8, 3)), kl.layers.LSTM(12, dropout=0.2, recurrent_dropout=0.2),
                           kl.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


def _gru_default_init(kl):
    model = kl.Sequential([kl.Input((8, 3)), kl.layers.GRU(12), kl.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=kl.optimizers.RMSprop(0.005), loss="binary_crossentropy", metrics=["accuracy"])
    return model


CASES = [_quality_case("mlp_dropout", _mlp_dropout, _tabular, epochs=12),
         _quality_case("lstm_dropout", _lstm_dropout, _sequences, epochs=8),
         _quality_case("gru_own_initializers", _gru_default_init, _sequences, epochs=8)]
