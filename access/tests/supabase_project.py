"""A database shaped like a Supabase project created before October 2026, and a deploy run on it.

The shape: the API roles exist before anything else; the role that runs migrations (`postgres` on
Supabase) is not a superuser, owns the database and may act as the API roles; it and the
platform's own role (`supabase_admin`) hold default privileges that grant every new table,
sequence and function in `public` to anon, authenticated and service_role.

The deploy runs as separate processes, as a pipeline runs them, connected as the migrating role;
after each step the fixture records what each API role can reach.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg
from django.conf import settings

from config.access_declaration import ANON, AUTHENTICATED, SERVICE_ROLE, SUPABASE_ROLES

MIGRATING_ROLE = "supabase_like_postgres"
PLATFORM_ROLE = "supabase_like_admin"
PROJECT_DIR = Path(settings.BASE_DIR)
DEFAULT_GRANTS = [
    f"alter default privileges for role {role} in schema public grant all on {objects} to {', '.join(SUPABASE_ROLES)}"
    for role in (MIGRATING_ROLE, PLATFORM_ROLE)
    for objects in ("tables", "functions", "sequences")
]

# A relation counts as reachable when the role holds a privilege on it (or on one of its columns)
# and row-level security does not hide every row from it: RLS is off, the role bypasses it, or a
# policy applies to it.
REACHABLE_RELATIONS = """
    select c.relname from pg_class c join pg_roles r on r.rolname = %(role)s
    where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p', 'v', 'm', 'f')
      and (has_table_privilege(r.oid, c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE')
           or has_any_column_privilege(r.oid, c.oid, 'SELECT, INSERT, UPDATE'))
      and (not c.relrowsecurity or r.rolbypassrls or exists (
           select from pg_policy p where p.polrelid = c.oid and (0 = any(p.polroles) or r.oid = any(p.polroles))))
    order by 1
"""
EXECUTABLE_FUNCTIONS = """
    select p.oid::regprocedure::text from pg_proc p
    where p.pronamespace = 'public'::regnamespace and has_function_privilege(%(role)s, p.oid, 'EXECUTE')
    order by 1
"""


@dataclass(frozen=True)
class Reach:
    relations: tuple[str, ...]
    functions: tuple[str, ...]


@dataclass
class Step:
    command: str
    returncode: int
    output: str
    reach: dict[str, Reach] = field(default_factory=dict)


@dataclass
class Deploy:
    database: str
    steps: dict[str, Step]

    def reach(self, step: str, role: str) -> Reach:
        return self.steps[step].reach[role]


def _server_parameters() -> dict:
    database = settings.DATABASES["default"]
    host = database["HOST"] or database["OPTIONS"].get("host", "")
    return {"host": host, "port": database["PORT"] or None, "user": database["USER"], "password": database["PASSWORD"]}


def _connect(dbname: str) -> psycopg.Connection:
    parameters = {key: value for key, value in _server_parameters().items() if value}
    return psycopg.connect(dbname=dbname, autocommit=True, **parameters)


def _database_url(role: str, dbname: str) -> str:
    server = _server_parameters()
    if server["host"].startswith("/"):
        return f"postgresql://{role}@/{dbname}?host={quote(server['host'], safe='/')}"
    return f"postgresql://{role}:{role}@{server['host']}:{server['port'] or 5432}/{dbname}"


def _prepare_roles(server: psycopg.Connection) -> None:
    """Roles are shared by the cluster's databases (and parallel test workers): made once, under a lock."""
    server.execute("select pg_advisory_lock(hashtext('access.tests.supabase_project'))")
    try:
        for role in SUPABASE_ROLES:
            bypass = " bypassrls" if role == SERVICE_ROLE else ""
            server.execute(
                f"do $$ begin if not exists (select from pg_roles where rolname = '{role}') then"
                f" create role {role} nologin noinherit{bypass}; end if; end $$"
            )
        for role, attributes in ((MIGRATING_ROLE, f"login password '{MIGRATING_ROLE}'"), (PLATFORM_ROLE, "nologin")):
            server.execute(
                f"do $$ begin if not exists (select from pg_roles where rolname = '{role}') then"
                f" create role {role} nosuperuser createrole {attributes}; end if; end $$"
            )
        server.execute(f"grant {', '.join(SUPABASE_ROLES)} to {MIGRATING_ROLE}")
    finally:
        server.execute("select pg_advisory_unlock(hashtext('access.tests.supabase_project'))")


def create_supabase_shaped_database(name: str) -> None:
    with _connect("postgres") as server:
        server.execute(f"drop database if exists {name} with (force)")
        _prepare_roles(server)
        server.execute(f"create database {name} owner {MIGRATING_ROLE} template template0")
    with _connect(name) as database:
        for statement in DEFAULT_GRANTS:
            database.execute(statement)


def drop_database(name: str) -> None:
    with _connect("postgres") as server:
        server.execute(f"drop database if exists {name} with (force)")


def _reach(name: str) -> dict[str, Reach]:
    with _connect(name) as database:
        return {
            role: Reach(
                relations=tuple(row[0] for row in database.execute(REACHABLE_RELATIONS, {"role": role})),
                functions=tuple(row[0] for row in database.execute(EXECUTABLE_FUNCTIONS, {"role": role})),
            )
            for role in (ANON, AUTHENTICATED, SERVICE_ROLE)
        }


def _manage(name: str, *arguments: str) -> Step:
    environment = {
        **os.environ,
        "DATABASE_URL": _database_url(MIGRATING_ROLE, name),
        "DJANGO_SETTINGS_MODULE": "config.settings_test",
    }
    finished = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return Step(" ".join(arguments), finished.returncode, finished.stdout + finished.stderr)


DEPLOY_SEQUENCE = {
    "migrate": ("migrate", "--no-input", "-v", "0"),
    "sync_grants": ("sync_grants",),
    "sync_grants --check": ("sync_grants", "--check"),
    "db_doctor": ("db_doctor",),
}


def deploy(name: str) -> Deploy:
    """Run the deploy sequence on the database `name`, recording each step and what it left open."""
    steps = {}
    for label, arguments in DEPLOY_SEQUENCE.items():
        step = _manage(name, *arguments)
        step.reach = _reach(name)
        steps[label] = step
    return Deploy(name, steps)
