# Escalation Briefs. `make run` serves the demo; `make test` runs the suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv may use only the Pythons on this machine, and must trust the system's CA bundle.
export UV_PYTHON_DOWNLOADS := never
ifneq ($(wildcard /etc/ssl/certs/ca-certificates.crt),)
export SSL_CERT_FILE ?= /etc/ssl/certs/ca-certificates.crt
endif

# Development defaults: with neither DEBUG nor SECRET_KEY set, this is a development checkout
# (production cannot start without a SECRET_KEY), so every target runs with DEBUG=1, as `make
# run` always has. Where SECRET_KEY is set (production: `make migrate`, `backup`, `restore`),
# DEBUG stays as the environment says, off by default.
ifeq ($(origin DEBUG)$(SECRET_KEY),undefined)
export DEBUG := 1
endif

UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PY := .venv/bin/python
MANAGE := $(PY) manage.py
# Before pytest or mypy load the settings: a bad one then stops in manage.py's one line,
# not in their tracebacks.
SETTINGS_OK := $(MANAGE) diffsettings >/dev/null
# `make run PORT=8001`: the port runserver serves and the demo's printed links name.
PORT ?= 8000

.PHONY: help install migrate demo run test lint typecheck check

help:
	@echo "make run        build, migrate, load the demo, serve on http://127.0.0.1:$(PORT) (PORT=...) with a worker"
	@echo "make test       the whole test suite (SQLite, or PostgreSQL when DATABASE_URL is set)"
	@echo "make check      lint, format check, types, migrations and Django's checks"
	@echo "make install    the virtual environment in .venv (uv sync)"
	@echo "make migrate    create or update the database's tables"
	@echo "make demo       the demo login and incidents, and their executive links"
	@echo "make lint       ruff's lint and format check"
	@echo "make typecheck  mypy"
	@echo "make audit      pip-audit on the locked dependencies"
	@echo "make backup     back up the database; make restore FILE=... [NOINPUT=1] restores one"
	@echo "make bench      performance budgets (minutes); make loadtest: the load test"

$(UV):
	python3 -m pip install --user --quiet uv

# --compile-bytecode: PYTHONDONTWRITEBYTECODE is set on our machines, and WeasyPrint's import
# costs seconds without compiled bytecode.
.venv/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --compile-bytecode
	@touch $@

install: .venv/.synced

# Only when there is no environment at all; an existing one (production's) is left as it is.
$(PY):
	$(MAKE) --no-print-directory install

migrate: install
	$(MANAGE) migrate --noinput
	$(MANAGE) createcachetable

demo: migrate
	DEBUG=$${DEBUG:-1} $(MANAGE) demo

# The web server and a task worker together (Procfile.dev). `--env /dev/null`: honcho would
# otherwise load .env, which holds docker compose's production settings (.env.example).
run: export DEBUG ?= 1
run: migrate
	SITE_URL=http://127.0.0.1:$(PORT) $(MANAGE) demo
	SITE_URL=http://127.0.0.1:$(PORT) .venv/bin/honcho --no-colour start --env /dev/null --procfile Procfile.dev --port $(PORT)

test: export DEBUG ?= 1
test: install
	@$(SETTINGS_OK)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

typecheck: install
	@$(SETTINGS_OK)
	.venv/bin/mypy .

check: export DEBUG ?= 1
check: lint typecheck
	$(MANAGE) makemigrations --check --dry-run
	$(MANAGE) check

# Issues 7, 14 and 15's performance budgets: a fresh database (PostgreSQL when DATABASE_URL is set;
# BENCH_DB_NAME names it), gunicorn and a task worker as in production, wrk, PDF renders, posted
# update to downloadable PDF, query counts; exits 1 when a budget is missed. Figures go to
# var/bench/latest.json; docs/scaling.md explains them. apt-gets wrk and Chromium if absent.
.PHONY: bench
bench: install
	$(PY) bench/run.py $(BENCH_ARGS)

# Issue 6, item 24 and issue 15: 50 executive clients on the link (each every 0.5 s), 5 on its PDF
# and 5 on a pathological brief's PDF (each every 2 s), 1 on /healthz, for 60 s, plus a closed-loop
# wrk run reported for saturation, against gunicorn and a task worker as in production on
# PostgreSQL (a database of its own, escalation_loadtest or LOADTEST_DB_NAME, on the server
# DATABASE_URL names, default the local one; dropped at the end). Exits 1 on a 5xx, a request held
# over 1 s, or when the link's or /healthz's p95 passes 4 times its unloaded p95. Figures:
# var/bench/loadtest.json. Not in CI.
.PHONY: loadtest
loadtest: install
	$(PY) bench/loadtest.py $(LOADTEST_ARGS)

# Backups (README, "Backup and restore"): pg_dump/pg_restore on PostgreSQL, dumpdata/loaddata on
# SQLite, via manage.py backup/restore. No `install` prerequisite: they run in production too,
# where the environment comes from `uv sync --no-dev` (and SECRET_KEY keeps DEBUG off, above).
# On a fresh clone, which has no .venv at all, $(PY) makes one.
.PHONY: backup restore audit
backup: | $(PY)
	$(MANAGE) backup

restore: | $(PY)
	$(MANAGE) restore $(if $(NOINPUT),--noinput) $(or $(FILE),$(error usage: make restore FILE=var/backups/escalation-<time>.dump [NOINPUT=1]))

# pip-audit on exactly the locked set, against PyPI's advisories (.ci/pypi_advisories.py says why
# not pip-audit's own services).
audit: install
	@mkdir -p var
	$(UV) export --frozen --format requirements-txt --no-emit-project --quiet --output-file var/requirements.txt
	$(PY) .ci/pypi_advisories.py .venv/bin/pip-audit --strict --disable-pip --progress-spinner off -r var/requirements.txt
