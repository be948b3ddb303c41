"""Demo data: one club, two branches in different time zones, facilities, members, a weekly class
timetable, and bookings around now for the front desk to work with (the four weeks before now are
in demo/history.py).

Every row has a key derived from its name (uuid5), and rows are upserted, so loading twice gives
the same data; the classes come from the timetable through the nightly generator, which makes
each class once.
"""

from __future__ import annotations

import datetime
import random
import uuid
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.models import Q

from access.staff_groups import FRONT_DESK, MANAGER
from audit.models import AuditSource
from audit.services import Actor
from bookings.models import BookableItem, BookingChannel
from bookings.services import BookingKind, Override, booking_create
from classes.models import ClassTimetableEntry, ScheduledClass
from classes.services import classes_ensure
from clubs import localtime
from clubs.models import Branch, Organization, local_day_bounds
from config.errors import RuleViolation
from facilities.models import BenefitSetting, Closure, ClosureReason, Facility, FacilityKind, Weekday
from facilities.services import closure_open, slots_ensure
from members.models import BenefitKind, Entitlement, EntitlementPeriod, Member, MemberStatus

DEMO_NAMESPACE = uuid.UUID("0b7c5e52-6c1e-4a8e-9a51-2f0d3c1d7a10")
MEMBER_COUNT = 600
# Members joined up to this many days before the first load.
MEMBER_SINCE_DAYS = 1500
CLASS_DAYS = 7
# The desk's day: classes of today and tomorrow booked to this share of their places, recovery
# slots of the next hours with a few bookings each, and each day's last class full with a waitlist.
CLASS_SHARE_BOOKED = 0.6
SLOT_HOURS_BOOKED = 3
WAITLISTED = 2

BRANCHES = [
    ("Riverside", "Europe/London", "1 Quay Street, London"),
    ("Harbourfront", "America/New_York", "40 Pier Road, New York"),
]
# name, kind, capacity, (opens, closes), slot minutes, days (None = every day)
FACILITIES = [
    ("Sauna", FacilityKind.SAUNA, 8, (datetime.time(6), datetime.time(22)), 30, None),
    ("Cold plunge", FacilityKind.COLD_PLUNGE, 2, (datetime.time(6), datetime.time(21)), 15, None),
    ("Steam room", FacilityKind.STEAM_ROOM, 6, (datetime.time(7), datetime.time(21)), 30, None),
    (
        "Infrared sauna",
        FacilityKind.INFRARED_SAUNA,
        4,
        (datetime.time(9), datetime.time(20)),
        45,
        [Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY, Weekday.SATURDAY],
    ),
]
WEEKDAYS = (1, 2, 3, 4, 5)
MON_WED_FRI, MON_WED, TUE_THU, MON_TO_THU = (1, 3, 5), (1, 3), (2, 4), (1, 2, 3, 4)
SATURDAY, SUNDAY = (6,), (7,)


@dataclass(frozen=True)
class TimetableRow:
    """A class of the demo's weekly timetable, held on each of `weekdays` (ISO numbers). `demand`
    is how many members usually want a place, as shares of its capacity (low, high): above 1 it
    is full with a waitlist (demo/history.py books the past weeks by it)."""

    weekdays: tuple[int, ...]
    starts_at: datetime.time
    minutes: int
    title: str
    room: str
    capacity: int
    demand: tuple[float, float]


# A gym's week at each branch: early spin and the evening classes full, mornings and lunchtimes
# half full, the mid-afternoon quiet.
TIMETABLE = [
    TimetableRow(WEEKDAYS, datetime.time(7, 0), 45, "Spin", "Spin room", 20, (0.95, 1.3)),
    TimetableRow(MON_WED_FRI, datetime.time(9, 30), 50, "Barre", "Studio 2", 14, (0.4, 0.7)),
    TimetableRow(TUE_THU, datetime.time(10, 0), 60, "Yoga flow", "Studio 1", 16, (0.45, 0.75)),
    TimetableRow(WEEKDAYS, datetime.time(12, 30), 30, "Express HIIT", "Studio 1", 18, (0.5, 0.8)),
    TimetableRow(TUE_THU, datetime.time(14, 30), 45, "Stretch & mobility", "Studio 2", 12, (0.15, 0.4)),
    TimetableRow(MON_WED_FRI, datetime.time(18, 0), 45, "HIIT", "Studio 1", 18, (1.0, 1.35)),
    TimetableRow(TUE_THU, datetime.time(18, 0), 45, "Spin", "Spin room", 20, (1.0, 1.3)),
    TimetableRow(TUE_THU, datetime.time(19, 0), 45, "Boxing fitness", "Studio 1", 16, (0.7, 1.0)),
    TimetableRow(MON_WED, datetime.time(19, 15), 60, "Yin yoga", "Studio 1", 16, (0.5, 0.8)),
    TimetableRow(MON_TO_THU, datetime.time(19, 30), 50, "Pilates", "Studio 2", 12, (0.85, 1.15)),
    TimetableRow(SATURDAY, datetime.time(8, 30), 45, "Spin", "Spin room", 20, (0.85, 1.15)),
    TimetableRow(SATURDAY, datetime.time(10, 0), 60, "Yoga flow", "Studio 1", 16, (0.8, 1.05)),
    TimetableRow(SATURDAY, datetime.time(11, 15), 45, "Strength", "Studio 1", 16, (0.55, 0.85)),
    TimetableRow(SUNDAY, datetime.time(9, 30), 60, "Yoga flow", "Studio 1", 16, (0.7, 0.95)),
    TimetableRow(SUNDAY, datetime.time(17, 0), 60, "Yin yoga", "Studio 1", 16, (0.45, 0.7)),
]
INSTRUCTORS = {
    "Riverside": {
        "Spin": "Alex Morgan", "Barre": "Chloe Martin", "Yoga flow": "Priya Shah", "Express HIIT": "Sam Okafor",
        "Stretch & mobility": "Lena Fischer", "HIIT": "Sam Okafor", "Boxing fitness": "Dan Murphy",
        "Yin yoga": "Priya Shah", "Pilates": "Lena Fischer", "Strength": "Dan Murphy",
    },
    "Harbourfront": {
        "Spin": "Jordan Reyes", "Barre": "Mia Rossi", "Yoga flow": "Hana Tanaka", "Express HIIT": "Marcus Bell",
        "Stretch & mobility": "Ines Silva", "HIIT": "Marcus Bell", "Boxing fitness": "Tony Russo",
        "Yin yoga": "Hana Tanaka", "Pilates": "Ines Silva", "Strength": "Tony Russo",
    },
}  # fmt: skip
# The timetable starts this many days before the first load, so the history has its classes.
TIMETABLE_LEAD_DAYS = 35
# A one-off class besides the timetable: the coming Sunday's charity ride.
ONE_OFF = ("Charity ride", "Spin room", datetime.time(11, 0), 90, 20)
FIRST_NAMES = [
    "Olivia", "Noah", "Amelia", "Liam", "Isla", "Oliver", "Ava", "Elijah", "Mia", "James",
    "Sofia", "Lucas", "Grace", "Mateo", "Chloe", "Ethan", "Zara", "Leo", "Hana", "Arjun",
]  # fmt: skip
LAST_NAMES = [
    "Smith", "Garcia", "Nguyen", "Patel", "Kowalski", "Okafor", "Rossi", "Haddad", "Kim", "Murphy",
    "Silva", "Cohen", "Tanaka", "Jensen", "Dubois", "Novak", "Ahmed", "Walsh", "Moreau", "Lindqvist",
]  # fmt: skip

STAFF_LOGINS = [
    ("frontdesk", "frontdesk-demo-2026", "Frankie", "Desk", FRONT_DESK),
    ("manager", "manager-demo-2026", "Morgan", "Lead", MANAGER),
]


@dataclass(frozen=True)
class DemoSummary:
    organization: Organization
    branches: int
    facilities: int
    members: int
    timetable: int
    classes: int  # in the coming week
    entitlements: int
    logins: list[tuple[str, str, str]]  # username, password, group


def demo_key(*parts: object) -> uuid.UUID:
    return uuid.uuid5(DEMO_NAMESPACE, "/".join(str(part) for part in parts))


@transaction.atomic
def demo_data_seed(*, today: datetime.date) -> DemoSummary:
    organization, _ = Organization.objects.update_or_create(
        id=demo_key("organization"), defaults={"name": "Northwind Wellness Club", "slug": "northwind"}
    )
    branches = [
        Branch.objects.update_or_create(
            id=demo_key("branch", name),
            defaults={"organization": organization, "name": name, "time_zone": zone, "address": address},
        )[0]
        for name, zone, address in BRANCHES
    ]
    facility_count = sum(_seed_facilities(branch) for branch in branches)
    members = _seed_members(organization, branches, today)
    entitlements = _seed_entitlements(members)
    timetable = sum(_seed_timetable(branch, today) for branch in branches)
    classes = sum(_seed_classes(branch, today) for branch in branches)
    logins = [_seed_staff_login(*login, today=today) for login in STAFF_LOGINS]
    _seed_closure(branches[-1], today)
    return DemoSummary(
        organization=organization,
        branches=len(branches),
        facilities=facility_count,
        members=len(members),
        timetable=timetable,
        classes=classes,
        entitlements=entitlements,
        logins=logins,
    )


def _seed_facilities(branch: Branch) -> int:
    facilities, settings = [], []
    for name, kind, capacity, (opens, closes), slot_minutes, days in FACILITIES:
        facility = Facility(
            id=demo_key("facility", branch.name, name),
            organization_id=branch.organization_id,
            branch=branch,
            name=name,
            kind=kind,
            capacity=capacity,
            available_days=days or Weekday.values,
        )
        facilities.append(facility)
        settings.append(
            BenefitSetting(
                id=demo_key("settings", branch.name, name),
                organization_id=branch.organization_id,
                facility=facility,
                opens_at=opens,
                closes_at=closes,
                slot_minutes=slot_minutes,
            )
        )
    _upsert(Facility, facilities, ["name", "kind", "capacity", "available_days"])
    _upsert(BenefitSetting, settings, ["opens_at", "closes_at", "slot_minutes"])
    return len(facilities)


def _demo_phone(branch: Branch, number: int) -> str:
    """A number of the branch's country, from the ranges set aside for drama and examples."""
    if branch.time_zone.startswith("America/"):
        return f"+1 212 555 {100 + number % 100:04d}"
    return f"+44 7700 9{number:05d}"


def _seed_members(organization: Organization, branches: list[Branch], today: datetime.date) -> list[Member]:
    rng = random.Random(2026)  # fixed seed: the same members every time
    members = []
    for number in range(1, MEMBER_COUNT + 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        status = rng.choices(MemberStatus.values, weights=[90, 6, 4])[0]
        signed_up = rng.random() < 0.6
        home_branch = branches[number % len(branches)]
        joined = today - datetime.timedelta(days=random.Random(f"joined {number}").randint(60, MEMBER_SINCE_DAYS))
        members.append(
            Member(
                id=demo_key("member", number),
                organization_id=organization.id,
                home_branch=home_branch,
                member_number=f"M{number:05d}",
                first_name=first,
                last_name=last,
                email=f"{first}.{last}.{number}@example.com".lower(),
                phone=_demo_phone(home_branch, number),
                status=status,
                auth_user_id=demo_key("auth-user", number) if signed_up else None,
                # when they joined, kept as first loaded (not among the fields updated below)
                created_at=datetime.datetime.combine(joined, datetime.time(10), tzinfo=home_branch.zone),
            )
        )
    fields = ["home_branch", "member_number", "first_name", "last_name", "email", "phone", "status", "auth_user_id"]
    return _upsert(Member, members, fields)


def _seed_entitlements(members: list[Member]) -> int:
    entitlements = []
    for index, member in enumerate(members):
        entitlements.append(
            Entitlement(
                id=demo_key("entitlement", member.member_number, BenefitKind.RECOVERY),
                organization_id=member.organization_id,
                member=member,
                benefit_kind=BenefitKind.RECOVERY,
                quota=4,
                period=EntitlementPeriod.WEEK,
            )
        )
        if index % 3 == 0:
            entitlements.append(
                Entitlement(
                    id=demo_key("entitlement", member.member_number, BenefitKind.CLASS),
                    organization_id=member.organization_id,
                    member=member,
                    benefit_kind=BenefitKind.CLASS,
                    quota=8,
                    period=EntitlementPeriod.MONTH,
                )
            )
    _upsert(Entitlement, entitlements, ["quota", "period"])
    return len(entitlements)


def _seed_timetable(branch: Branch, today: datetime.date) -> int:
    """The branch's weekly timetable. An entry's first day is set when it is first loaded, early
    enough for the history's weeks, and kept after that."""
    first_day = today - datetime.timedelta(days=TIMETABLE_LEAD_DAYS)
    entries = [
        ClassTimetableEntry(
            id=timetable_key(branch, row, weekday),
            organization_id=branch.organization_id,
            branch=branch,
            title=row.title,
            instructor=INSTRUCTORS[branch.name][row.title],
            room=row.room,
            weekday=weekday,
            starts_at_local=row.starts_at,
            duration_minutes=row.minutes,
            capacity=row.capacity,
            valid_from=first_day,
        )
        for row in TIMETABLE
        for weekday in row.weekdays
    ]
    fields = ["title", "instructor", "room", "weekday", "starts_at_local", "duration_minutes", "capacity"]
    _upsert(ClassTimetableEntry, entries, fields)
    return len(entries)


def timetable_key(branch: Branch, row: TimetableRow, weekday: int) -> uuid.UUID:
    return demo_key("timetable", branch.name, weekday, row.starts_at.isoformat(), row.title)


def _seed_classes(branch: Branch, today: datetime.date) -> int:
    """The coming week's classes, made from the timetable as the nightly run makes them, and the
    coming Sunday's one-off class; returns the number of the branch's classes that week."""
    last_day = today + datetime.timedelta(days=CLASS_DAYS - 1)
    classes_ensure(
        branch_id=branch.pk, start_date=today, end_date=last_day, actor=Actor.system("seed_demo"),
        source=AuditSource.COMMAND,
    )  # fmt: skip
    title, room, start, minutes, capacity = ONE_OFF
    sunday = today + datetime.timedelta(days=(7 - today.isoweekday()) % 7)
    starts_at = datetime.datetime.combine(sunday, start, tzinfo=branch.zone)
    one_off = ScheduledClass(
        id=demo_key("one-off class", branch.name, sunday.isoformat()),
        organization_id=branch.organization_id,
        branch=branch,
        title=title,
        instructor=INSTRUCTORS[branch.name]["Spin"],
        room=room,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(minutes=minutes),
        capacity=capacity,
    )
    _upsert(ScheduledClass, [one_off], ["title", "instructor", "room", "starts_at", "ends_at", "capacity"])
    week_starts, _ = local_day_bounds(today, branch.zone)
    _, week_ends = local_day_bounds(last_day, branch.zone)
    return ScheduledClass.objects.filter(branch=branch, starts_at__gte=week_starts, starts_at__lt=week_ends).count()


def _seed_closure(branch: Branch, today: datetime.date) -> None:
    """Studio 2 closed next Wednesday morning for a private event, its Barre class with it, so the
    closures' pages and the grid show one; once (an open closure of the room to come is kept)."""
    start_of_today, _ = local_day_bounds(today, branch.zone)
    open_closures = Closure.objects.filter(branch=branch, reopened_at__isnull=True, ends_at__gt=start_of_today)
    if open_closures.filter(room="Studio 2").exists():
        return
    wednesday = today + datetime.timedelta(days=(3 - today.isoweekday()) % 7 or 7)
    starts_at = datetime.datetime.combine(wednesday, datetime.time(9), tzinfo=branch.zone)
    with connection.cursor() as cursor:  # the database's clock decides what is past (a test may move Python's)
        cursor.execute("select now()")
        if starts_at <= cursor.fetchone()[0]:
            return
    closure_open(
        branch=branch,
        facility=None,
        room="Studio 2",
        starts_at=starts_at,
        ends_at=datetime.datetime.combine(wednesday, datetime.time(12), tzinfo=branch.zone),
        reason=ClosureReason.PRIVATE_EVENT,
        note="Corporate wellness morning",
        user=get_user_model().objects.get(username=STAFF_LOGINS[1][0]),
        source=AuditSource.COMMAND,
    )


def _upsert(model, rows: list, fields: list[str]) -> list:
    """Insert the rows, or set `fields` on those that exist; `updated_at` is left alone."""
    return model.objects.bulk_create(rows, update_conflicts=True, unique_fields=["id"], update_fields=fields)


def _seed_staff_login(
    username: str, password: str, first: str, last: str, group_name: str, *, today: datetime.date
) -> tuple[str, str, str]:
    User = get_user_model()
    joined = datetime.datetime.combine(today - datetime.timedelta(days=400), datetime.time(9), tzinfo=datetime.UTC)
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"first_name": first, "last_name": last, "is_staff": True, "date_joined": joined},
    )
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    user.groups.add(Group.objects.get(name=group_name))
    # (hashing a password takes a second: once for a new login)
    shown_password = password if created or user.check_password(password) else "(changed since it was seeded)"
    return username, shown_password, group_name


def demo_desk_day_seed(*, now: datetime.datetime) -> int:
    """Bookings around `now` at each demo branch, so that Today has arrivals, full items, a
    waitlist and an override: made by the booking engine (audited), for items that have no
    booking yet, so loading again adds nothing. Makes the slots of today and tomorrow first.
    Returns the number of bookings made."""
    organization = Organization.objects.get(id=demo_key("organization"))
    active = Member.objects.filter(organization=organization, status=MemberStatus.ACTIVE)
    members = list(active.order_by("member_number"))
    manager = get_user_model().objects.get(username=STAFF_LOGINS[1][0])
    made = 0
    for branch in Branch.objects.filter(organization=organization).order_by("name"):
        today = localtime.local_today(branch)
        actor = Actor.system("seed_demo")
        slots_ensure(
            branch_id=branch.pk, start_date=today, end_date=today + datetime.timedelta(days=1),
            actor=actor, source=AuditSource.COMMAND,
        )  # fmt: skip
        _, tomorrow_ends = local_day_bounds(today + datetime.timedelta(days=1), branch.zone)
        items = BookableItem.objects.filter(branch_id=branch.pk, starts_at__gt=now, closed_reason__isnull=True).filter(
            Q(kind=BookingKind.CLASS, starts_at__lt=tomorrow_ends)
            | Q(kind=BookingKind.SLOT, starts_at__lt=now + datetime.timedelta(hours=SLOT_HOURS_BOOKED))
        )
        full = {_last_class_of_the_day(branch, today + datetime.timedelta(days=days)) for days in (0, 1)}
        for item in items.filter(places_taken=0).order_by("starts_at", "id"):
            made += _book_demo_item(item, members, manager, actor, full=item.pk in full)
    return made


def _last_class_of_the_day(branch: Branch, day: datetime.date) -> uuid.UUID | None:
    starts, ends = local_day_bounds(day, branch.zone)
    classes = ScheduledClass.objects.filter(branch=branch, starts_at__gte=starts, starts_at__lt=ends)
    return classes.filter(is_cancelled=False).order_by("-starts_at", "id").values_list("pk", flat=True).first()


def _book_demo_item(item: BookableItem, members: list[Member], manager, actor: Actor, *, full: bool) -> int:
    chooser = random.Random(str(item.id))
    if item.kind == BookingKind.SLOT:
        wanted = chooser.randint(0, min(3, item.capacity))
    elif full:
        wanted = item.capacity + WAITLISTED
    else:
        wanted = round(item.capacity * CLASS_SHARE_BOOKED)
    made = 0
    for person in chooser.sample(members, min(len(members), wanted * 2)):
        if made == wanted:
            break
        try:
            booking_create(
                kind=item.kind, item_id=item.id, member_id=person.pk, actor=actor, channel=BookingChannel.MEMBER_APP,
                source=AuditSource.COMMAND, join_waitlist=True,
            )  # fmt: skip
        except RuleViolation:
            continue  # used up their entitlement, or booked at that time: the next member then
        made += 1
    if full:
        # a manager's override beyond capacity, so Today lists one
        guest = members[-1]
        try:
            booking_create(
                kind=item.kind, item_id=item.id, member_id=guest.pk, actor=Actor.staff(manager),
                channel=BookingChannel.CONCIERGE, source=AuditSource.COMMAND, booked_by=manager,
                override=Override("vip", "Guest of the owner, promised a place"),
            )  # fmt: skip
            made += 1
        except RuleViolation:
            pass
    return made
