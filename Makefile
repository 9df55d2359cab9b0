# FleetOps: `make run` starts the whole product on embedded defaults; `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Honcho gives each process its own PORT; every process must reach the web one (simulators).
SITE_URL ?= http://127.0.0.1:$(PORT)
export PORT SITE_URL
# Where `make run` records SITE_URL and PORT while it runs: commands in a second shell read it
# (config/settings.py) and reach this instance, whatever port it was started on.
FLEETOPS_RUN_FILE ?= var/run.env

.PHONY: run test install install-dev lock services lint format migrate seed clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The locks pin the whole tree with hashes: what is installed is exactly what was reviewed.
$(VENV)/.installed-base: requirements/base.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/base.lock
	touch $@

$(VENV)/.installed-dev: requirements/base.lock requirements/dev.lock | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements/dev.lock
	touch $@ $(VENV)/.installed-base

## Production's packages (requirements/base.lock), or development's too (dev.lock).
install: $(VENV)/.installed-base
install-dev: $(VENV)/.installed-dev

## After changing requirements/base.txt or dev.txt: compile both locks (existing pins kept where
## they fit; core/tests/test_deployment.py checks that they agree with each other and the .txt).
PIP_COMPILE = $(BIN)/pip-compile --quiet --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links
lock: install-dev
	$(PIP_COMPILE) -o requirements/base.lock requirements/base.txt
	$(PIP_COMPILE) -o requirements/dev.lock requirements/dev.txt

# `make run` is development: honcho (dev.lock) starts its processes.
migrate: install-dev
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py setup_periodic_tasks

seed: migrate
	$(BIN)/python manage.py seed_demo

## Start web, worker and scheduler on http://127.0.0.1:$(PORT) with demo data (Ctrl-C stops all).
run: seed
	@echo ""
	@echo "FleetOps is starting on http://127.0.0.1:$(PORT)"
	@echo "  Home     http://127.0.0.1:$(PORT)/"
	@echo "  API      http://127.0.0.1:$(PORT)/api/v1/"
	@echo "  Docs     http://127.0.0.1:$(PORT)/docs  (ReDoc: /redoc)"
	@echo "  Admin    http://127.0.0.1:$(PORT)/admin/"
	@echo "  Health   http://127.0.0.1:$(PORT)/health/ready"
	@echo "  Commands in another shell reach it (its URL is in $(FLEETOPS_RUN_FILE) while it runs)"
	@echo ""
	@mkdir -p $(dir $(FLEETOPS_RUN_FILE))
	@printf 'SITE_URL=%s\nPORT=%s\n' "$(SITE_URL)" "$(PORT)" > $(FLEETOPS_RUN_FILE)
	trap 'rm -f $(FLEETOPS_RUN_FILE)' EXIT; trap 'exit 130' INT TERM; \
	$(BIN)/honcho start --procfile Procfile --port $(PORT)

# Parallel test processes (pytest-xdist): one per CPU, at most 4. Each has its own PostgreSQL
# test database and Redis databases (conftest.py); TEST_WORKERS=0 runs in this process.
TEST_WORKERS ?= auto

## Lint, check formatting and layering (import-linter) and run the tests against PostgreSQL and
## Redis in parallel, with a coverage report that fails under .coveragerc's fail_under.
test: install-dev services
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --maxprocesses=4 --cov --cov-report=term

services:
	@scripts/ensure_services.sh

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf var $(VENV)
