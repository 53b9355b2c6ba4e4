# Quick start: `make demo` runs the platform, `make test` runs the tests. Both bootstrap .venv from the lock file.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock requirements-nodeps.txt pyproject.toml | sha1sum | cut -c1-12)
export TIPNET_HOME ?= $(CURDIR)/var

.PHONY: venv demo serve test lint typecheck bench bench-cube clean

$(STAMP): requirements.lock requirements-nodeps.txt pyproject.toml
	rm -f $(VENV)/.installed-*
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -r requirements-nodeps.txt
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/tipnet demo
	$(BIN)/tipnet serve --host 127.0.0.1 --port $${PORT:-8000}

test: venv
	$(BIN)/ruff check .
	$(BIN)/mypy src
	$(BIN)/pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .

bench: venv
	$(BIN)/python benchmarks/ingest.py

bench-cube: venv
	$(BIN)/python benchmarks/cube.py

clean:
	rm -rf $(VENV) var
