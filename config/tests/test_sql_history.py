"""SQL history: each migration installs the SQL frozen when it was written (config/sql.py), so a
database migrated from zero goes through what every database that took each release went through."""

from __future__ import annotations

import ast
import subprocess
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from fnmatch import fnmatch
from pathlib import Path

import psycopg
import pytest
from django.apps import apps as django_apps
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

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


def _items(acl: str) -> str:
    """An ACL as a sorted list: PostgreSQL keeps its items in the order they were granted."""
    return f"(select array_agg(item::text order by item::text) from unnest({acl}) item)"


def _acl(prefix: str, object_type: str) -> str:
    """The ACL of a catalog row (`<prefix>acl`, its owner `<prefix>owner`), with none (null) written
    out as the defaults of its type: a database whose roles came later states the same explicitly."""
    return _items(f"coalesce({prefix}acl, acldefault({object_type}, {prefix}owner))")


# What the migrations' SQL installs, in every schema but PostgreSQL's own: each query's first
# column names the object, the others are what must be the same.
RELATION_ACL_TYPE = "case c.relkind when 'S' then 's' else 'r' end::\"char\""
OURS = "n.nspname not in ('pg_catalog', 'information_schema', 'pg_toast') and n.nspname not like 'pg_temp%'"
CATALOG = {
    "function": f"""
        select p.oid::regprocedure::text, pg_get_functiondef(p.oid) as definition, {_acl("p.pro", "'f'")} as grants
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
               c.relforcerowsecurity as forced_row_level_security, {_acl("c.rel", RELATION_ACL_TYPE)} as grants
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where {OURS} and c.relkind in ('r', 'p', 'v', 'm', 'S', 'f')""",
    "schema": f"""
        select n.nspname, {_acl("n.nsp", "'n'")} as grants from pg_namespace n where {OURS}""",
    "default privileges": f"""
        select pg_get_userbyid(d.defaclrole) || ' on ' || d.defaclobjtype::text || ' in '
               || coalesce(nullif(d.defaclnamespace, 0)::regnamespace::text, 'any schema'),
               {_items("d.defaclacl")} as grants
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


def _differences(first: dict, second: dict, *, grants: bool, names: tuple[str, str]) -> list[str]:
    """What differs between two catalogs, the databases described by `names`; with grants=False,
    grants and default privileges aside."""
    differences = []
    for kind, name in sorted(first.keys() | second.keys()):
        if not grants and kind == "default privileges":
            continue
        if (kind, name) not in second:
            differences.append(f"{kind} {name}: only in the database {names[0]}")
        elif (kind, name) not in first:
            differences.append(f"{kind} {name}: only in the database {names[1]}")
        else:
            before, after = first[kind, name], second[kind, name]
            differences += [
                f"{kind} {name}, {column}: {before[column]!r} {names[0]}, {after[column]!r} {names[1]}"
                for column in before
                if before[column] != after[column] and (grants or column != "grants")
            ]
    return differences


def _assert_same(first: dict, second: dict, *, grants: bool, names: tuple[str, str], problem: str) -> None:
    differences = _differences(first, second, grants=grants, names=names)
    assert differences == [], f"{problem}:\n" + "\n".join(differences)


PROJECT_APPS = {config.label for config in django_apps.get_app_configs() if Path(config.path).parent == BASE_DIR}
MigrationKey = tuple[str, str]  # (app label, migration name)


def _migrate(*arguments: str) -> None:
    call_command("migrate", *arguments, interactive=False, verbosity=0)


def _plan(scratch) -> list[MigrationKey]:
    """Every migration, in the order one `migrate` applies them to an empty database."""
    executor = MigrationExecutor(scratch)
    return [
        (migration.app_label, migration.name)
        for migration, _ in executor.migration_plan(executor.loader.graph.leaf_nodes())
    ]


def _applied(scratch) -> set[MigrationKey]:
    return set(MigrationRecorder(scratch).applied_migrations())


def _migrate_djangos_own_apps(plan: list[MigrationKey]) -> None:
    """Django's own apps first, as the first release had them: one step at a time they would fail
    (permissions of later models do not fit auth 0001's permission names)."""
    for app_label in dict.fromkeys(app_label for app_label, _ in plan if app_label not in PROJECT_APPS):
        _migrate(app_label)


MIGRATION_FILES = "*/migrations/[0-9]*.py"


def _git(*arguments: str) -> str | None:
    """What git prints, run in the project; None without git, a repository or a commit."""
    try:
        return subprocess.run(["git", *arguments], cwd=BASE_DIR, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None


def _migration_key(path: str) -> MigrationKey:
    """("bookings", "0004_booking_engine") for bookings/migrations/0004_booking_engine.py."""
    return Path(path).parent.parent.name, Path(path).stem


def _releases(plan: list[MigrationKey]) -> tuple[list[list[MigrationKey]], str | None]:
    """The migrations of `plan` as releases brought them: grouped by the commit that added each,
    oldest commit first, each group in plan order; then those not committed yet, one at a time in
    plan order. Without git's history, each migration alone in plan order, and why."""
    one_at_a_time = [[key] for key in plan]
    shallow, tree = _git("rev-parse", "--is-shallow-repository"), _git("ls-tree", "-r", "--name-only", "HEAD")
    # Without rename detection a renamed migration counts from the commit that gave it its name.
    log = _git(
        "log", "--reverse", "--no-renames", "--diff-filter=A", "--relative", "--format=@%H", "--name-only", "--",
        MIGRATION_FILES,
    )  # fmt: skip
    if shallow is None or tree is None or log is None:
        return one_at_a_time, "the project is not a git checkout with a commit"
    if shallow.strip() != "false":
        return one_at_a_time, "the project is a shallow clone ('git fetch --unshallow' gives it its history)"
    commit, added_by = -1, {}
    for line in log.splitlines():
        if line.startswith("@"):
            commit += 1
        elif line:
            added_by.setdefault(_migration_key(line), commit)  # the first commit: a later one re-added it
    committed = {_migration_key(path) for path in tree.splitlines() if fnmatch(path, MIGRATION_FILES)}
    missing = [f"{app_label} {name}" for app_label, name in plan if (app_label, name) in committed - added_by.keys()]
    if missing:
        return one_at_a_time, f"git's history lacks the commit that added {missing[0]} ({len(missing)} missing)"
    by_commit = {}
    for key in plan:
        if key in committed:
            by_commit.setdefault(added_by[key], []).append(key)
    return [by_commit[commit] for commit in sorted(by_commit)] + [[key] for key in plan if key not in committed], None


def _targets(release: list[MigrationKey]) -> list[MigrationKey]:
    """The newest migration of each app in a release (in plan order), in plan order: a target comes
    after the targets it depends on, and `migrate` applies the rest of what it needs."""
    newest = {app_label: (app_label, name) for app_label, name in release}
    return sorted(newest.values(), key=release.index)


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


BOOKING_ENGINE = ("bookings", "0004_booking_engine")
AT_ONCE, BY_RELEASE = "migrated at once", "migrated one release at a time"


def test_migrating_from_zero_at_once_installs_what_one_release_at_a_time_did(django_db_blocker):
    """A database that took each release in its own `migrate` has the same functions, triggers,
    views, policies and row-level security as one migrated from zero in one `migrate`, and after
    sync_grants the same grants; each step installed the SQL of its time.

    A release is a commit that added migrations, oldest first: `migrate <app> <its newest>` for
    each app it touched. Migrations not committed yet come last, one `migrate` each. Without git's
    history (no git, a shallow clone, a migration whose adding commit is missing) every migration
    gets its own `migrate`, in plan order, and the test warns why: it then cannot catch what the
    order of the releases changes."""
    with django_db_blocker.unblock(), _scratch_databases(2) as (at_once, by_release):
        with _default_database(at_once):
            _migrate()
        with _default_database(by_release) as scratch:
            plan = _plan(scratch)
            _migrate_djangos_own_apps(plan)
            releases, without_history = _releases([key for key in plan if key[0] in PROJECT_APPS])
            if without_history:
                warnings.warn(f"one migration per migrate, not one release: {without_history}", stacklevel=1)
            targets = [target for release in releases for target in _targets(release)]
            for target in targets:
                if target in _applied(scratch):
                    continue  # an earlier target depended on it: it came with an earlier release
                _migrate(*target)
                if target == BOOKING_ENGINE:
                    # the engine as bookings 0004 wrote it: its own marks came with bookings 0009
                    assert not _exists(scratch, "app_private.booking_engine_writes")
            assert _exists(scratch, "app_private.booking_engine_writes")
            assert _applied(scratch) == set(plan)
        assert BOOKING_ENGINE in targets
        migrated = _catalog(at_once), _catalog(by_release)
        for name in (at_once, by_release):
            with _default_database(name):
                grants_sync(apply=True)
        deployed = _catalog(at_once), _catalog(by_release)
        # the engine's early versions carried a search that believed the token (members 0008)
        assert _search_asks_the_database_role(at_once)
    assert {kind for kind, _ in migrated[0]} >= {"function", "trigger", "relation"}
    names = (AT_ONCE, BY_RELEASE)
    _assert_same(*migrated, grants=False, names=names, problem="a migrate from zero differs from one release at a time")
    _assert_same(*deployed, grants=True, names=names, problem="after sync_grants, the databases differ")


# Where reversing the newest migration of the engine leads (update it with each new one).
BEFORE_THE_NEWEST = {"bookings": "0017_closures"}


def test_reversing_the_newest_migrations_leaves_what_they_found(django_db_blocker):
    """A deployed database (migrate, then sync_grants) migrated back to BEFORE_THE_NEWEST has the
    functions, triggers, views, policies and row-level security of one deployed straight there, and
    migrated forward again those it had; after sync_grants, the same grants too.

    The database compared with is deployed too: the functions a reversal re-creates take
    service_role's EXECUTE from the migrating role's default privileges, which sync_grants gives
    every function not declared otherwise; only a database never synced lacks it."""
    with django_db_blocker.unblock(), _scratch_databases(2) as (reversed_, straight):
        with _default_database(straight) as scratch:
            plan = _plan(scratch)
            _migrate_djangos_own_apps(plan)
            for app_label, name in BEFORE_THE_NEWEST.items():
                _migrate(app_label, name)
            for app_label in dict.fromkeys(app_label for app_label, _ in plan):
                if app_label not in BEFORE_THE_NEWEST:
                    _migrate(app_label)
            grants_sync(apply=True)
            applied_straight = _applied(scratch)
        with _default_database(reversed_) as scratch:
            _migrate()
            grants_sync(apply=True)
            latest = _catalog(reversed_)
            for app_label, name in BEFORE_THE_NEWEST.items():
                _migrate(app_label, name)
            assert _applied(scratch) == applied_straight
            back = _catalog(reversed_)
            grants_sync(apply=True)
            back_deployed = _catalog(reversed_)
            _migrate()
            forward = _catalog(reversed_)
            grants_sync(apply=True)
            forward_deployed = _catalog(reversed_)
        before_the_newest = _catalog(straight)
    differences = [
        *_differences(before_the_newest, back, grants=False, names=("deployed straight there", "migrated back")),
        *_differences(
            before_the_newest, back_deployed, grants=True, names=("deployed straight there", "migrated back, synced")
        ),
        *_differences(latest, forward, grants=False, names=("deployed", "migrated back and forward")),
        *_differences(latest, forward_deployed, grants=True, names=("deployed", "migrated back and forward, synced")),
    ]
    assert differences == [], "reversing the newest migrations leaves another database:\n" + "\n".join(differences)
