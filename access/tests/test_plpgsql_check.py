"""The project's PL/pgSQL functions pass plpgsql_check (errors and warnings) on a freshly migrated
database: what Supabase's linters and a reviewer's plpgsql_check would find, found here first.

The extension is not part of the embedded PostgreSQL, so the check runs on a server that has it:
PLPGSQL_CHECK_URL (by default the machine's own PostgreSQL on 127.0.0.1:5432, where `make test`
installs Debian's postgresql-NN-plpgsql-check when it can); without one the test is skipped and
says how to run it.
"""

from __future__ import annotations

import os
import uuid
from urllib.parse import urlsplit

import psycopg
import pytest

from config.tests.command_line import run_manage

SERVER = os.environ.get("PLPGSQL_CHECK_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SCHEMAS = ("app_private", "public")

# Every PL/pgSQL function of ours, each trigger function once per table it is attached to.
FINDINGS = """
    select f.oid::regprocedure::text, r.level, r.message, r.lineno, r.detail
    from (
        select distinct p.oid, coalesce(t.tgrelid, 0) as relid
        from pg_proc p
        join pg_namespace n on n.oid = p.pronamespace
        join pg_language l on l.oid = p.prolang
        left join pg_trigger t on t.tgfoid = p.oid and not t.tgisinternal
        where l.lanname = 'plpgsql' and n.nspname = any(%s)
          and (p.prorettype <> 'trigger'::regtype or t.tgrelid is not null)
    ) f
    cross join lateral plpgsql_check_function_tb(f.oid, f.relid) r
"""


def server_with_plpgsql_check() -> psycopg.Connection:
    try:
        connection = psycopg.connect(SERVER, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        pytest.skip(f"no PostgreSQL at PLPGSQL_CHECK_URL ({error.__class__.__name__}): set it to run plpgsql_check")
    available = connection.execute("select 1 from pg_available_extensions where name = 'plpgsql_check'").fetchone()
    if not available:
        connection.close()
        pytest.skip("plpgsql_check is not installed there (Debian: postgresql-NN-plpgsql-check; make test installs it)")
    return connection


def test_every_plpgsql_function_passes_plpgsql_check():
    server = server_with_plpgsql_check()
    name = f"plpgsql_check_{uuid.uuid4().hex[:12]}"
    server.execute(f'create database "{name}"')
    try:
        url = urlsplit(SERVER)._replace(path=f"/{name}").geturl()
        migrated = run_manage("migrate", "--no-input", DATABASE_URL=url, DEBUG="true")
        assert migrated.returncode == 0, migrated.stderr
        with psycopg.connect(url, autocommit=True) as database:
            database.execute("create extension plpgsql_check")
            findings = database.execute(FINDINGS, [list(SCHEMAS)]).fetchall()
        assert findings == [], "\n".join(" | ".join(str(part) for part in finding) for finding in findings)
    finally:
        server.execute(f'drop database if exists "{name}" with (force)')
        server.close()
