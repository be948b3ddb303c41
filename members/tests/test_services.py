"""The staff's note on a member: written once per member, audited in the same transaction."""

from __future__ import annotations

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from audit.models import AuditAction, AuditLog
from config.errors import RuleViolation
from members.models import MemberNote
from members.services import member_note_save
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def entries(member) -> list[tuple]:
    """The member's entries, by the text they wrote (a test is one transaction: one now() for all)."""
    return sorted(
        (entry.action, entry.actor_type, entry.actor_label, entry.old_values["text"], entry.new_values["text"])
        for entry in AuditLog.objects.filter(member_id=member.pk)
    )


def test_the_first_note_is_written_with_its_author_and_one_audit_entry(front_desk):
    member = MemberFactory()
    note = member_note_save(member_id=member.pk, text="  Knee injury: no spin.\r\nPrefers the late sauna. ",
                            user=front_desk)  # fmt: skip
    stored = MemberNote.objects.get(member=member)
    # CRLF as a browser sends it, stored as one line break; the edges trimmed
    assert (stored.text, stored.updated_by, note.pk) == ("Knee injury: no spin.\nPrefers the late sauna.",
                                                         front_desk, member.pk)  # fmt: skip
    entry = AuditLog.objects.get(member_id=member.pk)
    assert (entry.action, entry.entity_type, entry.entity_id, entry.source) == (
        AuditAction.MEMBER_NOTE_UPDATED, "member_note", str(member.pk), "admin",
    )  # fmt: skip
    assert (entry.organization_id, entry.branch_id, entry.actor_id) == (
        member.organization_id, member.home_branch_id, str(front_desk.pk),
    )  # fmt: skip
    assert (entry.old_values, entry.new_values) == ({"text": ""}, {"text": stored.text})


def test_a_change_is_audited_with_the_text_before_and_the_same_text_writes_nothing(front_desk, manager):
    member = MemberFactory()
    member_note_save(member_id=member.pk, text="Prefers the late sauna.", user=front_desk)
    member_note_save(member_id=member.pk, text="Prefers the early sauna.", user=manager)
    member_note_save(member_id=member.pk, text="Prefers the early sauna.  ", user=front_desk)
    assert MemberNote.objects.get(member=member).updated_by == manager
    assert entries(member) == [
        (AuditAction.MEMBER_NOTE_UPDATED, "staff", "test-front-desk", "", "Prefers the late sauna."),
        (
            AuditAction.MEMBER_NOTE_UPDATED,
            "staff",
            "test-manager",
            "Prefers the late sauna.",
            "Prefers the early sauna.",
        ),
    ]
    member_note_save(member_id=member.pk, text="", user=manager)
    assert MemberNote.objects.get(member=member).text == ""
    assert (AuditAction.MEMBER_NOTE_UPDATED, "staff", "test-manager", "Prefers the early sauna.", "") in entries(member)
    assert len(entries(member)) == 3


def test_a_note_is_at_most_2000_characters_and_says_by_how_much_it_is_over(front_desk):
    member = MemberFactory()
    member_note_save(member_id=member.pk, text="x" * 2000, user=front_desk)
    with pytest.raises(ValidationError) as refused:
        member_note_save(member_id=member.pk, text="y" * 2010, user=front_desk)
    assert refused.value.message_dict == {
        "text": ["A staff note is at most 2000 characters; this one has 2010: shorten it by 10."]
    }
    assert MemberNote.objects.get(member=member).text == "x" * 2000
    assert len(entries(member)) == 1


def test_a_note_for_an_unknown_member_is_refused_and_writes_nothing(front_desk):
    with pytest.raises(RuleViolation) as refused:
        member_note_save(member_id=uuid.uuid4(), text="Hello", user=front_desk)
    assert (refused.value.code, refused.value.message) == (
        "not_found",
        "That slot, class or member does not exist here.",
    )
    assert not MemberNote.objects.exists()


def test_the_note_and_its_entry_roll_back_together(front_desk):
    member = MemberFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        member_note_save(member_id=member.pk, text="Hello", user=front_desk)
        raise RuntimeError("the caller's transaction fails")
    assert not MemberNote.objects.filter(member=member).exists()
    assert entries(member) == []
