"""An interrupted or saved-and-reloaded training run continues bit for bit as if it had never stopped, with
shuffling, Dropout and ReduceLROnPlateau (their state: training/resume_state.py and BackupAndRestore)."""
import json

import numpy as np
import pytest

import layerkit
from layerkit import callbacks, layers, saving
from layerkit.utils import set_random_seed

DATA = np.random.default_rng(0).normal(size=(40, 6)).astype("float32")
TARGET = (DATA[:, :1] * 2 - DATA[:, 1:2]).astype("float32")


def _model(seed):
    set_random_seed(seed)
    model = layerkit.Sequential([layers.Input((6,)), layers.Dense(8, activation="tanh"), layers.Dropout(0.3),
                                 layers.Dense(4), layers.Dropout(0.2),
                                 layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    return model


def _fit(model, epochs, extra=(), initial_epoch=0, plateau=None):
    plateau = plateau or callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=10.0)
    return model.fit(DATA, TARGET, batch_size=8, epochs=epochs, shuffle=True, verbose=0, initial_epoch=initial_epoch,
                     callbacks=[plateau, *extra])


class _Interrupt(callbacks.Callback):
    def __init__(self, after_epoch):
        super().__init__()
        self.after_epoch = after_epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.after_epoch:
            raise KeyboardInterrupt("simulated crash")


def _same(a, b):
    return [np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights())]


def test_backup_and_restore_resumes_bit_for_bit_in_a_fresh_model(tmp_path):
    straight = _model(0)
    _fit(straight, 6)
    interrupted = _model(0)
    with pytest.raises(KeyboardInterrupt):
        _fit(interrupted, 6, [callbacks.BackupAndRestore(tmp_path), _Interrupt(after_epoch=2)])
    restarted = _model(123)            # a new process: other initial weights, other global random state
    history = _fit(restarted, 6, [callbacks.BackupAndRestore(tmp_path)])
    assert history.epoch == [3, 4, 5]
    assert _same(straight, restarted) == [True] * len(straight.get_weights())
    assert restarted.optimizer.learning_rate == straight.optimizer.learning_rate < 0.001   # the plateau acted


def test_a_saved_and_reloaded_model_continues_as_the_original(tmp_path):
    plateau = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=10.0)
    original = _model(0)
    _fit(original, 3, plateau=plateau)
    original.save(tmp_path / "m.h5")
    np.random.seed(77)                  # whatever happens to NumPy's generator meanwhile
    reloaded = saving.load_model(tmp_path / "m.h5")
    _fit(original, 6, initial_epoch=3, plateau=plateau)
    _fit(reloaded, 6, initial_epoch=3, plateau=plateau)
    assert _same(original, reloaded) == [True] * len(original.get_weights())
    assert reloaded.optimizer.learning_rate == original.optimizer.learning_rate


def test_repeated_one_epoch_fits_shuffle_differently_each_time():
    model = _model(0)
    orders = []
    for _ in range(3):
        model.fit(DATA, TARGET, batch_size=40, epochs=1, verbose=0, shuffle=True,
                  callbacks=[callbacks.LambdaCallback(on_epoch_end=lambda e, l: orders.append(
                      dict(model._data_order)))])
    assert [o["epochs"] for o in orders] == [1, 2, 3] and len({o["seed"] for o in orders}) == 1


def test_a_damaged_resume_state_is_refused(tmp_path):
    import h5py

    _model(0).save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "a") as f:
        f.attrs["layerkit_resume_state"] = json.dumps({"format": 1, "random_streams": [
            {"seed_generator": {"kind": "os.system"}, "streams": []},
            {"seed_generator": {"kind": "os.system"}, "streams": []}]})
    with pytest.raises(ValueError, match="unknown random generator kind 'os.system'"):
        saving.load_model(tmp_path / "m.h5")
