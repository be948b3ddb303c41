"""Writes for facilities: generating bookable slots from each facility's settings."""

from __future__ import annotations

import datetime
import json
import uuid
from dataclasses import dataclass, field

from django.db import DatabaseError, connection, transaction

from audit.services import Actor
from config.errors import RuleViolation

# SQLSTATEs the generator raises for bad input -> the rule's code.
RULE_CODES = {"22023": "invalid_range", "P0002": "not_found"}


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
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "select created, already_present, removed, kept, skipped"
                " from app_private.generate_facility_slots(%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [branch_id, start_date, end_date, source, actor.type, actor.id, actor.label, dry_run, rebuild],
            )
            created, already_present, removed, kept, skipped = cursor.fetchone()
    except DatabaseError as error:
        state = getattr(error.__cause__, "sqlstate", None)
        if state not in RULE_CODES:
            raise
        raise RuleViolation(RULE_CODES[state], error.__cause__.diag.message_primary) from error
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
