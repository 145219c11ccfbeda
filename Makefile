# grossisthub — developer commands. `make help` lists them.
SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

.PHONY: help install up test test-fast lint fmt typecheck system-deps clean

help: ## Show this help
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(BIN)/hub: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python scripts/patch-oscrypto.py  # oscrypto 1.3.0 vs OpenSSL 3.0.1x; delete once oscrypto > 1.3.0 ships
	@touch $@

install: $(BIN)/hub ## Create .venv and install the hub with its dev tools

up: install ## Install, then run the whole hub on embedded defaults (bundled broker, SQLite, ./var)
	$(BIN)/hub up

system-deps: ## Install/start what the tests need from the OS (openssh-server, PostgreSQL on 127.0.0.1:5432)
	scripts/system-deps.sh

test: install system-deps ## Install everything, start services, run the whole test suite
	scripts/as2-peer.sh >/dev/null  # the django-pyas2 peer's own cached venv (AS2 interop tests)
	$(BIN)/python -m pytest

test-fast: install ## Only the tests that need no external service
	$(BIN)/python -m pytest -m "not integration"

lint: install ## ruff (lint + format check)
	$(BIN)/ruff check hub tests bench
	$(BIN)/ruff format --check hub tests bench

fmt: install ## Format the code
	$(BIN)/ruff format hub tests bench
	$(BIN)/ruff check --fix hub tests bench

typecheck: install ## mypy --strict on hub/
	$(BIN)/mypy

clean: ## Remove local state (./var) — the archive and the SQLite ERP database!
	rm -rf var
