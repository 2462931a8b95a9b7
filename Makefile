# SoSoft developer tasks.  `make help` lists them.
#
# Everything runs from the project's virtualenv in .venv, created on first use.
# Settings follow the app's own rule: the environment wins over .env, which
# wins over the defaults in core/config.py.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed

# The Procfile's commands (gunicorn, celery, alembic, flask) come from the venv.
export PATH := $(BIN):$(PATH)

DEFAULT_DATABASE_URL := postgresql+psycopg://postgres@127.0.0.1:5432/sosoft
TEST_DATABASE_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/sosoft_test
PYTEST_ARGS ?=

# $(call env_get,NAME,DEFAULT): NAME from the environment, else .env, else DEFAULT
# (python-dotenv with override=False, exactly as the app reads it).
env_get = $(BIN)/python -c 'import os, sys; from dotenv import dotenv_values; \
k, d = sys.argv[1:]; print(os.environ.get(k) or dotenv_values(".env").get(k) or d)' $(1) '$(2)'

.PHONY: help venv install services run test bench lint clean

help:
	@echo "make install   create .venv and install the project with the dev extra (pinned by constraints.txt)"
	@echo "make services  make sure PostgreSQL+PostGIS and Redis are installed and running"
	@echo "make run       migrate, seed, then run web + worker + beat (honcho, Procfile)"
	@echo "make test      ruff check + the import contract + pytest against sosoft_test (PYTEST_ARGS=..., TEST_DATABASE_URL=...)"
	@echo "make bench     run every bench/bench_*.py"
	@echo "make lint      ruff check + the import contract + ruff format --check (format is advisory)"
	@echo "make clean     remove .venv and var/"

venv install: $(STAMP)

# Re-run only when the dependency declarations change.
$(STAMP): pyproject.toml constraints.txt
	@if [ ! -x $(VENV)/bin/python ]; then \
		echo "creating $(VENV)"; \
		python3 -m venv $(VENV) || { echo "python3 -m venv failed (Debian/Ubuntu: apt-get install python3-venv)" >&2; exit 1; }; \
	fi
	$(BIN)/python -m pip install -c constraints.txt -e ".[dev]"
	@touch $@

services:
	bash scripts/ensure_services.sh

# honcho -e /dev/null: honcho would otherwise load .env *over* the environment;
# the app and gunicorn.conf.py read .env themselves, environment first.
# honcho -p: honcho sets PORT for the first process (web) and would default it to 5000.
run: install services
	mkdir -p var
	bash scripts/create_db.sh "$$($(call env_get,DATABASE_URL,$(DEFAULT_DATABASE_URL)))"
	$(BIN)/alembic upgrade head
	$(BIN)/flask --app wsgi seed
	$(BIN)/honcho start -e /dev/null -p "$$($(call env_get,PORT,8000))" -f Procfile web worker beat

test: install
	DATABASE_URL='$(TEST_DATABASE_URL)' WITH_BROWSER=1 bash scripts/ensure_services.sh
	bash scripts/create_db.sh '$(TEST_DATABASE_URL)'
	@status=0; \
	echo "+ ruff check ."; \
	$(BIN)/ruff check . || status=1; \
	echo "+ lint-imports"; \
	$(BIN)/lint-imports --no-cache || status=1; \
	echo "+ APP_ENV=test DATABASE_URL='$(TEST_DATABASE_URL)' pytest $(PYTEST_ARGS)"; \
	APP_ENV=test DATABASE_URL='$(TEST_DATABASE_URL)' $(BIN)/pytest $(PYTEST_ARGS) || status=$$?; \
	exit $$status

bench: install services
	@shopt -s nullglob; \
	benches=(bench/bench_*.py); \
	if [ $${#benches[@]} -eq 0 ]; then echo "no bench/bench_*.py found: nothing to run"; exit 0; fi; \
	for b in "$${benches[@]}"; do \
		echo "+ python $$b"; \
		$(BIN)/python "$$b"; \
	done

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/ruff format --check . || echo "(ruff format would change the files above: run '$(VENV)/bin/ruff format .'; not fatal)"

clean:
	rm -rf $(VENV) var
