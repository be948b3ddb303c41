"""Writes for facilities: generating bookable slots from each facility's settings."""

from __future__ import annotations

import datetime
import json
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction

from audit.services import Actor
from clubs.localtime import local_today
from config.rules import refusals_of_the_database, refuse
from facilities.models import SLOT_RUN_MAX_DAYS

# How far from a branch's today a run may start or end: further is a typo, not a timetable.
SLOT_RUN_REACH_YEARS = 2


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


def slot_run_period(
    *,
    branch,
    start: datetime.date | None = None,
    days: int | None = None,
    end: datetime.date | None = None,
    allow_past: bool = False,
) -> tuple[datetime.date, datetime.date]:
    """The first and last day of a run at `branch`: from `start` (default: today there) for `days`
    days (default SLOT_GENERATION_DAYS) or to `end`, inclusive.

    Each value is checked against its range before any date arithmetic, so no input overflows.
    A start before the branch's today is refused unless `allow_past`: its slots have already
    ended. Refusals name the value's field in `details["field"]`.
    """
    today = local_today(branch.zone)
    reach = datetime.timedelta(days=366 * SLOT_RUN_REACH_YEARS)
    earliest, latest = (today - reach if allow_past else today), today + reach
    first = today if start is None else start
    if first < today and not allow_past:
        raise refuse(
            "start_in_past", "", first, branch.name, today, branch.time_zone,
            details={"field": "start", "today": today.isoformat()},
        )  # fmt: skip
    for name, day in (("start", first), ("end", end)):
        if day is not None and not earliest <= day <= latest:
            raise refuse(
                "invalid_range", "", day, earliest, latest, SLOT_RUN_REACH_YEARS, branch.name, details={"field": name}
            )
    if end is None:
        days = settings.SLOT_GENERATION_DAYS if days is None else days
        if not 1 <= days <= SLOT_RUN_MAX_DAYS:
            raise refuse("invalid_range", "days", days, SLOT_RUN_MAX_DAYS, details={"field": "days"})
        return first, first + datetime.timedelta(days=days - 1)
    if end < first:
        raise refuse("invalid_range", "backwards", end, first, details={"field": "end"})
    if (end - first).days >= SLOT_RUN_MAX_DAYS:
        raise refuse(
            "invalid_range", "too_long", end, (end - first).days + 1, first, SLOT_RUN_MAX_DAYS, details={"field": "end"}
        )
    return first, end
