# Two commands work on a fresh machine with only Python 3.11+:
#   make demo   create .venv, install, run the demo on a fresh SQLite database
#   make test   create .venv, install, lint (ruff), type-check (mypy) and run the whole test suite
#   make lint   ruff and mypy only
#   make bench  the benchmarks (bench/RESULTS.md), with the bench extras
#   make bench-web  the web application under load (50 users, 60 s, SQLite and PostgreSQL; bench/RESULTS.md)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck bench bench-web clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "cspr needs Python 3.11 or newer; found " + sys.version.split()[0] + ". Run: make PYTHON=python3.11 ...")'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

DEMO_DB ?= cspr-demo.db

demo: $(STAMP)
	@rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	$(BIN)/cspr demo --db $(DEMO_DB)

test: lint
	$(BIN)/python -m pytest -q

lint: $(STAMP) typecheck
	$(BIN)/ruff check .

# mypy checks the installed names (cspr.engine, cspr.cli, cspr.web); the repository keeps their folders
# at the top level, so link them into a package tree for it (strict on the engine: pyproject.toml).
TYPECHECK := $(VENV)/typecheck
typecheck: $(STAMP)
	@mkdir -p $(TYPECHECK)/cspr
	@ln -sfn $(CURDIR)/engine $(TYPECHECK)/cspr/engine
	@ln -sfn $(CURDIR)/cspr_cli $(TYPECHECK)/cspr/cli
	@ln -sfn $(CURDIR)/web $(TYPECHECK)/cspr/web
	@ln -sf $(CURDIR)/cspr/__init__.py $(TYPECHECK)/cspr/__init__.py
	cd $(TYPECHECK) && $(CURDIR)/$(BIN)/mypy --config-file $(CURDIR)/pyproject.toml --cache-dir $(CURDIR)/.mypy_cache -p cspr.engine -p cspr.cli -p cspr.web

$(VENV)/.bench-installed: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	@touch $@

bench: $(VENV)/.bench-installed
	$(BIN)/python bench/bench.py

bench-web: $(STAMP)
	$(BIN)/python bench/web.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis .mypy_cache .ruff_cache test-output
