"""The front desk's reads at a branch in New York, with the clock frozen at 10:20 on its day.

PostgreSQL's clock cannot be frozen (config/tests/clock.py): the day is in the future, so the engine
books as usual, and a check-in, which the engine allows only near the start, is written directly.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
import time_machine

from audit.services import Actor
from bookings.models import BenefitBooking, BookableItem, ClassBooking
from bookings.services import Override, booking_cancel
from bookings.tests.test_services import CLASS, SLOT, book
from classes.models import ScheduledClass
from classes.tests.factories import ScheduledClassFactory
from clubs import localtime
from clubs.tests.factories import BranchFactory
from config.tests.clock import interesting_day, local
from desk.selectors import arriving_next, day_timeline, needs_attention, roster
from facilities.models import BenefitSetting
from facilities.services import closure_open
from facilities.tests.factories import BenefitSettingFactory, BenefitSlotFactory, FacilityFactory
from members.models import BenefitKind
from members.tests.factories import EntitlementFactory, MemberFactory

pytestmark = pytest.mark.django_db

ZONE = "America/New_York"
DAY = interesting_day(ZONE, "standard")  # EST, UTC-5


def at(hour: int, minute: int = 0) -> datetime.datetime:
    return local(DAY, hour, minute, ZONE)


@dataclass
class Desk:
    branch: object
    sauna_slot: object
    yoga: object
    barre: object
    pilates: object
    members: dict


def member(branch, first_name: str, last_name: str, number: str):
    person = MemberFactory(home_branch=branch, first_name=first_name, last_name=last_name, member_number=number)
    for kind in BenefitKind.values:
        EntitlementFactory(member=person, benefit_kind=kind, quota=20)
    return person


def a_class(branch, title: str, start: datetime.datetime, minutes: int, capacity: int, **fields):
    return ScheduledClassFactory(
        branch=branch,
        title=title,
        starts_at=start,
        ends_at=start + datetime.timedelta(minutes=minutes),
        capacity=capacity,
        instructor="Priya Shah",
        **fields,
    )


@pytest.fixture
def desk(manager) -> Desk:
    branch = BranchFactory(name="Harbourfront", time_zone=ZONE)
    sauna = FacilityFactory(branch=branch, name="Sauna", capacity=2)
    BenefitSettingFactory(facility=sauna, booking_window_days=365)
    sauna_slot = BenefitSlotFactory(facility=sauna, starts_at=at(9), ends_at=at(9, 30), capacity=2)
    steam = FacilityFactory(branch=branch, name="Steam room", capacity=2, under_maintenance=True)
    BenefitSlotFactory(facility=steam, starts_at=at(12), ends_at=at(12, 30), capacity=2)
    FacilityFactory(branch=branch, name="Cold plunge", capacity=2, is_active=False)
    yoga = a_class(branch, "Yoga", at(10), 60, capacity=2)
    barre = a_class(branch, "Barre", at(10, 10), 45, capacity=5)
    pilates = a_class(branch, "Pilates", at(11), 45, capacity=1)
    a_class(branch, "Spin", at(18), 45, capacity=5, is_cancelled=True)
    a_class(BranchFactory(time_zone=ZONE), "Elsewhere", at(10, 30), 45, capacity=5)  # another branch
    a_class(branch, "Tomorrow", at(10) + datetime.timedelta(days=1), 45, capacity=5)

    people = {
        name: member(branch, name, surname, number)
        for name, surname, number in [
            ("Ava", "Brown", "H001"),
            ("Ben", "Adams", "H002"),
            ("Cleo", "Diaz", "H003"),
            ("Dan", "Evans", "H004"),
            ("Eve", "Clark", "H005"),
        ]
    }
    book(sauna_slot, people["Ava"])
    book(sauna_slot, people["Ben"])
    book(sauna_slot, people["Cleo"], join_waitlist=True)

    yoga_ava = book(yoga, people["Ava"], CLASS)
    book(yoga, people["Ben"], CLASS)
    book(yoga, people["Eve"], CLASS, booked_by=manager, override=Override("vip", "Guest of the owner"))
    book(yoga, people["Dan"], CLASS, join_waitlist=True)
    book(yoga, people["Cleo"], CLASS, join_waitlist=True)
    ClassBooking.objects.filter(pk=yoga_ava.booking_id).update(status="attended", checked_in_at=at(9, 58))

    book(barre, people["Cleo"], CLASS)
    cancelled = book(barre, people["Dan"], CLASS)
    booking_cancel(kind=CLASS, booking_id=cancelled.booking_id, actor=Actor.system("test"), source="command")

    book(pilates, people["Dan"], CLASS)
    book(pilates, people["Ava"], CLASS, join_waitlist=True)
    ScheduledClass.objects.filter(pk=pilates.pk).update(capacity=2)  # a place freed, nobody promoted yet
    return Desk(branch, sauna_slot, yoga, barre, pilates, people)


@pytest.fixture
def at_10_20():
    with time_machine.travel(at(10, 20), tick=False):
        yield


def test_the_timeline_lists_the_days_items_on_the_branchs_clock_with_counts_and_states(
    desk, at_10_20, django_assert_num_queries
):
    with django_assert_num_queries(2):
        timeline = day_timeline(branch=desk.branch, day=DAY)
    rows = [
        (entry.time, entry.title, entry.detail, entry.booked, entry.waitlisted, entry.checked_in, entry.state)
        for entry in timeline
    ]
    assert rows == [
        ("09:00–09:30", "Sauna", "Sauna", "2 of 2", 1, 0, "over"),
        ("10:00–11:00", "Yoga", "Priya Shah", "3 of 2", 2, 1, "in progress"),
        ("10:10–10:55", "Barre", "Priya Shah", "1 of 5", 0, 0, "in progress"),
        ("11:00–11:45", "Pilates", "Priya Shah", "1 of 2", 1, 0, "coming up"),
        ("12:00–12:30", "Steam room", "Steam room", "0 of 2", 0, 0, "closed"),
        ("18:00–18:45", "Spin", "Priya Shah", "0 of 5", 0, 0, "closed"),
    ]
    assert [entry.has_override for entry in timeline] == [False, True, False, False, False, False]
    assert [entry.kind for entry in timeline] == ["slot", "class", "class", "class", "slot", "class"]
    assert timeline[4].closed_reason == "the facility is under maintenance"
    assert timeline[5].closed_reason == "the class is cancelled"
    assert timeline[1].id == desk.yoga.pk


def test_the_timeline_costs_two_queries_however_many_items_and_bookings(desk, at_10_20, django_assert_num_queries):
    for hour in range(13, 17):
        extra = a_class(desk.branch, f"Class at {hour}", at(hour), 45, capacity=3)
        for person in desk.members.values():
            book(extra, person, CLASS, join_waitlist=True)
    with django_assert_num_queries(2):
        timeline = day_timeline(branch=desk.branch, day=DAY)
    assert len(timeline) == 10
    assert (timeline[6].booked, timeline[6].waitlisted) == ("3 of 3", 2)


def test_the_timeline_names_the_zone_on_the_day_the_clocks_change():
    day = interesting_day(ZONE, "clocks_forward")
    branch = BranchFactory(time_zone=ZONE)
    a_class(branch, "Early", local(day, 0, 30, ZONE), 30, capacity=5)
    a_class(branch, "Late", local(day, 20, 0, ZONE), 30, capacity=5)
    assert [entry.time for entry in day_timeline(branch=branch, day=day)] == ["00:30–01:00 EST", "20:00–20:30 EDT"]
    assert localtime.time_range(local(day, 20, 0, ZONE), local(day, 20, 30, ZONE), ZONE) == "20:00–20:30"


def test_arriving_next_lists_the_next_hour_and_the_late_with_what_a_check_in_needs(
    desk, at_10_20, django_assert_num_queries
):
    with django_assert_num_queries(1):
        arriving = arriving_next(branch=desk.branch)
    # Barre started 10 minutes ago (still let in); Yoga 20 minutes ago (a no-show candidate only);
    # Pilates in 40 minutes; the waitlisted and the cancelled are not arriving.
    assert [(line.starts, line.item_title, line.member_name, line.member_number) for line in arriving.lines] == [
        ("10:10", "Barre", "Cleo Diaz", "H003"),
        ("11:00", "Pilates", "Dan Evans", "H004"),
    ]
    assert (arriving.total, arriving.more) == (2, 0)
    pilates = ClassBooking.objects.get(scheduled_class=desk.pilates, member=desk.members["Dan"])
    line = arriving.lines[1]
    assert (line.kind, line.booking_id, line.item_id, line.checked_in) == ("class", pilates.pk, desk.pilates.pk, "")
    assert arriving_next(branch=desk.branch, within=datetime.timedelta(minutes=30)).lines == arriving.lines[:1]


def test_arriving_next_keeps_the_checked_in_with_their_time_for_an_undo(desk, at_10_20):
    ClassBooking.objects.filter(scheduled_class=desk.barre, member=desk.members["Cleo"]).update(
        status="attended", checked_in_at=at(10, 12)
    )
    (barre, _) = arriving_next(branch=desk.branch).lines
    assert (barre.member_name, barre.checked_in) == ("Cleo Diaz", "10:12")


def test_a_long_list_shows_its_first_lines_and_counts_the_rest_in_the_same_query(
    desk, at_10_20, django_assert_num_queries
):
    with django_assert_num_queries(1):
        arriving = arriving_next(branch=desk.branch, limit=1)
    assert ([line.member_name for line in arriving.lines], arriving.total, arriving.more) == (["Cleo Diaz"], 2, 1)
    assert arriving_next(branch=desk.branch, within=datetime.timedelta(seconds=1), now=at(3)).total == 0


def test_needs_attention_lists_the_not_checked_in_the_waitlists_with_room_closures_and_overrides(
    desk, at_10_20, django_assert_num_queries
):
    with django_assert_num_queries(6):
        attention = needs_attention(branch=desk.branch, day=DAY)
    # the latest start first: who just missed it may be at the counter
    assert [(line.starts, line.item_title, line.member_name) for line in attention.not_checked_in.lines] == [
        ("10:10", "Barre", "Cleo Diaz"),
        ("10:00", "Yoga", "Ben Adams"),
        ("10:00", "Yoga", "Eve Clark"),
        ("09:00", "Sauna", "Ben Adams"),
        ("09:00", "Sauna", "Ava Brown"),
    ]
    sauna = BenefitBooking.objects.get(slot=desk.sauna_slot, member=desk.members["Ava"])
    assert (attention.not_checked_in.lines[4].kind, attention.not_checked_in.lines[4].booking_id) == ("slot", sauna.pk)
    # The Sauna's waitlist is over with its slot; Pilates has a free place and a member waiting.
    assert [(entry.title, entry.booked, entry.waitlisted) for entry in attention.waitlist_with_free_places] == [
        ("Pilates", "1 of 2", 1)
    ]
    assert [(facility.name, facility.reason) for facility in attention.closed_facilities] == [
        ("Cold plunge", "closed"),
        ("Steam room", "under maintenance"),
    ]
    (override,) = attention.overrides
    assert (override.member_name, override.item_title, override.starts, override.places) == (
        "Eve Clark",
        "Yoga",
        "10:00",
        "3 of 2",
    )
    assert override.reason == "VIP or guest of the club: Guest of the owner"
    assert override.booked_by == "test-manager"


def test_needs_attention_names_todays_closures_with_their_hours_on_the_branchs_clock(desk, at_10_20, manager):
    for room, facility, start, end, reason, note in (
        ("Studio 1", None, at(14), at(16), "private_event", "Birthday party"),
        ("", desk.sauna_slot.facility, at(18), at(18) + datetime.timedelta(days=3), "maintenance", ""),
    ):
        closure_open(branch=desk.branch, facility=facility, room=room, starts_at=start, ends_at=end, reason=reason,
                     note=note, user=manager, source="admin")  # fmt: skip
    closed = [
        (facility.name, facility.reason) for facility in needs_attention(branch=desk.branch, day=DAY).closed_facilities
    ]
    assert closed[-2:] == [
        ("room Studio 1", "closed 14:00–16:00 (private event: Birthday party)"),
        ("Sauna", "closed 18:00–00:00 (maintenance)"),
    ]


def test_the_roster_lists_attendees_the_waitlist_in_promotion_order_and_the_cancelled(
    desk, at_10_20, django_assert_num_queries
):
    with django_assert_num_queries(2):
        yoga = roster(kind=CLASS, item_id=desk.yoga.pk)
    assert (yoga.item.pk, yoga.item.branch.name, yoga.booked) == (desk.yoga.pk, "Harbourfront", "3 of 2")
    assert (yoga.kind_label, yoga.detail) == ("Class", "with Priya Shah")
    assert yoga.when == f"{DAY:%a} {DAY.day} {DAY:%b %Y}, 10:00–11:00 EST"
    assert (yoga.state, yoga.closed_reason, yoga.has_override) == ("in progress", "", True)
    assert [
        (line.member_name, line.status, line.status_label, line.checked_in, line.capacity_override)
        for line in yoga.attendees
    ] == [
        ("Ben Adams", "confirmed", "Confirmed", "", False),
        ("Ava Brown", "attended", "Attended", "09:58", False),
        ("Eve Clark", "confirmed", "Confirmed", "", True),
    ]
    assert yoga.attendees[2].override == "VIP or guest of the club: Guest of the owner (3 of 2, by test-manager)"
    assert [(line.position, line.member_name) for line in yoga.waitlist] == [(1, "Dan Evans"), (2, "Cleo Diaz")]
    assert yoga.cancelled == []

    barre = roster(kind=CLASS, item_id=desk.barre.pk)
    assert [(line.member_name, line.status_label) for line in barre.cancelled] == [("Dan Evans", "Cancelled")]
    assert [line.member_number for line in barre.attendees] == ["H003"]
    assert (barre.has_override, barre.booked) == (False, "1 of 5")


def test_the_roster_says_when_check_in_opens_and_what_cancelling_now_means(desk, at_10_20):
    # Pilates at 11:00, 40 minutes away: check-in open (from 10:00), no no-show yet, cancelling late (cutoff 60 min)
    pilates = roster(kind=CLASS, item_id=desk.pilates.pk)
    assert (pilates.state, pilates.check_in_open, pilates.check_in_opens, pilates.no_show_open) == (
        "coming up",
        True,
        "10:00",
        False,
    )
    assert pilates.cancel_is_late
    assert (
        pilates.cancel_consequence
        == "Cancelling now is a late cancellation (less than 1 hour before the start): it goes on the member's history."
    )
    # Spin at 18:00 is cancelled: no check-in before 17:00; cancelling is free until 17:00
    spin = roster(kind=CLASS, item_id=ScheduledClass.objects.get(title="Spin").pk)
    assert (spin.state, spin.closed_reason, spin.check_in_open) == ("closed", "the class is cancelled", False)
    # From 17:00 its check-in is offered as any other's: the engine decides, and says why if it refuses
    assert roster(kind=CLASS, item_id=spin.item.pk, now=at(17, 0)).check_in_open
    assert (spin.cancel_is_late, spin.cancel_consequence) == (
        False,
        "Free cancellation until 17:00 (1 hour before the start); after that it is a late cancellation.",
    )
    # A facility's own cutoff, ending the day before: the day is named
    BenefitSetting.objects.filter(facility__name="Sauna").update(cancellation_cutoff_minutes=90 + 24 * 60)
    sauna = roster(kind=SLOT, item_id=desk.sauna_slot.pk, now=at(10, 20) - datetime.timedelta(days=3))
    eve = DAY - datetime.timedelta(days=1)
    assert (sauna.kind_label, sauna.detail, sauna.state) == ("Recovery facility", "", "coming up")
    assert sauna.cancel_consequence == (
        f"Free cancellation until {eve:%a} {eve.day} {eve:%b %Y}, 07:30 EST (25 hours 30 minutes before the start);"
        " after that it is a late cancellation."
    )


def test_the_roster_of_a_missing_item_is_not_found(desk):
    with pytest.raises(BookableItem.DoesNotExist):
        roster(kind=CLASS, item_id=desk.sauna_slot.pk)
