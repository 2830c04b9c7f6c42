# make demo | make test | make bench: each creates .venv if missing and installs what it needs.
# A stamp per target (in .venv) skips reinstalling until pyproject.toml changes. `make test` installs the mpi extra
# (mpi4py + the mpich wheel, which brings mpiexec into .venv/bin) so the MPI tests run.
# make keras-fixtures: re-records the Keras 3 conformance fixtures (tests/conformance/keras) in .venv-keras, an
# environment of its own with Keras 3 on JAX, plus torch for the few cases recorded with Keras on torch and
# tensorflow-cpu for the preprocessing cases that call adapt() and the string layers recorded on TensorFlow (created or completed if missing; `make test` never
# needs it). RECORD_ARGS="--only NAME" re-records some cases.
PYTHON := .venv/bin/python
PIP := .venv/bin/pip
KERAS_PYTHON := .venv-keras/bin/python

.PHONY: demo test bench keras-fixtures

demo: .venv/.stamp-demo
	$(PYTHON) examples/addition_rnn.py

test: .venv/.stamp-test
	$(PYTHON) -m pytest -q --durations=15 tests

bench: .venv/.stamp-bench
	$(PYTHON) benchmarks/run.py $(BENCH_ARGS)

keras-fixtures: .venv-keras/.stamp-torch .venv-keras/.stamp-tf
	KERAS_BACKEND=jax $(KERAS_PYTHON) tests/conformance/keras/record_keras.py $(RECORD_ARGS)
	KERAS_BACKEND=torch $(KERAS_PYTHON) tests/conformance/keras/record_keras.py $(RECORD_ARGS)
	KERAS_BACKEND=tensorflow $(KERAS_PYTHON) tests/conformance/keras/record_keras.py $(RECORD_ARGS)

$(PYTHON):
	python3 -m venv .venv

# the demo draws its training curves, so it installs the plot extra (matplotlib)
.venv/.stamp-demo: pyproject.toml Makefile | $(PYTHON)
	$(PIP) install -q -e .[plot]
	touch $@

.venv/.stamp-test: pyproject.toml | $(PYTHON)
	$(PIP) install -q -e .[test,mpi]
	touch $@

# torch comes only from the pin in the bench extra (torch==2.13.0, a local CPU wheel)
.venv/.stamp-bench: pyproject.toml | $(PYTHON)
	$(PIP) install -q -e .[test,bench]
	touch $@

$(KERAS_PYTHON):
	python3 -m venv .venv-keras
	.venv-keras/bin/pip install -q "keras>=3,<4" jax h5py

# the cases that call a preprocessing layer's adapt() need tensorflow importable (Keras checks for tf.data)
.venv-keras/.stamp-tf: | $(KERAS_PYTHON)
	.venv-keras/bin/pip install -q tensorflow-cpu
	touch $@

# torch only from the project's pin (a local CPU wheel)
.venv-keras/.stamp-torch: | $(KERAS_PYTHON)
	.venv-keras/bin/pip install -q torch==2.13.0
	touch $@
