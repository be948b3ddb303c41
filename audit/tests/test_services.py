"""Recording: one entry per change, in the change's transaction, with the right fields."""

import pytest
from django.db import connections, transaction

from audit.context import RequestContext
from audit.models import ActorType, AuditAction, AuditLog, AuditSource
from audit.services import Actor, audit_record
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_an_entry_carries_every_field(django_user_model):
    user = django_user_model.objects.create_user(username="mo", first_name="Morgan", last_name="Lead")
    member = MemberFactory()
    context = RequestContext(request_id="req-123", ip_address="203.0.113.9", user_agent="Firefox")
    with transaction.atomic():
        entry_id = audit_record(
            action=AuditAction.MEMBER_UPDATED,
            entity_type="member",
            entity_id=member.pk,
            source=AuditSource.ADMIN,
            actor=Actor.staff(user),
            organization_id=member.organization_id,
            changes={"status": ("active", "frozen")},
            reason="asked to pause the membership",
            member_id=member.pk,
            branch_id=member.home_branch_id,
            context=context,
        )
    entry = AuditLog.objects.get(pk=entry_id)
    assert (entry.actor_type, entry.actor_id, entry.actor_label) == (ActorType.STAFF, str(user.pk), "Morgan Lead")
    assert (entry.action, entry.entity_type, entry.entity_id) == ("member.updated", "member", str(member.pk))
    assert (entry.old_values, entry.new_values) == ({"status": "active"}, {"status": "frozen"})
    assert (entry.organization_id, entry.member_id, entry.branch_id) == (
        member.organization_id,
        member.pk,
        member.home_branch_id,
    )
    assert (entry.reason, entry.source) == ("asked to pause the membership", "admin")
    assert (entry.request_id, entry.ip_address, entry.user_agent) == ("req-123", "203.0.113.9", "Firefox")


def test_member_and_system_actors():
    member = MemberFactory(auth_user_id="0f8fad5b-d9cb-469f-a165-70867728950e")
    assert Actor.member(member) == Actor(ActorType.MEMBER, "0f8fad5b-d9cb-469f-a165-70867728950e", member.full_name)
    assert Actor.system("ensure_slots") == Actor(ActorType.SYSTEM, "ensure_slots", "ensure_slots")


def record(**overrides):
    arguments = {
        "action": AuditAction.FACILITY_UPDATED,
        "entity_type": "facility",
        "entity_id": "f1",
        "source": AuditSource.COMMAND,
        "actor": Actor.system("test"),
        **overrides,
    }
    return audit_record(**arguments)


def test_a_change_that_rolls_back_takes_its_entry_with_it():
    before = AuditLog.objects.count()
    with pytest.raises(RuntimeError, match="the change failed"), transaction.atomic():
        record()
        raise RuntimeError("the change failed after its entry was written")
    assert AuditLog.objects.count() == before


def test_recording_outside_a_transaction_is_a_programming_error(monkeypatch):
    monkeypatch.setattr(connections["default"], "in_atomic_block", False)  # as in autocommit mode
    with pytest.raises(RuntimeError, match="inside the transaction of the change"):
        record()


def test_entries_outlive_the_member_and_the_staff_user(django_user_model):
    user = django_user_model.objects.create_user(username="gone", first_name="Gone", last_name="Soon")
    member = MemberFactory()
    with transaction.atomic():
        entry_id = record(actor=Actor.staff(user), member_id=member.pk, organization_id=member.organization_id)
    member_id = member.pk
    member.delete()
    user.delete()
    entry = AuditLog.objects.get(pk=entry_id)
    assert (entry.actor_label, entry.member_id) == ("Gone Soon", member_id)
