# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-requirements
PORT ?= 8000
# Test workers; the machine has 2 cores.
TEST_WORKERS ?= 2

.PHONY: install browser plpgsql-check pgbouncer run test test-pooler lint deploy-db seed check clean-db

install: $(STAMP)

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $(STAMP)

# Starts the embedded PostgreSQL when DATABASE_URL is unset, prepares the database as a deploy
# does (migrate, sync_grants, db_doctor), loads the demo data and serves the admin on
# http://127.0.0.1:$(PORT)/admin/. Ctrl-C stops the app and the database.
run: install
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --no-input
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py sync_grants
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py db_doctor
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py seed_demo
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py ensure_slots
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py ensure_classes
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Headless Chromium and its driver, from Debian's packages, for the browser tests. Installed when
# running as root (as CI does); elsewhere the browser tests say how to get them and are skipped.
browser:
	@test -x /usr/bin/chromedriver || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; } \
				|| echo "note: could not install chromium and chromium-driver; the browser tests will be skipped"; \
		else echo "note: install chromium and chromium-driver to run the browser tests"; fi; }

# plpgsql_check for the machine's own PostgreSQL (the embedded server takes no extensions), from
# Debian's packages, for access/tests/test_plpgsql_check.py. Installed when running as root (as CI
# does); otherwise, or when there is no local cluster, that test says how to run it and is skipped.
plpgsql-check:
	@version=$$(pg_lsclusters -h 2>/dev/null | awk 'NR==1 {print $$1}'); \
	if [ -z "$$version" ] || [ -f /usr/share/postgresql/$$version/extension/plpgsql_check.control ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		{ apt-get install -y -qq postgresql-$$version-plpgsql-check >/dev/null 2>&1 \
			|| { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-$$version-plpgsql-check >/dev/null; }; } \
			|| echo "note: could not install postgresql-$$version-plpgsql-check; its test will be skipped"; \
	else echo "note: install postgresql-$$version-plpgsql-check to run its test"; fi

# PgBouncer, from Debian's package, for the pooler suite. Installed when running as root (as CI
# does); otherwise that suite says how to get it and is skipped.
pgbouncer:
	@command -v pgbouncer >/dev/null || test -x /usr/sbin/pgbouncer || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			{ DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null 2>&1 \
				|| { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null; }; } \
				|| echo "note: could not install pgbouncer; the pooler suite will be skipped"; \
		else echo "note: install pgbouncer to run the pooler suite"; fi; }

test: install browser plpgsql-check
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n $(TEST_WORKERS)
	@$(MAKE) --no-print-directory test-pooler

# The pooler suite: the booking engine's doors under load, the API, slot generation, the audit
# commands, sync_grants, db_doctor and two app servers at once, through PgBouncer in transaction
# mode as production runs behind Supavisor (config/tests/pooler.py). Without pgbouncer: a note, exit 0.
test-pooler: install pgbouncer
	$(BIN)/python -m config.tests.pooler -n $(TEST_WORKERS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The deploy sequence, against DATABASE_URL (or the embedded database).
deploy-db: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py sync_grants
	$(BIN)/python manage.py db_doctor

seed: install
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py seed_demo

check: install
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py makemigrations --check --dry-run

# Deletes the embedded database (stop `make run` first); the next `make run` starts afresh.
clean-db:
	rm -rf .pgdata
