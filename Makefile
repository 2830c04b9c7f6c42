# make demo | make test | make bench: each creates .venv if missing and installs what it needs.
# A stamp per target (in .venv) skips reinstalling until pyproject.toml changes. `make test` installs the mpi extra
# (mpi4py + the mpich wheel, which brings mpiexec into .venv/bin) so the MPI tests run.
PYTHON := .venv/bin/python
PIP := .venv/bin/pip

.PHONY: demo test bench

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

# torch comes only from the pin in the bench extra (torch==2.13.0, a local CPU wheel)
.venv/.stamp-bench: pyproject.toml | $(PYTHON)
	$(PIP) install -q -e .[test,bench]
	touch $@
