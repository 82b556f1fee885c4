# Two commands matter: `make demo` and `make test`. Both bootstrap everything they need
# from a bare Python 3.11+ with pip: a project virtual environment (.venv, installed with
# uv for speed) and, for the compatibility tests, the official client in .venv-official.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
OFFICIAL := .venv-official
OFFICIAL_CIVIS := civis==2.10.1
EXTRAS := server,postgres,pandas,polars,dask,ml,parallel,dev
# Runtime images (the environments users' code runs in) are cached here across test and
# demo homes; `civis-platform images build` fills it once.
IMAGES_DIR ?= $(HOME)/.cache/civis-platform/images

.PHONY: venv official sandbox images demo test lint typecheck coverage-doc bench clean

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv

$(VENV)/.installed: pyproject.toml | $(BIN)/uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -e ".[$(EXTRAS)]"
	touch $@

venv: $(VENV)/.installed

# The official client lives in its own environment: it has the same import name as ours.
$(OFFICIAL)/.installed: | $(BIN)/uv
	$(BIN)/uv venv --quiet --allow-existing --python $(BIN)/python $(OFFICIAL)
	$(BIN)/uv pip install --quiet --python $(OFFICIAL)/bin/python "$(OFFICIAL_CIVIS)" pandas polars pyarrow scikit-learn
	touch $@

official: $(OFFICIAL)/.installed

# Users' code runs in bubblewrap sandboxes (Debian package `bubblewrap`): install it when
# missing and we may (root, apt), else say how.
sandbox:
	@command -v bwrap >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing bubblewrap (apt-get)"; \
	    apt-get install -y -qq bubblewrap >/dev/null || \
	      { apt-get update -qq >/dev/null && apt-get install -y -qq bubblewrap >/dev/null; }; \
	  else \
	    echo "bubblewrap is missing: install it (apt-get install -y bubblewrap)" >&2; exit 1; \
	  fi; }

images: venv sandbox
	CIVIS_PLATFORM_IMAGES_DIR=$(IMAGES_DIR) $(BIN)/civis-platform images build

demo: venv images
	CIVIS_PLATFORM_IMAGES_DIR=$(IMAGES_DIR) $(BIN)/civis-platform demo --examples examples

# Two pytest workers (pytest-xdist), each taking whole files: most tests wait on servers,
# sandboxes and PostgreSQL rather than compute, so two keep CI well under 30 minutes.
# `make test PYTEST_WORKERS=0` runs in one process.
PYTEST_WORKERS ?= 2

test: venv official images
	CIVIS_PLATFORM_IMAGES_DIR=$(IMAGES_DIR) $(BIN)/python -m pytest \
	  -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

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
