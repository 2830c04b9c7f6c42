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

# `make test` runs the whole suite on the NumPy tier, then the op tables, gradient checks, scan suites and the
# property test on the native tier (generated C; libraries come from the compile cache after the first run).
# `make test-native` runs the whole suite on the native tier, `make test-slow` the slow tests (CI runs all three).
NATIVE_TESTS := tests/backend/test_elemwise_ops.py tests/backend/test_reduce_linalg_shape.py \
	tests/backend/test_nnet_activations_losses.py tests/backend/test_subtensor.py tests/backend/test_sort_extra.py \
	tests/backend/test_conv_pool.py tests/backend/test_gradient.py tests/backend/test_scan.py \
	tests/backend/test_scan_grad.py tests/backend/test_scan_rewrites.py tests/backend/test_scan_shaped_steps.py \
	tests/backend/test_scan_lstm_lm.py tests/backend/test_property.py tests/backend/test_function.py

.PHONY: demo test test-native test-slow bench keras-fixtures theano-fixtures theano-report

demo: .venv/.stamp-demo
	$(PYTHON) examples/addition_rnn.py

test: .venv/.stamp-test
	LAYERKIT_FLAGS=linker=numpy $(PYTHON) -m pytest -q -m "not slow" --durations=15 tests
	LAYERKIT_FLAGS=linker=native $(PYTHON) -m pytest -q -m "not slow" -p no:cacheprovider $(NATIVE_TESTS)

test-native: .venv/.stamp-test
	LAYERKIT_FLAGS=linker=native $(PYTHON) -m pytest -q -m "not slow" --durations=15 tests

# tests marked slow: the native tier under AddressSanitizer (several minutes: every library compiled afresh)
test-slow: .venv/.stamp-test
	$(PYTHON) -m pytest -q -m slow tests

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

# Theano 1.0.5 as the oracle (tests/conformance/theano): its own environment (never a dependency of `make test`),
# then record the programs and the fuzz graphs into the committed fixtures. THEANO_FUZZ sets the number of graphs.
THEANO_PYTHON := .venv-theano/bin/python
THEANO_FUZZ ?= 6000

theano-fixtures: $(THEANO_PYTHON)
	$(THEANO_PYTHON) tests/conformance/theano/record.py all --count $(THEANO_FUZZ)

# layerkit_backend against the whole last fuzz recording (build/theano_fuzz_full.json), with counts per difference
theano-report: .venv/.stamp-test
	$(PYTHON) tests/conformance/theano/fuzz_report.py

$(THEANO_PYTHON):
	python3.11 -m venv .venv-theano
	.venv-theano/bin/pip install -q numpy==1.23.5 scipy==1.10.1 theano==1.0.5

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
