"""Every script in examples/ runs with ``--smoke`` (a few steps) and prints the line that shows it got to the end."""
import os
import pathlib
import subprocess
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"

# one row per example: the script and a piece of its last meaningful output line
SPECS = [
    ("backend_basics.py", "backend tour: all checks passed"),
    ("logistic_regression.py", "training accuracy:"),
    ("mlp.py", "held-out points: loss"),
    ("lenet_cnn.py", "held-out images: loss"),
    ("char_lstm.py", "--- temperature 1.0:"),
    ("addition_rnn.py", "reloaded model predicts identically: True"),
    ("custom_attention.py", "predicts identically: True"),
    ("stateful_rnn.py", "held-out series: next-step mse"),
]


def test_every_example_has_a_row():
    assert sorted(name for name, _ in SPECS) == sorted(p.name for p in EXAMPLES.glob("*.py"))


@pytest.mark.parametrize("script, expected", SPECS, ids=[name for name, _ in SPECS])
def test_example_smoke_run(script, expected, tmp_path):
    env = dict(os.environ, MPLBACKEND="Agg", TMPDIR=str(tmp_path))
    completed = subprocess.run([sys.executable, str(EXAMPLES / script), "--smoke"], cwd=tmp_path, env=env,
                               capture_output=True, text=True, timeout=120)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, f"{script} --smoke exited with {completed.returncode}:\n{output[-3000:]}"
    assert expected in completed.stdout, f"{script} --smoke did not print {expected!r}:\n{output[-3000:]}"
