"""db_doctor: everything the code expects, against the live database, in one report."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from access.doctor import ERROR, WARNING, database_checkup
from access.services import grants_sync

pytestmark = pytest.mark.django_db


def execute(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


def found() -> set[tuple[str, str, str]]:
    return {(finding.severity, finding.check, finding.object) for finding in database_checkup()}


def run(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("db_doctor", *args, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue()
    return 0, out.getvalue()


def test_a_deployed_database_is_healthy():
    assert run() == (0, "The database matches the code: no errors, no warnings.\n")


@pytest.mark.parametrize(
    ("breakage", "finding"),
    [
        pytest.param(
            "delete from django_migrations where app = 'access' and name = '0003_claim_helpers'",
            (ERROR, "migration not applied", "access.0003_claim_helpers"),
            id="migration-not-applied",
        ),
        pytest.param(
            "alter table public.classes rename to classes_old",
            (ERROR, "missing table", "public.classes"),
            id="missing-table",
        ),
        pytest.param(
            "alter table public.members drop column email",
            (ERROR, "missing column", "public.members.email"),
            id="missing-column",
        ),
        pytest.param(
            "drop function app_private.jwt_user_id()",
            (ERROR, "missing function", "app_private.jwt_user_id()"),
            id="missing-function",
        ),
        pytest.param(
            "revoke insert on public.class_bookings from service_role",
            (ERROR, "service_role lacks privilege", "public.class_bookings"),
            id="service-role-would-get-42501",
        ),
        pytest.param(
            "revoke insert on public.class_bookings from service_role",
            (ERROR, "access drift", "public.class_bookings"),
            id="grant-drift",
        ),
        pytest.param(
            "create table public.made_by_hand (id int primary key)",
            (ERROR, "RLS disabled", "public.made_by_hand"),
            id="rls-disabled",
        ),
        pytest.param(
            "alter table public.classes disable row level security",
            (ERROR, "policies while RLS is off", "public.classes"),
            id="policies-while-rls-off",
        ),
        pytest.param(
            'drop policy "members read their organization\'s rows" on public.classes',
            (WARNING, "RLS on, no policy", "public.classes"),
            id="rls-on-no-policy",
        ),
        pytest.param(
            "create function public.leaky() returns int language sql security definer as 'select 1'",
            (ERROR, "definer without search_path", "public.leaky()"),
            id="definer-without-search-path",
        ),
        pytest.param(
            "create function app_private.open_door() returns int language sql security definer"
            " set search_path = '' as 'select 1'; grant execute on function app_private.open_door() to anon",
            (ERROR, "definer executable by anon", "app_private.open_door()"),
            id="definer-executable-by-anon",
        ),
        pytest.param(
            "create function public.exposed() returns int language sql security definer"
            " set search_path = '' as 'select 1'",
            (WARNING, "definer in exposed schema", "public.exposed()"),
            id="definer-in-exposed-schema",
        ),
        pytest.param(
            "create view public.member_list as select id, email from public.members",
            (ERROR, "view without security_invoker", "public.member_list"),
            id="definer-view",
        ),
        pytest.param(
            "create policy by_user_metadata on public.classes for select to authenticated"
            " using (organization_id::text = (select auth.jwt() -> 'user_metadata' ->> 'organization_id'))",
            (ERROR, "policy uses user_metadata", "public.classes: by_user_metadata"),
            id="policy-uses-user_metadata",
        ),
        pytest.param(
            "create policy anyone_writes on public.classes for insert to authenticated with check (true)",
            (WARNING, "always-true write policy", "public.classes: anyone_writes"),
            id="always-true-write-policy",
        ),
        pytest.param(
            "create policy per_row on public.entitlements for delete to authenticated using (member_id = auth.uid())",
            (WARNING, "claim read per row", "public.entitlements: per_row"),
            id="claim-read-per-row",
        ),
        pytest.param(
            "create policy second_reader on public.classes for select to authenticated using (false)",
            (WARNING, "several permissive policies", "public.classes"),
            id="several-permissive-policies",
        ),
        pytest.param(
            "create table public.notes (id int primary key, member_id uuid references public.members (id));"
            " alter table public.notes enable row level security",
            (WARNING, "foreign key without index", "public.notes: notes_member_id_fkey"),
            id="foreign-key-without-index",
        ),
        pytest.param(
            "create table public.notes (id int primary key, member_id uuid, organization_id uuid,"
            " foreign key (member_id, organization_id) references public.members (id, organization_id));"
            " create index on public.notes (member_id); alter table public.notes enable row level security",
            (WARNING, "foreign key without index", "public.notes: notes_member_id_organization_id_fkey"),
            id="composite-foreign-key-indexed-on-its-first-column-only",
        ),
        pytest.param(
            "create table public.notes (id int primary key, member_id uuid, organization_id uuid,"
            " foreign key (member_id, organization_id) references public.members (id, organization_id));"
            " create index on public.notes (organization_id, member_id);"
            " alter table public.notes enable row level security",
            (WARNING, "foreign key without index", "public.notes: notes_member_id_organization_id_fkey"),
            id="composite-foreign-key-indexed-in-another-column-order",
        ),
    ],
)
def test_each_problem_is_reported_by_name(breakage, finding):
    execute(breakage)
    assert finding in found()


def test_errors_exit_1_and_json_lists_them():
    execute("alter table public.members disable row level security")
    status, output = run("--json")
    payload = json.loads(output)
    assert status == 1
    assert payload["errors"] >= 1
    assert {"severity": "error", "check": "RLS disabled", "object": "public.members",
            "detail": "every row is visible to any role with a grant"} in payload["findings"]  # fmt: skip


def test_warnings_alone_exit_0():
    execute("create table public.notes (id int primary key, member_id uuid references public.members (id))")
    grants_sync(apply=True)
    status, output = run()
    assert status == 0
    assert "foreign key without index" in output
    assert "0 errors, 1 warnings" in output


def test_wrapped_claim_helpers_are_not_reported_as_per_row():
    assert not [finding for finding in database_checkup() if finding.check == "claim read per row"]


def test_an_index_leading_with_the_key_columns_serves_a_composite_foreign_key():
    execute(
        "create table public.notes (id int primary key, member_id uuid, organization_id uuid, written_at date,"
        " foreign key (member_id, organization_id) references public.members (id, organization_id));"
        " create index on public.notes (member_id, organization_id, written_at)"
    )
    assert not [finding for finding in database_checkup() if finding.object.startswith("public.notes: ")]
