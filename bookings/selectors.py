"""Reads for booking, all through the engine's relations of bookable items and their bookings
(BookableItem, ItemBooking): what can be booked on a day, a member's bookings, and why a booking would
be refused."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery

from bookings.models import ENTITLEMENT_UNITS, BookableItem, BookingStatus, ItemBooking
from clubs.localtime import local_today
from clubs.models import Branch, local_day_bounds
from config.rules import n_of_m

NEARBY = datetime.timedelta(hours=1)


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str
    overridable: bool


def booking_kind(*, booking_id: uuid.UUID) -> str | None:
    """What kind of item the booking is of ("slot" or "class"), or None when there is no such booking."""
    return ItemBooking.objects.filter(pk=booking_id).values_list("kind", flat=True).first()


def booking_refusals(*, kind: str, item_id: uuid.UUID, member_id: uuid.UUID) -> list[Refusal]:
    """Every reason this booking would be refused (the engine's own check), not only the first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "select code, message, overridable from app_private.booking_refusals(%s, %s, %s)",
            [kind, item_id, member_id],
        )
        return [Refusal(*row) for row in cursor.fetchall()]


@dataclass
class DayItem:
    """A slot or class of the concierge's day, with what the member at the counter has near it."""

    item: BookableItem
    member_status: str | None  # the member's own booking of it, if any
    nearby: list[str] = field(default_factory=list)  # the member's other bookings close in time

    id = property(lambda self: self.item.id)
    title = property(lambda self: self.item.title)
    starts_at = property(lambda self: self.item.starts_at)
    ends_at = property(lambda self: self.item.ends_at)
    capacity = property(lambda self: self.item.capacity)
    taken = property(lambda self: self.item.places_taken)
    remaining = property(lambda self: self.item.remaining)
    is_full = property(lambda self: self.item.is_full)
    cancelled = property(lambda self: self.item.is_closed)

    @property
    def places(self) -> str:
        """ "3 of 4 taken" when full, "1 of 4 left" otherwise."""
        if self.is_full:
            return f"{n_of_m(self.taken, self.capacity)} taken"
        return f"{n_of_m(self.remaining, self.capacity)} left"


@dataclass
class DaySchedule:
    items: list[DayItem]
    entitlement: str  # "2 of 4 recovery sessions used this week", or ""


def day_bounds_for(
    member, day: datetime.date | None, *, branch_id: uuid.UUID | None = None, facility_id: uuid.UUID | None = None
) -> tuple[datetime.datetime, datetime.datetime]:
    """The bounds of `day` (default today) on the clock of the branch a member's list is about:
    the branch asked for, else the facility's, when it is of the member's organization; else the
    member's home branch."""
    branches = Branch.objects.filter(organization_id=member.organization_id)
    if branch_id is not None:
        zone_name = branches.filter(pk=branch_id).values_list("time_zone", flat=True).first()
    elif facility_id is not None:
        zone_name = branches.filter(facilities=facility_id).values_list("time_zone", flat=True).first()
    else:
        zone_name = None
    if zone_name is None:
        return member.day_bounds(day)
    zone = ZoneInfo(zone_name)
    return local_day_bounds(day or local_today(zone), zone)


def items_between(
    *, organization_id: uuid.UUID, start: datetime.datetime, end: datetime.datetime, kind: str, **filters
) -> QuerySet[BookableItem]:
    """The organization's slots or classes starting in [start, end), earliest first, with their
    places taken; `filters` narrow them (branch_id, facility_id)."""
    return BookableItem.objects.filter(
        organization_id=organization_id, kind=kind, starts_at__gte=start, starts_at__lt=end, **filters
    ).order_by("starts_at", "title", "id")


def member_bookings(*, member_id: uuid.UUID) -> QuerySet[ItemBooking]:
    """A member's bookings of every kind, the latest item first."""
    return ItemBooking.objects.filter(member_id=member_id).order_by("-starts_at", "id")


def bookable_items(
    *, kind: str, branch_id: uuid.UUID, time_zone: str, day: datetime.date, member_id: uuid.UUID
) -> DaySchedule:
    """The slots or classes of a branch on a (branch-local) day, with places left, the member's own
    bookings nearby, and their entitlement use: three queries, whatever the number of items."""
    zone = ZoneInfo(time_zone)
    start, end = local_day_bounds(day, zone)
    own = ItemBooking.objects.filter(member_id=member_id, kind=kind, item_id=OuterRef("id")).exclude(
        status=BookingStatus.CANCELLED
    )
    rows = (
        BookableItem.objects.filter(branch_id=branch_id, kind=kind, starts_at__gte=start, starts_at__lt=end)
        .annotate(member_status=Subquery(own.values("status")[:1]))
        .order_by("starts_at", "title")
    )
    items = [DayItem(row, row.member_status) for row in rows]
    theirs = ItemBooking.objects.filter(
        member_id=member_id,
        status=BookingStatus.CONFIRMED,
        starts_at__lt=end + NEARBY,
        ends_at__gt=start - NEARBY,
    ).values_list("title", "starts_at", "ends_at")
    theirs = list(theirs)
    entitlement = ""
    if items:
        with connection.cursor() as cursor:
            cursor.execute(
                "select used, quota, period from app_private.entitlement_use(%s, %s, %s)",
                [kind, items[0].id, member_id],
            )
            used, quota, period = cursor.fetchone()
        if quota is not None:
            entitlement = f"{n_of_m(used, quota)} {ENTITLEMENT_UNITS[kind]} used this {period}"
    for item in items:
        item.nearby = [
            f"{title} {other_start.astimezone(zone):%H:%M}"
            for title, other_start, other_end in theirs
            if other_start < item.ends_at + NEARBY
            and other_end > item.starts_at - NEARBY
            and not (other_start == item.starts_at and title == item.title)
        ]
    return DaySchedule(items=items, entitlement=entitlement)
