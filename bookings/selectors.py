"""Reads for booking, all through the engine's relations of bookable items and their bookings
(BookableItem, ItemBooking): what can be booked on a day, a member's bookings, and why a booking would
be refused."""

from __future__ import annotations

import datetime
import functools
import uuid
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import (
    CharField,
    Count,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.utils import formats, timezone

from bookings.models import (
    ENTITLEMENT_UNITS,
    PLACE_HOLDING_STATUSES,
    BookableItem,
    BookingStatus,
    ItemBooking,
)
from clubs import localtime
from clubs.localtime import local_today
from clubs.models import Branch, local_day_bounds
from config.rules import n_of_m
from facilities.models import Facility

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


def places_text(taken: int, capacity: int) -> str:
    """ "3 of 4 taken" when full, "1 of 4 left" otherwise."""
    if taken >= capacity:
        return f"{n_of_m(taken, capacity)} taken"
    return f"{n_of_m(capacity - taken, capacity)} left"


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
        return places_text(self.taken, self.capacity)


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


def entitlement_line(*, kind: str, item_id: uuid.UUID, member_id: uuid.UUID) -> str:
    """ "2 of 4 recovery sessions used this week": the member's use of the entitlement that booking
    this item would count against (its kind and period), or "" without a limit. One query."""
    with connection.cursor() as cursor:
        cursor.execute(
            "select used, quota, period from app_private.entitlement_use(%s, %s, %s)", [kind, item_id, member_id]
        )
        used, quota, period = cursor.fetchone()
    return f"{n_of_m(used, quota)} {ENTITLEMENT_UNITS[kind]} used this {period}" if quota is not None else ""


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
    entitlement = entitlement_line(kind=kind, item_id=items[0].id, member_id=member_id) if items else ""
    for item in items:
        item.nearby = [
            f"{title} {other_start.astimezone(zone):%H:%M}"
            for title, other_start, other_end in theirs
            if other_start < item.ends_at + NEARBY
            and other_end > item.starts_at - NEARBY
            and not (other_start == item.starts_at and title == item.title)
        ]
    return DaySchedule(items=items, entitlement=entitlement)


class GridState:
    FREE = "free"
    FULL = "full"
    CLOSED = "closed"
    STARTED = "started"
    OVER = "over"


GRID_TEXT = {GridState.FULL: "Full", GridState.CLOSED: "Closed", GridState.STARTED: "Started", GridState.OVER: "Over"}


@dataclass(frozen=True)
class GridCell:
    """One facility's slot at one time of the grid."""

    item_id: uuid.UUID
    facility: str
    state: str  # GridState
    text: str  # "3 left", "Full", "Closed", "Started", "Over"
    time: str  # "10:00–10:30" on the branch's clock ("01:30–02:00 EST" when the day needs the label)
    places: str  # "3 of 4 left", "4 of 4 taken"
    closed_reason: str  # "under maintenance", "closed", or ""
    member_status: str  # the chosen member's own booking of it ("confirmed", "waitlisted"), or ""
    clash: (
        str  # the chosen member's confirmed booking of another item at an overlapping time ("Yoga 10:00–11:00"), or ""
    )

    @property
    def label(self) -> str:
        """ "Sauna, 10:00–10:30: 3 of 4 left": the cell said in full."""
        return f"{self.facility}, {self.time}: {self.places}"


@dataclass(frozen=True)
class GridRow:
    time: str  # "10:00", or "01:30 EST" when the day needs the label
    cells: list[GridCell | None]  # one per column: None where that facility has no slot starting then
    is_over: bool  # every slot of the row is over


@dataclass(frozen=True)
class NextFree:
    item_id: uuid.UUID
    day: datetime.date  # its day on the branch's calendar
    when: str  # "10:30" on the grid's day, "Wed 3 Dec, 07:00" on another


@dataclass(frozen=True)
class GridColumn:
    facility_id: uuid.UUID
    name: str
    closed_reason: str  # "closed", "under maintenance", or ""
    shape: str  # "30 min · 4 places" when every slot of the day is alike, else ""
    next_free: NextFree | None


@dataclass(frozen=True)
class FacilityGrid:
    day: datetime.date
    zone_label: str  # "EST", or "EDT, then EST" on the day the clocks change
    columns: list[GridColumn]
    rows: list[GridRow]
    member_day: list[str]  # the chosen member's confirmed bookings that day: "Yoga 10:00–11:00"

    @property
    def any_item_id(self) -> uuid.UUID | None:
        """A slot of the day, for what depends on the day only (the entitlement's period)."""
        return next((cell.item_id for row in self.rows for cell in row.cells if cell), None)

    @property
    def over(self) -> int:
        """Slots in rows that are over."""
        return sum(1 for row in self.rows if row.is_over for cell in row.cells if cell)


def _facility_state(facility) -> str:
    return "closed" if not facility.is_active else "under maintenance" if facility.under_maintenance else ""


def _grid_state(item, taken: int, now: datetime.datetime) -> str:
    if item.ends_at <= now:
        return GridState.OVER
    if item.starts_at <= now:
        return GridState.STARTED
    if item.closed_reason is not None:
        return GridState.CLOSED
    return GridState.FULL if taken >= item.capacity else GridState.FREE


def _shape(items: list) -> str:
    shapes = {(item.ends_at - item.starts_at, item.capacity) for item in items}
    if len(shapes) != 1:
        return ""
    length, capacity = shapes.pop()
    return f"{int(length.total_seconds() // 60)} min · {capacity} place{'s' if capacity != 1 else ''}"


def _facilities_with_next_free(branch: Branch, since: datetime.datetime, member_id: uuid.UUID | None) -> list[Facility]:
    """The branch's facilities, each with its next free slot from `since` (next_free_id and
    next_free_at, None when there is none) as the engine says (app_private.next_free_slots, by the
    same rules a booking meets). One query."""
    return list(
        Facility.objects.raw(
            f"""select f.*, n.slot_id as next_free_id, n.starts_at as next_free_at
            from {Facility._meta.db_table} f
            left join app_private.next_free_slots(%s, %s, %s) n on n.facility_id = f.id
            where f.branch_id = %s
            order by f.name, f.id""",
            [branch.pk, since, member_id, branch.pk],
        )
    )


def facility_grid(
    *,
    branch: Branch,
    day: datetime.date,
    now: datetime.datetime | None = None,
    member_id: uuid.UUID | None = None,
) -> FacilityGrid:
    """The branch's recovery facilities on a day of its calendar: a column per facility (with its
    next free place from the day's start, or from now on today), a row per start time of a slot
    (the union over facilities, whose slot lengths may differ), a cell per slot with places left or
    why it cannot be booked. With `member_id`, the member's own bookings are marked.

    Three queries whatever the number of facilities and slots (four with a member): the facilities
    with their next free place, the day's slots, and their bookings counted in one grouped query
    (the relation's places_taken, a count per row, is left out)."""
    now = now or timezone.now()
    zone = branch.zone
    start, end = local_day_bounds(day, zone)
    # The organization too: the slots' index on (organization, starts_at) finds the day's.
    of_branch = {"organization_id": branch.organization_id, "branch_id": branch.pk}
    facilities = _facilities_with_next_free(branch, max(start, now), member_id)
    items = list(
        BookableItem.objects.filter(kind="slot", **of_branch, starts_at__gte=start, starts_at__lt=end)
        .order_by("starts_at", "id")
        .values_list("id", "facility_id", "starts_at", "ends_at", "capacity", "closed_reason", named=True)
    )
    live = ItemBooking.objects.filter(kind="slot", **of_branch, starts_at__gte=start, starts_at__lt=end)
    counts = {
        row["item_id"]: row
        for row in live.exclude(status=BookingStatus.CANCELLED)
        .values("item_id")
        .order_by()
        .annotate(
            taken=Count("id", filter=Q(status__in=PLACE_HOLDING_STATUSES)),
            own=Max("status", filter=Q(member_id=member_id)) if member_id else Value(None, CharField()),
        )
    }

    # On the day the clocks change, a reading may happen twice: times say which when the day's
    # slots fall on both sides of the change.
    labelled = (
        localtime.clocks_change_on(day, zone)
        and len({localtime.zone_label(localtime.at(item.starts_at, zone)) for item in items}) > 1
    )
    by_facility: dict[uuid.UUID, list] = {}
    for item in items:
        by_facility.setdefault(item.facility_id, []).append(item)
    # A closed facility's column stays while it still has slots that day; one retired for good goes.
    columns = [
        GridColumn(
            facility_id=facility.pk,
            name=facility.name,
            closed_reason=_facility_state(facility),
            shape=_shape(by_facility.get(facility.pk, [])),
            next_free=_next_free(facility, day, zone, labelled),
        )
        for facility in facilities
        if facility.is_active or facility.pk in by_facility
    ]
    member_day = _member_day(member_id, start, end) if member_id else []
    return FacilityGrid(
        day=day,
        zone_label=localtime.day_label(day, zone),
        columns=columns,
        rows=_grid_rows(items, columns, counts, member_day, now=now, zone=zone, labelled=labelled),
        member_day=[booking.text for booking in member_day],
    )


def _grid_rows(
    items: list,
    columns: list[GridColumn],
    counts: dict,
    member_day: list[MemberDayBooking],
    *,
    now,
    zone,
    labelled: bool,
) -> list[GridRow]:
    """A row per start time, earliest first (`items` are), a cell per column."""
    place = {column.facility_id: index for index, column in enumerate(columns)}
    # Facilities share start and end times: each is read off the clock once.
    time_range = functools.cache(lambda start, end: localtime.time_range(start, end, zone, labelled=labelled))
    rows: dict[datetime.datetime, list[GridCell | None]] = {}
    ends: dict[datetime.datetime, datetime.datetime] = {}
    for item in items:
        count = counts.get(item.id, {})
        taken = count.get("taken", 0)
        state = _grid_state(item, taken, now)
        column = columns[place[item.facility_id]]
        rows.setdefault(item.starts_at, [None] * len(columns))[place[item.facility_id]] = GridCell(
            item_id=item.id,
            facility=column.name,
            state=state,
            text=f"{max(item.capacity - taken, 0)} left" if state == GridState.FREE else GRID_TEXT[state],
            time=time_range(item.starts_at, item.ends_at),
            places=places_text(taken, item.capacity),
            closed_reason=column.closed_reason or (item.closed_reason or ""),
            member_status=BookingStatus(count["own"]).label.lower() if count.get("own") else "",
            # the engine's "overlapping" rule: another item's confirmed booking that overlaps
            clash=next(
                (
                    booking.text
                    for booking in member_day
                    if booking.item_id != item.id
                    and booking.starts_at < item.ends_at
                    and booking.ends_at > item.starts_at
                ),
                "",
            ),
        )
        ends[item.starts_at] = max(ends.get(item.starts_at, item.ends_at), item.ends_at)
    return [
        GridRow(time=_row_time(starts_at, zone, labelled), cells=cells, is_over=ends[starts_at] <= now)
        for starts_at, cells in rows.items()
    ]


def _row_time(starts_at: datetime.datetime, zone, labelled: bool) -> str:
    text = localtime.local_time(starts_at, zone)
    return f"{text} {localtime.zone_label(localtime.at(starts_at, zone))}" if labelled else text


def _next_free(facility, day: datetime.date, zone, labelled: bool) -> NextFree | None:
    if facility.next_free_id is None:
        return None
    local = localtime.at(facility.next_free_at, zone)
    if local.date() == day:
        when = _row_time(facility.next_free_at, zone, labelled)
    else:
        when = f"{formats.date_format(local, 'D j M')}, {localtime.local_time(local, zone)}"
    return NextFree(item_id=facility.next_free_id, day=local.date(), when=when)


@dataclass(frozen=True)
class MemberDayBooking:
    item_id: uuid.UUID
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    text: str  # "Yoga 10:00–11:00" on the item's branch's clock


def _member_day(member_id: uuid.UUID, start: datetime.datetime, end: datetime.datetime) -> list[MemberDayBooking]:
    """What the member has booked (confirmed) that day, of every kind, earliest first: one query.
    Those overlapping the day, so that one over midnight clashes with the day's first slots too."""
    bookings = ItemBooking.objects.filter(
        member_id=member_id, status=BookingStatus.CONFIRMED, starts_at__lt=end, ends_at__gt=start
    ).order_by("starts_at", "title")
    return [
        MemberDayBooking(
            item_id=booking.item_id,
            starts_at=booking.starts_at,
            ends_at=booking.ends_at,
            text=f"{booking.title} {localtime.time_range(booking.starts_at, booking.ends_at, booking.time_zone)}",
        )
        for booking in bookings.only("item_id", "title", "starts_at", "ends_at", "time_zone")
    ]


@dataclass(frozen=True)
class ClosureBooking:
    """A booking of something a closure covers, with what staff need to tell the member."""

    booking_id: uuid.UUID
    kind: str
    status: str
    title: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    member_id: uuid.UUID
    member_name: str
    member_number: str
    phone: str
    email: str

    @property
    def live(self) -> bool:
        return self.status != BookingStatus.CANCELLED

    @property
    def status_label(self) -> str:
        return {BookingStatus.WAITLISTED: "On the waitlist", BookingStatus.CANCELLED: "Cancelled"}.get(
            self.status, "Booked"
        )


def closure_bookings(*, closure_id: uuid.UUID) -> list[ClosureBooking]:
    """The bookings of the slots and classes a closure covers that have not started, in time order,
    with the members' contacts: live ones (confirmed or waitlisted) and those cancelled since the
    closure was made (the members to tell). One query, through the engine's own list of what a
    closure covers (app_private.closure_items)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            select b.id, b.kind, b.status, b.title, b.starts_at, b.ends_at, m.id,
                   m.first_name || ' ' || m.last_name, m.member_number, m.phone, m.email
            from public.closures closure
            cross join lateral app_private.closure_items(closure.id) i
            cross join lateral (
                select lb.id, lb.kind, lb.status, lb.title, lb.starts_at, lb.ends_at, lb.member_id
                from app_private.item_bookings lb
                where lb.kind = i.kind and lb.item_id = i.item_id
                  and (lb.status in ('confirmed', 'waitlisted') or lb.cancelled_at >= closure.created_at)
            ) b
            join public.members m on m.id = b.member_id
            where closure.id = %s and i.starts_at > now()
            order by b.starts_at, b.title, b.status, m.last_name, m.first_name
            """,
            [closure_id],
        )
        return [ClosureBooking(*row) for row in cursor.fetchall()]
