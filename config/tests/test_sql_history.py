"""SQL history: each migration installs the SQL frozen when it was written (config/sql.py), so a
database migrated from zero goes through what every database that took each release went through."""

from __future__ import annotations

import ast
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from django.apps import apps as django_apps
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection, connections
from django.db.migrations.executor import MigrationExecutor

from access.services import grants_sync
from config.sql import BASE_DIR, FROZEN_HEADER, frozen_unit, unit_sql
from config.testing import RAW_PARAMETERS


def _units() -> list[tuple[str, str]]:
    return sorted(
        {
            (path.parent.parent.parent.name, path.parent.name)
            for path in BASE_DIR.glob("*/sql/*/*.sql")
            if not path.relative_to(BASE_DIR).parts[0].startswith(".")
        }
    )


def _frozen_copies(app_label: str, unit: str) -> list[Path]:
    return [
        path
        for path in sorted((BASE_DIR / app_label / "migrations" / "sql").glob("*.sql"))
        if not path.name.endswith(".reverse.sql") and frozen_unit(path) == (app_label, unit)
    ]


@pytest.mark.parametrize(("app_label", "unit"), _units(), ids=lambda value: value)
def test_each_unit_is_what_its_newest_migration_installs(app_label, unit):
    how = (
        f"write a new migration of {app_label} whose operations are [run_frozen_sql(__file__)], then run "
        f"'manage.py freeze_sql {app_label} {unit} <migration>'"
    )
    copies = _frozen_copies(app_label, unit)
    assert copies, f"no migration installs {app_label}/sql/{unit}/: {how}"
    newest = copies[-1]
    assert (newest.parent.parent / f"{newest.stem}.py").exists(), f"{newest} belongs to no migration"
    expected = FROZEN_HEADER.format(app=app_label, unit=unit) + unit_sql(app_label, unit)
    assert newest.read_text() == expected, (
        f"{app_label}/sql/{unit}/ is not what {newest.relative_to(BASE_DIR)} installs: changing a unit's SQL "
        f"takes a new migration, or existing databases never get the change: {how}"
    )


# What would let a migration install today's files instead of its own history.
READERS = {"open", "read_text", "read_bytes", "read_sql", "run_sql_file", "unit_sql", "unit_dir", "freeze", "glob"}
PROJECT_MIGRATIONS = sorted(
    path for path in BASE_DIR.glob("*/migrations/[0-9]*.py") if not path.relative_to(BASE_DIR).parts[0].startswith(".")
)


def _reads_outside_its_folder(source: str) -> list[str]:
    findings = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in READERS:
                findings.append((node.lineno, f"calls {name}()"))
            if name == "run_frozen_sql" and not (
                len(node.args) == 1 and isinstance(node.args[0], ast.Name) and node.args[0].id == "__file__"
            ):
                findings.append((node.lineno, "runs the frozen SQL of another file than __file__"))
        elif isinstance(node, ast.ImportFrom) and node.module == "config.sql":
            findings += [
                (node.lineno, f"imports {alias.name} from config.sql")
                for alias in node.names
                if alias.name != "run_frozen_sql"
            ]
        elif isinstance(node, ast.Name) and node.id == "BASE_DIR":
            findings.append((node.lineno, "uses BASE_DIR"))
    return [f"line {line}: {finding}" for line, finding in sorted(findings)]


@pytest.mark.parametrize("path", PROJECT_MIGRATIONS, ids=lambda path: str(path.relative_to(BASE_DIR)))
def test_no_migration_reads_files_outside_its_migrations_folder(path):
    findings = _reads_outside_its_folder(path.read_text())
    assert findings == [], (
        f"{path.relative_to(BASE_DIR)} could install today's files rather than its own history: "
        + "; ".join(findings)
        + ". Install SQL with run_frozen_sql(__file__) (see config/sql.py)."
    )


def test_the_check_catches_a_migration_reading_todays_files():
    source = (
        "from config.sql import run_sql_file, run_frozen_sql\n"
        "operations = [run_sql_file('a', 'b.sql'), run_frozen_sql(__file__)]\n"
        "sql = (BASE_DIR / 'a' / 'sql' / 'b.sql').read_text()\n"
    )
    assert _reads_outside_its_folder(source) == [
        "line 1: imports run_sql_file from config.sql",
        "line 2: calls run_sql_file()",
        "line 3: calls read_text()",
        "line 3: uses BASE_DIR",
    ]


def _acl(column: str) -> str:
    """An ACL as a sorted list: PostgreSQL keeps its items in the order they were granted."""
    return f"(select array_agg(item::text order by item::text) from unnest({column}) item)"


# What the migrations' SQL installs, in every schema but PostgreSQL's own: each query's first
# column names the object, the others are what must be the same.
OURS = "n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') and n.nspname not like 'pg_temp%'"
CATALOG = {
    "function": f"""
        select p.oid::regprocedure::text, pg_get_functiondef(p.oid) as definition, {_acl("p.proacl")} as grants
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where {OURS} and p.prokind in ('f', 'p')""",
    "trigger": f"""
        select t.tgname || ' on ' || c.oid::regclass::text, pg_get_triggerdef(t.oid) as definition,
               t.tgenabled as enabled
        from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
        where {OURS} and not t.tgisinternal""",
    "view": f"""
        select c.oid::regclass::text, pg_get_viewdef(c.oid) as definition
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where {OURS} and c.relkind in ('v', 'm')""",
    "policy": """
        select policyname || ' on ' || schemaname || '.' || tablename, permissive, roles::text as roles, cmd,
               qual as using, with_check
        from pg_policies""",
    "relation": f"""
        select c.oid::regclass::text, c.relkind as kind, c.relrowsecurity as row_level_security,
               c.relforcerowsecurity as forced_row_level_security, {_acl("c.relacl")} as grants
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where {OURS} and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')""",
    "schema": f"select n.nspname, {_acl('n.nspacl')} as grants from pg_namespace n where {OURS}",
    "default privileges": f"""
        select pg_get_userbyid(d.defaclrole) || ' on ' || d.defaclobjtype::text || ' in '
               || coalesce(nullif(d.defaclnamespace, 0)::regnamespace::text, 'any schema'),
               {_acl("d.defaclacl")} as grants
        from pg_default_acl d""",
}


def _server(dbname: str) -> psycopg.Connection:
    parameters = {key: value for key, value in connection.get_connection_params().items() if key in RAW_PARAMETERS}
    return psycopg.connect(**{**parameters, "dbname": dbname}, autocommit=True)


@contextmanager
def _scratch_databases(count: int) -> Iterator[list[str]]:
    names = [f"sql_history_{uuid.uuid4().hex[:12]}" for _ in range(count)]
    with _server("postgres") as server:
        for name in names:
            server.execute(f'create database "{name}" template template0')
        try:
            yield names
        finally:
            for name in names:
                server.execute(f'drop database if exists "{name}" with (force)')


@contextmanager
def _default_database(name: str) -> Iterator:
    """Django's default connection on the database `name` for a while: `migrate` then runs there
    exactly as `manage.py migrate` would (access.born_private listens on the default alias only)."""
    test_database = connections["default"]
    scratch = test_database.__class__({**test_database.settings_dict, "NAME": name}, "default")
    connections["default"] = scratch
    try:
        yield scratch
    finally:
        scratch.close()
        connections["default"] = test_database
        ContentType.objects.clear_cache()  # it caches by alias: the scratch database's ids are not the test's


def _catalog(name: str) -> dict[tuple[str, str], dict[str, object]]:
    """Every object of CATALOG by (kind, name), with its properties by column name."""
    objects = {}
    with _server(name) as database:
        for kind, query in CATALOG.items():
            cursor = database.execute(query)
            columns = [column.name for column in cursor.description[1:]]
            for name_of_object, *values in cursor.fetchall():
                objects[kind, name_of_object] = dict(zip(columns, values, strict=True))
    return objects


def _differences(at_once: dict, step_by_step: dict, *, grants: bool) -> list[str]:
    """What differs between two catalogs; with grants=False, grants and default privileges aside."""
    differences = []
    for kind, name in sorted(at_once.keys() | step_by_step.keys()):
        if not grants and kind == "default privileges":
            continue
        if (kind, name) not in step_by_step:
            differences.append(f"{kind} {name}: only in the database migrated at once")
        elif (kind, name) not in at_once:
            differences.append(f"{kind} {name}: only in the database migrated step by step")
        else:
            before, after = at_once[kind, name], step_by_step[kind, name]
            differences += [
                f"{kind} {name}, {column}: {before[column]!r} at once, {after[column]!r} step by step"
                for column in before
                if before[column] != after[column] and (grants or column != "grants")
            ]
    return differences


PROJECT_APPS = {config.label for config in django_apps.get_app_configs() if Path(config.path).parent == BASE_DIR}


def _migrate(*arguments: str) -> None:
    call_command("migrate", *arguments, interactive=False, verbosity=0)


def _exists(scratch, relation: str) -> bool:
    with scratch.cursor() as cursor:
        cursor.execute("select to_regclass(%s) is not null", [relation])
        return cursor.fetchone()[0]


def _search_asks_the_database_role(name: str) -> bool:
    with _server(name) as database:
        definition = database.execute(
            "select pg_get_functiondef('app_private.search_members(text, integer)'::regprocedure)"
        ).fetchone()[0]
    return "current_setting('role')" in definition


def test_migrating_from_zero_at_once_installs_what_one_release_at_a_time_did(django_db_blocker):
    """A database that took every migration in its own `migrate` (as one that took each release
    did) has the same functions, triggers, views, policies and row-level security as one migrated
    from zero in one `migrate`, and after sync_grants the same grants; each step installed the SQL
    of its time."""
    with django_db_blocker.unblock(), _scratch_databases(2) as (at_once, step_by_step):
        with _default_database(at_once):
            _migrate()
        with _default_database(step_by_step) as scratch:
            executor = MigrationExecutor(scratch)
            plan = [migration for migration, _ in executor.migration_plan(executor.loader.graph.leaf_nodes())]
            # Django's own apps first, as the first release had them: one step at a time they would
            # fail (permissions of later models do not fit auth 0001's permission names).
            for app_label in dict.fromkeys(m.app_label for m in plan if m.app_label not in PROJECT_APPS):
                _migrate(app_label)
            for migration in plan:
                if migration.app_label not in PROJECT_APPS:
                    continue
                _migrate(migration.app_label, migration.name)
                if (migration.app_label, migration.name) == ("bookings", "0004_booking_engine"):
                    # the engine as bookings 0004 wrote it: its own marks came with bookings 0009
                    assert not _exists(scratch, "app_private.booking_engine_writes")
            assert _exists(scratch, "app_private.booking_engine_writes")
        assert ("bookings", "0004_booking_engine") in [(m.app_label, m.name) for m in plan]
        migrated = _catalog(at_once), _catalog(step_by_step)
        for name in (at_once, step_by_step):
            with _default_database(name):
                grants_sync(apply=True)
        deployed = _catalog(at_once), _catalog(step_by_step)
        # the engine's early versions carried a search that believed the token (members 0008)
        assert _search_asks_the_database_role(at_once)
    assert {kind for kind, _ in migrated[0]} >= {"function", "trigger", "relation"}
    differences = _differences(*migrated, grants=False)
    assert differences == [], "a migrate from zero differs from one step at a time:\n" + "\n".join(differences)
    differences = _differences(*deployed, grants=True)
    assert differences == [], "after sync_grants, the databases differ:\n" + "\n".join(differences)
