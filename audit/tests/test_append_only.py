"""The trail is append-only in the database, for every role, the app's own included."""

import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AuditLog, AuditPending, AuditSeal
from audit.selectors import audit_verify
from audit.services import audit_seal
from audit.tests.factories import AuditLogFactory
from clubs.tests.factories import OrganizationFactory
from config.access_declaration import SUPABASE_ROLES
from config.testing import rejected_by_database

pytestmark = pytest.mark.django_db

REFUSALS = {
    "UPDATE": "update {table} set reason = 'rewritten'",
    "DELETE": "delete from {table}",
    "TRUNCATE": "truncate {table} cascade",
}


@pytest.mark.parametrize("table", ["audit_logs", "audit_seals"])
@pytest.mark.parametrize("operation", REFUSALS)
def test_the_apps_own_role_cannot_rewrite_the_trail(table, operation):
    AuditLogFactory()
    audit_seal()
    statement = REFUSALS[operation].format(table=table).replace("reason = 'rewritten'", _column_change(table))
    # TRUNCATE … CASCADE reaches both tables; whichever trigger fires first refuses it.
    refusal = f"is append-only: {operation} is refused" if operation == "TRUNCATE" else f"{table} is append-only"
    with rejected_by_database(refusal, DatabaseError):
        with connection.cursor() as cursor:
            cursor.execute("set constraints all immediate")  # else TRUNCATE stops at the deferred checks
            cursor.execute(statement)


def _column_change(table: str) -> str:
    return "reason = 'rewritten'" if table == "audit_logs" else "hash = 'forged'"


def test_the_orm_cannot_rewrite_entries_either():
    entry = AuditLogFactory()
    with rejected_by_database("audit_logs is append-only: UPDATE is refused", DatabaseError):
        AuditLog.objects.filter(pk=entry.pk).update(reason="nothing happened")


def test_no_supabase_role_is_granted_update_or_delete():
    with connection.cursor() as cursor:
        for table in ("audit_logs", "audit_seals", "audit_pending"):
            for role in SUPABASE_ROLES:
                cursor.execute(
                    "select has_table_privilege(%s, %s, 'UPDATE') or has_table_privilege(%s, %s, 'DELETE')",
                    [role, table, role, table],
                )
                assert cursor.fetchone() == (False,), (role, table)


def test_service_role_may_append():
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("set local role service_role")
        cursor.execute(
            "select app_private.audit_record('booking.created', 'booking', 'b1', 'api', 'system', 'edge', 'edge')"
        )
        assert cursor.fetchone()[0]


@pytest.mark.parametrize(
    "statement",
    [
        # An entry taken off the queue would never be sealed, and could then be rewritten unseen.
        "delete from audit_pending",
        "update audit_pending set chain = gen_random_uuid()",
        "update audit_seals set hash = 'forged'",
        "delete from audit_seals",
        # A forged seal would break the chain for good; a forged queue row would hold up sealing.
        "insert into audit_seals (audit_log_id, chain, position, previous_hash, hash)"
        " select id, organization_id, 99, '', 'forged' from audit_logs limit 1",
        "insert into audit_pending (audit_log_id, chain, occurred_at)"
        " select id, organization_id, now() from audit_logs",
    ],
)
def test_service_role_cannot_unqueue_entries_or_rewrite_seals(statement):
    AuditLogFactory()
    AuditLogFactory()
    audit_seal()
    AuditLogFactory()  # one sealed entry and one still queued
    with rejected_by_database("permission denied", DatabaseError):
        with connection.cursor() as cursor:
            cursor.execute("set local role service_role")
            cursor.execute(statement)


def test_queue_rows_service_role_forges_do_not_stop_sealing():
    """Only the tables' owner can add to the queue; should it queue an entry again after it was
    sealed, or one that does not exist, the row is dropped from the queue, not sealed."""
    organization = OrganizationFactory()
    sealed = AuditLogFactory(organization=organization)
    audit_seal()
    with connection.cursor() as cursor:
        cursor.execute(
            "insert into audit_pending (audit_log_id, chain, occurred_at)"
            " values (%s, %s, now()), (gen_random_uuid(), %s, now())",
            [sealed.pk, organization.id, organization.id],
        )
    later = AuditLogFactory(organization=organization)
    assert audit_seal().sealed == 1
    assert not AuditPending.objects.filter(chain=organization.id).exists()
    assert AuditSeal.objects.get(entry=later).position == 2
    assert audit_verify(organization_id=organization.id).intact
