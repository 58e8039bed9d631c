# Quickscan Inclusieve Gemeente: `make run` serves the app, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-dev assets chromium demo lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed assets
install-dev: $(VENV)/.installed-dev assets

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

assets: node_modules/.installed
	$(BIN)/python -m quickscan.assets

chromium:
	@if [ -x /usr/bin/chromium ]; then echo "Chromium: /usr/bin/chromium"; \
	elif [ "$$(id -u)" = "0" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else $(BIN)/playwright install chromium; fi

run: install
	$(BIN)/quickscan db upgrade
	$(BIN)/quickscan demo --if-empty
	@echo ""
	@echo "Quickscan Inclusieve Gemeente draait op http://$(HOST):$(PORT)/"
	@echo "Inloggen als coördinator: http://$(HOST):$(PORT)/login (zie de gegevens hierboven)."
	$(BIN)/quickscan run --host $(HOST) --port $(PORT)

test: install-dev chromium
	$(BIN)/pytest

lint: install-dev
	$(BIN)/ruff check quickscan tests bench
	$(BIN)/mypy quickscan/bank.py quickscan/scoring.py quickscan/coverage.py quickscan/frameworks.py

bench: install-dev
	$(BIN)/python bench/bench_scoring.py
	$(BIN)/python bench/bench_report.py
	$(BIN)/python bench/bench_load.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache
