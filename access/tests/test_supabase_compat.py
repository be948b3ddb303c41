"""The Supabase compatibility step: roles and auth helpers exist, behave like Supabase's, and a
second run (or a run on Supabase, where they all exist) changes nothing."""

import json
import uuid

import pytest
from django.db import connection

from config.sql import unit_sql

pytestmark = pytest.mark.django_db

SUPABASE_ROLES = ["anon", "authenticated", "service_role"]


def fetch(sql: str, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def run_compat_step() -> None:
    with connection.cursor() as cursor:
        cursor.execute(unit_sql("access", "supabase_compat"))


def roles_and_functions() -> list:
    return fetch(
        """
        select rolname, oid, rolcanlogin, rolbypassrls, rolinherit from pg_roles
        where rolname = any(%s) order by rolname
        """,
        [SUPABASE_ROLES],
    ) + fetch(
        """
        select p.proname, p.oid, pg_get_functiondef(p.oid) from pg_proc p
        join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = 'auth' and p.proname in ('uid', 'role', 'jwt') order by p.proname
        """
    )


def test_roles_exist_like_on_supabase():
    rows = fetch(
        "select rolname, rolcanlogin, rolbypassrls from pg_roles where rolname = any(%s) order by rolname",
        [SUPABASE_ROLES],
    )
    assert rows == [("anon", False, False), ("authenticated", False, False), ("service_role", False, True)]


@pytest.mark.parametrize("role", SUPABASE_ROLES)
def test_the_app_can_act_as_each_role(role):
    with connection.cursor() as cursor:
        cursor.execute(f"set local role {role}")
        cursor.execute("select current_user")
        assert cursor.fetchone()[0] == role
        cursor.execute("reset role")


def test_auth_helpers_read_the_claims_postgrest_sets():
    member = uuid.uuid4()
    claims = {"sub": str(member), "role": "authenticated", "app_metadata": {"organization_id": "x"}}
    with connection.cursor() as cursor:
        cursor.execute("select set_config('request.jwt.claims', %s, true)", [json.dumps(claims)])
        cursor.execute("select auth.uid(), auth.role(), auth.jwt()")
        uid, role, jwt = cursor.fetchone()
    assert (uid, role) == (member, "authenticated")
    assert json.loads(jwt) == claims  # Django loads jsonb as text


def test_auth_uid_prefers_the_legacy_sub_setting():
    legacy = uuid.uuid4()
    with connection.cursor() as cursor:
        cursor.execute("select set_config('request.jwt.claim.sub', %s, true)", [str(legacy)])
        cursor.execute("select set_config('request.jwt.claims', %s, true)", [json.dumps({"sub": str(uuid.uuid4())})])
        cursor.execute("select auth.uid()")
        assert cursor.fetchone()[0] == legacy


def test_auth_helpers_return_null_without_claims():
    with connection.cursor() as cursor:
        # After a transaction that set them, PostgreSQL leaves the settings as empty strings.
        cursor.execute("select set_config('request.jwt.claims', '', true)")
        cursor.execute("select auth.uid(), auth.role(), auth.jwt()")
        assert cursor.fetchone() == (None, None, None)


def test_running_the_step_again_changes_nothing():
    before = roles_and_functions()
    run_compat_step()
    assert roles_and_functions() == before


def test_existing_helpers_are_left_alone():
    """On Supabase, auth.uid() is Supabase's own: the step must not replace it."""
    with connection.cursor() as cursor:
        cursor.execute(
            "create or replace function auth.uid() returns uuid language sql stable"
            " as $$ select '00000000-0000-0000-0000-000000000042'::uuid $$"
        )
    run_compat_step()
    assert fetch("select auth.uid()") == [(uuid.UUID("00000000-0000-0000-0000-000000000042"),)]


def test_missing_helpers_are_created():
    with connection.cursor() as cursor:
        cursor.execute("drop function auth.jwt()")
    run_compat_step()
    assert fetch("select to_regprocedure('auth.jwt()') is not null") == [(True,)]


def test_existing_roles_keep_their_attributes():
    with connection.cursor() as cursor:
        cursor.execute("alter role anon connection limit 7")  # rolled back with the test
    run_compat_step()
    assert fetch("select rolconnlimit from pg_roles where rolname = 'anon'") == [(7,)]


def test_auth_uid_reads_the_claims_when_the_legacy_setting_is_empty():
    """Once a session has seen request.jwt.claim.sub, PostgreSQL reports it as '' rather than NULL."""
    member = uuid.uuid4()
    with connection.cursor() as cursor:
        cursor.execute("select set_config('request.jwt.claim.sub', '', true)")
        cursor.execute("select set_config('request.jwt.claims', %s, true)", [json.dumps({"sub": str(member)})])
        cursor.execute("select auth.uid()")
        assert cursor.fetchone()[0] == member
