"""Writes for facilities: generating bookable slots from each facility's settings."""

from __future__ import annotations

import datetime
import json
import uuid
from dataclasses import dataclass, field

from django.db import connection, transaction

from audit.services import Actor
from config.rules import refusals_of_the_database


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
