# Two entry points for users: `make demo` (main job) and `make test` (whole suite).
# Everything else here is how they get a working environment, idempotently.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM_STAMP := $(VENV)/.chromium

.PHONY: demo test lint format serve lab bench clean install browser

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the package metadata changes; a second run is a no-op.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Debian chromium for the JupyterLab browser tests (no browser download: the registry's package only).
$(CHROMIUM_STAMP): | $(BIN)/python
	@if ! command -v chromium >/dev/null 2>&1; then \
	  echo "installing Debian chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi
	touch $(CHROMIUM_STAMP)

browser: $(CHROMIUM_STAMP)

demo: $(STAMP)
	$(BIN)/netra-diag demo

# pytest on two workers (pytest-xdist): most tests wait on kernels, subprocesses and sockets, so two
# run side by side in about 11 minutes on 2 cores where one at a time takes about 20.
test: $(STAMP) $(CHROMIUM_STAMP)
	$(BIN)/ruff format --check netra_diag tests benchmarks
	$(BIN)/ruff check netra_diag tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2

lint: $(STAMP)
	$(BIN)/ruff format --check netra_diag tests benchmarks
	$(BIN)/ruff check netra_diag tests benchmarks
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format netra_diag tests benchmarks
	$(BIN)/ruff check --fix netra_diag tests benchmarks

serve: $(STAMP)
	$(BIN)/netra-diag serve --port 8000

lab: $(STAMP)
	$(BIN)/netra-diag lab

bench: $(STAMP)
	@for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
