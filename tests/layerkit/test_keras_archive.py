"""``.keras`` archives from untrusted hands: every malformed or hostile archive is refused with an error naming the
file and what is wrong, before anything large is read, and nothing is ever written under a member's name.
(Round trips with Keras itself are the conformance group ``keras_format`` and check_reverse.py.)"""
import io
import json
import os
import zipfile

import h5py
import numpy as np
import pytest

import layerkit as lk
from layerkit import layers


def _model():
    return lk.Sequential([lk.Input((3,)), layers.Dense(2, name="d")], name="small")


def _members(model):
    """config.json, metadata.json and model.weights.h5 of ``model``'s own archive, as bytes."""
    buffer = io.BytesIO()
    from layerkit.saving.keras3_config import keras3_model_config
    from layerkit.saving.keras3_weights import write_weights

    with h5py.File(buffer, "w") as f:
        write_weights(model, f)
    return {"metadata.json": json.dumps({"keras_version": "3.15.1"}).encode(),
            "config.json": json.dumps(keras3_model_config(model)).encode(), "model.weights.h5": buffer.getvalue()}


def _archive(path, members, compression=zipfile.ZIP_STORED, flag_bits=0):
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name)
            info.compress_type = compression
            archive.writestr(info, data)
    if flag_bits:   # zipfile writes no encrypted members: set the flag in the central directory's records
        raw = bytearray(path.read_bytes())
        start = raw.find(b"PK\x01\x02")
        while start != -1:
            raw[start + 8] |= flag_bits
            start = raw.find(b"PK\x01\x02", start + 4)
        path.write_bytes(bytes(raw))
    return path


def _bomb(size):
    return b"\0" * size   # deflates to about 1/1000 of its size


# name -> (members given the model's own, compression, flag bits, expected message)
HOSTILE = [
    ("no config", lambda m: [("metadata.json", m["metadata.json"]), ("model.weights.h5", m["model.weights.h5"])],
     zipfile.ZIP_STORED, 0, "no 'config.json'"),
    ("config not JSON", lambda m: [("config.json", b"{not json"), ("model.weights.h5", m["model.weights.h5"])],
     zipfile.ZIP_STORED, 0, "config.json is not valid JSON"),
    ("config a JSON list", lambda m: [("config.json", b"[1, 2]")], zipfile.ZIP_STORED, 0, "JSON object"),
    ("deeply nested config", lambda m: [("config.json", b"[" * 100000 + b"]" * 100000)], zipfile.ZIP_STORED, 0,
     "not valid JSON"),
    ("config as a decompression bomb", lambda m: [("config.json", _bomb(80 * 2 ** 20))], zipfile.ZIP_DEFLATED, 0,
     "declares 80.0 MiB"),
    ("weights as a decompression bomb", lambda m: [("config.json", m["config.json"]),
                                                   ("model.weights.h5", _bomb(80 * 2 ** 20))],
     zipfile.ZIP_DEFLATED, 0, "model.weights.h5' declares 80.0 MiB"),
    ("config twice", lambda m: [("config.json", m["config.json"]), ("config.json", b"{}"),
                                ("model.weights.h5", m["model.weights.h5"])], zipfile.ZIP_STORED, 0,
     "more than once"),
    ("encrypted member", lambda m: list(m.items()), zipfile.ZIP_STORED, 0x1, "encrypted"),
    ("no weights", lambda m: [("config.json", m["config.json"])], zipfile.ZIP_STORED, 0, "no 'model.weights.h5'"),
    ("weights not HDF5", lambda m: [("config.json", m["config.json"]), ("model.weights.h5", b"plain text")],
     zipfile.ZIP_STORED, 0, "not an HDF5 file"),
]


@pytest.mark.filterwarnings("ignore:Duplicate name")   # the archive with config.json twice
@pytest.mark.parametrize("case, members, compression, flags, message", HOSTILE, ids=[row[0] for row in HOSTILE])
def test_a_hostile_archive_is_refused_with_a_clear_error(tmp_path, case, members, compression, flags, message):
    path = _archive(tmp_path / "hostile.keras", members(_members(_model())), compression, flags)
    with pytest.raises(ValueError, match=message) as caught:
        lk.models.load_model(path)
    assert "hostile.keras" in str(caught.value)


def test_member_names_are_never_used_as_paths(tmp_path):
    own = _members(_model())
    inside = tmp_path / "inside"
    inside.mkdir()
    path = _archive(inside / "m.keras", [("../../escaped.txt", b"x"), ("/abs/escaped.txt", b"x"),
                                         ("assets/../../../escaped.txt", b"x")] + list(own.items()))
    before = sorted(p for p in tmp_path.rglob("*"))
    model = lk.models.load_model(path)
    assert model.name == "small"
    assert sorted(p for p in tmp_path.rglob("*")) == before
    assert not any(p.name == "escaped.txt" for p in tmp_path.parent.rglob("escaped.txt"))


def test_weights_that_do_not_fit_the_model_change_nothing(tmp_path):
    model = _model()
    other = lk.Sequential([lk.Input((3,)), layers.Dense(5, name="d")], name="small")
    own = _members(model)
    own["model.weights.h5"] = _members(other)["model.weights.h5"]
    path = _archive(tmp_path / "mismatch.keras", list(own.items()))
    with pytest.raises(ValueError, match=r"layer 'd' variable 'd/kernel' has shape \(3, 2\)"):
        lk.models.load_model(path)


def test_a_round_trip_keeps_weights_compile_arguments_and_optimizer_state(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 3)).astype("float32"), rng.normal(size=(16, 2)).astype("float32")
    model = _model()
    model.compile(optimizer=lk.optimizers.RMSprop(0.01, momentum=0.5), loss="huber", metrics=["mae"])
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = lk.models.load_model(tmp_path / "m.keras")
    assert loaded.metrics_names == model.metrics_names == ["loss", "mae"]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.train_on_batch(x, y) == model.train_on_batch(x, y)
    for a, b in zip(loaded.get_weights() + loaded.optimizer.get_weights(),
                    model.get_weights() + model.optimizer.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_save_that_fails_leaves_the_previous_file(tmp_path):
    path = tmp_path / "m.keras"
    _model().save(path)
    before = path.read_bytes()

    class Subclassed(lk.Model):
        def call(self, inputs):
            return inputs

    with pytest.raises(NotImplementedError, match="subclassed"):
        Subclassed().save(path)
    assert path.read_bytes() == before and sorted(os.listdir(tmp_path)) == ["m.keras"]
