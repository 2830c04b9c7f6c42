"""``linker=auto`` (the default): the same program gives the same numbers on the same machine, run after run.

Each function (and scan loop) is on one tier for its whole life, built before its first call is computed, so a
run that compiles its C (an empty compile cache) and a run that loads it from the cache compute the same bits;
under the old background switch (``linker=tiered`` now) a 5-epoch LSTM fit ended at different losses from run to
run. Each run is a fresh process, as a user's would be.
"""
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from layerkit_backend.config import config

needs_cc = pytest.mark.skipif(shutil.which(config.cc.split()[0]) is None, reason="no C compiler")

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"

# An LSTM classifier trained for 3 epochs (a last batch of another size, so two shape signatures per function);
# prints the losses and the final weights as exact hex floats, and how many pieces ran native.
TRAINING = r"""
import hashlib, json
import numpy as np
import layerkit
from layerkit_backend.compile.tiers import STATS

layerkit.utils.set_random_seed(0)
rng = np.random.default_rng(0)
x = rng.standard_normal((80, 6, 5)).astype("float32")
y = np.eye(3, dtype="float32")[rng.integers(0, 3, 80)]
model = layerkit.models.Sequential([layerkit.layers.LSTM(12, input_shape=(6, 5)),
                                    layerkit.layers.Dense(3, activation="softmax")])
model.compile(loss="categorical_crossentropy", optimizer=layerkit.optimizers.Adam(0.01))
history = model.fit(x, y, batch_size=32, epochs=3, verbose=0)
weights = b"".join(np.ascontiguousarray(w).tobytes() for w in model.get_weights())
print(json.dumps({"loss": [float(v).hex() for v in history.history["loss"]],
                  "weights": hashlib.sha256(weights).hexdigest(),
                  "predict": hashlib.sha256(model.predict(x, verbose=0).tobytes()).hexdigest(),
                  "native": STATS["native"], "failed": STATS["failed"]}))
"""


def _run(args, cache, tmp_path, linker="auto"):
    env = dict(os.environ, LAYERKIT_FLAGS=f"linker={linker},native_cache={cache}", MPLBACKEND="Agg",
               TMPDIR=str(tmp_path))
    done = subprocess.run([sys.executable, *args], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


@needs_cc
def test_a_training_run_gives_the_same_bits_with_a_cold_and_a_warm_compile_cache(tmp_path):
    cache = tmp_path / "cache"
    cold = json.loads(_run(["-c", TRAINING], cache, tmp_path).splitlines()[-1])  # compiles every library
    warm = json.loads(_run(["-c", TRAINING], cache, tmp_path).splitlines()[-1])  # loads them in milliseconds
    assert cold["native"] > 0 and not cold["failed"], cold  # the native tier did serve the calls
    assert warm == cold
    # and linker=native (which also compiles functions never called) computes the same
    native = json.loads(_run(["-c", TRAINING], cache, tmp_path, linker="native").splitlines()[-1])
    assert {k: native[k] for k in ("loss", "weights", "predict")} == {k: cold[k] for k in ("loss", "weights",
                                                                                       "predict")}


@needs_cc
def test_addition_rnn_reloaded_model_predicts_identically_under_auto(tmp_path):
    out = _run([str(EXAMPLES / "addition_rnn.py"), "--smoke"], tmp_path / "cache", tmp_path)
    assert "reloaded model predicts identically: True" in out, out[-2000:]
