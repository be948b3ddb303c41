"""Database-level tenant consistency.

Every tenant table carries `organization_id` (RLS isolates tenants by it). A composite foreign
key `(parent_id, organization_id) -> parent (id, organization_id)` makes the database refuse a
row whose organization differs from its parent's, whichever door the row came through.
"""

from django.db import migrations


def same_organization_as_parent(table: str, column: str, parent_table: str) -> migrations.RunSQL:
    constraint = f"{table}_{column}_same_org_fk"
    return migrations.RunSQL(
        sql=(
            f"alter table public.{table} add constraint {constraint} "
            f"foreign key ({column}, organization_id) "
            f"references public.{parent_table} (id, organization_id)"
        ),
        reverse_sql=f"alter table public.{table} drop constraint {constraint}",
    )
