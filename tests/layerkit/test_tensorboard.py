"""TensorBoard event files: layerkit's reader reads what TensorFlow's writer wrote as TensorBoard reads it, and
TensorBoard's reader reads what layerkit's writer writes (both recorded by tests/fixtures/tensorboard/
record_tensorboard.py with the real TensorBoard); the callback logs what fit's history holds."""
import glob
import json
import os

import numpy as np
import pytest

import layerkit
from layerkit.tensorboard import EventFileWriter, crc32c, read_events, read_scalars

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "tensorboard")


def _as_recorded(scalars):
    return {tag: [[step, value] for step, value in values] for tag, values in scalars.items()}


def _recorded(name):
    with open(os.path.join(FIXTURES, name)) as f:
        return json.load(f)


def test_crc32c_check_value():
    assert crc32c(b"123456789") == 0xE3069283   # the CRC-32C catalogue's check value


def test_reads_tensorflow_scalars_as_tensorboard_does():
    (path,) = glob.glob(os.path.join(FIXTURES, "tf_scalars", "events.out.tfevents.*"))
    assert _as_recorded(read_scalars(path)) == _recorded("tf_scalars.json")


def test_tensorboard_reads_layerkit_files():
    path = os.path.join(FIXTURES, "layerkit_scalars.tfevents")
    assert _as_recorded(read_scalars(path)) == _recorded("layerkit_read_by_tensorboard.json")
    assert read_events(path)[0]["file_version"] == "brain.Event:2"


def test_the_writer_still_writes_what_tensorboard_read(tmp_path):
    with EventFileWriter(str(tmp_path)) as writer:
        for step, (loss, accuracy) in enumerate([(0.9, 0.5), (0.625, 0.75), (0.40625, 0.875)]):
            writer.add_scalar("epoch_loss", loss, step)
            writer.add_scalar("epoch_accuracy", accuracy, step)
    fresh = open(writer.path, "rb").read()
    committed = open(os.path.join(FIXTURES, "layerkit_scalars.tfevents"), "rb").read()
    assert len(fresh) == len(committed)   # same records; only the wall times differ
    assert _as_recorded(read_scalars(writer.path)) == _recorded("layerkit_read_by_tensorboard.json")


def test_corrupt_records_are_refused(tmp_path):
    data = bytearray(open(os.path.join(FIXTURES, "layerkit_scalars.tfevents"), "rb").read())
    data[-6] ^= 0xFF
    path = tmp_path / "broken"
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="checksum"):
        read_events(str(path))


def test_callback_logs_the_history_per_epoch(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 3)).astype("float32"), rng.normal(size=(32, 1)).astype("float32")
    model = layerkit.Sequential([layerkit.layers.Input((3,)), layerkit.layers.Dense(1)])
    model.compile(optimizer=layerkit.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    callback = layerkit.callbacks.TensorBoard(log_dir=str(tmp_path), update_freq=2)
    history = model.fit(x, y, epochs=3, batch_size=8, validation_data=(x[:8], y[:8]), callbacks=[callback],
                        verbose=0)
    (train,) = glob.glob(str(tmp_path / "train" / "events.out.tfevents.*"))
    (validation,) = glob.glob(str(tmp_path / "validation" / "events.out.tfevents.*"))
    logged, logged_val = read_scalars(train), read_scalars(validation)
    for key in ("loss", "mae"):
        np.testing.assert_allclose([v for _, v in logged[f"epoch_{key}"]], history.history[key], rtol=1e-6)
        np.testing.assert_allclose([v for _, v in logged_val[f"epoch_{key}"]], history.history[f"val_{key}"],
                                   rtol=1e-6)
    assert [s for s, _ in logged["epoch_loss"]] == [0, 1, 2]
    assert [v for _, v in logged["epoch_learning_rate"]] == pytest.approx([0.1] * 3)
    assert [s for s, _ in logged["batch_loss"]] == [2, 4, 6, 8, 10, 12]


def test_features_beyond_scalars_are_refused():
    with pytest.raises(ValueError, match="histogram_freq"):
        layerkit.callbacks.TensorBoard(histogram_freq=1)
