# To learn: `make check`, then `make lab`; to run or change everything: `make course`, `make test`.
# Each creates .venv when missing.
#
# The course runs on Python 3.10 to 3.13. The Python that creates .venv is PYTHON if you name one
# (make PYTHON=python3.12 test), else the first of python3, python3.13 ... python3.10 in that range.
# GPU=1 installs TensorFlow with NVIDIA's CUDA libraries (Linux) instead of the CPU wheel.
IN_RANGE := import sys; sys.exit(not 310 <= 100 * sys.version_info[0] + sys.version_info[1] <= 313)
VERSION_OF := import platform; print(platform.python_version())
PYTHON ?= $(firstword $(foreach p,python3 python3.13 python3.12 python3.11 python3.10,\
            $(shell $(p) -c '$(IN_RANGE)' >/dev/null 2>&1 && command -v $(p))))
VENV    := .venv
BIN     := $(VENV)/bin
FLAVOUR := $(if $(GPU),gpu,cpu)
STAMP   := $(VENV)/.installed-$(FLAVOUR)
PROFILE ?= default
ONLY    ?=
# LANG=zh runs the Chinese edition (notebooks/zh/). LANG is also the shell's locale variable: any other
# value (en_US.UTF-8, C.UTF-8, ...) means the English edition, and LANG=zh is not passed on as a locale.
EDITION := $(if $(filter zh,$(LANG)),zh,en)
ifeq ($(EDITION),zh)
override LANG := C.UTF-8
endif

# The notebooks' kernel is the venv's python: put it first on PATH for every recipe.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: help course test test-zh unit check zh lab render site site-check clean clean-venv
.DEFAULT_GOAL := help

## help: list the targets
help:
	@sed -n 's/^## //p' Makefile

$(STAMP): pyproject.toml
	@if [ ! -x $(BIN)/python ]; then \
	  if [ -z "$(PYTHON)" ]; then \
	    echo "No Python 3.10 to 3.13 found (tried python3, python3.13, python3.12, python3.11, python3.10)."; \
	    echo "Install one, or name it: make PYTHON=/path/to/python3.12 $(MAKECMDGOALS)"; exit 1; fi; \
	  if ! $(PYTHON) -c '$(IN_RANGE)' 2>/dev/null; then \
	    echo "$(PYTHON) is Python $$($(PYTHON) -c '$(VERSION_OF)' 2>/dev/null || echo '(not found)');" \
	         "the course needs 3.10 to 3.13: name another with PYTHON=..."; exit 1; fi; \
	  echo "Creating $(VENV) with $(PYTHON) (Python $$($(PYTHON) -c '$(VERSION_OF)'))"; \
	  $(PYTHON) -m venv $(VENV); \
	fi
	@$(BIN)/python -c '$(IN_RANGE)' || { echo "$(VENV) runs Python $$($(BIN)/python -c '$(VERSION_OF)')," \
	  "outside 3.10 to 3.13: run 'make clean-venv', then this command again"; exit 1; }
	@if [ -z "$(GPU)" ] && [ -e $(VENV)/.installed-gpu ]; then echo "$(VENV) holds the GPU install:" \
	  "run 'make clean-venv' before installing the CPU one"; exit 1; fi
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(if $(GPU),$(BIN)/python -m pip uninstall --quiet -y tensorflow-cpu)
	$(BIN)/python -m pip install --quiet -e ".[dev,$(FLAVOUR)]"
	@touch $(STAMP)

## course: execute every notebook in order at PROFILE (default) into build/, then print a table (LANG=zh: the Chinese edition)
course: $(STAMP)
	$(BIN)/python -m ganlib course --profile $(PROFILE) --lang $(EDITION) --out build $(if $(ONLY),--only $(ONLY))

# The tests run every notebook at smoke: their runs go to build/test-artifacts/, not artifacts/, so a
# `make test` after `make course` leaves the trained generators there (08 and `generate` use them).
TEST_ENV = GANLIB_PROFILE=smoke GANLIB_ARTIFACTS=$(CURDIR)/build/test-artifacts

## test: unit tests and papermill runs, then every English notebook and the Chinese 00 at the smoke profile (nbval, lax)
test: $(STAMP)
	$(TEST_ENV) $(BIN)/python -m pytest --nbval-lax --nbval-current-env -p no:cacheprovider --durations=25

## test-zh: every Chinese notebook at the smoke profile (make test runs only its 00: conftest.py says why)
test-zh: $(STAMP)
	$(TEST_ENV) GANLIB_TEST_ZH=all $(BIN)/python -m pytest notebooks/zh --nbval-lax --nbval-current-env -p no:cacheprovider

## unit: the tests in tests/ only (no notebook executed by nbval)
unit: $(STAMP)
	$(TEST_ENV) $(BIN)/python -m pytest tests -p no:cacheprovider

## check: a one-minute preflight for a workshop machine; ends with READY or NOT READY
check: $(STAMP)
	@$(BIN)/python -m ganlib check

## zh: regenerate the Chinese notebooks (notebooks/zh/) from the English ones and translations/zh/*.po
zh: $(STAMP)
	$(BIN)/python -m ganlib translate --lang zh

## lab: open the course in JupyterLab
lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

## render: re-execute the notebooks in place at PROFILE (ONLY="02 03" for some), so the committed copies show their outputs
render: $(STAMP)
	$(BIN)/python -m ganlib course --profile $(PROFILE) --in-place $(if $(ONLY),--only $(ONLY))

## site: the committed notebooks as a static web site in build/site (no kernel, no network; open index.html)
site: $(STAMP)
	$(BIN)/python -m ganlib site --out build/site

## site-check: build the site and check it in headless Chromium (needs Debian's chromium and the browser extra)
site-check: $(STAMP)
	@$(BIN)/python -c 'import playwright' 2>/dev/null || $(BIN)/python -m pip install --quiet -e ".[browser]"
	$(BIN)/python tests/browser/check_site.py --site build/site --out build/site-check

## clean: delete what running the course made (build/, artifacts/)
clean:
	rm -rf build artifacts

## clean-venv: delete .venv (the next command recreates it)
clean-venv:
	rm -rf $(VENV)
