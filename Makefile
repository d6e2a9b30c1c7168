# Two commands on a fresh machine with Python 3.11 and make:  make serve  /  make test
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
KG     := $(BIN)/kg
STAMP  := $(VENV)/.installed

.PHONY: install system-deps build validate serve lint types test clean

# Debian packages the tests use: rapper (raptor2-utils) re-parses the dumps independently,
# chromium + chromium-driver run the headless-browser tests of the query page and the API docs.
SYSTEM_TOOLS := rapper:raptor2-utils chromium:chromium chromedriver:chromium-driver
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

build: $(STAMP)
	$(KG) build

validate: $(STAMP)
	$(KG) validate

serve: build
	$(KG) serve

system-deps:
	@missing=""; for t in $(SYSTEM_TOOLS); do cmd=$${t%%:*}; pkg=$${t#*:}; \
	  command -v $$cmd >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# lint and types first (seconds), then the suite
lint: $(STAMP)
	$(BIN)/ruff check src tests bench

types: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) system-deps lint types
	$(BIN)/pytest -q

clean:
	rm -rf var dist .pytest_cache
