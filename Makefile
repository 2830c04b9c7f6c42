# make demo | make test | make bench: each creates .venv if missing and installs what it needs.
# A stamp per target (in .venv) skips reinstalling until pyproject.toml changes. `make test` installs the mpi extra
# (mpi4py + the mpich wheel, which brings mpiexec into .venv/bin) so the MPI tests run.
PYTHON := .venv/bin/python
PIP := .venv/bin/pip

.PHONY: demo test bench theano-fixtures theano-report

demo: .venv/.stamp-demo
	$(PYTHON) examples/addition_rnn.py

test: .venv/.stamp-test
	$(PYTHON) -m pytest -q --durations=15 tests

bench: .venv/.stamp-bench
	$(PYTHON) benchmarks/run.py $(BENCH_ARGS)

$(PYTHON):
	python3 -m venv .venv

.venv/.stamp-demo: pyproject.toml | $(PYTHON)
	$(PIP) install -q -e .
	touch $@

.venv/.stamp-test: pyproject.toml | $(PYTHON)
	$(PIP) install -q -e .[test,mpi]
	touch $@

# Theano 1.0.5 as the oracle (tests/conformance/theano): its own environment (never a dependency of `make test`),
# then record the programs and the fuzz graphs into the committed fixtures. THEANO_FUZZ sets the number of graphs.
THEANO_PYTHON := .venv-theano/bin/python
THEANO_FUZZ ?= 3000

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
