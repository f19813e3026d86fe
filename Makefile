# Gatehouse: `make run` serves the app, `make test` checks everything.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test lint unit install migrate bench clean

run: migrate ## Set up, migrate the embedded SQLite database and serve on http://127.0.0.1:8000
	$(BIN)/gatehouse serve --host $(HOST) --port $(PORT)

test: lint ## Lint, type-check, check the layer contract, run every test
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests migrations bench
	$(BIN)/ruff format --check src tests migrations bench
	$(BIN)/mypy src bench
	$(BIN)/lint-imports

unit: $(STAMP) ## The fast tests only
	$(BIN)/pytest tests/unit

bench: $(STAMP) ## Benchmark against the targets of issue 8 (needs wrk, PostgreSQL, Redis; about 12 min)
	$(BIN)/python -m bench

migrate: $(STAMP)
	$(BIN)/gatehouse db upgrade

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Gatehouse needs Python 3.11 or newer (set PYTHON=...)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build src/*.egg-info
