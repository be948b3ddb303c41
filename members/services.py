"""Writes about members from the staff's side: the staff's note on a member's profile, and a
walk-in registered at the desk."""

from __future__ import annotations

import secrets
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.models import AuditAction, AuditSource
from audit.services import Actor, audit_record
from clubs.models import Branch
from config.rules import refuse
from members.models import Member, MemberNote


def member_note_save(
    *,
    member_id: uuid.UUID,
    text: str,
    user,
) -> MemberNote:
    """Write the staff's note on a member (one per member, `user` its last author), audited with
    the text before and after in the same transaction. The same text again writes nothing.

    A note longer than MemberNote.text's max_length is a ValidationError on `text` saying by how
    much; an unknown member is refused as not_found."""
    # Browsers send a textarea's line breaks as CRLF but count them as one character.
    text = text.replace("\r\n", "\n").replace("\x00", "").strip()
    limit = MemberNote._meta.get_field("text").max_length
    if len(text) > limit:
        over = len(text) - limit
        raise ValidationError(
            {"text": f"A staff note is at most {limit} characters; this one has {len(text)}: shorten it by {over}."}
        )
    with transaction.atomic():
        # The member's row, locked: two desks saving the first note at once take turns.
        try:
            member = (
                Member.objects.select_for_update(no_key=True)
                .only("organization_id", "home_branch_id")
                .get(pk=member_id)
            )
        except Member.DoesNotExist:
            raise refuse("not_found") from None
        note = MemberNote.objects.filter(member=member).first() or MemberNote(member=member)
        before = note.text
        if text == before:
            return note
        note.text, note.updated_by = text, user
        note.save(force_insert=note._state.adding)
        audit_record(
            action=AuditAction.MEMBER_NOTE_UPDATED,
            entity_type="member_note",
            entity_id=member.pk,
            source=AuditSource.ADMIN,
            actor=Actor.staff(user),
            organization_id=member.organization_id,
            changes={"text": (before, text)},
            member_id=member.pk,
            branch_id=member.home_branch_id,
        )
    return note


WALK_IN_NUMBER_TRIES = 5
WALK_IN_NEEDS_CONTACT = "Give a phone number or an email, so the club can reach them."


def _free_walk_in_number(organization_id) -> str:
    """W and six digits, not yet used in the organization. Random rather than counted, so two
    desks registering at once do not race for the next number."""
    for _ in range(WALK_IN_NUMBER_TRIES):
        number = f"W{secrets.randbelow(10**6):06d}"
        if not Member.objects.filter(organization_id=organization_id, member_number=number).exists():
            return number
    return f"W{secrets.token_hex(6).upper()}"  # a crowded range: a longer number, never taken


def member_register_walk_in(
    *, branch: Branch, first_name: str, last_name: str, phone: str = "", email: str = "", actor: Actor
) -> Member:
    """A person at the counter who is not a member yet becomes one, with the few fields the desk
    asks for, at the desk's branch; recorded in the audit trail as a walk-in. The club must be
    able to reach them: a phone or an email, or a ValidationError on `phone`."""
    if not phone.strip() and not email.strip():
        raise ValidationError({"phone": WALK_IN_NEEDS_CONTACT})
    with transaction.atomic():
        member = Member(
            organization_id=branch.organization_id,
            home_branch=branch,
            member_number=_free_walk_in_number(branch.organization_id),
            first_name=first_name.strip(),
            last_name=last_name.strip(),
            phone=phone.strip(),
            email=email.strip(),
        )
        member.full_clean()
        member.save()
        audit_record(
            action=AuditAction.MEMBER_CREATED,
            entity_type="member",
            entity_id=member.pk,
            source=AuditSource.ADMIN,
            actor=actor,
            new_values={
                field: getattr(member, field)
                for field in ("member_number", "first_name", "last_name", "phone", "email", "status")
            }
            | {"home_branch": str(branch.pk)},
            reason="Walk-in registered at the front desk",
            organization_id=branch.organization_id,
            member_id=member.pk,
            branch_id=branch.pk,
        )
    return member
