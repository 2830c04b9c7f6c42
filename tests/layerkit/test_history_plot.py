"""History.plot / utils.plot_history: a PNG of the training curves, and a clear message without matplotlib."""
import builtins

import numpy as np
import pytest

from layerkit import layers
from layerkit.callbacks import History
from layerkit.models import Sequential
from layerkit.utils import plot_history


def test_plot_after_fit_writes_a_png(tmp_path):
    model = Sequential([layers.Input(shape=(2,)), layers.Dense(1)])
    model.compile("sgd", "mse", metrics=["mae"])
    history = model.fit(np.ones((8, 2)), np.zeros((8, 1)), epochs=3, validation_split=0.25, verbose=0)
    path = history.plot(str(tmp_path / "curves.png"), title="toy")
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_plot_of_an_empty_history_is_refused(tmp_path):
    history = History()
    history.on_train_begin()
    with pytest.raises(ValueError, match="no recorded epochs"):
        plot_history(history, str(tmp_path / "x.png"))


def test_without_matplotlib_the_error_names_the_fix(monkeypatch, tmp_path):
    real_import = builtins.__import__

    def no_matplotlib(name, *args, **kwargs):
        if name.startswith("matplotlib"):
            raise ImportError("No module named 'matplotlib'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_matplotlib)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        plot_history({"loss": [1.0, 0.5]}, str(tmp_path / "x.png"))
