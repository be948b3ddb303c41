"""`migrate` makes what it creates private by itself (the deploy test shows it on a Supabase-shaped
database); here, the two mechanisms one at a time, and that they never undo what sync_grants did."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations import Migration

from access.born_private import EnableRowLevelSecurity, make_new_objects_private
from access.services import grants_plan

pytestmark = pytest.mark.django_db


def fetch(sql: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_migrate_on_a_synced_database_changes_no_grant():
    call_command("migrate", verbosity=0)
    assert grants_plan() == []


def test_migrate_makes_the_migrating_roles_new_tables_private_by_default():
    with connection.cursor() as cursor:
        cursor.execute("alter default privileges in schema public grant all on tables to anon, authenticated")
    make_new_objects_private(sender=None, plan=[])
    with connection.cursor() as cursor:
        cursor.execute("create table public.born_private (id int primary key)")
    assert fetch("select has_table_privilege('anon', 'public.born_private', 'SELECT')") == [(False,)]
    assert fetch("select has_table_privilege('authenticated', 'public.born_private', 'INSERT')") == [(False,)]
    assert fetch("select has_table_privilege('service_role', 'public.born_private', 'SELECT')") == [(True,)]


def test_each_migration_ends_by_turning_row_level_security_on():
    migration = Migration("0001_example", "example")
    make_new_objects_private(sender=None, plan=[(migration, False)])
    make_new_objects_private(sender=None, plan=[(migration, False)])  # once per app: added once
    assert [type(operation) for operation in migration.operations] == [EnableRowLevelSecurity]
    with connection.cursor() as cursor:
        cursor.execute("create table public.born_open (id int primary key)")
    with connection.schema_editor(atomic=False) as editor:
        EnableRowLevelSecurity().database_forwards("example", editor, None, None)
    assert fetch("select relrowsecurity from pg_class where oid = 'public.born_open'::regclass") == [(True,)]


def test_unapplying_a_migration_adds_nothing_to_it():
    migration = Migration("0001_example", "example")
    make_new_objects_private(sender=None, plan=[(migration, True)])
    assert migration.operations == []
