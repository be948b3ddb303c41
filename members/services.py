"""Writes about members from the staff's side: the staff's note on a member's profile."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.context import RequestContext
from audit.models import AuditSource
from audit.services import Actor, audit_record
from config.rules import refuse
from members.models import Member, MemberNote

NOTE_UPDATED = "member_note.updated"


def member_note_save(
    *,
    member_id: uuid.UUID,
    text: str,
    user,
    source: str = AuditSource.ADMIN,
    context: RequestContext | None = None,
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
            action=NOTE_UPDATED,
            entity_type="member_note",
            entity_id=member.pk,
            source=source,
            actor=Actor.staff(user),
            organization_id=member.organization_id,
            changes={"text": (before, text)},
            member_id=member.pk,
            branch_id=member.home_branch_id,
            context=context,
        )
    return note
