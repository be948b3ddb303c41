"""What the front desk reads: the day of a branch at a glance (timeline, arriving next, needs
attention) and the roster of one item, all through the booking engine's relations of bookable items
and their bookings (BookableItem, ItemBooking).

Each read costs a fixed number of queries whatever the number of rows, and returns frozen
dataclasses whose times are already text on the branch's clock (clubs.localtime), so that the
templates only place them.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.db.models import Count, Q, Window
from django.utils import timezone

from bookings.models import (
    CHECK_IN_OPENS_MINUTES_BEFORE,
    PLACE_HOLDING_STATUSES,
    BookableItem,
    BookingStatus,
    ItemBooking,
)
from bookings.services import BookingKind
from clubs import localtime
from clubs.models import Branch, local_day_bounds
from config.rules import n_of_m
from facilities.models import Closure, Facility

# The engine's set_attendance opens check-in this long before the start, and a no-show at the
# start: the desk offers each button from then (the engine still decides, and says why).
CHECK_IN_OPENS_BEFORE = datetime.timedelta(minutes=CHECK_IN_OPENS_MINUTES_BEFORE)
# Arriving next: whoever can be checked in now.
ARRIVING_WITHIN = CHECK_IN_OPENS_BEFORE
# A confirmed member stays in "arriving next" until this long after their item's start: a late
# member at the counter is still checked in there in one click. From the start they are also a
# no-show candidate in "needs attention"; after the grace, only there.
LATE_ARRIVAL_GRACE = datetime.timedelta(minutes=15)
# The longest the desk's lists of people get before "and N more": a screenful at the counter.
LINES_SHOWN = 30


def staff_name(user) -> str:
    """How the desk names a member of staff: their full name, else their username."""
    return user.get_full_name() or user.get_username()


class ItemState:
    COMING_UP = "coming up"
    IN_PROGRESS = "in progress"
    OVER = "over"
    CLOSED = "closed"


def item_state(
    *, starts_at: datetime.datetime, ends_at: datetime.datetime, closed: bool, now: datetime.datetime
) -> str:
    if closed:
        return ItemState.CLOSED
    if now < starts_at:
        return ItemState.COMING_UP
    return ItemState.IN_PROGRESS if now < ends_at else ItemState.OVER


@dataclass(frozen=True)
class TimelineEntry:
    kind: str  # "slot" or "class"
    id: uuid.UUID
    time: str  # "18:00–18:45" on the branch's clock
    title: str
    detail: str  # the facility of a slot, the instructor of a class
    booked: str  # "3 of 12": place-holding bookings against the capacity
    waitlisted: int
    checked_in: int
    state: str  # ItemState
    closed_reason: str  # "the facility is under maintenance", or ""
    has_override: bool  # a live booking of it was a capacity override
    free_places: int

    @property
    def is_empty(self) -> bool:
        """An open recovery session nobody has booked or is waiting for: most of a spa's day."""
        return self.kind == "slot" and self.booked.startswith("0 of") and not self.waitlisted and not self.closed_reason


def _day_entries(branch: Branch, day: datetime.date, now: datetime.datetime) -> list[TimelineEntry]:
    """Two queries: the items of the day, and their bookings counted per item in one grouped query."""
    start, end = local_day_bounds(day, branch.zone)
    labelled = localtime.clocks_change_on(day, branch.zone)
    # places_taken left out: the view computes it per row, the grouped count below computes it once.
    # Rows, not models: a busy day has hundreds of items.
    items = (
        BookableItem.objects.filter(branch_id=branch.pk, starts_at__gte=start, starts_at__lt=end)
        .values_list(
            "kind", "id", "title", "instructor", "starts_at", "ends_at", "capacity", "closed_reason", named=True
        )
        .order_by("starts_at", "title", "id")
    )
    live = ~Q(status=BookingStatus.CANCELLED)
    counts = {
        (row["kind"], row["item_id"]): row
        for row in ItemBooking.objects.filter(branch_id=branch.pk, starts_at__gte=start, starts_at__lt=end)
        .values("kind", "item_id")
        .order_by()
        .annotate(
            booked=Count("id", filter=Q(status__in=PLACE_HOLDING_STATUSES)),
            waitlisted=Count("id", filter=Q(status=BookingStatus.WAITLISTED)),
            checked_in=Count("id", filter=Q(status=BookingStatus.ATTENDED)),
            overrides=Count("id", filter=live & Q(capacity_override=True)),
        )
    }
    entries = []
    for item in items:
        count = counts.get((item.kind, item.id), {})
        booked = count.get("booked", 0)
        entries.append(
            TimelineEntry(
                kind=item.kind,
                id=item.id,
                time=localtime.time_range(item.starts_at, item.ends_at, branch.zone, labelled=labelled),
                title=item.title,
                detail=item.title if item.kind == "slot" else item.instructor,
                booked=n_of_m(booked, item.capacity),
                waitlisted=count.get("waitlisted", 0),
                checked_in=count.get("checked_in", 0),
                state=item_state(
                    starts_at=item.starts_at, ends_at=item.ends_at, closed=item.closed_reason is not None, now=now
                ),
                closed_reason=item.closed_reason or "",
                has_override=count.get("overrides", 0) > 0,
                free_places=max(item.capacity - booked, 0),
            )
        )
    return entries


def day_timeline(*, branch: Branch, day: datetime.date, now: datetime.datetime | None = None) -> list[TimelineEntry]:
    """The branch's classes and facility slots of its (local) day, earliest first: two queries."""
    return _day_entries(branch, day, now or timezone.now())


@dataclass(frozen=True)
class BookingLine:
    """A booking as the desk lists it, with what a one-click check-in or no-show needs (kind, id)."""

    kind: str
    booking_id: uuid.UUID
    item_id: uuid.UUID
    member_id: uuid.UUID
    member_name: str
    member_number: str
    item_title: str
    starts: str  # "18:00" on the branch's clock
    checked_in: str  # "17:55" on the branch's clock once checked in (undo stays one click away), or ""


def _booking_lines(bookings, zone) -> list[BookingLine]:
    return [
        BookingLine(
            kind=booking.kind,
            booking_id=booking.id,
            item_id=booking.item_id,
            member_id=booking.member_id,
            member_name=booking.member.full_name,
            member_number=booking.member.member_number,
            item_title=booking.title,
            starts=localtime.local_time(booking.starts_at, zone),
            checked_in=localtime.local_time(booking.checked_in_at, zone) if booking.checked_in_at else "",
        )
        for booking in bookings
    ]


@dataclass(frozen=True)
class FirstLines:
    """The first lines of a list that can be long at a busy branch, and how many there are in all:
    the desk shows these and says how many more (the search finds anyone by name)."""

    lines: list[BookingLine]
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.lines)


def _first_lines(bookings, zone, limit: int) -> FirstLines:
    """`bookings` (a queryset) cut to `limit`, with the count of all of them in the same query."""
    rows = list(bookings.annotate(total=Window(Count("id")))[:limit])
    return FirstLines(_booking_lines(rows, zone), rows[0].total if rows else 0)


def arriving_next(
    *,
    branch: Branch,
    now: datetime.datetime | None = None,
    within: datetime.timedelta = ARRIVING_WITHIN,
    limit: int = LINES_SHOWN,
) -> FirstLines:
    """Bookings whose item starts within `within` from now, or started less than LATE_ARRIVAL_GRACE
    ago (a late member is still let in at the counter): those to check in, and those checked in
    already, whose undo stays at hand. The first `limit` of them, earliest first: one query."""
    now = now or timezone.now()
    bookings = (
        ItemBooking.objects.filter(
            branch_id=branch.pk,
            status__in=[BookingStatus.CONFIRMED, BookingStatus.ATTENDED],
            starts_at__gt=now - LATE_ARRIVAL_GRACE,
            starts_at__lt=now + within,
        )
        .select_related("member")
        .order_by("starts_at", "title", "member__last_name", "member__first_name", "id")
    )
    return _first_lines(bookings, branch.zone, limit)


@dataclass(frozen=True)
class ClosedPlace:
    """A facility closed or under maintenance, or what a closure closes today (a facility, a room,
    the whole branch)."""

    id: uuid.UUID  # the facility's, or the closure's
    name: str
    reason: str  # "closed", "under maintenance", or a closure's "closed 17:00–22:00 (maintenance: New heater)"


def _closures_between(branch: Branch, start: datetime.datetime, end: datetime.datetime) -> list[Closure]:
    closures = Closure.objects.filter(branch=branch, reopened_at__isnull=True, starts_at__lt=end, ends_at__gt=start)
    return list(closures.select_related("facility").order_by("starts_at", "id"))


def _closed_today(closure: Closure, branch: Branch, start: datetime.datetime, end: datetime.datetime) -> ClosedPlace:
    closure.branch = branch
    if closure.starts_at <= start and closure.ends_at >= end:
        hours = "all day"
    else:
        hours = localtime.time_range(max(closure.starts_at, start), min(closure.ends_at, end), branch.zone)
    why = closure.get_reason_display().lower() + (f": {closure.note}" if closure.note else "")
    return ClosedPlace(closure.pk, closure.what_is_closed, f"closed {hours} ({why})")


@dataclass(frozen=True)
class OverrideLine:
    kind: str
    booking_id: uuid.UUID
    member_name: str
    member_number: str
    item_title: str
    starts: str
    places: str  # "11 of 10": the places taken with it against the capacity, or ""
    booked_by: str  # the staff member's name, or "" when the member booked
    reason: str  # "VIP or guest of the club: Guest of the owner"


@dataclass(frozen=True)
class Attention:
    not_checked_in: FirstLines  # confirmed, their item started: candidates for a no-show
    waitlist_with_free_places: list[TimelineEntry]  # not over, places free, members waiting
    closed_facilities: list[ClosedPlace]
    overrides: list[OverrideLine]  # today's capacity overrides, still live


def _override_lines(branch: Branch, start: datetime.datetime, end: datetime.datetime) -> list[OverrideLine]:
    """One query over the relation of all bookings, whichever table holds them."""
    bookings = (
        ItemBooking.objects.filter(capacity_override=True, branch_id=branch.pk, starts_at__gte=start, starts_at__lt=end)
        .exclude(status=BookingStatus.CANCELLED)
        .select_related("member", "booked_by_user")
        .order_by("starts_at", "member__last_name", "member__first_name", "id")
    )
    return [
        OverrideLine(
            kind=booking.kind,
            booking_id=booking.pk,
            member_name=booking.member.full_name,
            member_number=booking.member.member_number,
            item_title=booking.title,
            starts=localtime.local_time(booking.starts_at, branch.zone),
            places=booking.places_when_overridden,
            booked_by=staff_name(booking.booked_by_user) if booking.booked_by_user else "",
            reason=booking.override_description,
        )
        for booking in bookings
    ]


def needs_attention(
    *,
    branch: Branch,
    day: datetime.date,
    now: datetime.datetime | None = None,
    timeline: list[TimelineEntry] | None = None,
) -> Attention:
    """What the desk should act on today: five queries whatever the number of rows, three when
    given the day's `timeline` (day_timeline's answer for the same day and moment)."""
    now = now or timezone.now()
    start, end = local_day_bounds(day, branch.zone)
    late = (
        ItemBooking.objects.filter(
            branch_id=branch.pk,
            status=BookingStatus.CONFIRMED,
            starts_at__gte=start,
            starts_at__lt=min(end, now),
        )
        .select_related("member")
        # the latest first: who just missed their start may be at the counter now
        .order_by("-starts_at", "title", "member__last_name", "member__first_name", "id")
    )
    waiting = [
        entry
        for entry in (timeline if timeline is not None else _day_entries(branch, day, now))
        if entry.state in (ItemState.COMING_UP, ItemState.IN_PROGRESS) and entry.free_places and entry.waitlisted
    ]
    facilities = Facility.objects.filter(branch=branch).filter(Q(is_active=False) | Q(under_maintenance=True))
    closed = [
        ClosedPlace(facility.pk, facility.name, "closed" if not facility.is_active else "under maintenance")
        for facility in facilities.order_by("name", "id")
    ] + [_closed_today(closure, branch, start, end) for closure in _closures_between(branch, start, end)]
    return Attention(
        not_checked_in=_first_lines(late, branch.zone, LINES_SHOWN),
        waitlist_with_free_places=waiting,
        closed_facilities=closed,
        overrides=_override_lines(branch, start, end),
    )


def check_in_is_open(*, starts_at: datetime.datetime, now: datetime.datetime) -> bool:
    """Whether the desk offers Check in for an item starting at `starts_at`: the engine's window,
    nothing more (a closed item included: the engine decides, and says why if it refuses)."""
    return now >= starts_at - CHECK_IN_OPENS_BEFORE


@dataclass(frozen=True)
class RosterLine:
    kind: str
    booking_id: uuid.UUID
    member_id: uuid.UUID
    member_name: str
    member_number: str
    status: str  # BookingStatus: "confirmed", "attended", "no_show", "waitlisted", "cancelled"
    status_label: str  # "Confirmed", "Attended", "No-show", "Waitlisted", "Cancelled"
    checked_in: str  # "18:02" on the branch's clock, or ""
    capacity_override: bool
    override: str  # "VIP or guest of the club: Guest of the owner (3 of 2, by Sam Lee)", or ""
    late_cancellation: bool
    position: int | None  # on the waitlist, from 1


@dataclass(frozen=True)
class Roster:
    item: BookableItem  # with its branch
    kind_label: str  # "Class", "Recovery facility"
    detail: str  # "with Priya Shah" for a class, "" for a facility's slot (its title is the facility)
    when: str  # "Tue 1 Dec 2026, 18:00–18:45 EST"
    booked: str  # "3 of 12"
    state: str  # ItemState
    closed_reason: str  # "the class is cancelled", or ""
    has_override: bool  # a live booking of it was a capacity override
    check_in_open: bool  # from an hour before the start (check_in_is_open)
    check_in_opens: str  # "17:00" on the branch's clock
    no_show_open: bool  # it has started
    cancel_is_late: bool  # cancelling a confirmed booking now is a late cancellation
    cancel_consequence: str  # "Free cancellation until 06:00 (12 hours before the start)." or the late one
    attendees: list[RosterLine]  # confirmed, attended, no-show; by surname
    waitlist: list[RosterLine]  # in the order the engine promotes (created_at, id)
    cancelled: list[RosterLine]


ATTENDING = {BookingStatus.CONFIRMED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW}


def _duration(minutes: int) -> str:
    """12 hours, 1 hour 30 minutes, 45 minutes"""
    hours, rest = divmod(minutes, 60)
    parts = [f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []
    if rest or not hours:
        parts.append(f"{rest} minute{'s' if rest != 1 else ''}")
    return " ".join(parts)


def cancel_consequence(
    *, starts_at: datetime.datetime, cutoff_minutes: int, time_zone: str, now: datetime.datetime
) -> tuple[bool, str]:
    """What cancelling a confirmed booking of an item starting at `starts_at` now means, as the
    engine's cancel_booking decides it: late once `now` is past the start less the item's cutoff."""
    free_until = starts_at - datetime.timedelta(minutes=cutoff_minutes)
    before = f"{_duration(cutoff_minutes)} before the start" if cutoff_minutes else "the start"
    if now > free_until:
        return True, f"Cancelling now is a late cancellation (less than {before}): it goes on the member's history."
    same_day = localtime.at(free_until, time_zone).date() == localtime.at(starts_at, time_zone).date()
    until = (localtime.local_time if same_day else localtime.local_datetime)(free_until, time_zone)
    return False, f"Free cancellation until {until} ({before}); after that it is a late cancellation."


def _override(booking: ItemBooking) -> str:
    if not booking.capacity_override:
        return ""
    details = [booking.places_when_overridden] if booking.places_when_overridden else []
    if booking.booked_by_user:
        details.append(f"by {staff_name(booking.booked_by_user)}")
    said = booking.override_description
    return f"{said} ({', '.join(details)})" if details else said


def roster(*, kind: str, item_id: uuid.UUID, now: datetime.datetime | None = None) -> Roster:
    """An item and every booking of it: two queries. Raises BookableItem.DoesNotExist."""
    now = now or timezone.now()
    item = BookableItem.objects.select_related("branch").get(kind=kind, pk=item_id)
    bookings = (
        ItemBooking.objects.filter(kind=kind, item_id=item_id)
        .select_related("member", "booked_by_user")
        .order_by("created_at", "id")
    )
    attendees, waitlist, cancelled = [], [], []
    for booking in bookings:
        waiting = booking.status == BookingStatus.WAITLISTED
        line = RosterLine(
            kind=booking.kind,
            booking_id=booking.id,
            member_id=booking.member_id,
            member_name=booking.member.full_name,
            member_number=booking.member.member_number,
            status=booking.status,
            status_label=booking.get_status_display(),
            checked_in=localtime.local_time(booking.checked_in_at, item.time_zone) if booking.checked_in_at else "",
            capacity_override=booking.capacity_override,
            override=_override(booking),
            late_cancellation=booking.is_late_cancellation,
            position=len(waitlist) + 1 if waiting else None,
        )
        if waiting:
            waitlist.append(line)
        elif booking.status in ATTENDING:
            attendees.append((booking.member.last_name, booking.member.first_name, line.member_number, line))
        else:
            cancelled.append(line)
    check_in_from = item.starts_at - CHECK_IN_OPENS_BEFORE
    cancel_is_late, consequence = cancel_consequence(
        starts_at=item.starts_at, cutoff_minutes=item.cutoff_minutes, time_zone=item.time_zone, now=now
    )
    return Roster(
        item=item,
        kind_label=BookingKind(kind).label,
        detail=f"with {item.instructor}" if kind == BookingKind.CLASS and item.instructor else "",
        when=localtime.local_range(item.starts_at, item.ends_at, item.time_zone),
        booked=n_of_m(item.places_taken, item.capacity),
        state=item_state(starts_at=item.starts_at, ends_at=item.ends_at, closed=item.is_closed, now=now),
        closed_reason=item.closed_reason or "",
        has_override=any(line.capacity_override for *_, line in attendees),
        check_in_open=check_in_is_open(starts_at=item.starts_at, now=now),
        check_in_opens=localtime.local_time(check_in_from, item.time_zone),
        no_show_open=now >= item.starts_at,
        cancel_is_late=cancel_is_late,
        cancel_consequence=consequence,
        attendees=[line for *_, line in sorted(attendees, key=lambda row: row[:3])],
        waitlist=waitlist,
        cancelled=cancelled,
    )
