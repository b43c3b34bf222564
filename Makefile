# Escalation Briefs. `make run` serves the demo; `make test` runs the suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv may use only the Pythons on this machine, and must trust the system's CA bundle.
export UV_PYTHON_DOWNLOADS := never
ifneq ($(wildcard /etc/ssl/certs/ca-certificates.crt),)
export SSL_CERT_FILE ?= /etc/ssl/certs/ca-certificates.crt
endif

UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PY := .venv/bin/python
MANAGE := $(PY) manage.py

.PHONY: help install migrate demo run test lint typecheck check

help:
	@echo "make run      build, migrate, load the demo and serve on http://127.0.0.1:8000"
	@echo "make test     the whole test suite (SQLite, or PostgreSQL when DATABASE_URL is set)"
	@echo "make check    lint, format check, types, migrations and Django's checks"

$(UV):
	python3 -m pip install --user --quiet uv

# --compile-bytecode: PYTHONDONTWRITEBYTECODE is set on our machines, and WeasyPrint's import
# costs seconds without compiled bytecode.
.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode
	@touch $@

install: .venv/.synced

migrate: install
	$(MANAGE) migrate --noinput
	$(MANAGE) createcachetable

demo: migrate
	DEBUG=$${DEBUG:-1} $(MANAGE) demo

run: export DEBUG ?= 1
run: migrate
	$(MANAGE) demo
	$(MANAGE) runserver 127.0.0.1:8000

test: export DEBUG ?= 1
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

typecheck: install
	.venv/bin/mypy .

check: export DEBUG ?= 1
check: lint typecheck
	$(MANAGE) makemigrations --check --dry-run
	$(MANAGE) check
