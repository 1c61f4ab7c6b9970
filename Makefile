# One entry point for every routine task. `make test` works on a fresh machine:
# it builds .venv, installs monogen with the extras the tests use, and runs pytest.
PYTHON ?= python3
VENV ?= .venv
EXTRAS ?= dev,tf,dask,remote
# Extra requirements pinned on top of the extras, e.g. PIP_EXTRA="protobuf==6.31.1".
PIP_EXTRA ?=
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(subst $(comma),-,$(EXTRAS))
comma := ,

.PHONY: install test lint format protos bench fuzz clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]" $(PIP_EXTRA)
	touch $@

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests tools benchmarks
	$(BIN)/ruff format --check src tests tools benchmarks
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix src tests tools benchmarks
	$(BIN)/ruff format src tests tools benchmarks

protos: install
	$(BIN)/python tools/gen_protos.py

# The suite's fuzz test, much longer: 100k mutants of every file kind monogen reads
# (tests/test_fuzz.py); prints the outcome counts. FUZZ_SEED picks another sequence.
FUZZ_MUTANTS ?= 100000
FUZZ_SEED ?= 20240917
fuzz: install
	MONOGEN_FUZZ_MUTANTS=$(FUZZ_MUTANTS) MONOGEN_FUZZ_SEED=$(FUZZ_SEED) \
		$(BIN)/python -m pytest -q -s -p no:cacheprovider tests/test_fuzz.py

bench: install
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
