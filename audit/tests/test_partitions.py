"""The trail partitioned by month: partitions made ahead, an entry never refused for want of one,
the append-only rules on every partition, and no partition within an API role's reach."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection

from audit.models import AuditLog, AuditSeal
from audit.selectors import audit_verify
from audit.services import audit_partitions_ensure
from audit.tests.factories import AuditLogFactory
from clubs.tests.factories import OrganizationFactory
from config.access_declaration import SUPABASE_ROLES
from config.testing import committed_connection, rejected_by_database

pytestmark = pytest.mark.django_db

LONG_AGO = datetime.datetime(2004, 2, 29, 23, 59, 59, 999999, tzinfo=datetime.UTC)


def rows(sql: str, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def partition_of(entry_id) -> str:
    return rows("select tableoid::regclass::text from audit_logs where id = %s", [entry_id])[0][0]


def partitions() -> list[str]:
    return [
        name
        for (name,) in rows(
            "select inhrelid::regclass::text from pg_inherits where inhparent = 'audit_logs'::regclass order by 1"
        )
    ]


def month_partition(moment: datetime.date) -> str:
    return f"audit_partitions.audit_logs_{moment:%Y_%m}"


def test_this_month_and_the_next_two_have_their_partitions_and_a_second_run_makes_none():
    today = datetime.datetime.now(datetime.UTC).date().replace(day=1)
    months = [today, (today + datetime.timedelta(days=32)).replace(day=1)]
    months.append((months[1] + datetime.timedelta(days=32)).replace(day=1))
    assert {month_partition(month) for month in months} <= set(partitions())
    assert "audit_partitions.audit_logs_default" in partitions()
    assert audit_partitions_ensure() == 0
    assert partition_of(AuditLogFactory().pk) == month_partition(today)


def test_a_back_dated_entry_goes_to_the_default_partition_then_moves_into_its_month_still_sealed():
    organization = OrganizationFactory()
    old = AuditLogFactory(organization=organization, occurred_at=LONG_AGO)
    assert partition_of(old.pk) == "audit_partitions.audit_logs_default"  # written, not refused
    call_command("seal_audit", stdout=StringIO())  # makes its month's partition, moving it there, and seals it
    assert partition_of(old.pk) == "audit_partitions.audit_logs_2004_02"
    assert AuditLog.objects.get(pk=old.pk).occurred_at == LONG_AGO
    assert AuditSeal.objects.get(entry=old).occurred_at == LONG_AGO
    assert not rows("select 1 from audit_partitions.audit_logs_default")
    assert audit_verify(organization_id=organization.id).intact
    # the move kept the default partition's rules
    assert rows(
        "select tgenabled from pg_trigger where tgrelid = 'audit_partitions.audit_logs_default'::regclass"
        " and tgname = 'audit_logs_append_only'"
    ) == [("O",)]


def test_a_month_asked_for_gets_its_partition_before_its_entries_come():
    assert audit_partitions_ensure(months=[datetime.date(2003, 7, 19)]) == 1
    assert month_partition(datetime.date(2003, 7, 1)) in partitions()
    entry = AuditLogFactory(occurred_at=datetime.datetime(2003, 7, 31, 23, 0, tzinfo=datetime.UTC))
    assert partition_of(entry.pk) == "audit_partitions.audit_logs_2003_07"


def test_a_month_whose_default_partition_is_busy_is_left_for_the_next_run():
    AuditLogFactory(occurred_at=LONG_AGO)
    with committed_connection() as reader:  # another session reads the default partition meanwhile
        reader.execute("select count(*) from audit_partitions.audit_logs_default")
        assert audit_partitions_ensure() == 0  # after two seconds
    assert "audit_partitions.audit_logs_2004_02" not in partitions()
    assert audit_partitions_ensure() == 1


@pytest.mark.parametrize(
    "statement",
    [
        "update {partition} set reason = 'rewritten'",
        "delete from {partition}",
        "truncate {partition}",
    ],
)
def test_no_partition_can_be_rewritten_either(statement):
    entry = AuditLogFactory()
    partition = partition_of(entry.pk)
    with rejected_by_database("audit_logs is append-only", DatabaseError):
        with connection.cursor() as cursor:
            cursor.execute(statement.format(partition=partition))
    with rejected_by_database("audit_logs is append-only: TRUNCATE is refused", DatabaseError):
        with connection.cursor() as cursor:
            cursor.execute("truncate audit_partitions.audit_logs_default")


def test_no_api_role_reaches_a_partition():
    AuditLogFactory()
    for role in SUPABASE_ROLES:
        assert rows("select has_schema_privilege(%s, 'audit_partitions', 'USAGE')", [role]) == [(False,)], role
        with rejected_by_database("permission denied for schema audit_partitions", DatabaseError):
            with connection.cursor() as cursor:
                cursor.execute(f"set local role {role}")
                cursor.execute("select count(*) from audit_partitions.audit_logs_default")


def test_the_trails_key_is_its_id_and_time_and_its_indexes_reach_every_partition():
    assert rows(
        "select pg_get_constraintdef(oid) from pg_constraint where conrelid = 'audit_logs'::regclass and contype = 'p'"
    ) == [("PRIMARY KEY (id, occurred_at)",)]
    parent_indexes = {
        name
        for (name,) in rows("select indexrelid::regclass::text from pg_index where indrelid = 'audit_logs'::regclass")
    }
    assert {"audit_logs_time_idx", "audit_logs_org_time_idx", "audit_logs_waitlisted_branch_idx"} <= parent_indexes
    for partition in partitions():
        count = rows("select count(*) from pg_index where indrelid = %s::regclass", [partition])[0][0]
        assert count == len(parent_indexes), partition
