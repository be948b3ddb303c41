"""Writes for the schedule: a change of a facility's capacity, days, hours or slot length, or of a
timetable entry, applied to the slots and classes already made, with a preview.

One SQL function per kind of change does the work (schedule/sql/schedule_changes/) and returns a
report of what it did. The preview is that same call in a transaction rolled back, so what a
manager is shown is exactly what applying does at that moment; applying commits it, with one
`schedule.changed` audit entry. Booked places are never dropped: items the change no longer wants
keep their bookings and are listed, and so are items whose capacity falls below their bookings
and booked items whose times change, each with who booked it.
"""

from __future__ import annotations

import datetime
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from audit.context import current_request_context
from audit.models import AuditSource
from audit.services import Actor
from classes.models import ClassTimetableEntry
from config.rules import refusals_of_the_database
from facilities.models import Facility


@dataclass(frozen=True)
class Booker:
    """A member holding a live booking of an item the change keeps for them, or moves."""

    member_id: uuid.UUID
    name: str
    number: str
    phone: str
    email: str
    status: str


@dataclass(frozen=True)
class ItemLine:
    """A slot or class the manager is told about: where it is, how full, what changes."""

    id: uuid.UUID
    title: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    booked: int
    capacity: int | None = None  # its capacity after the change
    was_capacity: int | None = None
    was_starts_at: datetime.datetime | None = None  # a moved class, a booked slot with a new end
    was_ends_at: datetime.datetime | None = None
    waiting: int = 0
    bookings: tuple[Booker, ...] = ()


@dataclass(frozen=True)
class ScheduleChangeReport:
    """What a change does (preview) or did (applied) to the future of one facility or entry.

    `figures`: future (the items that had not started), updated, created, removed, kept (booked
    items the change no longer wants, kept as they are), over_capacity; for a facility also
    capacity_changed, times_changed, kept_cancelled (no longer wanted, only cancelled bookings name
    them: kept, as bookings' history needs them), retimed_booked; for an entry moved, cancelled
    (no longer wanted, only cancelled bookings: marked cancelled), kept_own (classes changed by hand
    that keep what was changed by hand)."""

    kind: str  # "facility" or "timetable_entry"
    subject_id: uuid.UUID
    subject: str
    branch_id: uuid.UUID
    branch: str
    time_zone: str
    first_day: datetime.date
    last_day: datetime.date
    before: dict[str, Any]
    after: dict[str, Any]
    values_changed: bool
    figures: dict[str, int]
    applied: bool
    skipped: str = ""  # why a facility's slots were left alone (inactive, under maintenance)
    over_capacity: list[ItemLine] = field(default_factory=list)
    outside: list[ItemLine] = field(default_factory=list)  # kept with their bookings
    moved: list[ItemLine] = field(default_factory=list)  # classes moved, booked slots with new times

    @property
    def items_changed(self) -> int:
        return sum(self.figures.get(name, 0) for name in ("updated", "created", "removed", "cancelled"))

    @property
    def changes_anything(self) -> bool:
        return self.values_changed or self.items_changed > 0


def facility_schedule_change(
    *,
    facility: Facility,
    capacity: int | None,
    opens_at: datetime.time,
    closes_at: datetime.time,
    slot_minutes: int,
    facility_capacity: int | None = None,
    available_days: list[int] | None = None,
    actor: Actor,
    apply: bool,
    source: str = AuditSource.ADMIN,
) -> ScheduleChangeReport:
    """A facility's new booking shape: the settings' `capacity` (None: the facility's,
    `facility_capacity`, by default what it is), opening hours, slot length and the facility's
    `available_days` (ISO weekdays; by default what they are), and what they do to its future
    slots. With `apply` the facility, its settings and its slots change, in one transaction, with
    one audit entry; without, nothing is written. Values are what the settings' form accepts (the
    tables refuse anything else)."""
    context = current_request_context()
    return _run(
        "select app_private.change_facility_schedule("
        "%s, %s, %s, %s, %s, %s, %s::integer[], %s, %s, %s, %s, %s, %s, %s)",
        [
            facility.pk,
            capacity,
            opens_at,
            closes_at,
            slot_minutes,
            facility.capacity if facility_capacity is None else facility_capacity,
            list(facility.available_days if available_days is None else available_days),
            source,
            actor.type,
            actor.id,
            actor.label,
            context.request_id,
            context.ip_address,
            context.user_agent,
        ],
        apply=apply,
    )


def timetable_entry_change(
    *,
    entry: ClassTimetableEntry,
    title: str,
    instructor: str,
    room: str,
    weekday: int,
    starts_at_local: datetime.time,
    duration_minutes: int,
    capacity: int,
    valid_from: datetime.date,
    valid_until: datetime.date | None,
    actor: Actor,
    apply: bool,
    source: str = AuditSource.ADMIN,
) -> ScheduleChangeReport:
    """A timetable entry's new fields (its branch stays), and what they do to its future classes.
    With `apply` the entry and its classes change, in one transaction, with one audit entry;
    without, nothing is written. Values are what the timetable's form accepts."""
    context = current_request_context()
    return _run(
        "select app_private.change_timetable_entry(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        [
            entry.pk,
            title,
            instructor,
            room,
            weekday,
            starts_at_local,
            duration_minutes,
            capacity,
            valid_from,
            valid_until,
            source,
            actor.type,
            actor.id,
            actor.label,
            context.request_id,
            context.ip_address,
            context.user_agent,
        ],
        apply=apply,
    )


def _run(statement: str, parameters: list, *, apply: bool) -> ScheduleChangeReport:
    with refusals_of_the_database(), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(statement, parameters)
            (document,) = cursor.fetchone()
        if not apply:
            transaction.set_rollback(True)  # the preview: what applying does, undone
    # Django's cursors leave jsonb as its text
    return _report(json.loads(document) if isinstance(document, str) else document, applied=apply)


def _instant(value: str | None) -> datetime.datetime | None:
    return datetime.datetime.fromisoformat(value) if value else None


def _line(row: dict, title: str) -> ItemLine:
    return ItemLine(
        id=uuid.UUID(row["id"]),
        title=row.get("title") or title,
        starts_at=_instant(row["starts_at"]),
        ends_at=_instant(row["ends_at"]),
        booked=row.get("booked", 0),
        capacity=row.get("capacity"),
        was_capacity=row.get("was"),
        was_starts_at=_instant(row.get("was_starts_at")),
        was_ends_at=_instant(row.get("was_ends_at")),
        waiting=row.get("waiting", 0),
        bookings=tuple(
            Booker(
                member_id=uuid.UUID(booking["member_id"]),
                name=booking["name"],
                number=booking["number"],
                phone=booking["phone"],
                email=booking["email"],
                status=booking["status"],
            )
            for booking in row.get("bookings", ())
        ),
    )


def _report(document: dict, *, applied: bool) -> ScheduleChangeReport:
    title = document["name"]
    moved = document.get("moved", document.get("retimed", []))
    return ScheduleChangeReport(
        kind=document["kind"],
        subject_id=uuid.UUID(document["id"]),
        subject=title,
        branch_id=uuid.UUID(document["branch_id"]),
        branch=document["branch"],
        time_zone=document["time_zone"],
        first_day=datetime.date.fromisoformat(document["from"]),
        last_day=datetime.date.fromisoformat(document["to"]),
        before=document["before"],
        after=document["after"],
        values_changed=document["changed"],
        figures=document["figures"],
        applied=applied,
        skipped=document.get("skipped") or "",
        over_capacity=[_line(row, title) for row in document["over_capacity"]],
        outside=[_line(row, title) for row in document["outside"]],
        moved=[_line(row, title) for row in moved],
    )
