"""Writes for classes: generating the classes of the weekly timetable."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.db import connection, transaction

from audit.services import Actor
from config.rules import refusals_of_the_database


@dataclass(frozen=True)
class ClassRun:
    branch_id: uuid.UUID
    start_date: datetime.date
    end_date: datetime.date
    created: int
    already_present: int

    def as_dict(self) -> dict:
        return {
            "branch_id": str(self.branch_id),
            "from": self.start_date.isoformat(),
            "to": self.end_date.isoformat(),
            "created": self.created,
            "already_present": self.already_present,
        }


def classes_ensure(
    *,
    branch_id: uuid.UUID,
    start_date: datetime.date,
    end_date: datetime.date,
    actor: Actor,
    source: str,
    dry_run: bool = False,
) -> ClassRun:
    """Create the classes the branch's timetable holds from `start_date` to `end_date` (days on
    the branch's clock) that are not there yet.

    One transaction per branch. The work is `app_private.generate_classes`, which also writes the
    audit entry when it creates any. Bad input (a range backwards or too long, an unknown branch)
    is a RuleViolation.
    """
    with refusals_of_the_database(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "select created, already_present from app_private.generate_classes(%s, %s, %s, %s, %s, %s, %s, %s)",
            [branch_id, start_date, end_date, source, actor.type, actor.id, actor.label, dry_run],
        )
        created, already_present = cursor.fetchone()
    return ClassRun(
        branch_id=branch_id, start_date=start_date, end_date=end_date, created=created, already_present=already_present
    )
