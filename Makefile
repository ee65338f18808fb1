# CityStat: `make run` serves the demo city (development server), `make serve` serves it
# with waitress for production, `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP_QUIET := --quiet --disable-pip-version-check

.PHONY: run serve test bench install install-dev seed clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install $(PIP_QUIET) -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install $(PIP_QUIET) -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

run: install
	$(BIN)/python app.py

# One process with CITYSTAT_THREADS threads: that process owns the DuckDB warehouse file.
serve: install
	$(BIN)/python -m web.production

seed: install
	$(BIN)/flask --app app seed-demo

# axe-core, which the browser tests inject to check accessibility, from the npm registry
# at the version tests/browser/package-lock.json pins.
AXE := tests/browser/node_modules/axe-core/axe.min.js
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund --silent
	touch $@

test: install-dev $(AXE)
	$(BIN)/python -m pytest

bench: install-dev
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts tests/browser/node_modules
