"""A member's profile as the desk reads it, for a member of a New York branch who also books at a
branch in Kolkata, with the clock frozen at 10:20 on a New York day.

PostgreSQL's clock cannot be frozen (config/tests/clock.py): the day is in the future, so the engine
books as usual; what only happens after a start (check-in, no-show, a late cancellation) is written
directly. The entitlement use is the engine's count for the database's own period, so its test
moves a booking into that period.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
import time_machine
from django.utils import formats, timezone

from audit.services import Actor
from bookings.models import BenefitBooking, ClassBooking
from bookings.services import Override, booking_cancel
from bookings.tests.test_services import CLASS, book
from classes.models import ScheduledClass
from clubs import localtime
from clubs.tests.factories import BranchFactory
from config.tests.clock import interesting_day, local
from desk.profiles import HISTORY_LENGTH, member_bookings, member_profile
from desk.tests.test_selectors import a_class
from facilities.tests.factories import BenefitSettingFactory, BenefitSlotFactory, FacilityFactory
from members.models import BenefitKind, EntitlementPeriod, Member, MemberNote
from members.tests.factories import EntitlementFactory, MemberFactory

pytestmark = pytest.mark.django_db

ZONE = "America/New_York"
DAY = interesting_day(ZONE, "standard")  # EST, UTC-5
KOLKATA = "Asia/Kolkata"  # IST, UTC+5:30


def at(hour: int, minute: int = 0, day: datetime.date = DAY, zone: str = ZONE) -> datetime.datetime:
    return local(day, hour, minute, zone)


def day_text(day: datetime.date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


@dataclass
class Counter:
    branch: object
    kolkata: object
    member: object
    other: object
    items: dict


def booked(item, member, kind=CLASS, **options):
    return book(item, member, kind, **options).booking_id


def maya_at_the_counter(manager) -> Counter:
    """Maya's bookings at 10:20 on the New York day: two over (attended, a no-show), one late
    cancellation, one in progress, one starting within the hour, one in the evening, a waitlist
    place, an override, a cancelled booking of the evening and one in Kolkata tomorrow."""
    branch = BranchFactory(name="Harbourfront", time_zone=ZONE)
    kolkata = BranchFactory(name="Bandra", time_zone=KOLKATA, organization=branch.organization)
    maya = MemberFactory(
        home_branch=branch, first_name="Maya", last_name="Ortiz", member_number="H100",
        email="maya@example.com", phone="+1 212 555 0100",
    )  # fmt: skip
    other = MemberFactory(home_branch=branch, first_name="Omar", last_name="Haddad", member_number="H101")
    for person in (maya, other):
        for kind in BenefitKind.values:
            EntitlementFactory(member=person, benefit_kind=kind, quota=20)
    sauna = FacilityFactory(branch=branch, name="Sauna", capacity=2)
    BenefitSettingFactory(facility=sauna, booking_window_days=365, cancellation_cutoff_minutes=120)
    items = {
        "stretch": a_class(branch, "Stretch", at(7), 45, capacity=5),
        "barre": a_class(branch, "Barre", at(8), 45, capacity=5),
        "sauna": BenefitSlotFactory(facility=sauna, starts_at=at(9), ends_at=at(9, 30), capacity=2),
        "yoga": a_class(branch, "Yoga", at(9, 40), 60, capacity=5),
        "pilates": a_class(branch, "Pilates", at(10, 50), 45, capacity=5),
        "reformer": a_class(branch, "Reformer", at(12), 45, capacity=1),
        "boxing": a_class(branch, "Boxing", at(14), 45, capacity=1),
        "spin": a_class(branch, "Spin", at(18), 45, capacity=5),
        "zumba": a_class(branch, "Zumba", at(19), 45, capacity=5),
        "meditation": a_class(kolkata, "Meditation", at(19, day=DAY + datetime.timedelta(days=1), zone=KOLKATA), 45,
                              capacity=5),
    }  # fmt: skip
    late = booked(items["stretch"], maya)
    ClassBooking.objects.filter(pk=late).update(status="cancelled", is_late_cancellation=True, cancelled_at=at(6, 30))
    ClassBooking.objects.filter(pk=booked(items["barre"], maya)).update(status="no_show")
    sauna_booking = booked(items["sauna"], maya, kind="slot")
    BenefitBooking.objects.filter(pk=sauna_booking).update(status="attended", checked_in_at=at(8, 55))
    for name in ("yoga", "pilates", "spin", "meditation"):
        booked(items[name], maya)
    booked(items["reformer"], other)
    booked(items["reformer"], maya, join_waitlist=True)
    booked(items["boxing"], other)
    book(items["boxing"], maya, CLASS, booked_by=manager, override=Override("vip", "Guest of the owner"))
    booking_cancel(kind=CLASS, booking_id=booked(items["zumba"], maya), actor=Actor.system("test"), source="command")
    return Counter(branch, kolkata, maya, other, items)


@pytest.fixture
def counter(manager) -> Counter:
    return maya_at_the_counter(manager)


def frozen_at_10_20():
    return time_machine.travel(at(10, 20), tick=False)


@pytest.fixture
def at_10_20():
    with frozen_at_10_20():
        yield


def test_the_profile_reads_the_member_on_their_home_branchs_clock(counter, django_assert_num_queries):
    Member.objects.filter(pk=counter.member.pk).update(created_at=at(23, 30, day=DAY - datetime.timedelta(days=3)))
    with django_assert_num_queries(1):
        profile = member_profile(member_id=counter.member.pk)
    # 23:30 in New York is already the next day in UTC: the day is New York's.
    assert (profile.full_name, profile.member_number, profile.status, profile.banner) == (
        "Maya Ortiz", "H100", "active", "",
    )  # fmt: skip
    assert (profile.home_branch, profile.time_zone, profile.email, profile.phone) == (
        "Harbourfront", ZONE, "maya@example.com", "+1 212 555 0100",
    )  # fmt: skip
    assert profile.member_since == day_text(DAY - datetime.timedelta(days=3))
    assert (profile.note.text, profile.note.changed) == ("", "")
    assert profile.may_book


@pytest.mark.parametrize(
    ("status", "banner"),
    [
        ("frozen", "Frozen: cannot book until the membership is active again."),
        ("cancelled", "Cancelled: the membership has ended; the member cannot book."),
    ],
)
def test_a_frozen_or_cancelled_member_carries_the_banner_and_may_not_book(status, banner):
    member = MemberFactory(status=status)
    profile = member_profile(member_id=member.pk)
    assert (profile.status, profile.banner, profile.may_book) == (status, banner, False)


def test_the_note_says_who_changed_it_last_and_when_on_the_home_branchs_clock(counter, manager):
    manager.first_name, manager.last_name = "Jo", "Bloggs"
    manager.save()
    with time_machine.travel(at(18, 2), tick=False):
        MemberNote.objects.create(member=counter.member, text="Knee injury: no spin.", updated_by=manager)
    note = member_profile(member_id=counter.member.pk).note
    assert (note.text, note.changed) == ("Knee injury: no spin.", f"{day_text(DAY)}, 18:02 EST by Jo Bloggs")


def test_an_unknown_member_has_no_profile(db):
    assert member_profile(member_id=MemberFactory.build().pk) is None


def test_upcoming_bookings_are_on_their_own_branchs_clock_with_what_the_desk_may_do(
    counter, at_10_20, django_assert_num_queries
):
    profile = member_profile(member_id=counter.member.pk)
    with django_assert_num_queries(5):
        bookings = member_bookings(profile=profile)
    tomorrow = DAY + datetime.timedelta(days=1)
    rows = [(line.title, line.when, line.branch, line.status, line.in_progress) for line in bookings.upcoming]
    assert rows == [
        ("Yoga", f"{day_text(DAY)}, 09:40–10:40 EST", "", "confirmed", True),
        ("Pilates", f"{day_text(DAY)}, 10:50–11:35 EST", "", "confirmed", False),
        ("Reformer", f"{day_text(DAY)}, 12:00–12:45 EST", "", "waitlisted", False),
        ("Boxing", f"{day_text(DAY)}, 14:00–14:45 EST", "", "confirmed", False),
        ("Spin", f"{day_text(DAY)}, 18:00–18:45 EST", "", "confirmed", False),
        # 19:00 in Kolkata is 08:30 in New York: it reads Kolkata's time
        ("Meditation", f"{day_text(tomorrow)}, 19:00–19:45 IST", "Bandra", "confirmed", False),
    ]
    assert [line.may_check_in for line in bookings.upcoming] == [True, True, False, False, False, False]
    assert all(line.may_cancel for line in bookings.upcoming)
    assert [line.capacity_override for line in bookings.upcoming] == [False, False, False, True, False, False]
    yoga = ClassBooking.objects.get(member=counter.member, scheduled_class=counter.items["yoga"])
    first = bookings.upcoming[0]
    assert (first.kind, first.booking_id, first.item_id, first.member_name) == (
        "class", yoga.pk, counter.items["yoga"].pk, "Maya Ortiz",
    )  # fmt: skip


def test_the_cancel_consequence_uses_the_items_cutoff_before_confirming(counter, at_10_20):
    bookings = member_bookings(profile=member_profile(member_id=counter.member.pk))
    consequences = {line.title: line.cancel_consequence for line in bookings.upcoming}
    # 30 minutes away, a class's cutoff is 60 minutes: late, with what the member's history holds already
    assert consequences["Pilates"] == (
        "Cancelling now is a late cancellation (less than 1 hour before the start): it goes on the member's"
        " history. They have 1 late cancellation in the last 90 days."
    )
    assert consequences["Reformer"] == "Takes the member off the waitlist; never a late cancellation."
    free = "Free cancellation until {} (1 hour before the start); after that it is a late cancellation."
    assert consequences["Spin"] == free.format("17:00")
    assert consequences["Meditation"] == free.format("18:00")  # on Kolkata's clock


def test_a_checked_in_booking_stays_upcoming_with_its_check_in_time_while_it_runs(counter, at_10_20):
    ClassBooking.objects.filter(member=counter.member, scheduled_class=counter.items["yoga"]).update(
        status="attended", checked_in_at=at(9, 35)
    )
    (yoga, *_) = member_bookings(profile=member_profile(member_id=counter.member.pk)).upcoming
    assert (yoga.title, yoga.status, yoga.checked_in, yoga.may_check_in, yoga.may_cancel) == (
        "Yoga", "attended", "09:35", False, False,
    )  # fmt: skip


def test_the_history_lists_the_latest_outcomes_and_counts_them(counter, at_10_20):
    bookings = member_bookings(profile=member_profile(member_id=counter.member.pk))
    rows = [(line.title, line.when, line.outcome, line.outcome_class) for line in bookings.history]
    assert rows == [
        ("Zumba", f"{day_text(DAY)}, 19:00–19:45 EST", "Cancelled", "cancelled"),  # still to come, cancelled
        ("Sauna", f"{day_text(DAY)}, 09:00–09:30 EST", "Attended", "attended"),
        ("Barre", f"{day_text(DAY)}, 08:00–08:45 EST", "No-show", "no-show"),
        ("Stretch", f"{day_text(DAY)}, 07:00–07:45 EST", "Late cancellation", "late"),
    ]
    counts = bookings.counts
    assert (counts.days, counts.attended, counts.no_shows, counts.late_cancellations) == (90, 1, 1, 1)


def test_the_history_is_the_latest_ones_and_the_counts_only_the_last_90_days(counter, django_assert_num_queries):
    """Sixty days after the New York day, with a class attended on each of the 25 days before, and one
    attended 100 days before."""
    profile = member_profile(member_id=counter.member.pk)
    later = at(10, 20, day=DAY + datetime.timedelta(days=60))
    for days_before in [*range(1, 26), 100]:
        extra = a_class(counter.branch, f"{days_before} days before", at(6, day=DAY + datetime.timedelta(days=5)), 30,
                        capacity=5)  # fmt: skip
        ClassBooking.objects.filter(pk=booked(extra, counter.member)).update(status="attended")
        # moved once booked: the engine books only what is still to come on the database's clock
        starts = later - datetime.timedelta(days=days_before)
        ScheduledClass.objects.filter(pk=extra.pk).update(
            starts_at=starts, ends_at=starts + datetime.timedelta(minutes=30)
        )
    with django_assert_num_queries(5):
        bookings = member_bookings(profile=profile, now=later)
    assert len(bookings.history) == HISTORY_LENGTH
    assert [line.title for line in bookings.history[:2]] == ["1 days before", "2 days before"]
    assert bookings.upcoming == []
    # the 25 classes and the New York day's (60 days before); not the class of 100 days before
    counts = bookings.counts
    assert (counts.attended, counts.no_shows, counts.late_cancellations) == (25 + 1, 1, 1)


def test_overrides_made_for_the_member_say_who_when_why_and_how_far(counter, at_10_20):
    (override,) = member_bookings(profile=member_profile(member_id=counter.member.pk)).overrides
    booking = ClassBooking.objects.get(member=counter.member, scheduled_class=counter.items["boxing"])
    made = localtime.local_datetime(booking.created_at, ZONE)
    assert (override.title, override.when, override.made, override.booked_by) == (
        "Boxing", f"{day_text(DAY)}, 14:00–14:45 EST", made, "test-manager",
    )  # fmt: skip
    assert (override.set_aside, override.reason, override.cancelled) == (
        "capacity (2 of 1)", "VIP or guest of the club: Guest of the owner", False,
    )  # fmt: skip


def test_entitlement_use_is_counted_for_the_period_the_engine_counts_at_the_home_branch(db):
    """Recovery sessions by the week, classes by the month, on New York's calendar."""
    branch = BranchFactory(time_zone=ZONE)
    member = MemberFactory(home_branch=branch)
    EntitlementFactory(member=member, benefit_kind=BenefitKind.RECOVERY, quota=3)
    EntitlementFactory(member=member, benefit_kind=BenefitKind.CLASS, quota=2, period=EntitlementPeriod.MONTH)
    for hours in (1, 3):
        scheduled = a_class(branch, f"In {hours} days", timezone.now() + datetime.timedelta(days=hours), 30, capacity=5)
        booked(scheduled, member)
        # moved to now: inside the period the engine counts (the database's clock cannot be frozen)
        now = timezone.now()
        ScheduledClass.objects.filter(pk=scheduled.pk).update(
            starts_at=now, ends_at=now + datetime.timedelta(minutes=1)
        )
    today = localtime.local_today(ZONE)
    week_start = today - datetime.timedelta(days=today.weekday())
    uses = member_bookings(profile=member_profile(member_id=member.pk)).entitlements
    assert [(use.text, use.used_up) for use in uses] == [
        (f"Classes: 2 of 2 this month ({formats.date_format(today, 'F Y')})", True),
        (f"Recovery sessions: 0 of 3 this week (week from {week_start:%a} {week_start.day} {week_start:%b})", False),
    ]
