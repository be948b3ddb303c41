"""sync_grants: drift is found, named, fixed, and a second run plans nothing."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from access import planning
from access.doctor import database_checkup
from access.planning import AccessConfigurationError
from access.registry import collect_declarations
from access.selectors import read_live_state
from access.services import grants_plan, grants_sync

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[int, str]:
    """Run the command as cron or a pipeline would: (exit status, what it printed)."""
    from io import StringIO

    out = StringIO()
    try:
        call_command("sync_grants", *args, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


def execute(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


def test_the_test_database_is_in_sync_like_after_a_deploy():
    assert run("--check") == (0, "No drift: grants, row-level security and policies match the declaration.\n")


DRIFTS = [
    pytest.param(
        "revoke insert on public.benefit_bookings from service_role",
        "GRANT INSERT ON TABLE public.benefit_bookings TO service_role",
        id="revoked-grant",
    ),
    pytest.param(
        "alter table public.members disable row level security",
        "ALTER TABLE public.members ENABLE ROW LEVEL SECURITY",
        id="rls-disabled",
    ),
    pytest.param(
        'drop policy "members read their own bookings" on public.class_bookings',
        'CREATE POLICY "members read their own bookings" ON public.class_bookings',
        id="dropped-policy",
    ),
    pytest.param(
        'alter policy "members read their organization\'s rows" on public.classes using (true)',
        'DROP POLICY "members read their organization\'s rows" ON public.classes',
        id="policy-edited-by-hand",
    ),
    pytest.param(
        "create table public.made_by_hand (id int primary key, secret text); grant all on public.made_by_hand to anon",
        "ALTER TABLE public.made_by_hand ENABLE ROW LEVEL SECURITY",
        id="table-created-by-hand",
    ),
    pytest.param(
        "grant select on public.members to anon",
        "REVOKE SELECT ON TABLE public.members FROM anon",
        id="anon-reads-member-data",
    ),
    pytest.param(
        "grant update (capacity_override) on public.benefit_bookings to authenticated",
        "REVOKE UPDATE (capacity_override) ON TABLE public.benefit_bookings FROM authenticated",
        id="column-grant",
    ),
    pytest.param(
        "grant execute on function app_private.current_member_id() to anon",
        "REVOKE EXECUTE ON FUNCTION app_private.current_member_id() FROM anon",
        id="function-grant",
    ),
    pytest.param(
        "alter default privileges in schema public grant select on tables to authenticated",
        "IN SCHEMA public REVOKE SELECT ON TABLES FROM authenticated",
        id="default-privileges",
    ),
    pytest.param(
        "revoke usage on schema app_private from authenticated",
        "GRANT USAGE ON SCHEMA app_private TO authenticated",
        id="schema-usage",
    ),
]


@pytest.mark.parametrize(("drift", "expected_line"), DRIFTS)
def test_drift_is_named_by_check_fixed_by_sync_and_gone_after(drift, expected_line):
    execute(drift)
    assert "access drift" in {finding.check for finding in database_checkup()}

    status, output = run("--check")
    assert status == 1
    assert expected_line in output

    status, output = run()
    assert status == 0
    assert expected_line in output and "Applied" in output

    assert run("--check")[0] == 0
    assert grants_plan() == []
    assert "access drift" not in {finding.check for finding in database_checkup()}


def test_a_table_created_tomorrow_starts_private_but_reachable_by_the_server():
    execute("create table public.loyalty_programs (id int primary key)")
    with connection.cursor() as cursor:
        cursor.execute(
            "select has_table_privilege('service_role', 'public.loyalty_programs', 'INSERT'),"
            " has_table_privilege('authenticated', 'public.loyalty_programs', 'SELECT'),"
            " has_table_privilege('anon', 'public.loyalty_programs', 'SELECT')"
        )
        assert cursor.fetchone() == (True, False, False)
    # Only its row-level security is left for sync_grants to switch on.
    assert [change.sql for change in grants_plan()] == ["ALTER TABLE public.loyalty_programs ENABLE ROW LEVEL SECURITY"]


def test_a_function_created_tomorrow_is_not_executable_by_everyone():
    execute("create function public.tomorrow() returns int language sql as 'select 1'")
    with connection.cursor() as cursor:
        cursor.execute(
            "select has_function_privilege('anon', 'public.tomorrow()', 'EXECUTE'),"
            " has_function_privilege('service_role', 'public.tomorrow()', 'EXECUTE')"
        )
        assert cursor.fetchone() == (False, True)


def test_json_output_for_machines():
    execute("alter table public.classes disable row level security")
    status, output = run("--check", "--json")
    payload = json.loads(output[: output.rindex("}") + 1])
    assert status == 1
    assert payload["drift"] is True
    assert {
        "kind": "rls",
        "target": "public.classes",
        "sql": "ALTER TABLE public.classes ENABLE ROW LEVEL SECURITY",
    } in payload["changes"]


def test_check_changes_nothing():
    execute("alter table public.classes disable row level security")
    run("--check")
    assert grants_plan()  # still there


def test_a_missing_role_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(planning, "SUPABASE_ROLES", (*planning.SUPABASE_ROLES, "supabase_ghost"))
    status, output = run("--check")
    assert status == 1
    assert "role supabase_ghost does not exist" in output


def test_a_missing_declared_table_is_a_clear_error():
    execute("alter table public.classes rename to classes_renamed")
    status, output = run()
    assert status == 1
    assert "declared table public.classes is missing: run 'manage.py migrate'" in output


def test_no_permission_to_grant_is_a_clear_error_and_changes_nothing():
    execute("alter table public.classes disable row level security")
    execute("create role sync_grants_tester")
    execute("grant usage on schema app_private to sync_grants_tester")
    execute("set local role sync_grants_tester")
    with pytest.raises(AccessConfigurationError) as refusal:
        grants_sync(apply=True)
    execute("reset role")
    assert "no permission to run `ALTER TABLE public.classes ENABLE ROW LEVEL SECURITY`" in str(refusal.value)
    assert "ALTER TABLE public.classes ENABLE ROW LEVEL SECURITY" in [change.sql for change in grants_plan()]


def test_applying_records_one_audit_entry_and_checking_records_none():
    from audit.models import AuditLog

    before = AuditLog.objects.filter(action="grants.synced").count()
    execute("alter table public.classes disable row level security")
    run("--check")
    assert AuditLog.objects.filter(action="grants.synced").count() == before
    run()
    entry = AuditLog.objects.filter(action="grants.synced").latest("occurred_at")
    assert AuditLog.objects.filter(action="grants.synced").count() == before + 1
    assert (entry.actor_type, entry.actor_id, entry.source) == ("system", "sync_grants", "command")
    assert entry.new_values == {"changes": 1, "statements": ["ALTER TABLE public.classes ENABLE ROW LEVEL SECURITY"]}
    run()  # nothing to do: no entry
    assert AuditLog.objects.filter(action="grants.synced").count() == before + 1


def test_other_roles_default_privileges_are_reported_not_changed():
    live = read_live_state()
    live.others_default_privileges[("supabase_admin", "public", "r", "anon")] = {"SELECT", "INSERT"}
    live.others_default_privileges[("supabase_admin", "public", "r", "authenticated")] = {"SELECT"}
    live.others_default_privileges[("platform_helper", "", "f", "PUBLIC")] = {"EXECUTE"}
    live.roles_we_act_for.add("platform_helper")
    reported = {item.where: item for item in planning.others_default_privileges(live)}
    admin, helper = reported["supabase_admin in public"], reported["platform_helper in every schema"]
    assert admin.fix_sql == (
        'ALTER DEFAULT PRIVILEGES FOR ROLE "supabase_admin" IN SCHEMA public'
        " REVOKE ALL ON TABLES FROM anon, authenticated"
    )
    assert "anon: SELECT, INSERT; authenticated: SELECT" in admin.detail
    assert "as a member of supabase_admin" in admin.detail
    assert helper.fix_sql == 'ALTER DEFAULT PRIVILEGES FOR ROLE "platform_helper" REVOKE ALL ON FUNCTIONS FROM PUBLIC'
    assert "as a member" not in helper.detail
    assert planning.plan_changes(collect_declarations(), live) == []
