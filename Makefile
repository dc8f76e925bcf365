# creditbank — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export CREDITBANK_INSTANCE_PATH ?= $(CURDIR)/instance

.PHONY: run test lint fmt bench bench-scale bench-citus vendor clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

## run: install, migrate the SQLite database under instance/, publish the default ruleset, serve on 127.0.0.1:8000
run: $(STAMP)
	$(BIN)/creditbank db upgrade
	$(BIN)/creditbank rules publish --if-none config/rulesets/yunyang-2026.json
	$(BIN)/gunicorn -c config/gunicorn.conf.py wsgi:app

## test: install with test extras; ruff, mypy and the layer contracts; then the whole suite
## (PostgreSQL too when CREDITBANK_TEST_DATABASE_URL is set; with CI=true nothing may skip)
test: $(STAMP) lint
	$(BIN)/python -m pytest

## lint: ruff, the types (mypy: strict on the pure packages, pyproject.toml) and the layers (.importlinter)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## bench: the benchmarks on SQLite and on the local PostgreSQL (a throw-away database there), under 15 min;
## the table is printed, results and a chart go to bench/results/ (CREDITBANK_BENCH_DATABASE_URL= for SQLite only)
CREDITBANK_BENCH_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m bench --database-url '$(CREDITBANK_BENCH_DATABASE_URL)'

## bench-scale: the scale curve (not in `make bench`): for each size of SCALE_ENTRIES a throw-away
## PostgreSQL database with a generated journal of that many entries, about 100 a learner; reads,
## a full audit and bytes per entry; bench/results/scale.json and scale.png (docs/performance.md)
SCALE_ENTRIES ?= 1000000 10000000
bench-scale: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m bench.scale --database-url '$(CREDITBANK_BENCH_DATABASE_URL)' --entries $(SCALE_ENTRIES)

## bench-citus: a real Citus cluster on this machine (coordinator + 2 workers, local clusters) with the
## Citus of CITUS_SRC (a checkout of citusdata/citus v13.2.2, built and installed into the local
## PostgreSQL 15 by its own instructions beforehand: nothing here builds it); migrations, distribution, the system
## tests' posting and audit scenarios and the single-post and batch benches beside single-node
## PostgreSQL (CREDITBANK_BENCH_DATABASE_URL); JSON to bench/results/citus.json. A recorded run, not CI.
CITUS_SRC ?=
bench-citus: $(STAMP)
ifeq ($(strip $(CITUS_SRC)),)
	@echo "bench-citus: set CITUS_SRC=… to a checkout of citusdata/citus v13.2.2; skipped"
else
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python -m bench._citus --citus-src '$(CITUS_SRC)' --database-url '$(CREDITBANK_BENCH_DATABASE_URL)'
endif

## vendor: refresh the browser tests' axe-core from npm (pinned in tests/system/vendor/package.json); committed, so tests need no npm
vendor:
	cd tests/system/vendor && npm ci --no-audit --no-fund && cp node_modules/axe-core/axe.min.js . && rm -rf node_modules

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .mypy_cache .hypothesis
