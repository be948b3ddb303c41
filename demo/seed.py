"""Demo data: one club, two branches in different time zones, facilities, members, a week of
classes, and bookings around now for the front desk to work with.

Every row has a key derived from its name (uuid5), and rows are upserted, so loading twice gives
the same data and a later load only adds the classes of days not yet covered.
"""

from __future__ import annotations

import datetime
import random
import uuid
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q

from access.staff_groups import FRONT_DESK, MANAGER
from audit.models import AuditSource
from audit.services import Actor
from bookings.models import BookableItem, BookingChannel
from bookings.services import BookingKind, Override, booking_create
from classes.models import ScheduledClass
from clubs import localtime
from clubs.models import Branch, Organization, local_day_bounds
from config.errors import RuleViolation
from facilities.models import BenefitSetting, Facility, FacilityKind, Weekday
from facilities.services import slots_ensure
from members.models import BenefitKind, Entitlement, EntitlementPeriod, Member, MemberStatus

DEMO_NAMESPACE = uuid.UUID("0b7c5e52-6c1e-4a8e-9a51-2f0d3c1d7a10")
MEMBER_COUNT = 200
CLASS_DAYS = 7
# The desk's day: classes of today and tomorrow booked to this share of their places, recovery
# slots of the next hours with a few bookings each, and the evening Pilates full with a waitlist.
CLASS_SHARE_BOOKED = 0.6
SLOT_HOURS_BOOKED = 3
FULL_CLASS = "Pilates"
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
# local start, minutes, title, instructor, capacity
DAILY_CLASSES = [
    (datetime.time(7, 0), 45, "Spin", "Alex Morgan", 20),
    (datetime.time(12, 30), 60, "Yoga flow", "Priya Shah", 16),
    (datetime.time(18, 0), 45, "HIIT", "Sam Okafor", 18),
    (datetime.time(19, 30), 50, "Pilates", "Lena Fischer", 12),
]
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
    classes: int
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
    members = _seed_members(organization, branches)
    entitlements = _seed_entitlements(members)
    classes = sum(_seed_classes(branch, today) for branch in branches)
    logins = [_seed_staff_login(*login) for login in STAFF_LOGINS]
    return DemoSummary(
        organization=organization,
        branches=len(branches),
        facilities=facility_count,
        members=len(members),
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


def _seed_members(organization: Organization, branches: list[Branch]) -> list[Member]:
    rng = random.Random(2026)  # fixed seed: the same members every time
    members = []
    for number in range(1, MEMBER_COUNT + 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        status = rng.choices(MemberStatus.values, weights=[90, 6, 4])[0]
        signed_up = rng.random() < 0.6
        home_branch = branches[number % len(branches)]
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


def _seed_classes(branch: Branch, today: datetime.date) -> int:
    classes = []
    for offset in range(CLASS_DAYS):
        day = today + datetime.timedelta(days=offset)
        for start, minutes, title, instructor, capacity in DAILY_CLASSES:
            starts_at = datetime.datetime.combine(day, start, tzinfo=branch.zone)
            classes.append(
                ScheduledClass(
                    id=demo_key("class", branch.name, day.isoformat(), start.isoformat()),
                    organization_id=branch.organization_id,
                    branch=branch,
                    title=title,
                    instructor=instructor,
                    starts_at=starts_at,
                    ends_at=starts_at + datetime.timedelta(minutes=minutes),
                    capacity=capacity,
                )
            )
    _upsert(ScheduledClass, classes, ["title", "instructor", "starts_at", "ends_at", "capacity"])
    return len(classes)


def _upsert(model, rows: list, fields: list[str]) -> list:
    """Insert the rows, or set `fields` on those that exist; `updated_at` is left alone."""
    return model.objects.bulk_create(rows, update_conflicts=True, unique_fields=["id"], update_fields=fields)


def _seed_staff_login(username: str, password: str, first: str, last: str, group_name: str) -> tuple[str, str, str]:
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username, defaults={"first_name": first, "last_name": last, "is_staff": True}
    )
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    user.groups.add(Group.objects.get(name=group_name))
    shown_password = password if user.check_password(password) else "(changed since it was seeded)"
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
        for item in items.filter(places_taken=0).order_by("starts_at", "id"):
            made += _book_demo_item(item, members, manager, actor)
    return made


def _book_demo_item(item: BookableItem, members: list[Member], manager, actor: Actor) -> int:
    chooser = random.Random(str(item.id))
    if item.kind == BookingKind.SLOT:
        wanted = chooser.randint(0, min(3, item.capacity))
    elif item.title == FULL_CLASS:
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
    if item.title == FULL_CLASS:
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
