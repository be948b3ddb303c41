"""db_doctor: everything the code expects, against the live database, in one report."""

import json
import os
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from access.doctor import ERROR, WARNING, database_checkup
from access.services import grants_sync
from config.database import PREPARE_AFTER_RUNS
from config.tests.pooler import SERVER_VARIABLE

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


# Behind a transaction pooler (Supavisor on port 6543, PgBouncer): the next transaction on a server
# connection is any client's, so nothing may outlive a transaction on it.

POOLER_CHECK = "breaks behind a transaction pooler"


@pytest.mark.parametrize(
    ("language", "body", "detail"),
    [
        ("sql", "select pg_advisory_lock(1)", "a session-level advisory lock"),
        ("sql", "select pg_try_advisory_lock_shared(1, 2)", "a session-level advisory lock"),
        ("plpgsql", "begin set statement_timeout = '1s'; end", "SET without LOCAL"),
        ("plpgsql", "begin perform 1; set role authenticated; end", "SET without LOCAL"),
        ("sql", "select set_config('request.jwt.claims', '{}', false)", "set_config(..., false)"),
        ("plpgsql", "begin create temporary table scratch (id int); end", "a temporary table without ON COMMIT DROP"),
        ("sql", "declare leftover cursor with hold for select 1", "a cursor WITH HOLD"),
        ("plpgsql", "begin listen bookings; end", "LISTEN"),
        ("plpgsql", "begin prepare by_id (uuid) as select $1; end", "PREPARE"),
    ],
    ids=[
        "advisory-lock",
        "advisory-lock-shared",
        "set",
        "set-role",
        "set-config",
        "temporary-table",
        "cursor-with-hold",
        "listen",
        "prepare",
    ],  # fmt: skip
)
def test_a_function_that_leaves_state_on_its_connection_is_reported(language, body, detail):
    execute(f"create function app_private.sticky() returns void language {language} as $body$ {body} $body$")
    reported = [finding for finding in database_checkup() if finding.check == POOLER_CHECK]
    assert [(finding.severity, finding.object) for finding in reported] == [(WARNING, "app_private.sticky()")]
    assert reported[0].detail.startswith(detail)


def test_what_ends_with_the_transaction_is_not_reported():
    execute(
        """
        create function app_private.tidy(p_id uuid) returns void language plpgsql set search_path = '' as $body$
        begin
            -- no set role here: PostgREST's set local role is enough; 'listen x' is only text
            perform pg_advisory_xact_lock(1);
            set local statement_timeout = '1s';
            set transaction isolation level repeatable read;
            perform set_config('request.jwt.claims', '{}', true);
            create temporary table scratch (id int) on commit drop;
            update public.facilities set capacity = capacity where id = p_id;
            raise notice 'set role %, prepare x as', p_id;
        end
        $body$
        """
    )
    assert not [finding for finding in database_checkup() if finding.check == POOLER_CHECK]


def unpooled_settings(monkeypatch) -> None:
    """Settings as for a direct connection: statements prepared, server-side cursors on."""
    monkeypatch.setitem(connection.settings_dict, "OPTIONS", {**connection.settings_dict["OPTIONS"],
                                                               "prepare_threshold": PREPARE_AFTER_RUNS})  # fmt: skip
    monkeypatch.delitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", raising=False)


def test_prepared_statements_on_the_transaction_poolers_port_are_an_error(monkeypatch):
    unpooled_settings(monkeypatch)
    monkeypatch.setitem(connection.settings_dict, "PORT", "6543")  # the live connection stays as it is
    (finding,) = [finding for finding in database_checkup() if finding.object == "DATABASE_URL"]
    assert (finding.severity, finding.check) == (ERROR, "settings not made for the pooler")
    assert finding.detail == (
        "port 6543 is Supabase's transaction pooler, yet statements are prepared (prepare_threshold) and "
        "server-side cursors are on: requests will fail with 'prepared statement ... does not exist'; "
        "set DATABASE_TRANSACTION_POOLER=true"
    )


def test_the_pooled_settings_on_the_transaction_poolers_port_are_right(monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "PORT", "6543")
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)
    options = {key: value for key, value in connection.settings_dict["OPTIONS"].items() if key != "prepare_threshold"}
    monkeypatch.setitem(connection.settings_dict, "OPTIONS", options)
    assert not [finding for finding in database_checkup() if finding.object == "DATABASE_URL"]


@pytest.mark.skipif(SERVER_VARIABLE not in os.environ, reason="needs a pooler in between: make test-pooler")
def test_a_pooler_in_between_with_unpooled_settings_is_warned(monkeypatch):
    """The pooler suite's connection goes through PgBouncer on a port of its own, not 6543."""
    assert not [finding for finding in database_checkup() if finding.object == "DATABASE_URL"]
    unpooled_settings(monkeypatch)
    (finding,) = [finding for finding in database_checkup() if finding.object == "DATABASE_URL"]
    assert (finding.severity, finding.check) == (WARNING, "settings not made for the pooler")
    assert finding.detail.startswith("a pooler or proxy relays the connection, yet statements are prepared")
