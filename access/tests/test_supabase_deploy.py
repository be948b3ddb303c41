"""A deploy on a Supabase project created before October 2026 never leaves a table open.

On such a project the role that runs migrations grants every new table in `public` to anon and
authenticated by default: unless the migrations make each table private as they create it, the
members, bookings and Django's password hashes are readable by anyone with the anon key from
`migrate` until `sync_grants` commits (or forever, if it fails or is skipped).
"""

import pytest

from access.registry import collect_declarations
from access.tests.supabase_project import DEPLOY_SEQUENCE, MIGRATING_ROLE, PLATFORM_ROLE
from config.access_declaration import ANON, AUTHENTICATED, SERVICE_ROLE

STEPS = list(DEPLOY_SEQUENCE)


def declared_for(role: str) -> tuple[str, ...]:
    tables = collect_declarations().tables.values()
    return tuple(sorted(t.name for t in tables if t.privileges_of(role) or t.column_privileges_of(role)))


def declared_functions_for(role: str) -> tuple[str, ...]:
    functions = collect_declarations().functions
    # As regprocedure prints them: without the schema on the search path, and without spaces.
    return tuple(
        sorted(
            f.signature.removeprefix("public.").replace(" ", "")
            for f in functions
            if f.signature.startswith("public.") and role in f.execute
        )
    )


@pytest.mark.parametrize("step", STEPS)
def test_each_step_succeeds(supabase_deploy, step):
    result = supabase_deploy.steps[step]
    assert result.returncode == 0, result.output


@pytest.mark.parametrize("step", STEPS)
def test_anon_reaches_nothing_after_any_step(supabase_deploy, step):
    assert supabase_deploy.reach(step, ANON).relations == ()


def test_migrate_alone_leaves_nothing_open_to_members(supabase_deploy):
    reach = supabase_deploy.reach("migrate", AUTHENTICATED)
    assert reach.relations == ()
    assert reach.functions == ()
    assert supabase_deploy.reach("migrate", ANON).functions == ()


@pytest.mark.parametrize("step", STEPS[1:])
def test_after_sync_members_reach_exactly_what_is_declared(supabase_deploy, step):
    reach = supabase_deploy.reach(step, AUTHENTICATED)
    assert reach.relations == declared_for(AUTHENTICATED)
    assert reach.functions == declared_functions_for(AUTHENTICATED)


@pytest.mark.parametrize("step", STEPS)
def test_the_server_side_reaches_the_declared_tables_and_no_django_table(supabase_deploy, step):
    assert supabase_deploy.reach(step, SERVICE_ROLE).relations == declared_for(SERVICE_ROLE)


PLATFORM_FIX = " ".join(
    [
        f'ALTER DEFAULT PRIVILEGES FOR ROLE "{PLATFORM_ROLE}" IN SCHEMA public',
        "REVOKE ALL ON TABLES FROM anon, authenticated",
    ]
)


@pytest.mark.parametrize("step", ["sync_grants", "sync_grants --check", "db_doctor"])
def test_the_platform_roles_default_privileges_are_reported_with_their_fix(supabase_deploy, step):
    """What `supabase_admin` creates in public is born open; only its members may change that."""
    output = supabase_deploy.steps[step].output
    assert PLATFORM_FIX in output
    assert f"as a member of {PLATFORM_ROLE}" in output
    # The migrating role's own defaults in public were made private by migrate: nothing left to revoke.
    assert f'FOR ROLE "{MIGRATING_ROLE}" IN SCHEMA public REVOKE' not in output


def test_migrate_alone_holds_the_server_side_to_its_declaration(supabase_deploy):
    """Before sync_grants: no key to Django's password hashes or tokens, no rewriting the chain."""
    reach = supabase_deploy.reach("migrate", SERVICE_ROLE)
    assert "auth_user" not in reach.relations and "staff_api_tokens" not in reach.relations
