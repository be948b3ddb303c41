# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-requirements
PORT ?= 8000
# Test workers; the machine has 2 cores.
TEST_WORKERS ?= 2

.PHONY: install run test migrate seed check clean-db

install: $(STAMP)

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

# Starts the embedded PostgreSQL when DATABASE_URL is unset, migrates, loads the demo data and
# serves the admin on http://127.0.0.1:$(PORT)/admin/. Ctrl-C stops the app and the database.
run: install
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --no-input
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py seed_demo
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

migrate: install
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --no-input

seed: install
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py seed_demo

check: install
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py makemigrations --check --dry-run

# Deletes the embedded database (stop `make run` first); the next `make run` starts afresh.
clean-db:
	rm -rf .pgdata
