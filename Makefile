# Gatehouse: `make run` serves the app, `make test` checks everything.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
STATIC := $(shell find src/web/static -type f)

.PHONY: run test lint unit install migrate assets bench clean

run: migrate assets ## Set up, migrate, build the static files and serve on http://127.0.0.1:8000
	@$(BIN)/gatehouse serve --host $(HOST) --port $(PORT)

test: lint assets ## Lint, type-check, check the layer contract, run every test
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests migrations bench
	$(BIN)/ruff format --check src tests migrations bench
	$(BIN)/mypy src bench

unit: $(STAMP) ## The fast tests only
	$(BIN)/pytest tests/unit

bench: $(STAMP) assets ## Benchmark against the performance targets (needs wrk, PostgreSQL, Redis; about 12 min)
	$(BIN)/python -m bench

migrate: $(STAMP)
	@$(BIN)/gatehouse db upgrade

assets: build/static/staticfiles.json ## Hashed, compressed static files (STATIC_ROOT)

build/static/staticfiles.json: $(STAMP) $(STATIC)
	@$(BIN)/gatehouse assets

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
