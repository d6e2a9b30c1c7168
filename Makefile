# Two commands on a fresh machine with Python 3.11 and make:  make serve  /  make test
# (make serve PORT=8001 HOST=0.0.0.0 picks another address)
PYTHON ?= python3
HOST   ?= 127.0.0.1
PORT   ?= 8000
VENV   ?= .venv
BIN    := $(VENV)/bin
KG     := $(BIN)/kg
STAMP  := $(VENV)/.installed

.PHONY: install system-deps build validate serve lint types test test-slow clean

# Debian packages the tests use: rapper (raptor2-utils) re-parses the dumps independently,
# chromium + chromium-driver run the headless-browser tests of the query page and the API docs,
# virtuoso-opensource (virtuoso-t, isql-vt) is the Virtuoso 7 server the remote-store tests run against,
# nginx is the load balancer in front of the kg serve replicas in the replica test.
SYSTEM_TOOLS := rapper:raptor2-utils chromium:chromium chromedriver:chromium-driver virtuoso-t:virtuoso-opensource nginx:nginx-light
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
HAVE_SUDO := $(shell [ "$$(id -u)" = 0 ] && echo root || (command -v sudo >/dev/null 2>&1 && echo sudo))

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "make: $(PYTHON) is older than Python 3.11" >&2; exit 1; }
	@$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); echo "make: $(PYTHON) -m venv failed: on Debian or Ubuntu install python3-venv (apt-get install python3-venv)" >&2; exit 1; }
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

build: $(STAMP)
	$(KG) build

validate: $(STAMP)
	$(KG) validate

serve: build
	$(KG) serve --host $(HOST) --port $(PORT)

# One clear line and a stop when packages are missing and there is no way to install them.
MISSING_PKGS = $(strip $(foreach t,$(SYSTEM_TOOLS),$(if $(shell command -v $(firstword $(subst :, ,$(t))) 2>/dev/null),,$(lastword $(subst :, ,$(t))))))

system-deps:
	$(if $(MISSING_PKGS),$(if $(HAVE_SUDO),,$(error make test needs the Debian packages $(MISSING_PKGS) and can install them only as root or with sudo: run apt-get install $(MISSING_PKGS) as root, then make test again)))
	@missing="$(MISSING_PKGS)"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages: $$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

# lint and types first (seconds), then the suite
lint: $(STAMP)
	$(BIN)/ruff check src tests bench

types: $(STAMP)
	$(BIN)/mypy

# the suite runs on JOBS processes (pytest-xdist); a test file stays on one process, so its
# module-scoped stores are built once. Tests marked slow (end-to-end runs of minutes) are left out:
# make test-slow runs them.
JOBS ?= 2
test: $(STAMP) system-deps lint types
	$(BIN)/pytest -q -n $(JOBS) --dist loadfile -m "not slow"

test-slow: $(STAMP) system-deps
	$(BIN)/pytest -q -n $(JOBS) --dist loadfile -m slow

clean:
	rm -rf var dist .pytest_cache
