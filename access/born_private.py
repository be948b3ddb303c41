"""Every table the migrations create is born private, before `sync_grants` runs (or if it never does).

On a Supabase project created before October 2026 the role that runs migrations (`postgres`)
grants every new table, sequence and function in `public` to anon and authenticated by default,
and a new table has row-level security off: from `migrate` until `sync_grants` commits, anyone
with the anon key could read and write it.

`postgres` is not a superuser there, so an event trigger (which would seal each table as it is
created) is not available. Instead, when `migrate` starts (`pre_migrate`):
1. the migrating role's own default privileges are made private, as `sync_grants` would make
   them: PostgreSQL then creates each table, sequence and function with no privilege for anon,
   authenticated or PUBLIC, in the statement that creates it. A role may always change its own
   default privileges, superuser or not.
2. each migration about to be applied gets one last operation that turns row-level security on
   for every table in an exposed schema that has it off, inside the migration's own transaction.

Default privileges other roles hold (Supabase's `supabase_admin`) cover only what those roles
create; `db_doctor` and `sync_grants --check` report them (see `access.doctor`).
"""

from __future__ import annotations

import json

from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.db.migrations.operations.base import Operation

from access.planning import default_privilege_changes
from access.registry import collect_declarations
from access.selectors import read_live_state
from config.access_declaration import EXPOSED_SCHEMAS, READ_WRITE, SERVICE_ROLE

TABLES_WITHOUT_RLS = """
    select quote_ident(n.nspname) || '.' || quote_ident(c.relname)
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    where n.nspname = any(%s) and c.relkind in ('r', 'p') and not c.relrowsecurity
      and pg_catalog.pg_has_role(current_user, c.relowner, 'USAGE')
      and not exists (select from pg_catalog.pg_depend d
                      where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')
    order by 1
"""


PRIVILEGES_ABOVE_CEILING = """
    select quote_ident(n.nspname) || '.' || quote_ident(c.relname), p.privilege
    from jsonb_each(%s::jsonb) ceiling(name, allowed)
    join pg_catalog.pg_class c on c.relname = ceiling.name and c.relkind in ('r', 'p')
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace and n.nspname = any(%s)
    cross join unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) p(privilege)
    where pg_catalog.pg_has_role(current_user, c.relowner, 'USAGE')
      and pg_catalog.has_table_privilege('service_role', c.oid, p.privilege)
      and not ceiling.allowed ? p.privilege
    order by 1, 2
"""


class EnableRowLevelSecurity(Operation):
    """Row-level security on for every table of ours in an exposed schema that lacks it, and the
    server side held to what the declaration gives it.

    Appended to each migration when `migrate` runs it, so it runs in that migration's transaction.
    Tables another role owns are left to `db_doctor` (only their owner may change them).
    """

    reduces_to_sql = False
    reversible = True

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(TABLES_WITHOUT_RLS, [list(EXPOSED_SCHEMAS)])
            for (table,) in cursor.fetchall():
                cursor.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            # The migrating role's defaults give service_role everything (what most tables are
            # declared to give it); a table declared closed to it (Django's password hashes, tokens)
            # or narrower (the audit chain's seals and queue) gets no more than declared. Before the
            # Supabase roles exist (the first migrations on a plain PostgreSQL) nothing is granted.
            cursor.execute("select 1 from pg_catalog.pg_roles where rolname = %s", [SERVICE_ROLE])
            if cursor.fetchone() is None:
                return
            ceilings = [
                (table.name, sorted(table.privileges_of(SERVICE_ROLE)))
                for table in collect_declarations().tables.values()
                if table.privileges_of(SERVICE_ROLE) != READ_WRITE
            ]
            cursor.execute(PRIVILEGES_ABOVE_CEILING, [json.dumps(dict(ceilings)), list(EXPOSED_SCHEMAS)])
            for table, privilege in cursor.fetchall():
                cursor.execute(f"REVOKE {privilege} ON {table} FROM {SERVICE_ROLE}")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass

    def describe(self):
        return "Turn row-level security on for new tables in exposed schemas"


def make_new_objects_private(sender, *, plan=None, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    """`pre_migrate` receiver; Django sends the signal once per app, and a second call changes nothing."""
    if using != DEFAULT_DB_ALIAS:
        return
    with transaction.atomic(), connection.cursor() as cursor:
        for change in default_privilege_changes(read_live_state()):
            cursor.execute(change.sql)
    for migration, backwards in plan or ():
        already = any(isinstance(operation, EnableRowLevelSecurity) for operation in migration.operations)
        if not backwards and not already:
            migration.operations.append(EnableRowLevelSecurity())
