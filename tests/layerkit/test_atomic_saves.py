"""Saves replace files atomically: killed or failed saves leave no litter behind the next save, modes are kept,
symlinks are followed."""
import os
import subprocess
import sys

import numpy as np
import pytest

import layerkit
from layerkit import layers, saving


def _model(seed=0):
    model = layerkit.Sequential([layers.Input((3,)), layers.Dense(2)])
    model.set_weights([np.full((3, 2), seed, "float32"), np.zeros(2, "float32")])
    return model


def _kernel(path):
    return saving.load_model(path, compile=False).get_weights()[0]


def _temporaries(directory):
    return sorted(name for name in os.listdir(directory) if ".tmp" in name)


KILLED_SAVE = """
import os, sys
import layerkit
from layerkit import layers
from layerkit.saving import hdf5
model = layerkit.Sequential([layers.Input((3,)), layers.Dense(2)])
with hdf5._atomic_h5(sys.argv[1], True) as f:
    f.create_group("half_written")
    f.flush()
    os._exit(9)   # as if killed mid-save: no clean-up runs
"""


def test_the_next_save_removes_what_a_killed_save_left(tmp_path):
    path = tmp_path / "m.h5"
    _model(1).save(path)
    result = subprocess.run([sys.executable, "-c", KILLED_SAVE, str(path)], capture_output=True, text=True)
    assert result.returncode == 9, result.stderr
    assert len(_temporaries(tmp_path)) == 1 and _kernel(path)[0, 0] == 1   # the original is intact
    _model(2).save(path)
    assert _temporaries(tmp_path) == [] and _kernel(path)[0, 0] == 2


def test_a_save_in_progress_in_another_process_is_left_alone(tmp_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        busy = tmp_path / f".m.h5.{sleeper.pid}.0a1b2c3d.tmp"
        busy.write_bytes(b"being written")
        _model().save(tmp_path / "m.h5")
        assert busy.exists()
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_failed_save_leaves_the_original_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "m.h5"
    _model(1).save(path)
    from layerkit.saving import hdf5

    def broken(*args):
        raise OSError("disk full")

    monkeypatch.setattr(hdf5, "_write_model_weights", broken)
    with pytest.raises(OSError, match="disk full"):
        _model(2).save(path)
    assert _temporaries(tmp_path) == [] and _kernel(path)[0, 0] == 1


def test_a_replaced_file_keeps_its_mode_and_a_new_file_follows_the_umask(tmp_path):
    path = tmp_path / "m.h5"
    _model().save(path)
    os.chmod(path, 0o640)
    _model(1).save(path)
    assert os.stat(path).st_mode & 0o777 == 0o640
    previous = os.umask(0o027)
    try:
        _model().save(tmp_path / "new.h5")
    finally:
        os.umask(previous)
    assert os.stat(tmp_path / "new.h5").st_mode & 0o777 == 0o640   # 0o666 & ~0o027, not mkstemp's 0o600


def test_saving_through_a_symlink_replaces_its_target(tmp_path):
    (tmp_path / "store").mkdir()
    target = tmp_path / "store" / "real.h5"
    _model(1).save(target)
    link = tmp_path / "link.h5"
    link.symlink_to(target)
    _model(2).save(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert _kernel(target)[0, 0] == 2 and _kernel(link)[0, 0] == 2
    _model(3).save_weights(link)
    assert link.is_symlink()


def test_backup_and_restore_writes_atomically(tmp_path):
    backup = tmp_path / "backup"
    model = _model()
    model.compile(optimizer="sgd", loss="mse")
    callback = layerkit.callbacks.BackupAndRestore(backup, delete_checkpoint=False)
    model.fit(np.ones((4, 3)), np.ones((4, 2)), epochs=2, verbose=0, callbacks=[callback])
    assert sorted(os.listdir(backup)) == ["backup.npz"]
