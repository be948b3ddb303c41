"""What the managers' reports read: one SQL aggregate per report, grouped in the database.

Each report covers the slots and classes of one branch that start within a period (the branch's
days); weekdays, hours and weeks are read on the branch's clock (`at time zone` the branch's
zone), so a 07:00 class is in the 07 hour in winter and in summer. The figures come from the base
tables (slots, classes and their bookings, the audit trail for waitlists), each item's bookings
counted on the item's own index. GROUPING SETS give, in the same statement, each subject's totals
and the branch's totals beside the finest rows, so a page never adds figures up in Python: it only
picks the rows it shows.

A subject is a facility (its slots) or a class title (every class of that title at the branch).
Cancelled classes offered no place: utilisation and attendance leave them out; the waitlists and
overrides they had still count.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.db import connection

from bookings.models import PLACE_HOLDING_STATUSES
from reports.periods import Period

FACILITY, CLASS = "facility", "class"
KIND_LABELS = {FACILITY: "Facility", CLASS: "Class"}
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


@dataclass(frozen=True, order=True)
class Subject:
    """A facility (by its name, unique at a branch) or a class title."""

    kind: str  # FACILITY or CLASS
    name: str

    @property
    def key(self) -> str:
        """What `?subject=` carries: "facility:Sauna", "class:Spin"."""
        return f"{self.kind}:{self.name}"

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @classmethod
    def from_key(cls, key: str | None) -> Subject | None:
        kind, _, name = (key or "").partition(":")
        return cls(kind, name) if kind in KIND_LABELS and name else None


def _subject(kind: str | None, name: str | None) -> Subject | None:
    return Subject(kind, name) if kind is not None else None


def _rows(sql: str, params: dict) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _params(period: Period, **more) -> dict:
    return {
        "branch": period.branch.pk,
        "zone": period.branch.time_zone,
        "start": period.start,
        "end": period.end,
        "first": period.first,
        **more,
    }


# The items of the branch that start in the period, each with its bookings counted on the item's own
# index (bookings' (item, organization) key). `{counts}` is the list of counts, over `b`, a booking.
# A facility's slots are read on their (facility, start) key, one range per facility (OFFSET 0 keeps
# the planner from flattening that into a scan of every slot). Cancelled classes are left out.
# A slot or class a closure covered when it started (not reopened before then) was not offered.
_CLOSED = """not exists (
        select from closures cl
        where cl.branch_id = %(branch)s and cl.ends_at > {item}.starts_at and cl.starts_at < {item}.ends_at
          and (cl.reopened_at is null or cl.reopened_at > {item}.starts_at)
          and app_private.closure_covers(cl, {facility}, {room}))"""
_ITEMS = f"""
    select 'facility'::text as kind, f.name::text as subject, s.starts_at, s.capacity::integer as capacity, n.*
    from facilities f
    cross join lateral (select s.id, s.starts_at, s.ends_at, s.capacity from benefit_slots s
                        where s.facility_id = f.id and s.starts_at >= %(start)s and s.starts_at < %(end)s offset 0) s
    cross join lateral (select {{counts}} from benefit_bookings b where b.slot_id = s.id) n
    where f.branch_id = %(branch)s and {_CLOSED.format(item="s", facility="f.id", room="null")}
    union all
    select 'class'::text, c.title::text, c.starts_at, c.capacity::integer, n.*
    from classes c
    cross join lateral (select {{counts}} from class_bookings b where b.class_id = c.id) n
    where c.branch_id = %(branch)s and c.starts_at >= %(start)s and c.starts_at < %(end)s and not c.is_cancelled
      and {_CLOSED.format(item="c", facility="null", room="c.room")}
"""


# --- 1. Utilisation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    """Places offered and used in a set of slots and classes."""

    sessions: int = 0
    places: int = 0
    booked: int = 0  # bookings holding a place (confirmed, attended, no-show)
    attended: int = 0

    @property
    def booked_share(self) -> float | None:
        return self.booked / self.places if self.places else None

    @property
    def attended_share(self) -> float | None:
        return self.attended / self.places if self.places else None


@dataclass(frozen=True)
class Utilisation:
    period: Period
    # (subject, ISO weekday, hour on the branch's clock) -> usage; subject None: every subject
    cells: dict[tuple[Subject | None, int, int], Usage]
    subjects: dict[Subject, Usage]  # each subject over the period, facilities first, by name
    total: Usage

    def cells_of(self, subject: Subject | None) -> dict[tuple[int, int], Usage]:
        return {(day, hour): usage for (who, day, hour), usage in self.cells.items() if who == subject}

    @property
    def hours(self) -> range:
        """From the earliest hour anything starts to the latest, on the branch's clock."""
        hours = [hour for (who, _, hour) in self.cells if who is None]
        return range(min(hours), max(hours) + 1) if hours else range(0)


UTILISATION_SQL = f"""
    select kind, subject, dow, hour, count(*)::integer, coalesce(sum(capacity), 0)::integer,
           coalesce(sum(booked), 0)::integer, coalesce(sum(attended), 0)::integer
    from (
        select i.kind, i.subject, i.capacity, i.booked, i.attended,
               extract(isodow from i.starts_at at time zone %(zone)s)::integer as dow,
               extract(hour from i.starts_at at time zone %(zone)s)::integer as hour
        from ({
    _ITEMS.format(
        counts="count(*) filter (where b.status = any(%(holding)s)) as booked,"
        " count(*) filter (where b.status = 'attended') as attended"
    )
}) i
    ) i
    group by grouping sets ((kind, subject, dow, hour), (kind, subject), (dow, hour), ())
"""


def utilisation(period: Period) -> Utilisation:
    """Places offered, booked and attended by subject, weekday and hour: one query."""
    cells, subjects, total = {}, {}, Usage()
    holding = [str(status) for status in PLACE_HOLDING_STATUSES]
    for kind, name, day, hour, sessions, places, booked, attended in _rows(
        UTILISATION_SQL, _params(period, holding=holding)
    ):
        usage = Usage(sessions, places, booked, attended)
        if day is not None:
            cells[(_subject(kind, name), day, hour)] = usage
        elif kind is not None:
            subjects[Subject(kind, name)] = usage
        else:
            total = usage
    return Utilisation(period, cells, dict(sorted(subjects.items())), total)


# --- 2. Attendance ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcomes:
    """What became of the places booked: each booking that still held its place inside the
    cancellation cutoff, by how it ended."""

    attended: int = 0
    no_show: int = 0
    late_cancelled: int = 0
    not_marked: int = 0  # still confirmed: nobody checked them in or marked a no-show (yet)

    @property
    def booked(self) -> int:
        return self.attended + self.no_show + self.late_cancelled + self.not_marked

    def share(self, count: int) -> float | None:
        return count / self.booked if self.booked else None


@dataclass(frozen=True)
class Week:
    number: int  # 0 for the period's first seven days
    first: datetime.date
    last: datetime.date


@dataclass(frozen=True)
class Attendance:
    period: Period
    weeks: list[Week]
    by_week: dict[tuple[Subject | None, int], Outcomes]  # subject None: every subject
    subjects: dict[Subject, Outcomes]
    total: Outcomes

    def weeks_of(self, subject: Subject | None) -> list[tuple[Week, Outcomes]]:
        return [(week, self.by_week.get((subject, week.number), Outcomes())) for week in self.weeks]


def weeks_of(period: Period) -> list[Week]:
    """Seven-day weeks from the period's first day (the last may be shorter)."""
    weeks, first, number = [], period.first, 0
    while first <= period.last:
        weeks.append(Week(number, first, min(first + datetime.timedelta(days=6), period.last)))
        first += datetime.timedelta(days=7)
        number += 1
    return weeks


ATTENDANCE_SQL = f"""
    select kind, subject, week, sum(attended)::integer, sum(no_show)::integer, sum(late)::integer,
           sum(unmarked)::integer
    from (
        select i.kind, i.subject, i.attended, i.no_show, i.late, i.unmarked,
               ((i.starts_at at time zone %(zone)s)::date - %(first)s::date) / 7 as week
        from ({
    _ITEMS.format(
        counts="count(*) filter (where b.status = 'attended') as attended,"
        " count(*) filter (where b.status = 'no_show') as no_show,"
        " count(*) filter (where b.status = 'cancelled' and b.is_late_cancellation) as late,"
        " count(*) filter (where b.status = 'confirmed') as unmarked"
    )
}) i
    ) i
    group by grouping sets ((kind, subject, week), (kind, subject), (week), ())
    having sum(attended) + sum(no_show) + sum(late) + sum(unmarked) > 0
"""


def attendance(period: Period) -> Attendance:
    """Attended, no-show, late-cancelled and unmarked bookings by subject and week: one query."""
    by_week, subjects, total = {}, {}, Outcomes()
    for kind, name, week, attended, no_show, late, unmarked in _rows(ATTENDANCE_SQL, _params(period)):
        outcomes = Outcomes(attended, no_show, late, unmarked)
        if week is not None:
            by_week[(_subject(kind, name), week)] = outcomes
        elif kind is not None:
            subjects[Subject(kind, name)] = outcomes
        else:
            total = outcomes
    return Attendance(period, weeks_of(period), by_week, dict(sorted(subjects.items())), total)


# --- 3. Waitlists -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Waits:
    joined: int = 0
    promoted: int = 0
    left: int = 0  # cancelled while waiting
    still_waiting: int = 0  # on the waitlist when the item started (or still, when it is ahead)
    median_seconds: float | None = None  # from joining to promotion, over those promoted
    average_seconds: float | None = None

    @property
    def never_promoted(self) -> int:
        return self.joined - self.promoted

    @property
    def promoted_share(self) -> float | None:
        return self.promoted / self.joined if self.joined else None


@dataclass(frozen=True)
class Waitlists:
    period: Period
    subjects: dict[Subject, Waits]
    total: Waits


# Who joined a waitlist is the audit trail's: a booking that waited keeps no mark of it once
# promoted. Every waitlist place, the engine's or a direct insert's, has a `booking.waitlisted`
# entry (the booking as its entity, the item's branch), and a promotion a
# `booking.waitlist_promoted` one. The branch's waitlist entries come from reports' partial index
# of those entries alone (not bounded by time: an entry's moment says when the place was taken, not
# when its item starts, and data moved in time, a demo's, keeps its entries' moments); each
# finds its booking and item by their keys (LATERAL: one probe each, whatever the planner guesses
# of a join on a cast), and the item says whether it is in the period. The entry's entity is
# always the booking's uuid (the engine and the direct-insert trigger write it). Joined at: the
# booking's creation (a waitlist place is a booking from the start).
WAITLISTS_SQL = """
    with waits as (
        select w.kind, w.subject, w.status, w.created_at, j.entity_id
        from audit_logs j
        cross join lateral (
            select 'facility'::text as kind, f.name::text as subject, b.status, b.created_at
            from benefit_bookings b
            join benefit_slots s on s.id = b.slot_id
            join facilities f on f.id = s.facility_id
            where b.id = j.entity_id::uuid and s.starts_at >= %(start)s and s.starts_at < %(end)s
            union all
            select 'class'::text, c.title::text, b.status, b.created_at
            from class_bookings b
            join classes c on c.id = b.class_id
            where b.id = j.entity_id::uuid and c.starts_at >= %(start)s and c.starts_at < %(end)s
        ) w
        where j.action = 'booking.waitlisted' and j.branch_id = %(branch)s
    ), promotions as (
        select w.*, extract(epoch from p.promoted_at - w.created_at)::float8 as wait
        from waits w
        left join lateral (
            select min(p.occurred_at) as promoted_at from audit_logs p
            where p.action = 'booking.waitlist_promoted' and p.entity_id = w.entity_id
        ) p on true
    )
    select kind, subject, count(*)::integer, count(wait)::integer,
           count(*) filter (where wait is null and status = 'cancelled')::integer,
           count(*) filter (where wait is null and status = 'waitlisted')::integer,
           percentile_cont(0.5) within group (order by wait), avg(wait)
    from promotions
    group by grouping sets ((kind, subject), ())
"""


def waitlists(period: Period) -> Waitlists:
    """Joined, promoted, left and still waiting, and the time to promotion, by subject: one query."""
    subjects, total = {}, Waits()
    for kind, name, joined, promoted, left, waiting, median, average in _rows(WAITLISTS_SQL, _params(period)):
        waits = Waits(joined, promoted, left, waiting, median, average)
        if kind is not None:
            subjects[Subject(kind, name)] = waits
        else:
            total = waits
    return Waitlists(period, dict(sorted(subjects.items())), total)


# --- 4. Overrides -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OverrideFigures:
    overrides: int = 0
    beyond_capacity: int = 0  # those that set capacity aside
    entitlement_only: int = 0
    places_beyond: int = 0  # over all that set capacity aside: "11 of 10" is one place beyond
    most_beyond: int | None = None
    notes: list[str] = field(default_factory=list)  # the latest few different ones, newest first

    @property
    def average_beyond(self) -> float | None:
        return self.places_beyond / self.beyond_capacity if self.beyond_capacity else None


@dataclass(frozen=True)
class StaffOverrides:
    user_id: int | None
    name: str
    figures: OverrideFigures
    by_reason: dict[str, OverrideFigures]  # reason code -> figures, most used first


@dataclass(frozen=True)
class Overrides:
    period: Period
    staff: list[StaffOverrides]  # most overrides first
    total: OverrideFigures

    def __iter__(self) -> Iterator[StaffOverrides]:
        return iter(self.staff)


NOTES_SHOWN = 3
NOTES_READ = 12  # the newest notes read, of which the first NOTES_SHOWN different ones are shown
NO_STAFF = "A deleted staff user"

# Overrides are few: found on reports' partial indexes of the bookings that overrode, by item.
OVERRIDES_SQL = """
    with overrides as (
        select b.booked_by_user_id, b.override_reason_code, b.override_reason, b.created_at,
               'capacity' = any(b.overridden_rules) as over_capacity,
               b.places_taken_before + 1 - b.capacity_at_booking as beyond
        from facilities f
        join benefit_slots s on s.facility_id = f.id and s.starts_at >= %(start)s and s.starts_at < %(end)s
        join benefit_bookings b on b.slot_id = s.id and b.capacity_override
        where f.branch_id = %(branch)s
        union all
        select b.booked_by_user_id, b.override_reason_code, b.override_reason, b.created_at,
               'capacity' = any(b.overridden_rules), b.places_taken_before + 1 - b.capacity_at_booking
        from classes c
        join class_bookings b on b.class_id = c.id and b.capacity_override
        where c.branch_id = %(branch)s and c.starts_at >= %(start)s and c.starts_at < %(end)s
    )
    select grouping(o.booked_by_user_id) = 1 as everyone, grouping(o.override_reason_code) = 1 as all_reasons,
           o.booked_by_user_id, u.first_name, u.last_name, u.username, o.override_reason_code,
           count(*)::integer, (count(*) filter (where o.over_capacity))::integer,
           (count(*) filter (where not o.over_capacity))::integer,
           coalesce(sum(o.beyond) filter (where o.over_capacity), 0)::integer,
           max(o.beyond) filter (where o.over_capacity),
           (array_agg(o.override_reason order by o.created_at desc))[1:%(notes)s]
    from overrides o
    left join auth_user u on u.id = o.booked_by_user_id
    group by grouping sets ((o.booked_by_user_id, u.first_name, u.last_name, u.username, o.override_reason_code),
                           (o.booked_by_user_id, u.first_name, u.last_name, u.username), ())
"""


def _staff_name(user_id, first_name, last_name, username) -> str:
    if user_id is None or username is None:
        return NO_STAFF
    return f"{first_name} {last_name}".strip() or username


def overrides(period: Period) -> Overrides:
    """Overrides per staff member and reason, how far beyond capacity, the latest notes: one query."""
    staff: dict[int | None, StaffOverrides] = {}
    reasons: dict[int | None, dict[str, OverrideFigures]] = {}
    total = OverrideFigures()
    for everyone, all_reasons, user_id, first, last, username, reason, *figures in _rows(
        OVERRIDES_SQL, _params(period, notes=NOTES_READ)
    ):
        count, beyond_capacity, entitlement_only, places_beyond, most_beyond, notes = figures
        notes = list(dict.fromkeys(notes or []))[:NOTES_SHOWN]
        numbers = OverrideFigures(count, beyond_capacity, entitlement_only, places_beyond, most_beyond, notes)
        if everyone:
            total = numbers
        elif all_reasons:
            name = _staff_name(user_id, first, last, username)
            staff[user_id] = StaffOverrides(user_id, name, numbers, reasons.setdefault(user_id, {}))
        else:
            reasons.setdefault(user_id, {})[reason] = numbers
    rows = []
    for row in staff.values():
        by_reason = dict(sorted(reasons[row.user_id].items(), key=lambda item: (-item[1].overrides, item[0])))
        rows.append(StaffOverrides(row.user_id, row.name, row.figures, by_reason))
    rows.sort(key=lambda row: (-row.figures.overrides, row.name))
    return Overrides(period, rows, total)
