"""Reads for booking: member search, what can be booked on a day, and why a booking would be refused."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import connection

from bookings.services import BookingKind
from clubs.models import local_day_bounds

NEARBY = datetime.timedelta(hours=1)


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str
    overridable: bool


def booking_kind(*, booking_id: uuid.UUID) -> str | None:
    """Which table holds the booking ("slot" or "class"), or None when there is no such booking."""
    with connection.cursor() as cursor:
        cursor.execute("select app_private.booking_kind(%s)", [booking_id])
        return cursor.fetchone()[0]


def booking_refusals(*, kind: str, item_id: uuid.UUID, member_id: uuid.UUID) -> list[Refusal]:
    """Every reason this booking would be refused (the engine's own check), not only the first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "select code, message, overridable from app_private.booking_refusals(%s, %s, %s)",
            [kind, item_id, member_id],
        )
        return [Refusal(*row) for row in cursor.fetchall()]


@dataclass(frozen=True)
class MemberMatch:
    id: uuid.UUID
    member_number: str
    first_name: str
    last_name: str
    email: str
    phone: str
    status: str
    home_branch_id: uuid.UUID
    home_branch: str
    organization_id: uuid.UUID

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def member_search(query: str, *, limit: int = 20) -> list[MemberMatch]:
    """Members whose name, email or number start with what was typed, or whose phone number is
    the one typed however it is written (national, international, without the country code, its
    last digits); frozen and cancelled members too, with their status."""
    with connection.cursor() as cursor:
        cursor.execute("select * from app_private.search_members(%s, %s)", [query, limit])
        return [MemberMatch(*row) for row in cursor.fetchall()]


@dataclass
class BookableItem:
    id: uuid.UUID
    title: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    capacity: int
    taken: int
    cancelled: bool
    member_status: str | None  # the member's own booking of it, if any
    nearby: list[str] = field(default_factory=list)  # the member's other bookings close in time

    @property
    def remaining(self) -> int:
        return max(self.capacity - self.taken, 0)

    @property
    def is_full(self) -> bool:
        return self.taken >= self.capacity


@dataclass
class DaySchedule:
    items: list[BookableItem]
    entitlement: str  # "2 of 4 recovery sessions used this week", or ""


_ITEMS = {
    BookingKind.SLOT: """
        select s.id, f.name, s.starts_at, s.ends_at, s.capacity, app_private.places_taken('slot', s.id),
               not f.is_active or f.under_maintenance,
               (select b.status from benefit_bookings b
                where b.slot_id = s.id and b.member_id = %(member)s and b.status <> 'cancelled' limit 1)
        from benefit_slots s join facilities f on f.id = s.facility_id
        where f.branch_id = %(branch)s and s.starts_at >= %(start)s and s.starts_at < %(end)s
        order by s.starts_at, f.name
    """,
    BookingKind.CLASS: """
        select c.id, c.title, c.starts_at, c.ends_at, c.capacity, app_private.places_taken('class', c.id),
               c.is_cancelled,
               (select b.status from class_bookings b
                where b.class_id = c.id and b.member_id = %(member)s and b.status <> 'cancelled' limit 1)
        from classes c
        where c.branch_id = %(branch)s and c.starts_at >= %(start)s and c.starts_at < %(end)s
        order by c.starts_at, c.title
    """,
}

_MEMBER_DAY = """
    select f.name, s.starts_at, s.ends_at from benefit_bookings b
    join benefit_slots s on s.id = b.slot_id join facilities f on f.id = s.facility_id
    where b.member_id = %(member)s and b.status = 'confirmed' and s.starts_at < %(end)s and s.ends_at > %(start)s
    union all
    select c.title, c.starts_at, c.ends_at from class_bookings b join classes c on c.id = b.class_id
    where b.member_id = %(member)s and b.status = 'confirmed' and c.starts_at < %(end)s and c.ends_at > %(start)s
"""


def bookable_items(
    *, kind: str, branch_id: uuid.UUID, time_zone: str, day: datetime.date, member_id: uuid.UUID
) -> DaySchedule:
    """The slots or classes of a branch on a (branch-local) day, with places left, the member's own
    bookings nearby, and their entitlement use: three queries, whatever the number of items."""
    zone = ZoneInfo(time_zone)
    start, end = local_day_bounds(day, zone)
    params = {"branch": branch_id, "member": member_id, "start": start, "end": end}
    with connection.cursor() as cursor:
        cursor.execute(_ITEMS[kind], params)
        items = [BookableItem(*row) for row in cursor.fetchall()]
        cursor.execute(_MEMBER_DAY, {**params, "start": start - NEARBY, "end": end + NEARBY})
        theirs = cursor.fetchall()
        entitlement = ""
        if items:
            cursor.execute(
                "select used, quota, period from app_private.entitlement_use(%s, %s, %s)",
                [kind, items[0].id, member_id],
            )
            used, quota, period = cursor.fetchone()
            if quota is not None:
                things = "recovery sessions" if kind == BookingKind.SLOT else "classes"
                entitlement = f"{used} of {quota} {things} used this {period}"
    for item in items:
        item.nearby = [
            f"{title} {other_start.astimezone(zone):%H:%M}"
            for title, other_start, other_end in theirs
            if other_start < item.ends_at + NEARBY
            and other_end > item.starts_at - NEARBY
            and not (other_start == item.starts_at and title == item.title)
        ]
    return DaySchedule(items=items, entitlement=entitlement)
