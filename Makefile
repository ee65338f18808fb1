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

# The browser tests mostly wait on Chromium: they run in a second pytest beside the others
# (each with its own temporary folder), and their report follows the others' at the end.
BROWSER_LOG := test-artifacts/browser-tests.log
test: install-dev $(AXE)
	@mkdir -p test-artifacts
	@$(BIN)/python -m pytest tests/browser --basetemp=test-artifacts/tmp-browser > $(BROWSER_LOG) 2>&1 & \
	browser=$$!; \
	$(BIN)/python -m pytest --ignore=tests/browser --basetemp=test-artifacts/tmp-other; others=$$?; \
	wait $$browser; browsers=$$?; \
	echo; echo "== browser tests (tests/browser) =="; cat $(BROWSER_LOG); \
	test $$others -eq 0 && test $$browsers -eq 0

bench: install-dev
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts tests/browser/node_modules
