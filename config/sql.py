"""SQL that migrations install lives in `<app>/sql/*.sql`; this reads it for `RunSQL`."""

from pathlib import Path

from django.db import migrations

BASE_DIR = Path(__file__).resolve().parent.parent


def read_sql(app_label: str, filename: str) -> str:
    return (BASE_DIR / app_label / "sql" / filename).read_text()


def run_sql_file(app_label: str, filename: str, *, reverse_filename: str | None = None) -> migrations.RunSQL:
    """`RunSQL` of `<app>/sql/<filename>`, reversed by `reverse_filename` (a no-op when None)."""
    return migrations.RunSQL(
        sql=read_sql(app_label, filename),
        reverse_sql=read_sql(app_label, reverse_filename) if reverse_filename else migrations.RunSQL.noop,
    )
