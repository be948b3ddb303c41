"""The demo club's past: the four weeks before today at each branch, so that every report and
screen has something to show on `make run`.

The classes and recovery slots of those weeks are made by the generators, as the nightly run made
them (the classes from the timetable, each with its entry and day). Their bookings are what such
weeks leave behind: the early spin and the evening classes full with waitlists, lunchtimes half
full, the saunas busy before and after work and quiet in the afternoon; most members attended,
some did not come, some cancelled in time and some late, waitlisted members moved up when a place
freed (others never did), and the manager booked a few beyond capacity, with a reason.

How the past is written. The booking engine books only what is still to come: the rules trigger
judges every insert against PostgreSQL's clock (CB003, "started"), and nothing a session sets
turns that off. There is no honest way to book at a moment in the past through it, and the
engine has no switch for one. So the demo writes its past as a restore writes rows, as the owner
of the tables, in one transaction that

1. locks both booking tables (one load at a time, nobody books meanwhile);
2. plans every booking in Python, keeping the engine's rules as they stood at each moment: places
   up to the capacity, a waitlist only when full and promoted in order, in the same moment, when a
   confirmed place is cancelled before the start; a late cancellation after the item's cutoff;
   check-in from an hour before, a no-show only after the start; no member booked twice at one
   time or beyond their entitlement's week or month; overrides only by the manager, with a reason,
   recording the capacity and the places taken before;
3. turns off the two triggers that judge and audit a new booking row (`<table>_rules` and
   `<table>_audit_direct`, with ALTER TABLE, which only the owner may), inserts the rows with
   their own times, and turns both on again before it commits: no other session ever sees them
   off, and a failure rolls the whole load back with them on;
4. writes the audit entries the engine would have written at each moment, with that moment as
   their `occurred_at` and the engine's actions and values. `seal_audit` chains them like any other
   entry: the queue is sealed in `occurred_at` order, so on a first load the past comes first;
   entries for days added by a later load are chained after what is already sealed, which the
   chain allows (it proves order of sealing, not of occurrence), so `verify_audit` passes.

Idempotent: only items with no booking at all are planned, and a plan is drawn from the item's
own seed; a second load finds every planned item booked, and an item planned empty plans empty
again (more bookings only leave fewer members free), so it adds nothing. A load on a later day
adds the days that have come into the four weeks since.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime
import json
import math
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from audit.models import AuditAction, AuditSource
from audit.services import Actor
from bookings.models import PLACE_HOLDING_STATUSES, BookingChannel, BookingStatus, OverrideReason
from classes.services import classes_ensure
from clubs.models import Branch, Organization, local_day_bounds
from config.rules import n_of_m
from demo.seed import STAFF_LOGINS, TIMETABLE, demo_key, timetable_key
from facilities.models import FacilityKind
from facilities.services import slots_ensure
from members.models import Entitlement, Member, MemberStatus

HISTORY_DAYS = 28
ACTOR = "seed_demo"
TABLES = {"slot": ("benefit_bookings", "slot_id"), "class": ("class_bookings", "class_id")}
LOADED_TABLES = ["public.benefit_slots", "public.classes", "public.benefit_bookings", "public.class_bookings",
                 "public.audit_logs", "public.audit_pending"]  # fmt: skip

# How many members want a recovery slot, as a share of its places, by the hour it starts (local):
# busy before and after work, quiet in the afternoon; weekends busy in the morning.
WEEKDAY_SHARES = [(6.5, 0.12), (7, 0.22), (9, 0.48), (12, 0.05), (14, 0.1), (17, 0.02), (17.5, 0.15), (20, 0.48),
                  (21, 0.08), (24, 0.04)]  # fmt: skip
WEEKEND_SHARES = [(8, 0.04), (12, 0.3), (14, 0.15), (17, 0.05), (20, 0.12), (24, 0.03)]
FACILITY_FACTORS = {FacilityKind.SAUNA: 1.0, FacilityKind.STEAM_ROOM: 0.8, FacilityKind.COLD_PLUNGE: 1.0}
OTHER_FACILITY_FACTOR = 0.7
ONE_OFF_DEMAND = (0.5, 0.85)  # a class not in the demo's timetable
# What becomes of a confirmed booking (cumulative shares): cancelled in time, cancelled late,
# not attended; the rest attended.
CANCELLED_IN_TIME, CANCELLED_LATE, NO_SHOW = 0.07, 0.105, 0.165
JOINS_WAITLIST, LEAVES_WAITLIST, PROMOTED_NO_SHOW = 0.85, 0.2, 0.12
BOOKS_IN_APP = 0.85  # of members with the app; the others book at the desk
CANCELS_IN_APP = 0.75
# A manager's override on an item that ended full, and a second one on the same item.
OVERRIDE_SHARE = {"class": 0.1, "slot": 0.015}
SECOND_OVERRIDE = 0.25
OVERRIDES = {
    "class": [
        (OverrideReason.VIP, "Guest of the owner, promised a place"),
        (OverrideReason.SERVICE_RECOVERY, "Her class was cancelled last week; promised her the next one"),
        (OverrideReason.STAFF_ERROR, "Booked at the desk but not saved; he had the confirmation email"),
        (OverrideReason.MANAGER_DISCRETION, "Regular, away from tomorrow; last chance this week"),
    ],
    "slot": [
        (OverrideReason.MEDICAL, "Physio referral: contrast therapy after knee surgery"),
        (OverrideReason.VIP, "Visiting coach, guest of the club"),
        (OverrideReason.SERVICE_RECOVERY, "The sauna was cold on his last visit"),
    ],
}
ACTIVITY = [0.25, 0.5, 1, 1, 1.5, 2, 3]  # how often a member comes, relative to others
LONGEST_ITEM = datetime.timedelta(hours=24)


@dataclass
class HistorySummary:
    days: int = HISTORY_DAYS
    branches: int = 0
    classes: int = 0
    slots: int = 0
    bookings: int = 0
    entries: int = 0
    outcomes: Counter = field(default_factory=Counter)

    def sentence(self) -> str:
        if not self.bookings:
            return f"History: the {self.days} days before today are there already; nothing added."
        said = self.outcomes
        return (
            f"History: the {self.days} days before today at {self.branches} branches, {self.classes} classes and "
            f"{self.slots} recovery slots given {self.bookings} bookings ({said['attended']} attended, "
            f"{said['no_show']} no-shows, {said['late']} late cancellations, {said['in_time']} cancelled in time, "
            f"{said['joined_waitlist']} joined a waitlist: {said['promoted']} moved up, "
            f"{said['never_promoted']} never; {said['override']} capacity overrides) and {self.entries} audit "
            "entries dated when each happened."
        )


@dataclass
class Person:
    id: uuid.UUID
    actor: Actor | None  # in the member app; None: books at the desk
    weight: float


@dataclass
class Item:
    kind: str
    id: uuid.UUID
    organization_id: uuid.UUID
    branch_id: uuid.UUID
    zone: datetime.tzinfo
    title: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    capacity: int
    cutoff: datetime.timedelta
    wanted: float  # members wanting a place, on average
    seed: str  # its plan's: the branch, what and when (not the id, which each database draws anew)

    @property
    def benefit_kind(self) -> str:
        return "recovery" if self.kind == "slot" else "class"


@dataclass
class Booking:
    id: uuid.UUID
    item: Item
    person: Person
    created_at: datetime.datetime
    created_by: Actor
    source: str
    channel: str
    booked_by: int | None
    waitlisted: bool = False  # when it was made
    status: str = BookingStatus.CONFIRMED
    fate: str = "attended"  # attended, no_show, in_time, late (cancelled)
    cancel_at: datetime.datetime | None = None
    cancelled_at: datetime.datetime | None = None
    late: bool = False
    cancelled_by: tuple[Actor, str, str] | None = None  # actor, source, reason
    promoted: tuple[datetime.datetime, Booking] | None = None  # when, and the cancellation that freed it
    marked_at: datetime.datetime | None = None  # checked in or marked no-show
    marked_by: Actor | None = None
    override: tuple[str, str, int] | None = None  # reason code, note, places taken before

    @property
    def changed_at(self) -> datetime.datetime:
        times = [self.created_at, self.cancelled_at, self.marked_at, self.promoted and self.promoted[0]]
        return max(time for time in times if time)


class Calendar:
    """Each member's bookings that hold a place, for two of the engine's rules: no two at
    overlapping times, and no more than the entitlement's quota in its week or month (counted on
    the calendar of the item's branch, as app_private.entitlement_period_use counts)."""

    def __init__(self, entitlements: dict[tuple[uuid.UUID, str], tuple[int, str]]):
        self.entitlements = entitlements
        self.times: dict[uuid.UUID, list[tuple[datetime.datetime, datetime.datetime]]] = {}
        self.starts: dict[tuple[uuid.UUID, str], list[datetime.datetime]] = {}
        self._periods: dict = {}

    def add(self, member_id: uuid.UUID, benefit_kind: str, starts_at, ends_at) -> None:
        bisect.insort(self.times.setdefault(member_id, []), (starts_at, ends_at))
        bisect.insort(self.starts.setdefault((member_id, benefit_kind), []), starts_at)

    def may_book(self, member_id: uuid.UUID, item: Item) -> bool:
        times = self.times.get(member_id, [])
        index = bisect.bisect_left(times, (item.ends_at,))
        while index > 0 and times[index - 1][0] > item.starts_at - LONGEST_ITEM:
            index -= 1
            if times[index][1] > item.starts_at:
                return False
        entitlement = self.entitlements.get((member_id, item.benefit_kind))
        if entitlement is None:
            return True
        quota, period = entitlement
        first, last = self._period(item, period)
        starts = self.starts.get((member_id, item.benefit_kind), [])
        return bisect.bisect_left(starts, last) - bisect.bisect_left(starts, first) < quota

    def _period(self, item: Item, period: str) -> tuple[datetime.datetime, datetime.datetime]:
        day = item.starts_at.astimezone(item.zone).date()
        key = (item.zone, period, day)
        if key not in self._periods:
            if period == "week":
                first = day - datetime.timedelta(days=day.weekday())
                last = first + datetime.timedelta(days=7)
            else:
                first = day.replace(day=1)
                last = (first + datetime.timedelta(days=32)).replace(day=1)
            self._periods[key] = (local_day_bounds(first, item.zone)[0], local_day_bounds(last, item.zone)[0])
        return self._periods[key]


def demo_history_seed(*, now: datetime.datetime) -> HistorySummary:
    """The four weeks before today at each demo branch (see the module's docstring)."""
    organization = Organization.objects.get(id=demo_key("organization"))
    branches = list(Branch.objects.filter(organization=organization).order_by("name"))
    users = get_user_model().objects.filter(username__in=[login[0] for login in STAFF_LOGINS])
    staff = {user.username: user for user in users}
    desk, manager = staff[STAFF_LOGINS[0][0]], staff[STAFF_LOGINS[1][0]]
    windows = {}
    for branch in branches:
        today = now.astimezone(branch.zone).date()
        first_day, last_day = today - datetime.timedelta(days=HISTORY_DAYS), today - datetime.timedelta(days=1)
        actor = Actor.system(ACTOR)
        for ensure in (classes_ensure, slots_ensure):
            ensure(
                branch_id=branch.pk, start_date=first_day, end_date=last_day, actor=actor, source=AuditSource.COMMAND
            )
        windows[branch.pk] = (local_day_bounds(first_day, branch.zone)[0], local_day_bounds(today, branch.zone)[0])

    summary = HistorySummary(branches=len(branches))
    with transaction.atomic(), connection.cursor() as cursor:
        # one load at a time, and nobody books meanwhile: what is planned below stays true
        cursor.execute("lock table public.benefit_bookings, public.class_bookings in share row exclusive mode")
        earliest = min(start for start, _ in windows.values())
        calendar = _calendar(cursor, organization, earliest - datetime.timedelta(days=32))
        bookings = []
        for branch in branches:
            pool = _people(branch)
            if not pool:
                continue
            items = _items(cursor, branch, *windows[branch.pk])
            planner = _Planner(pool, calendar, desk=desk, manager=manager)
            for item in items:
                planned = planner.plan(item)
                bookings += planned
                if planned:
                    summary.classes += item.kind == "class"
                    summary.slots += item.kind == "slot"
        if bookings:
            _write_bookings(cursor, bookings)
            summary.entries = _write_entries(cursor, bookings)
            # thousands of rows at once: the planner's statistics now, as after a restore, rather
            # than plans for empty tables until autovacuum comes by (sealing would crawl)
            cursor.execute(f"analyze {', '.join(LOADED_TABLES)}")
    summary.bookings = len(bookings)
    summary.outcomes = _outcomes(bookings)
    return summary


def _people(branch: Branch) -> list[Person]:
    """The branch's active members, each with how often they come (their own seed)."""
    members = Member.objects.filter(home_branch=branch, status=MemberStatus.ACTIVE).order_by("member_number")
    people = []
    for member in members.only("id", "auth_user_id", "first_name", "last_name", "member_number"):
        actor = Actor.member(member) if member.auth_user_id else None
        people.append(Person(member.pk, actor, random.Random(f"activity {member.member_number}").choice(ACTIVITY)))
    return people


def _calendar(cursor, organization: Organization, since: datetime.datetime) -> Calendar:
    entitlements = {
        (member_id, kind): (quota, period)
        for member_id, kind, quota, period in Entitlement.objects.filter(organization=organization).values_list(
            "member_id", "benefit_kind", "quota", "period"
        )
    }
    calendar = Calendar(entitlements)
    cursor.execute(
        """
        select b.member_id, b.benefit_kind, b.starts_at, b.ends_at from app_private.item_bookings b
        where b.organization_id = %s and b.status = any(%s) and b.ends_at > %s
        """,
        [organization.pk, [str(status) for status in PLACE_HOLDING_STATUSES], since],
    )
    for member_id, kind, starts_at, ends_at in cursor.fetchall():
        calendar.add(member_id, kind, starts_at, ends_at)
    return calendar


def _items(cursor, branch: Branch, start: datetime.datetime, end: datetime.datetime) -> list[Item]:
    """The branch's open items from `start` to `end` that nobody has booked, in order, with how
    many members usually want each."""
    demand = {timetable_key(branch, row, weekday): row.demand for row in TIMETABLE for weekday in row.weekdays}
    cursor.execute(
        """
        select i.kind, i.id, i.organization_id, i.title, i.starts_at, i.ends_at, i.capacity, i.cutoff_minutes,
               c.timetable_entry_id, f.kind
        from app_private.bookable_items i
        left join public.classes c on i.kind = 'class' and c.id = i.id
        left join public.facilities f on f.id = i.facility_id
        where i.branch_id = %s and i.starts_at >= %s and i.starts_at < %s and i.closed_reason is null
          and not exists (select from app_private.item_bookings b where b.kind = i.kind and b.item_id = i.id)
        order by i.starts_at, i.kind, i.id
        """,
        [branch.pk, start, end],
    )
    items = []
    for kind, item_id, organization_id, title, starts_at, ends_at, capacity, cutoff, entry, facility in cursor:
        seed = f"{branch.name} {kind} {title} {starts_at.isoformat()}"
        if kind == "class":
            low, high = demand.get(entry, ONE_OFF_DEMAND)
            wanted = capacity * random.Random(f"demand {seed}").uniform(low, high)
        else:
            wanted = capacity * _slot_share(starts_at.astimezone(branch.zone))
            wanted *= FACILITY_FACTORS.get(facility, OTHER_FACILITY_FACTOR)
        items.append(
            Item(
                kind=kind, id=item_id, organization_id=organization_id, branch_id=branch.pk, zone=branch.zone,
                title=title, starts_at=starts_at, ends_at=ends_at, capacity=capacity,
                cutoff=datetime.timedelta(minutes=cutoff), wanted=wanted, seed=seed,
            )
        )  # fmt: skip
    return items


def _slot_share(local: datetime.datetime) -> float:
    hour = local.hour + local.minute / 60
    shares = WEEKEND_SHARES if local.isoweekday() > 5 else WEEKDAY_SHARES
    return next(share for until, share in shares if hour < until)


class _Planner:
    """Plans an item's bookings as its days went: requests in the order they came, a place each
    while places remained and then the waitlist, cancellations freeing places for the waitlist,
    perhaps a manager's override once it was full, and attendance at the start."""

    def __init__(self, pool: list[Person], calendar: Calendar, *, desk, manager):
        self.pool = pool
        self.cumulative = []
        total = 0.0
        for person in pool:
            total += person.weight
            self.cumulative.append(total)
        self.calendar = calendar
        self.desk, self.desk_actor = desk, Actor.staff(desk)
        self.manager, self.manager_actor = manager, Actor.staff(manager)

    def plan(self, item: Item) -> list[Booking]:
        rng = random.Random(item.seed)
        wanted = round(item.wanted) if item.kind == "class" else _poisson(rng, item.wanted)
        if wanted == 0:
            return []
        people = self._choose(rng, item, wanted, taken=set())
        bookings = sorted((self._request(rng, item, person) for person in people), key=lambda b: b.created_at)
        bookings = self._replay(rng, item, bookings)
        bookings += self._overrides(rng, item, bookings)
        for booking in bookings:
            self._attendance(rng, booking)
            if booking.status in PLACE_HOLDING_STATUSES:
                self.calendar.add(booking.person.id, item.benefit_kind, item.starts_at, item.ends_at)
        return bookings

    def _choose(self, rng: random.Random, item: Item, count: int, taken: set) -> list[Person]:
        """Up to `count` members free to book the item, the more active more often. A fixed
        number of draws from the item's seed: a member not free now is not free later either."""
        chosen = []
        for person in rng.choices(self.pool, cum_weights=self.cumulative, k=count * 4 + 20):
            if person.id not in taken and self.calendar.may_book(person.id, item):
                taken.add(person.id)
                chosen.append(person)
                if len(chosen) == count:
                    break
        return chosen

    def _request(self, rng: random.Random, item: Item, person: Person) -> Booking:
        if item.kind == "class":
            mean_hours, longest = (60, 7 * 24) if item.wanted >= 0.9 * item.capacity else (30, 5 * 24)
        else:
            mean_hours, longest = 10, 3 * 24
        lead = min(longest * 60.0, 10 + rng.expovariate(1 / (mean_hours * 60)))
        created_at = item.starts_at - datetime.timedelta(minutes=lead)
        if person.actor and rng.random() < BOOKS_IN_APP:
            booking = Booking(
                id=uuid.uuid4(), item=item, person=person, created_at=created_at, created_by=person.actor,
                source=AuditSource.RPC, channel=BookingChannel.MEMBER_APP, booked_by=None,
            )  # fmt: skip
        else:
            booking = Booking(
                id=uuid.uuid4(), item=item, person=person, created_at=created_at, created_by=self.desk_actor,
                source=AuditSource.ADMIN, channel=BookingChannel.CONCIERGE, booked_by=self.desk.pk,
            )  # fmt: skip
        draw = rng.random()
        in_time_until = item.starts_at - item.cutoff - datetime.timedelta(minutes=1)
        if draw < CANCELLED_IN_TIME and created_at < in_time_until - datetime.timedelta(minutes=5):
            booking.fate, booking.cancel_at = "in_time", _between(rng, created_at, in_time_until)
        elif draw < CANCELLED_LATE:
            late_from = max(created_at, item.starts_at - item.cutoff) + datetime.timedelta(minutes=1)
            booking.fate, booking.cancel_at = (
                "late",
                _between(rng, late_from, item.starts_at - datetime.timedelta(minutes=2)),
            )
        elif draw < NO_SHOW:
            booking.fate = "no_show"
        return booking

    def _replay(self, rng: random.Random, item: Item, requests: list[Booking]) -> list[Booking]:
        """Requests and cancellations in the order they happened, as the engine answered them."""
        events = [(booking.created_at, 0, booking) for booking in requests]
        events.sort(key=lambda event: event[0])
        made, waitlist, taken = [], [], 0
        while events:
            at, kind, booking = events.pop(0)
            if kind == 0:  # a request
                if taken < item.capacity:
                    taken += 1
                    made.append(booking)
                    if booking.cancel_at:
                        _insert(events, (booking.cancel_at, 1, booking))
                elif rng.random() < JOINS_WAITLIST:
                    booking.waitlisted, booking.status = True, BookingStatus.WAITLISTED
                    booking.fate, booking.cancel_at = "attended", None
                    made.append(booking)
                    waitlist.append(booking)
                    if rng.random() < LEAVES_WAITLIST:
                        leaves_at = _between(rng, at, item.starts_at - datetime.timedelta(minutes=5))
                        _insert(events, (leaves_at, 2, booking))
            elif kind == 1:  # a confirmed place cancelled: the first on the waitlist moves up
                taken -= 1
                self._cancel(rng, booking, at, late=booking.fate == "late")
                if waitlist:
                    moved_up = waitlist.pop(0)
                    moved_up.status, moved_up.promoted = BookingStatus.CONFIRMED, (at, booking)
                    moved_up.fate = "no_show" if rng.random() < PROMOTED_NO_SHOW else "attended"
                    taken += 1
            elif booking.status == BookingStatus.WAITLISTED:  # left the waitlist before moving up
                waitlist.remove(booking)
                self._cancel(rng, booking, at, late=False)
        return made

    def _cancel(self, rng: random.Random, booking: Booking, at: datetime.datetime, *, late: bool) -> None:
        booking.status, booking.cancelled_at, booking.late = BookingStatus.CANCELLED, at, late
        if booking.person.actor and rng.random() < CANCELS_IN_APP:
            booking.cancelled_by = (booking.person.actor, AuditSource.RPC, "")
        else:
            booking.cancelled_by = (self.desk_actor, AuditSource.ADMIN, "Phoned the desk to cancel")

    def _overrides(self, rng: random.Random, item: Item, bookings: list[Booking]) -> list[Booking]:
        """Once the item was full, and after its last cancellation (a cancellation while over
        capacity would promote nobody), the manager may have booked a member beyond capacity."""
        taken = sum(booking.status in PLACE_HOLDING_STATUSES for booking in bookings)
        if taken < item.capacity or rng.random() >= OVERRIDE_SHARE[item.kind]:
            return []
        last = max(booking.changed_at for booking in bookings)
        earliest = max(last, item.starts_at - datetime.timedelta(hours=6))
        latest = item.starts_at - datetime.timedelta(minutes=10)
        overrides = []
        for _ in range(2 if rng.random() < SECOND_OVERRIDE else 1):
            if earliest >= latest:
                break
            people = self._choose(rng, item, 1, taken={booking.person.id for booking in bookings + overrides})
            if not people:
                break
            earliest = at = _between(rng, earliest, latest)
            code, note = rng.choice(OVERRIDES[item.kind])
            overrides.append(
                Booking(
                    id=uuid.uuid4(), item=item, person=people[0], created_at=at, created_by=self.manager_actor,
                    source=AuditSource.ADMIN, channel=BookingChannel.CONCIERGE, booked_by=self.manager.pk,
                    fate="no_show" if rng.random() < PROMOTED_NO_SHOW else "attended",
                    override=(code, note, taken),
                )
            )  # fmt: skip
            taken += 1
        return overrides

    def _attendance(self, rng: random.Random, booking: Booking) -> None:
        """The desk checked in who came (from a few minutes before the start, a few late) and
        marked the others no-show once it had started."""
        if booking.status != BookingStatus.CONFIRMED:
            return
        start, booking.marked_by = booking.item.starts_at, self.desk_actor
        if booking.fate == "no_show":
            booking.status = BookingStatus.NO_SHOW
            booking.marked_at = start + datetime.timedelta(minutes=rng.uniform(10, 40))
            return
        booking.status = BookingStatus.ATTENDED
        if rng.random() < 0.9:
            checked_in = start - datetime.timedelta(minutes=rng.uniform(1, 25))
        else:
            checked_in = start + datetime.timedelta(minutes=rng.uniform(0.5, 8))
        booking.marked_at = max(checked_in, booking.changed_at + datetime.timedelta(seconds=30))


def _poisson(rng: random.Random, mean: float) -> int:
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _between(rng: random.Random, first: datetime.datetime, last: datetime.datetime) -> datetime.datetime:
    return first + (last - first) * rng.random() if last > first else first


def _insert(events: list, event: tuple) -> None:
    bisect.insort(events, event, key=lambda queued: (queued[0], queued[1]))


# The triggers that judge a new booking row against the rules as of now (the rules trigger) and
# record it as a direct insert (the audit trigger); each table has its two.
JUDGING_TRIGGERS = ("{table}_rules", "{table}_audit_direct")


@contextlib.contextmanager
def _judging_triggers_off(cursor):
    """The judging triggers of both booking tables off inside the caller's transaction, and on again
    before it commits. ALTER TABLE is transactional: other sessions never see them off (the
    table's lock keeps them waiting), and a failure rolls back to them on. Only the tables' owner
    may do this, who could as well drop them: it opens nothing to anyone else."""

    def alter(verb: str) -> None:
        for table, _ in TABLES.values():
            triggers = ", ".join(f"{verb} trigger {name.format(table=table)}" for name in JUDGING_TRIGGERS)
            cursor.execute(f"alter table public.{table} {triggers}")

    alter("disable")
    yield
    # the rows' deferred foreign-key checks now, which a table's ALTER cannot leave pending
    cursor.execute("set constraints all immediate")
    alter("enable")


def _write_bookings(cursor, bookings: list[Booking]) -> None:
    """The rows with their own times, the judging triggers off (they would refuse each as
    started, by today's clock, and record it as a direct insert made today)."""
    with _judging_triggers_off(cursor):
        for kind, (table, item_column) in TABLES.items():
            rows = [booking for booking in bookings if booking.item.kind == kind]
            if rows:
                _insert_rows(cursor, table, item_column, rows)


def _insert_rows(cursor, table: str, item_column: str, rows: list[Booking]) -> None:
    columns = [
        "id", "organization_id", "member_id", item_column, "status", "channel", "booked_by_user_id",
        "capacity_override", "override_reason_code", "override_reason", "overridden_rules", "capacity_at_booking",
        "places_taken_before", "created_at", "updated_at", "cancelled_at", "is_late_cancellation", "checked_in_at",
    ]  # fmt: skip
    _copy(
        cursor,
        table,
        columns,
        (
            (
                b.id,
                b.item.organization_id,
                b.person.id,
                b.item.id,
                str(b.status),
                str(b.channel),
                b.booked_by,
                b.override is not None,
                str(b.override[0]) if b.override else "",
                b.override[1] if b.override else "",
                ["capacity"] if b.override else [],
                b.item.capacity if b.override else None,
                b.override[2] if b.override else None,
                b.created_at,
                b.changed_at,
                b.cancelled_at,
                b.late,
                b.marked_at if b.status == BookingStatus.ATTENDED else None,
            )  # fmt: skip
            for b in rows
        ),
    )


def _write_entries(cursor, bookings: list[Booking]) -> int:
    """The audit entries the engine writes for each step (app_private.book, cancel_booking,
    set_attendance), at the moment it happened."""
    entries = [entry for booking in bookings for entry in _entries_of(booking)]
    columns = [
        "id", "occurred_at", "organization_id", "actor_type", "actor_id", "actor_label", "action", "entity_type",
        "entity_id", "member_id", "branch_id", "old_values", "new_values", "reason", "source", "request_id",
        "user_agent",
    ]  # fmt: skip
    _copy(cursor, "audit_logs", columns, ((uuid.uuid4(), *entry, "", "") for entry in entries))
    return len(entries)


def _copy(cursor, table: str, columns: list[str], rows) -> None:
    """Rows into a table by COPY (its triggers and constraints apply as to any insert), on the
    connection's own psycopg cursor: thousands of rows at once."""
    with cursor.cursor.copy(f"copy public.{table} ({', '.join(columns)}) from stdin") as copy:
        for row in rows:
            copy.write_row(row)


def _entries_of(booking: Booking) -> list[tuple]:
    item = booking.item

    def entry(at, actor: Actor, source: str, action: str, old, new, reason: str = "", member_id=None) -> tuple:
        return (
            at, item.organization_id, str(actor.type), actor.id, actor.label, str(action), "booking", str(booking.id),
            member_id or booking.person.id, item.branch_id, old and json.dumps(old), json.dumps(new), reason,
            str(source),
        )  # fmt: skip

    made = {
        "kind": item.kind, "item": str(item.id), "title": item.title,
        "starts_at": item.starts_at.astimezone(datetime.UTC).isoformat(),
        "status": BookingStatus.WAITLISTED if booking.waitlisted else BookingStatus.CONFIRMED,
        "channel": booking.channel,
    }  # fmt: skip
    action, reason = AuditAction.BOOKING_WAITLISTED if booking.waitlisted else AuditAction.BOOKING_CREATED, ""
    if booking.override:
        code, note, taken_before = booking.override
        action, reason = AuditAction.BOOKING_CAPACITY_OVERRIDDEN, f"{code}: {note}"
        made |= {"overridden_rules": ["capacity"], "places": n_of_m(taken_before + 1, item.capacity)}
    entries = [entry(booking.created_at, booking.created_by, booking.source, action, None, made, reason)]
    if booking.promoted:
        at, freed_by = booking.promoted
        actor, source, _ = freed_by.cancelled_by
        entries.append(
            entry(
                at, actor, source, AuditAction.BOOKING_WAITLIST_PROMOTED, {"status": BookingStatus.WAITLISTED},
                {"status": BookingStatus.CONFIRMED, "freed_by": str(freed_by.id), "skipped": []},
            )
        )  # fmt: skip
    if booking.cancelled_at:
        actor, source, why = booking.cancelled_by
        was = BookingStatus.WAITLISTED if booking.waitlisted and not booking.promoted else BookingStatus.CONFIRMED
        entries.append(
            entry(
                booking.cancelled_at, actor, source, AuditAction.BOOKING_CANCELLED, {"status": was},
                {"status": BookingStatus.CANCELLED, "late_cancellation": booking.late}, why,
            )
        )  # fmt: skip
    if booking.status in (BookingStatus.ATTENDED, BookingStatus.NO_SHOW):
        action = (
            AuditAction.BOOKING_CHECKED_IN if booking.status == BookingStatus.ATTENDED else AuditAction.BOOKING_NO_SHOW
        )
        entries.append(
            entry(
                booking.marked_at, booking.marked_by, AuditSource.ADMIN, action,
                {"status": BookingStatus.CONFIRMED}, {"status": booking.status},
            )
        )  # fmt: skip
    return entries


def _outcomes(bookings: list[Booking]) -> Counter:
    said = Counter()
    for booking in bookings:
        said[str(booking.status)] += 1
        if booking.cancelled_at and not booking.waitlisted:
            said["late" if booking.late else "in_time"] += 1
        if booking.waitlisted:
            said["joined_waitlist"] += 1
            said["promoted" if booking.promoted else "never_promoted"] += 1
        if booking.override:
            said["override"] += 1
    return said
