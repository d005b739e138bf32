# Two commands on a fresh machine: `make course` and `make test`. Each creates .venv when missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PROFILE ?= default
ONLY    ?=

# The notebooks' kernel is the venv's python: put it first on PATH for every recipe.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: course test lab render clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

## course: execute every notebook in order at PROFILE (default) into build/, then print a table
course: $(STAMP)
	$(BIN)/python -m ganlib course --profile $(PROFILE) --out build $(if $(ONLY),--only $(ONLY))

## test: unit tests, then every notebook at the smoke profile (nbval, lax) and papermill runs
test: $(STAMP)
	GANLIB_PROFILE=smoke $(BIN)/python -m pytest --nbval-lax --nbval-current-env -p no:cacheprovider

## lab: open the course in JupyterLab
lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

## render: re-execute the notebooks in place at PROFILE (ONLY="02 03" for some), so the committed copies show their outputs
render: $(STAMP)
	$(BIN)/python -m ganlib course --profile $(PROFILE) --in-place $(if $(ONLY),--only $(ONLY))

clean:
	rm -rf build artifacts
