"""SQL helpers: files that migrations install (`<app>/sql/*.sql`), and prepared statements."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection, migrations
from django.db.backends.postgresql.base import ServerBindingCursor

BASE_DIR = Path(__file__).resolve().parent.parent


def read_sql(app_label: str, filename: str) -> str:
    return (BASE_DIR / app_label / "sql" / filename).read_text()


def run_sql_file(app_label: str, filename: str, *, reverse_filename: str | None = None) -> migrations.RunSQL:
    """`RunSQL` of `<app>/sql/<filename>`, reversed by `reverse_filename` (a no-op when None)."""
    return migrations.RunSQL(
        sql=read_sql(app_label, filename),
        reverse_sql=read_sql(app_label, reverse_filename) if reverse_filename else migrations.RunSQL.noop,
    )


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
