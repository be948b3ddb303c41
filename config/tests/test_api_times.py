"""Times in the API are on the branch's clock: slots, classes and a member's bookings carry their
instants as ISO 8601 with the branch's own UTC offset (the same instants), next to the branch's
IANA zone; a day asked for is a day of the branch the list is about.

Branches whose offset is not zero: New York, Kolkata (+05:30, no DST), Sydney (southern DST) and
Chatham (+12:45/+13:45), each on future days inside and outside DST and on the days the clocks
change, found from the zone rules relative to today so the tests mean the same on any run date.
"""

from __future__ import annotations

import datetime
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from audit.services import Actor
from bookings.services import booking_create
from classes.tests.factories import ScheduledClassFactory
from clubs.localtime import local_today
from clubs.tests.factories import BranchFactory
from facilities.tests.factories import BenefitSettingFactory, BenefitSlotFactory, FacilityFactory
from members.tests.factories import MemberFactory
from members.tests.tokens import bearer, member_token

pytestmark = pytest.mark.django_db

# UTC offsets written out, so the expectations do not come from the code under test:
# (standard time, daylight saving time)
OFFSETS = {
    "America/New_York": ("-05:00", "-04:00"),
    "Asia/Kolkata": ("+05:30", None),
    "Australia/Sydney": ("+10:00", "+11:00"),
    "Pacific/Chatham": ("+12:45", "+13:45"),
}
SEASONS = ("standard", "summer", "clocks_forward", "clocks_back")


def at_local(day: datetime.date, hour: int, minute: int, zone: str) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=ZoneInfo(zone))


def offset_changes(day: datetime.date, zone: str) -> datetime.timedelta:
    start, end = at_local(day, 0, 0, zone), at_local(day, 23, 59, zone)
    return end.utcoffset() - start.utcoffset()


def next_day(zone: str, season: str) -> datetime.date:
    """The first day from the day after tomorrow (on the zone's calendar) that is of `season`."""
    first = local_today(zone) + datetime.timedelta(days=2)
    for day in (first + datetime.timedelta(days=ahead) for ahead in range(400)):
        change = offset_changes(day, zone)
        in_dst = bool(at_local(day, 12, 0, zone).dst())
        if {
            "standard": not change and not in_dst,
            "summer": not change and in_dst,
            "clocks_forward": change > datetime.timedelta(),
            "clocks_back": change < datetime.timedelta(),
        }[season]:
            return day
    raise LookupError(f"{zone} has no {season} day in the coming year")


CASES = [
    (zone, season)
    for zone, (_, summer) in OFFSETS.items()
    for season in SEASONS
    if summer is not None or season == "standard"
]


def expected_offset(zone: str, season: str) -> str:
    """At 18:00 the clocks have changed already on both change days."""
    standard, summer = OFFSETS[zone]
    return summer if season in ("summer", "clocks_forward") else standard


@pytest.fixture
def at_branch():
    def world(zone: str):
        branch = BranchFactory(time_zone=zone)
        facility = FacilityFactory(branch=branch, name="Sauna", capacity=4)
        BenefitSettingFactory(facility=facility, booking_window_days=365)
        member = MemberFactory(home_branch=branch, auth_user_id=uuid.uuid4())
        return branch, facility, member

    return world


def book(kind: str, item, member) -> None:
    booking_create(kind=kind, item_id=item.pk, member_id=member.pk, actor=Actor.system("test"),
                   channel="concierge", source="command")  # fmt: skip


@pytest.mark.parametrize(("zone", "season"), CASES)
def test_slots_classes_and_bookings_are_on_the_branchs_clock(client, at_branch, zone, season):
    day = next_day(zone, season)
    branch, facility, member = at_branch(zone)
    slot_start = at_local(day, 18, 0, zone)
    slot = BenefitSlotFactory(facility=facility, starts_at=slot_start, ends_at=at_local(day, 18, 30, zone))
    class_start = at_local(day, 19, 30, zone)
    pilates = ScheduledClassFactory(branch=branch, starts_at=class_start, ends_at=at_local(day, 20, 20, zone))
    book("slot", slot, member)
    book("class", pilates, member)
    offset, token = expected_offset(zone, season), bearer(member_token(member))

    slots = client.get(reverse("api:slots"), {"date": day.isoformat()}, **token).json()["results"]
    assert [(item["starts_at"], item["ends_at"], item["time_zone"]) for item in slots] == [
        (f"{day}T18:00:00{offset}", f"{day}T18:30:00{offset}", zone)
    ]
    classes = client.get(reverse("api:classes"), {"date": day.isoformat()}, **token).json()["results"]
    assert [(item["starts_at"], item["ends_at"], item["time_zone"]) for item in classes] == [
        (f"{day}T19:30:00{offset}", f"{day}T20:20:00{offset}", zone)
    ]
    mine = client.get(reverse("api:bookings"), **token).json()["results"]
    assert [(item["title"], item["starts_at"], item["time_zone"]) for item in mine] == [
        (pilates.title, f"{day}T19:30:00{offset}", zone),
        ("Sauna", f"{day}T18:00:00{offset}", zone),
    ]
    # still the same instants
    assert datetime.datetime.fromisoformat(slots[0]["starts_at"]) == slot_start
    assert datetime.datetime.fromisoformat(mine[0]["starts_at"]) == class_start


@pytest.mark.parametrize("zone", ["America/New_York", "Australia/Sydney", "Pacific/Chatham"])
def test_on_the_day_clocks_go_forward_each_slot_has_the_offset_of_its_moment(client, at_branch, zone):
    day = next_day(zone, "clocks_forward")
    branch, facility, member = at_branch(zone)
    standard, summer = OFFSETS[zone]
    early = at_local(day, 0, 30, zone)
    BenefitSlotFactory(facility=facility, starts_at=early, ends_at=early + datetime.timedelta(minutes=30))
    late = at_local(day, 22, 0, zone)
    BenefitSlotFactory(facility=facility, starts_at=late, ends_at=late + datetime.timedelta(minutes=30))
    slots = client.get(reverse("api:slots"), {"date": day.isoformat()}, **bearer(member_token(member))).json()
    assert [item["starts_at"] for item in slots["results"]] == [f"{day}T00:30:00{standard}", f"{day}T22:00:00{summer}"]


def test_a_day_asked_of_another_branch_is_that_branchs_day(client, at_branch):
    """A London member looking at New York: 23:00 in New York is already tomorrow in London."""
    _, _, member = at_branch("Europe/London")
    new_york = BranchFactory(organization=member.organization, time_zone="America/New_York")
    sauna = FacilityFactory(branch=new_york)
    day = next_day("America/New_York", "standard")
    late = at_local(day, 23, 0, "America/New_York")
    BenefitSlotFactory(facility=sauna, starts_at=late, ends_at=late + datetime.timedelta(minutes=30))
    ScheduledClassFactory(branch=new_york, starts_at=late, ends_at=late + datetime.timedelta(minutes=45))
    token = bearer(member_token(member))

    def listed(name: str, **query) -> list[str]:
        results = client.get(reverse(f"api:{name}"), {"date": day.isoformat(), **query}, **token).json()["results"]
        return [item["starts_at"] for item in results]

    assert listed("slots", branch=new_york.pk) == [f"{day}T23:00:00-05:00"]
    assert listed("slots", facility=sauna.pk) == [f"{day}T23:00:00-05:00"]
    assert listed("classes", branch=new_york.pk) == [f"{day}T23:00:00-05:00"]
    # without a branch, the day is the member's home branch's: 23:00 in New York is the next day there
    assert listed("slots") == listed("classes") == []


def test_a_list_that_mixes_branches_shows_each_item_on_its_own_branchs_clock(client, at_branch):
    _, london_sauna, member = at_branch("Europe/London")
    kolkata = BranchFactory(organization=member.organization, time_zone="Asia/Kolkata")
    day = next_day("Europe/London", "standard")  # Kolkata has no DST
    morning = BenefitSlotFactory(
        facility=london_sauna,
        starts_at=at_local(day, 9, 0, "Europe/London"),
        ends_at=at_local(day, 9, 30, "Europe/London"),
    )
    evening = ScheduledClassFactory(
        branch=kolkata, starts_at=at_local(day, 18, 0, "Asia/Kolkata"), ends_at=at_local(day, 19, 0, "Asia/Kolkata")
    )
    book("slot", morning, member)
    book("class", evening, member)
    mine = client.get(reverse("api:bookings"), **bearer(member_token(member))).json()["results"]
    # newest first by the instant: 18:00 in Kolkata is 12:30 UTC, after 09:00 in London
    assert [(item["starts_at"], item["time_zone"]) for item in mine] == [
        (f"{day}T18:00:00+05:30", "Asia/Kolkata"),
        (f"{day}T09:00:00+00:00", "Europe/London"),
    ]
