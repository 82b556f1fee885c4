# Two commands matter: `make demo` and `make test`. Both bootstrap everything they need
# from a bare Python 3.11+ with pip: a project virtual environment (.venv, installed with
# uv for speed) and, for the compatibility tests, the official client in .venv-official.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OFFICIAL := .venv-official
OFFICIAL_CIVIS := civis==2.10.1
EXTRAS := server,postgres,pandas,polars,dev

.PHONY: venv official demo test lint typecheck coverage-doc bench clean

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv

$(VENV)/.installed: pyproject.toml | $(BIN)/uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e ".[$(EXTRAS)]"
	touch $@

venv: $(VENV)/.installed

# The official client lives in its own environment: it has the same import name as ours.
$(OFFICIAL)/.installed: | $(BIN)/uv
	$(BIN)/uv venv --quiet --python $(BIN)/python $(OFFICIAL)
	$(BIN)/uv pip install --quiet --python $(OFFICIAL)/bin/python "$(OFFICIAL_CIVIS)" pandas polars pyarrow
	touch $@

official: $(OFFICIAL)/.installed

demo: venv
	$(BIN)/civis-platform demo --examples examples

test: venv official
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check src tests bench scripts examples
	$(BIN)/mypy

coverage-doc: venv
	$(BIN)/python scripts/coverage_matrix.py --write

bench: venv official
	$(BIN)/python bench/client.py
	$(BIN)/python bench/futures.py
	$(BIN)/python bench/runs.py
	$(BIN)/python bench/io.py

clean:
	rm -rf $(VENV) $(OFFICIAL) .pytest_cache .mypy_cache .ruff_cache build src/*.egg-info
