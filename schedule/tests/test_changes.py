"""Schedule changes with a preview: a facility's new capacity, hours or slot length, and a timetable
entry's new fields, applied to the slots and classes already made (schedule/services.py, on
schedule/sql/schedule_changes/), at a branch in New York. The preview writes nothing; applying
changes the settings and the future in one transaction with one audit entry, keeps every booked
place and lists the items that keep bookings the change would otherwise have dropped."""

from __future__ import annotations

import datetime
import time

import pytest
from django.db import connection
from django.utils import timezone

from audit.models import AuditLog
from audit.services import Actor
from bookings.models import BenefitBooking, BookingStatus, ClassBooking
from bookings.tests.factories import BenefitBookingFactory, ClassBookingFactory
from classes.models import ScheduledClass
from classes.services import classes_ensure
from classes.tests.factories import ClassTimetableEntryFactory
from clubs import localtime
from clubs.tests.factories import BranchFactory
from config.errors import RuleViolation
from config.testing import committed_connection
from config.tests.clock import interesting_day, local
from facilities.models import BenefitSetting, BenefitSlot, Facility, Weekday
from facilities.services import slots_ensure
from facilities.tests.factories import BenefitSettingFactory, FacilityFactory
from members.tests.factories import MemberFactory
from schedule.services import facility_schedule_change, timetable_entry_change

pytestmark = pytest.mark.django_db

ZONE = "America/New_York"
WEEK = datetime.timedelta(days=7)
MANAGER = Actor.system("test")


@pytest.fixture
def branch():
    return BranchFactory(name="Harbourfront", time_zone=ZONE)


@pytest.fixture
def today() -> datetime.date:
    return localtime.local_today(ZONE)


@pytest.fixture
def sauna(branch, today):
    return sauna_at(branch, today)


def sauna_at(branch, today: datetime.date, days: list[int] | None = None):
    """A sauna open 06:00-22:00 in 30-minute slots for 4 (every day, or on `days`), its slots made
    from today for three days."""
    facility = FacilityFactory(branch=branch, name="Sauna", capacity=4, available_days=days or Weekday.values)
    BenefitSettingFactory(facility=facility)
    slots_ensure(branch_id=branch.pk, start_date=today, end_date=today + datetime.timedelta(days=2), actor=MANAGER,
                 source="command")  # fmt: skip
    return facility


def day_after_tomorrow(today: datetime.date) -> datetime.date:
    return today + datetime.timedelta(days=2)


def slot_at(facility, day: datetime.date, hour: int, minute: int = 0) -> BenefitSlot:
    return BenefitSlot.objects.get(facility=facility, starts_at=local(day, hour, minute, ZONE))


def book(slot: BenefitSlot, count: int, **member_fields) -> list[BenefitBooking]:
    return [
        BenefitBookingFactory(slot=slot, member=MemberFactory(home_branch=slot.facility.branch, **member_fields))
        for _ in range(count)
    ]


def cancel(model, booking) -> None:
    model.objects.filter(pk=booking.pk).update(status=BookingStatus.CANCELLED, cancelled_at=timezone.now())


def change_sauna(sauna, *, apply: bool, **values):
    shape = {"capacity": None, "opens_at": datetime.time(6), "closes_at": datetime.time(22), "slot_minutes": 30}
    return facility_schedule_change(facility=sauna, **{**shape, **values}, actor=MANAGER, apply=apply)


def future_slots(facility) -> list[tuple]:
    return list(
        BenefitSlot.objects.filter(facility=facility)
        .order_by("starts_at")
        .values_list("id", "starts_at", "ends_at", "capacity")
    )


def local_times(facility, day: datetime.date) -> list[str]:
    day_slots = BenefitSlot.objects.filter(
        facility=facility, starts_at__gte=local(day, 0, 0, ZONE), starts_at__lt=local(day, 23, 59, ZONE)
    ).order_by("starts_at")
    return [localtime.local_time(slot.starts_at, ZONE) for slot in day_slots]


def schedule_entries() -> list[AuditLog]:
    return list(AuditLog.objects.filter(action="schedule.changed").order_by("occurred_at"))


# A facility's capacity


def test_a_capacity_below_the_bookings_keeps_them_and_lists_the_slot(sauna, today):
    day = day_after_tomorrow(today)
    full = slot_at(sauna, day, 9)
    bookings = book(full, 3, first_name="Dana", last_name="Evans")
    book(slot_at(sauna, day, 10), 2)
    future = BenefitSlot.objects.filter(facility=sauna).count()  # the rest of today included

    report = change_sauna(sauna, capacity=2, apply=True)

    assert report.applied and report.values_changed
    assert report.figures["capacity_changed"] == report.figures["updated"] <= future
    assert (report.figures["created"], report.figures["removed"], report.figures["kept"]) == (0, 0, 0)
    assert [(line.id, line.booked, line.capacity, line.was_capacity) for line in report.over_capacity] == [
        (full.pk, 3, 2, 4)
    ]
    full.refresh_from_db()
    assert full.capacity == 2
    assert BenefitBooking.objects.filter(pk__in=[b.pk for b in bookings], status=BookingStatus.CONFIRMED).count() == 3
    assert set(BenefitSlot.objects.filter(facility=sauna, starts_at__gt=local(today, 23, 59, ZONE)).values_list(
        "capacity", flat=True)) == {2}  # fmt: skip
    assert BenefitSetting.objects.get(facility=sauna).capacity == 2


def test_a_new_facility_capacity_reaches_the_slots_when_the_settings_have_none(sauna):
    report = change_sauna(sauna, facility_capacity=6, apply=True)

    assert report.before["capacity"] == 4 and report.after["capacity"] == 6
    sauna.refresh_from_db()
    assert sauna.capacity == 6 and BenefitSetting.objects.get(facility=sauna).capacity is None
    assert set(BenefitSlot.objects.filter(facility=sauna).values_list("capacity", flat=True)) <= {4, 6}
    assert report.figures["updated"] == BenefitSlot.objects.filter(facility=sauna, capacity=6).count() > 0


# A facility's hours


def test_new_hours_remove_empty_slots_keep_a_booked_one_and_make_the_new_ones(sauna, today):
    day = day_after_tomorrow(today)
    early = slot_at(sauna, day, 6, 30)
    [booking] = book(early, 1, first_name="Dana", last_name="Evans")

    report = change_sauna(sauna, opens_at=datetime.time(7), closes_at=datetime.time(23), apply=True)

    figures = report.figures
    assert figures["kept"] == 1 and figures["removed"] >= 3  # 06:00 and 06:30 of each day still to come
    assert figures["created"] >= 4  # 22:00 and 22:30 of each day
    assert [(line.id, line.booked) for line in report.outside] == [(early.pk, 1)]
    [booker] = report.outside[0].bookings
    assert (booker.name, booker.member_id, booker.status) == ("Dana Evans", booking.member_id, "confirmed")
    # the booked 06:30 stays, with its booking; the day now runs 07:00-23:00
    assert local_times(sauna, day) == ["06:30", *(f"{h:02d}:{m:02d}" for h in range(7, 23) for m in (0, 30))]
    assert BenefitBooking.objects.get(pk=booking.pk).status == BookingStatus.CONFIRMED


def test_a_slot_only_cancelled_bookings_name_is_kept_and_counted_not_listed(sauna, today):
    late = slot_at(sauna, day_after_tomorrow(today), 21, 30)
    [booking] = book(late, 1)
    cancel(BenefitBooking, booking)

    report = change_sauna(sauna, closes_at=datetime.time(21), apply=True)

    assert report.figures["kept_cancelled"] == 1 and report.outside == []
    assert BenefitSlot.objects.filter(pk=late.pk).exists()


def test_a_new_slot_length_moves_the_ends_and_lists_booked_slots_whose_times_change(sauna, today):
    day = day_after_tomorrow(today)
    on_grid = slot_at(sauna, day, 7, 30)  # 06:00 + 2 x 45 minutes: still a start
    off_grid = slot_at(sauna, day, 8)
    [moved] = book(on_grid, 1, first_name="Noor", last_name="Haddad", email="noor@example.com")
    book(off_grid, 2)

    report = change_sauna(sauna, slot_minutes=45, apply=True)

    on_grid.refresh_from_db()
    assert on_grid.ends_at == local(day, 8, 15, ZONE) and on_grid.capacity == 4
    assert [(line.id, line.was_ends_at, line.ends_at, line.booked) for line in report.moved] == [
        (on_grid.pk, local(day, 8, 0, ZONE), local(day, 8, 15, ZONE), 1)
    ]
    # whom to tell of the new end
    assert [(b.name, b.member_id, b.email) for b in report.moved[0].bookings] == [
        ("Noor Haddad", moved.member_id, "noor@example.com")
    ]
    assert [(line.id, line.booked) for line in report.outside] == [(off_grid.pk, 2)]
    starts = ["06:00", "06:45", "07:30", "08:15", "09:00"]
    assert local_times(sauna, day)[:6] == [*starts[:3], "08:00", *starts[3:]]  # the booked 08:00 kept
    assert report.figures["times_changed"] > 0 and report.figures["capacity_changed"] == 0


def test_a_facility_under_maintenance_keeps_its_slots_and_takes_the_new_settings(sauna):
    sauna.under_maintenance = True
    sauna.save()
    before = future_slots(sauna)

    report = change_sauna(sauna, capacity=2, closes_at=datetime.time(20), apply=True)

    assert report.skipped == "under maintenance" and report.items_changed == 0
    assert future_slots(sauna) == before
    assert BenefitSetting.objects.get(facility=sauna).closes_at == datetime.time(20)


# A facility's days of the week

EVERY_SLOT = [f"{h:02d}:{m:02d}" for h in range(6, 22) for m in (0, 30)]


def test_a_day_dropped_removes_its_empty_slots_and_keeps_and_lists_the_booked_ones(sauna, today):
    day = day_after_tomorrow(today)
    booked = slot_at(sauna, day, 9)
    [booking] = book(booked, 1, first_name="Dana", last_name="Evans", phone="+1 212 555 0100")
    days = [weekday for weekday in Weekday.values if weekday != day.isoweekday()]
    other_days = {d: local_times(sauna, d) for d in (today, today + datetime.timedelta(days=1))}

    preview = change_sauna(sauna, available_days=days, apply=False)
    report = change_sauna(sauna, available_days=days, apply=True)

    assert report.figures == preview.figures and report.outside == preview.outside
    assert report.before["available_days"] == Weekday.values and report.after["available_days"] == days
    assert report.values_changed and report.figures["removed"] == len(EVERY_SLOT) - 1
    assert (report.figures["kept"], report.figures["created"], report.figures["updated"]) == (1, 0, 0)
    # the booked slot stays, with its booking, and is listed with who booked it
    assert local_times(sauna, day) == ["09:00"]
    [line] = report.outside
    assert (line.id, line.booked) == (booked.pk, 1)
    assert [(b.name, b.member_id, b.phone) for b in line.bookings] == [
        ("Dana Evans", booking.member_id, "+1 212 555 0100")
    ]
    assert BenefitBooking.objects.get(pk=booking.pk).status == BookingStatus.CONFIRMED
    # the other days are as they were, and the facility has the new days
    assert {d: local_times(sauna, d) for d in other_days} == other_days
    assert Facility.objects.get(pk=sauna.pk).available_days == days
    [entry] = schedule_entries()
    assert entry.old_values["available_days"] == Weekday.values and entry.new_values["available_days"] == days


def test_a_day_added_makes_its_slots(branch, today):
    # a day before the last one made (later days are the nightly run's, with the new days)
    day = today + datetime.timedelta(days=1)
    sauna = sauna_at(branch, today, days=[weekday for weekday in Weekday.values if weekday != day.isoweekday()])
    assert local_times(sauna, day) == []

    report = change_sauna(sauna, available_days=list(reversed(Weekday.values)), apply=True)

    assert report.after["available_days"] == Weekday.values  # a set of days, in the week's order
    assert report.figures["created"] == len(EVERY_SLOT) and report.figures["removed"] == 0
    assert local_times(sauna, day) == EVERY_SLOT
    assert Facility.objects.get(pk=sauna.pk).available_days == Weekday.values


def test_the_same_days_in_another_order_change_nothing(sauna):
    report = change_sauna(sauna, available_days=[7, 3, 1, 2, 6, 5, 4, 4], apply=True)
    assert not report.changes_anything and schedule_entries() == []


# Preview and application


def database_state() -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(
            "select (select jsonb_agg(s order by s.id) from benefit_slots s),"
            " (select jsonb_agg(t order by t.id) from benefit_settings t),"
            " (select jsonb_agg(f order by f.id) from facilities f),"
            " (select jsonb_agg(c order by c.id) from classes c),"
            " (select jsonb_agg(e order by e.id) from class_timetable e),"
            " (select jsonb_agg(b order by b.id) from benefit_bookings b),"
            " (select count(*) from audit_logs), (select count(*) from audit_pending)"
        )
        return cursor.fetchone()


def test_the_preview_writes_nothing_and_says_what_applying_does(sauna, today):
    book(slot_at(sauna, day_after_tomorrow(today), 21, 30), 1)
    state = database_state()

    preview = change_sauna(sauna, capacity=3, closes_at=datetime.time(21), slot_minutes=30, apply=False)

    assert database_state() == state
    assert not preview.applied and preview.figures["removed"] > 0 and len(preview.outside) == 1
    applied = change_sauna(sauna, capacity=3, closes_at=datetime.time(21), slot_minutes=30, apply=True)
    assert applied.figures == preview.figures
    assert applied.outside == preview.outside and applied.over_capacity == preview.over_capacity


def test_applying_writes_one_audit_entry_and_a_second_application_changes_nothing(sauna, today):
    applied = change_sauna(sauna, capacity=3, opens_at=datetime.time(8), apply=True)
    [entry] = schedule_entries()
    assert (entry.entity_type, entry.entity_id, entry.branch_id) == ("facility", str(sauna.pk), sauna.branch_id)
    assert entry.old_values["capacity"] == 4 and entry.new_values["capacity"] == 3
    assert entry.new_values["removed"] == applied.figures["removed"] > 0
    assert entry.new_values["from"] == today.isoformat()

    again = change_sauna(sauna, capacity=3, opens_at=datetime.time(8), apply=True)

    assert not again.changes_anything and again.items_changed == 0
    assert len(schedule_entries()) == 1


# A timetable entry


@pytest.fixture
def clocks_forward(today) -> datetime.date:
    """The next day New York's clocks go forward, a week ahead at least."""
    return interesting_day(ZONE, "clocks_forward", after=today + WEEK)


@pytest.fixture
def spin(branch, today, clocks_forward):
    return spin_at(branch, today, clocks_forward)


def spin_at(branch, today: datetime.date, clocks_forward: datetime.date):
    """A 07:00 spin class on the weekday the clocks go forward, its classes made from today to a
    week after the change (so across it)."""
    entry = ClassTimetableEntryFactory(
        branch=branch, title="Morning spin", weekday=clocks_forward.isoweekday(), starts_at_local=datetime.time(7),
        valid_from=today - WEEK, instructor="Sam Okafor", capacity=16,
    )  # fmt: skip
    classes_ensure(branch_id=branch.pk, start_date=today, end_date=clocks_forward + WEEK, actor=MANAGER,
                   source="command")  # fmt: skip
    return entry


def entry_values(entry, **changes) -> dict:
    fields = ["title", "instructor", "room", "weekday", "starts_at_local", "duration_minutes", "capacity",
              "valid_from", "valid_until"]  # fmt: skip
    return {**{name: getattr(entry, name) for name in fields}, **changes}


def change_spin(entry, *, apply: bool, **changes):
    return timetable_entry_change(entry=entry, **entry_values(entry, **changes), actor=MANAGER, apply=apply)


def zone_label(scheduled: ScheduledClass) -> str:
    return localtime.zone_label(localtime.at(scheduled.starts_at, ZONE))


def classes_of(entry) -> list[ScheduledClass]:
    return list(ScheduledClass.objects.filter(timetable_entry=entry).order_by("starts_at"))


def test_a_class_moved_to_another_weekday_and_time_across_the_change_of_the_clocks(spin, clocks_forward):
    week_before, week_after = clocks_forward - WEEK, clocks_forward + WEEK
    booked = ScheduledClass.objects.get(timetable_entry=spin, timetable_date=week_before)
    member = MemberFactory(home_branch=spin.branch, first_name="Ana", last_name="Ruiz")
    booking = ClassBookingFactory(scheduled_class=booked, member=member)
    weekday = week_before + datetime.timedelta(days=2)  # two days later in the week
    old_classes = {c.pk for c in classes_of(spin)}
    old_future = [c for c in classes_of(spin) if c.starts_at > timezone.now()]

    preview = change_spin(spin, weekday=weekday.isoweekday(), starts_at_local=datetime.time(18, 30), apply=False)
    report = change_spin(spin, weekday=weekday.isoweekday(), starts_at_local=datetime.time(18, 30), apply=True)

    assert report.figures == preview.figures
    # the booked class stays where it was, with its booking, and is listed with who booked it
    assert [(line.id, line.booked, [b.name for b in line.bookings]) for line in report.outside] == [
        (booked.pk, 1, ["Ana Ruiz"])
    ]
    assert ClassBooking.objects.get(pk=booking.pk).status == BookingStatus.CONFIRMED
    assert report.figures["kept"] == 1 and report.figures["removed"] == len(old_future) - 1
    classes = classes_of(spin)
    new = [c for c in classes if c.pk not in old_classes]
    assert len(new) == report.figures["created"] >= 2
    assert {c.timetable_date.isoweekday() for c in new} == {weekday.isoweekday()}
    # 18:30 on the branch's clock on both sides of the change: EST before it, EDT after
    assert {localtime.local_time(c.starts_at, ZONE) for c in new} == {"18:30"}
    before_change = [c for c in new if c.timetable_date < clocks_forward]
    after_change = [c for c in new if c.timetable_date > clocks_forward]
    assert before_change and after_change
    assert {zone_label(c) for c in before_change} == {"EST"} and {zone_label(c) for c in after_change} == {"EDT"}
    # made up to the last day the nightly run had made, no further
    assert max(c.timetable_date for c in new) < week_after


def test_a_new_time_moves_the_classes_with_their_bookings_and_lists_them(spin, today, clocks_forward):
    on_the_day = ScheduledClass.objects.get(timetable_entry=spin, timetable_date=clocks_forward)
    bookings = ClassBookingFactory.create_batch(3, scheduled_class=on_the_day)
    cancelled = ClassBookingFactory(scheduled_class=on_the_day)
    cancel(ClassBooking, cancelled)
    after_today = {c.pk for c in classes_of(spin) if c.timetable_date > today}

    report = change_spin(spin, starts_at_local=datetime.time(2, 30), capacity=2, apply=True)

    # 02:30 does not exist the day clocks go forward: the class moves on by the gap, to 03:30 EDT
    on_the_day.refresh_from_db()
    assert localtime.local_datetime(on_the_day.starts_at, ZONE).endswith("03:30 EDT")
    assert {line.id for line in report.moved} >= after_today
    assert report.figures["moved"] == len(report.moved) == report.figures["updated"]
    [moved] = [line for line in report.moved if line.id == on_the_day.pk]
    assert moved.booked == 3
    # whom to tell of the new time: the live bookings, not the cancelled one
    assert sorted((str(b.member_id), b.status) for b in moved.bookings) == sorted(
        (str(booking.member_id), "confirmed") for booking in bookings
    )
    assert all(not line.bookings for line in report.moved if line.id != on_the_day.pk)
    assert [(line.id, line.booked, line.capacity) for line in report.over_capacity] == [(on_the_day.pk, 3, 2)]
    assert ClassBooking.objects.filter(scheduled_class=on_the_day, status=BookingStatus.CONFIRMED).count() == 3
    assert {c.capacity for c in classes_of(spin)} == {2}


def test_a_class_changed_by_hand_keeps_what_was_changed_by_hand(spin, clocks_forward):
    substituted = ScheduledClass.objects.get(timetable_entry=spin, timetable_date=clocks_forward)
    substituted.instructor = "Jo Park"
    substituted.save()

    report = change_spin(spin, instructor="Lee Chan", room="Studio 2", apply=True)

    substituted.refresh_from_db()
    assert (substituted.instructor, substituted.room) == ("Jo Park", "Studio 2")
    assert {c.instructor for c in classes_of(spin) if c.pk != substituted.pk} == {"Lee Chan"}
    assert report.figures["kept_own"] == 1


def test_a_shorter_validity_removes_empty_classes_and_cancels_those_only_cancelled_bookings_name(spin, today):
    classes = classes_of(spin)
    last = classes[-1]
    [cancelled] = [ClassBookingFactory(scheduled_class=last)]
    cancel(ClassBooking, cancelled)

    report = change_spin(spin, valid_until=classes[0].timetable_date, apply=True)

    assert report.figures["removed"] == len(classes) - 2 and report.figures["cancelled"] == 1
    last.refresh_from_db()
    assert last.is_cancelled
    assert [c.pk for c in classes_of(spin)] == [classes[0].pk, last.pk]


def test_an_entry_change_applied_twice_writes_one_audit_entry(spin):
    change_spin(spin, title="Spin", apply=True)
    spin.refresh_from_db()
    again = change_spin(spin, title="Spin", apply=True)

    assert not again.changes_anything
    [entry] = schedule_entries()
    assert (entry.entity_type, entry.old_values["title"], entry.new_values["title"]) == (
        "timetable_entry", "Morning spin", "Spin"
    )  # fmt: skip


# Concurrency


def test_a_change_waits_for_the_booking_engines_lock_of_a_slot_it_takes_places_from(sauna, today):
    slot = slot_at(sauna, day_after_tomorrow(today), 9)
    with committed_connection() as booking:  # a booking of that slot, under way on another connection
        booking.execute("select app_private.take_lock('slot', %s)", [str(slot.pk)])
        started = time.monotonic()
        with pytest.raises(RuleViolation) as refused:
            change_sauna(sauna, capacity=2, apply=True)
        waited = time.monotonic() - started
        booking.rollback()

    assert refused.value.code == "busy" and 4 < waited < 15
    slot.refresh_from_db()
    assert slot.capacity == 4 and schedule_entries() == []
    assert change_sauna(sauna, capacity=2, apply=True).figures["capacity_changed"] > 0  # once the booking is done
