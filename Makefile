# Two commands on a fresh machine with Python 3.11 and make:  make serve  /  make test
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
KG     := $(BIN)/kg
STAMP  := $(VENV)/.installed

.PHONY: install build validate serve test clean

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

test: $(STAMP)
	$(BIN)/pytest -q

clean:
	rm -rf var dist .pytest_cache
