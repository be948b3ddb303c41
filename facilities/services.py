"""Writes for facilities: generating bookable slots from each facility's settings; closures."""

from __future__ import annotations

import datetime
import json
import uuid
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from audit.models import AuditAction
from audit.services import Actor, audit_record
from clubs.models import Branch
from config.rules import refusals_of_the_database, refuse
from facilities.models import Closure, Facility


@dataclass(frozen=True)
class SlotRun:
    branch_id: uuid.UUID
    start_date: datetime.date
    end_date: datetime.date
    created: int
    already_present: int
    removed: int
    kept: int
    skipped: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "branch_id": str(self.branch_id),
            "from": self.start_date.isoformat(),
            "to": self.end_date.isoformat(),
            "created": self.created,
            "already_present": self.already_present,
            "removed": self.removed,
            "kept": self.kept,
            "skipped": self.skipped,
        }


def slots_ensure(
    *,
    branch_id: uuid.UUID,
    start_date: datetime.date,
    end_date: datetime.date,
    actor: Actor,
    source: str,
    dry_run: bool = False,
    rebuild: bool = False,
) -> SlotRun:
    """Create the branch's missing slots for the days from `start_date` to `end_date`.

    One transaction per branch. The work is `app_private.generate_facility_slots`, the same SQL
    that members reach through `ensure_facility_slots`; it also writes the audit entry. Bad
    input (a range backwards or too long, an unknown branch) is a RuleViolation.
    """
    with refusals_of_the_database(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "select created, already_present, removed, kept, skipped"
            " from app_private.generate_facility_slots(%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [branch_id, start_date, end_date, source, actor.type, actor.id, actor.label, dry_run, rebuild],
        )
        created, already_present, removed, kept, skipped = cursor.fetchone()
    return SlotRun(
        branch_id=branch_id,
        start_date=start_date,
        end_date=end_date,
        created=created,
        already_present=already_present,
        removed=removed,
        kept=kept,
        skipped=json.loads(skipped) if isinstance(skipped, str) else skipped,
    )


def slots_ensure_for_member(
    *, claims: dict, branch_id: uuid.UUID, start_date: datetime.date, end_date: datetime.date
) -> tuple[int, int]:
    """What the member app's `ensure_facility_slots` does, for the member behind `claims` (the
    API's slots/generate): the same SQL with the member's token claims, so its checks and its audit
    entry are the same. (created, already present); refusals are RuleViolation."""
    with refusals_of_the_database(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("select set_config('request.jwt.claims', %s, true)", [json.dumps(claims)])
        cursor.execute(
            "select created, already_present from public.ensure_facility_slots(%s, %s, %s)",
            [branch_id, start_date, end_date],
        )
        return cursor.fetchone()


def _closure_values(closure: Closure) -> dict:
    return {
        "what": closure.what_is_closed,
        "starts_at": closure.starts_at,
        "ends_at": closure.ends_at,
        "reason": closure.reason,
        "note": closure.note,
    }


def closure_open(
    *,
    branch: Branch,
    facility: Facility | None,
    room: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    reason: str,
    note: str,
    user,
    source: str,
) -> Closure:
    """Close a facility, a room (`room`: the name classes give it) or, with neither, the whole
    branch from `starts_at` to `ends_at`. What it covers is closed at once for every door (the
    booking engine reads open closures); its bookings stay until `closure_cancel_bookings`.
    The table's trigger refuses a start in the past, a facility of another branch and an overlap
    with another open closure (RuleViolation); the table's checks (end after start, a facility or
    a room) are the form's. Audited as closure.opened."""
    with refusals_of_the_database(), transaction.atomic():
        closure = Closure.objects.create(
            organization_id=branch.organization_id,
            branch=branch,
            facility=facility,
            room=room.strip(),
            starts_at=starts_at,
            ends_at=ends_at,
            reason=reason,
            note=note.strip(),
            created_by=user,
        )
        audit_record(
            action=AuditAction.CLOSURE_OPENED,
            entity_type="closure",
            entity_id=closure.pk,
            source=source,
            actor=Actor.staff(user),
            organization_id=branch.organization_id,
            new_values=_closure_values(closure),
            reason=note.strip(),
            branch_id=branch.pk,
        )
    return closure


def closure_reopen(*, closure_id: uuid.UUID, user, source: str) -> Closure:
    """Reopen what a closure closed: its slots and classes are bookable again (those it covers are
    found by the closure, so nothing else changes). Bookings cancelled for it stay cancelled.
    Refused once reopened or over (the table's trigger). Audited as closure.reopened."""
    with refusals_of_the_database(), transaction.atomic():
        try:
            closure = (
                Closure.objects.select_for_update(of=("self",)).select_related("branch", "facility").get(pk=closure_id)
            )
        except Closure.DoesNotExist:
            raise refuse("not_found", "closure") from None
        closure.reopened_at, closure.reopened_by = timezone.now(), user
        closure.save(update_fields=["reopened_at", "reopened_by"])
        audit_record(
            action=AuditAction.CLOSURE_REOPENED,
            entity_type="closure",
            entity_id=closure.pk,
            source=source,
            actor=Actor.staff(user),
            organization_id=closure.organization_id,
            old_values=_closure_values(closure),
            new_values={"reopened_at": closure.reopened_at},
            branch_id=closure.branch_id,
        )
    return closure
