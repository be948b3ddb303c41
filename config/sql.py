"""SQL the migrations install, and prepared statements.

The SQL of a database object (function, trigger, view, policy) is written in `<app>/sql/<unit>/`,
one file per role, read in name order. A migration never reads those files: it installs a frozen
copy made when it was written (`<app>/migrations/sql/<migration>.sql`, made by
`manage.py freeze_sql`), so migrating an empty database replays the history that every existing
database went through. Changing a unit's SQL is therefore a new migration with a new frozen copy; a
test fails while a unit's files differ from its newest frozen copy.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection, migrations
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.models import F, Func, IntegerField, Value

BASE_DIR = Path(__file__).resolve().parent.parent
FROZEN_HEADER = (
    "-- Frozen from {app}/sql/{unit}/ by 'manage.py freeze_sql'. Never edit: a new version is a new migration.\n"
)
_FROZEN_HEADER_PATTERN = re.compile(r"^-- Frozen from (?P<app>\w+)/sql/(?P<unit>\w+)/ ")


# Unit files written from Python declarations (the one statement of what they hold), by the
# function named: `manage.py freeze_sql` writes them again before freezing, a test checks them.
GENERATED_FILES = {
    "clubs/sql/platform/10_rules.sql": "config.rules.render_sql",
    "facilities/sql/defaults/10_defaults.sql": "facilities.models.render_defaults_sql",
    "bookings/sql/engine/05_constants.sql": "bookings.models.render_engine_constants_sql",
}


def generated_text(path: str) -> str:
    module, _, function = GENERATED_FILES[path].rpartition(".")
    return getattr(importlib.import_module(module), function)()


def write_generated_files() -> list[Path]:
    """Write every generated unit file from its declaration; the paths that changed."""
    changed = []
    for path in GENERATED_FILES:
        target, text = BASE_DIR / path, generated_text(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_text() != text:
            target.write_text(text)
            changed.append(target)
    return changed


def unit_dir(app_label: str, unit: str) -> Path:
    return BASE_DIR / app_label / "sql" / unit


def unit_sql(app_label: str, unit: str) -> str:
    """A unit's current SQL: its files in name order, each introduced by its name."""
    files = sorted(unit_dir(app_label, unit).glob("*.sql"))
    if not files:
        raise FileNotFoundError(f"{unit_dir(app_label, unit)} holds no .sql file")
    return "".join(f"\n-- {app_label}/sql/{unit}/{path.name}\n{path.read_text()}" for path in files)


def frozen_path(migration_file: str | Path, suffix: str = ".sql") -> Path:
    migration = Path(migration_file)
    return migration.parent / "sql" / f"{migration.stem}{suffix}"


def freeze(app_label: str, unit: str, migration_name: str) -> Path:
    """Write the unit's current SQL as the frozen copy of `<app>/migrations/<migration_name>.py`."""
    write_generated_files()
    path = frozen_path(BASE_DIR / app_label / "migrations" / f"{migration_name}.py")
    path.parent.mkdir(exist_ok=True)
    path.write_text(FROZEN_HEADER.format(app=app_label, unit=unit) + unit_sql(app_label, unit))
    return path


def frozen_unit(path: Path) -> tuple[str, str] | None:
    """(app, unit) a frozen copy was made from, or None for SQL frozen before units existed."""
    with path.open() as file:
        match = _FROZEN_HEADER_PATTERN.match(file.readline())
    return (match["app"], match["unit"]) if match else None


def run_frozen_sql(migration_file: str, *, reinstalls: str | None = None) -> migrations.RunSQL:
    """`RunSQL` of the SQL frozen for the migration `migration_file` (pass `__file__`). Reversed by
    its `<migration>.reverse.sql` (what it added, dropped) followed, with `reinstalls`, by the
    frozen copy of that earlier migration of the same app, whose definitions it replaced; with
    neither, reversing is a no-op."""
    parts = [frozen_path(migration_file, ".reverse.sql")]
    if reinstalls is not None:
        parts.append(frozen_path(Path(migration_file).with_name(f"{reinstalls}.py")))
    reverse = "".join(path.read_text() for path in parts if path.exists())
    return migrations.RunSQL(sql=frozen_path(migration_file).read_text(), reverse_sql=reverse or migrations.RunSQL.noop)


@contextmanager
def prepared_cursor() -> Iterator:
    """A cursor that sends parameters apart from the SQL, so that PostgreSQL can keep the plan.

    Django's cursors put the values into the SQL text, which PostgreSQL then parses and plans on
    every call. For the statements every request runs, this one lets psycopg prepare them on the
    connection (after `PREPARE_AFTER_RUNS` runs; never through a transaction pooler, see
    config/database.py). Only for plain DML and function calls: `%s` cannot stand in DDL or SET.
    """
    # what Django's own connection.cursor() does first
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        raw = ServerBindingCursor(connection.connection)
    wrapped = connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)
    with wrapped as cursor:
        yield cursor


def places_taken(kind: str) -> Func:
    """An annotation for the slots (kind "slot") or classes ("class") of a queryset: their places
    taken, counted by the booking engine (app_private.places_taken), so no app counts on its own."""
    return Func(Value(kind), F("id"), function="app_private.places_taken", output_field=IntegerField())
