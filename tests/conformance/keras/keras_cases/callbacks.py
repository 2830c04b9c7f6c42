"""Callbacks: the order and arguments of every hook in fit (with validation data, a split, validation_freq),
evaluate and predict; and the built-in callbacks' effects."""
import csv
import os

from keras_session import CallOrder, Case, train_and_report

from .data import features, targets


def _data(rng):
    x = features(rng, n=40)
    xv = features(rng, n=8)
    return {"x": x, "y": targets("real:1", x, rng), "xv": xv, "yv": targets("real:1", xv, rng)}


def _model(kl, lr=0.05):
    model = kl.Sequential([kl.Input((4,)), kl.layers.Dense(3, activation="tanh"), kl.layers.Dense(1)])
    model.compile(optimizer=kl.optimizers.SGD(lr), loss="mse", metrics=["mae"])
    return model


def _order_case(name, run):
    def program(s):
        kl = s.kl
        model = _model(kl)
        s.start(model)
        calls = []
        result = run(s, model, CallOrder.make(kl, calls))
        s.out["calls"] = calls
        if result is not None:
            s.out["result"] = result

    return Case(f"callbacks/order/{name}", program, _data)


def _fit(**kwargs):
    def run(s, model, recorder):
        history = model.fit(s.d["x"], s.d["y"], batch_size=16, shuffle=False, verbose=0, callbacks=[recorder],
                            **kwargs)
        return {"history": history.history, "epoch": list(history.epoch),
                "params": {k: history.params.get(k) for k in ("epochs", "steps")}}
    return run


def _validation_data(**kwargs):
    def run(s, model, recorder):
        return _fit(validation_data=(s.d["xv"], s.d["yv"]), **kwargs)(s, model, recorder)
    return run


def _evaluate(s, model, recorder):
    return model.evaluate(s.d["x"], s.d["y"], batch_size=16, verbose=0, callbacks=[recorder])


def _predict(s, model, recorder):
    return model.predict(s.d["x"], batch_size=16, verbose=0, callbacks=[recorder])


def _effect_case(name, make_callbacks, lr=0.05, epochs=4, validation=True, files=None):
    """Trains with the callbacks; records the history, the weights and (``files(s)``) what they wrote."""
    def program(s):
        kl = s.kl
        model = _model(kl, lr)
        callbacks = make_callbacks(kl, s)
        validation_data = (s.d["xv"], s.d["yv"]) if validation else None
        train_and_report(s, model, s.d["x"], s.d["y"], epochs=epochs, validation=validation_data,
                         callbacks=callbacks)
        s.out["epochs_run"] = len(s.out["history"]["loss"])
        if files is not None:
            s.out["files"] = files(s, model)

    return Case(f"callbacks/{name}", program, _data)


def _checkpoints(s, model):
    names = sorted(f for f in os.listdir(s.tmp) if f.endswith(".weights.h5"))
    predictions = {}
    for name in names:
        model.load_weights(os.path.join(s.tmp, name))
        predictions[name] = model.predict(s.d["xv"], verbose=0)
    return predictions


def _csv_rows(s, model):
    with open(os.path.join(s.tmp, "log.csv")) as f:
        rows = list(csv.reader(f))
    return {"header": rows[0], "rows": [[float(v) for v in row] for row in rows[1:]]}


def _stop_at_epoch(kl, s):
    class StopAfterTwo(kl.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True
    return [StopAfterTwo()]


def _lambda(kl, s):
    seen = s.out.setdefault("lambda_calls", [])
    return [kl.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append([epoch, sorted(logs)]),
                                        on_train_end=lambda logs: seen.append(["end"]))]


def _nan_data(rng):
    d = _data(rng)
    d["y"] = d["y"] * 1e3
    return d


CASES = [
    _order_case("fit", _fit(epochs=2)),
    _order_case("fit_validation_data", _validation_data(epochs=2)),
    _order_case("fit_validation_split", _fit(epochs=2, validation_split=0.25)),
    _order_case("fit_validation_freq", _validation_data(epochs=3, validation_freq=2)),
    _order_case("fit_initial_epoch", _fit(epochs=3, initial_epoch=1)),
    _order_case("fit_steps_per_epoch", _fit(epochs=2, steps_per_epoch=2)),
    _order_case("evaluate", _evaluate),
    _order_case("predict", _predict),
    _effect_case("EarlyStopping/min_delta", lambda kl, s: [kl.callbacks.EarlyStopping(min_delta=10.0, patience=1)]),
    _effect_case("EarlyStopping/restore_best", lambda kl, s: [kl.callbacks.EarlyStopping(
        monitor="loss", min_delta=10.0, patience=2, restore_best_weights=True)]),
    _effect_case("EarlyStopping/mae_max_mode", lambda kl, s: [kl.callbacks.EarlyStopping(
        monitor="val_mae", mode="max", patience=0)]),
    _effect_case("ReduceLROnPlateau", lambda kl, s: [kl.callbacks.ReduceLROnPlateau(
        monitor="loss", factor=0.5, patience=0, min_delta=10.0)]),
    _effect_case("LearningRateScheduler", lambda kl, s: [kl.callbacks.LearningRateScheduler(
        lambda epoch, lr: lr * 0.5 if epoch else lr)]),
    _effect_case("ModelCheckpoint/every_epoch", lambda kl, s: [kl.callbacks.ModelCheckpoint(
        os.path.join(s.tmp, "w{epoch:02d}.weights.h5"), save_weights_only=True)], epochs=2, files=_checkpoints),
    _effect_case("ModelCheckpoint/best_only", lambda kl, s: [kl.callbacks.ModelCheckpoint(
        os.path.join(s.tmp, "best.weights.h5"), save_weights_only=True, save_best_only=True,
        monitor="val_mae")], epochs=3, files=_checkpoints),
    _effect_case("CSVLogger", lambda kl, s: [kl.callbacks.CSVLogger(os.path.join(s.tmp, "log.csv"))], epochs=2,
                 files=_csv_rows),
    _effect_case("stop_training", _stop_at_epoch),
    _effect_case("LambdaCallback", _lambda, epochs=2),
]
CASES.append(Case("callbacks/TerminateOnNaN", _effect_case(
    "TerminateOnNaN", lambda kl, s: [kl.callbacks.TerminateOnNaN()], lr=10.0, epochs=12, validation=False).program,
    _nan_data))
