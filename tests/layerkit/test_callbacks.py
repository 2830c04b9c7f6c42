"""Callbacks: History, EarlyStopping, ModelCheckpoint, LR callbacks, CSVLogger, TerminateOnNaN, BackupAndRestore."""
import csv
import os

import numpy as np
import pytest

from layerkit import callbacks, optimizers
from layerkit.layers.core import Dense
from layerkit.models import Sequential


def _data(n=64):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 3)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], "float32")).astype("float32")


def _model(lr=0.05):
    model = Sequential([Dense(1, input_shape=(3,), kernel_initializer="zeros")])
    model.compile(optimizers.SGD(lr), "mse")
    return model


class Scripted(callbacks.Callback):
    """Replaces the monitored value by a scripted sequence, to drive the monitoring callbacks exactly."""

    def __init__(self, values):
        super().__init__()
        self.values = values

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.values[epoch]


def test_early_stopping_stops_and_restores_best_weights():
    x, y = _data()
    model = _model()
    saved = {}
    keep = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: saved.__setitem__(epoch, model.get_weights()))
    stopper = callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    history = model.fit(x, y, epochs=20, verbose=0, callbacks=[Scripted([5, 3, 4, 4, 1, 1]), keep, stopper])
    assert history.epoch == [0, 1, 2, 3] and stopper.stopped_epoch == 3
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), saved[1]))


@pytest.mark.parametrize("values,patience,factor,expected", [
    ([3, 2, 2, 2, 2, 2], 2, 0.5, [0.1, 0.1, 0.1, 0.1, 0.05, 0.05]),
    ([3, 2, 1, 0.5, 0.2, 0.1], 1, 0.5, [0.1] * 6),
])
def test_reduce_lr_on_plateau_changes_the_optimizer_learning_rate(values, patience, factor, expected):
    x, y = _data()
    model = _model(lr=0.1)
    rates = []
    record = callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: rates.append(model.optimizer.learning_rate))
    model.fit(x, y, epochs=6, verbose=0,
              callbacks=[record, Scripted(values), callbacks.ReduceLROnPlateau(factor=factor, patience=patience,
                                                                               min_delta=0)])
    np.testing.assert_allclose(rates, expected, rtol=1e-6)


def test_learning_rate_scheduler_sets_the_rate_used_by_the_step():
    x, y = _data(8)
    model = _model(lr=0.1)
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0, shuffle=False,
                        callbacks=[callbacks.LearningRateScheduler(lambda epoch, lr: 0.0 if epoch == 1 else lr)])
    np.testing.assert_allclose(history.history["learning_rate"], [0.1, 0.0, 0.0], rtol=1e-6)
    # epoch 2 ran with lr 0: its loss equals the loss after epoch 1 (no update since)
    before = model.evaluate(x, y, verbose=0)
    np.testing.assert_allclose(history.history["loss"][2], before, rtol=1e-6)


def test_csv_logger_writes_one_row_per_epoch(tmp_path):
    x, y = _data()
    path = tmp_path / "log.csv"
    model = _model()
    model.fit(x, y, epochs=3, verbose=0, validation_split=0.25, callbacks=[callbacks.CSVLogger(path)])
    model.fit(x, y, epochs=1, verbose=0, validation_split=0.25, callbacks=[callbacks.CSVLogger(path, append=True)])
    rows = list(csv.DictReader(open(path)))
    assert [r["epoch"] for r in rows] == ["0", "1", "2", "0"] and set(rows[0]) == {"epoch", "loss", "val_loss"}
    assert float(rows[1]["loss"]) < float(rows[0]["loss"])


def test_terminate_on_nan_names_the_batch(capsys):
    x, y = _data(32)
    y[20] = np.nan
    model = _model()
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0, shuffle=False,
                        callbacks=[callbacks.TerminateOnNaN()])
    assert "epoch 1, batch 2: invalid loss nan" in capsys.readouterr().out
    assert len(history.epoch) == 1


def test_backup_and_restore_resumes_where_it_stopped(tmp_path):
    x, y = _data()

    class Interrupt(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise KeyboardInterrupt

    reference = _model(lr=0.05)
    optimizer_kind = optimizers.SGD(0.05, momentum=0.9)
    reference.compile(optimizer_kind, "mse")
    full = reference.fit(x, y, epochs=4, verbose=0, shuffle=False).history["loss"]
    model = _model()
    model.compile(optimizers.SGD(0.05, momentum=0.9), "mse")
    backup = callbacks.BackupAndRestore(tmp_path / "backup")
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, epochs=4, verbose=0, shuffle=False, callbacks=[backup, Interrupt()])
    resumed = model.fit(x, y, epochs=4, verbose=0, shuffle=False, callbacks=[backup])
    assert resumed.epoch == [2, 3]
    np.testing.assert_allclose(resumed.history["loss"], full[2:], rtol=1e-5)
    assert not os.path.exists(tmp_path / "backup" / "backup.npz")


def test_model_checkpoint_fills_the_filename_template(tmp_path):
    saving = pytest.importorskip("layerkit.saving")
    if not hasattr(saving, "save_weights"):
        pytest.skip("layerkit.saving.save_weights is not available yet")
    x, y = _data()
    model = _model()
    template = str(tmp_path / "w-{epoch:02d}-{val_loss:.2f}.h5")
    model.fit(x, y, epochs=2, verbose=0, validation_split=0.25,
              callbacks=[callbacks.ModelCheckpoint(template, save_weights_only=True)])
    names = sorted(os.listdir(tmp_path))
    assert len(names) == 2 and names[0].startswith("w-01-") and names[1].startswith("w-02-")
