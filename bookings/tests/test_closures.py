"""Closures in the booking engine: what an open closure covers is refused with its reason at every
door, its bookings are listed with contacts and cancelled in one action (none late, nobody
promoted, waitlists cleared, each audited), and reopening makes the items bookable again."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from audit.models import AuditLog
from audit.services import Actor
from bookings.models import BenefitBooking, BookableItem, BookingStatus, ClassBooking
from bookings.selectors import closure_bookings
from bookings.services import BookingKind, booking_cancel, booking_create, closure_cancel_bookings
from bookings.tests.conftest import tomorrow_at
from config.errors import RuleViolation
from facilities.models import ClosureReason
from facilities.services import closure_open, closure_reopen
from facilities.tests.factories import BenefitSlotFactory

pytestmark = pytest.mark.django_db

SLOT, CLASS = BookingKind.SLOT, BookingKind.CLASS


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user(username="closer", password="pw", is_staff=True, first_name="Ann")


def book(item, member, kind=SLOT, **options):
    return booking_create(
        kind=kind, item_id=item.pk, member_id=member.pk, actor=Actor.system("test"), channel="concierge",
        source="command", **options,
    )  # fmt: skip


def close(club, staff, *, facility=None, room="", start=None, end=None):
    return closure_open(
        branch=club.branch,
        facility=facility,
        room=room,
        starts_at=start or tomorrow_at(0),
        ends_at=end or tomorrow_at(23),
        reason=ClosureReason.MAINTENANCE,
        note="New heater",
        user=staff,
        source="admin",
    )


def cancel_all(closure, staff):
    return closure_cancel_bookings(closure_id=closure.pk, actor=Actor.staff(staff), source="admin")


def test_a_closed_facility_slot_is_refused_with_the_closures_reason(club, staff):
    close(club, staff, facility=club.facility)
    with pytest.raises(RuleViolation) as refusal:
        book(club.slot, club.member)
    assert (refusal.value.code, refusal.value.message) == (
        "unavailable",
        "Not bookable: closed for maintenance: New heater.",
    )
    book(club.scheduled_class, club.member, CLASS)  # the class is held in no closed room


def test_a_room_closure_closes_the_classes_held_there_and_no_slot(club, staff):
    club.scheduled_class.room = "Studio 1"
    club.scheduled_class.save()
    close(club, staff, room="studio 1")
    with pytest.raises(RuleViolation, match="closed for maintenance"):
        book(club.scheduled_class, club.member, CLASS)
    book(club.slot, club.member)


def test_a_branch_closure_closes_everything_in_its_time_only(club, staff):
    later = BenefitSlotFactory(facility=club.facility, starts_at=tomorrow_at(16), ends_at=tomorrow_at(16, 30))
    close(club, staff, start=tomorrow_at(9), end=tomorrow_at(15))
    for item, kind in ((club.slot, SLOT), (club.scheduled_class, CLASS)):
        with pytest.raises(RuleViolation, match="closed for maintenance"):
            book(item, club.member, kind)
    book(later, club.member)
    reasons = dict(BookableItem.objects.filter(branch_id=club.branch.pk).values_list("id", "closed_reason"))
    assert reasons[club.slot.pk] == reasons[club.scheduled_class.pk] == "closed for maintenance: New heater"
    assert reasons[later.pk] is None


def test_reopening_makes_the_items_bookable_again(club, staff):
    closure = close(club, staff)
    closure_reopen(closure_id=closure.pk, user=staff, source="admin")
    book(club.slot, club.member)
    book(club.scheduled_class, club.member, CLASS)


def test_the_bookings_it_affects_are_listed_with_contacts(club, staff):
    waiting = club.new_member(first_name="Wendy", last_name="Wait", phone="+1 212 555 0100", email="w@example.com")
    others = [club.new_member(last_name=f"Other{n}") for n in range(2)]
    book(club.scheduled_class, club.member, CLASS)
    book(club.scheduled_class, others[0], CLASS)
    book(club.scheduled_class, waiting, CLASS, join_waitlist=True)
    book(club.slot, others[1])
    closure = close(club, staff)
    listed = closure_bookings(closure_id=closure.pk)
    assert [(row.title, row.member_name, row.status) for row in listed] == [
        ("Sauna", others[1].full_name, "confirmed"),
        ("Yoga", others[0].full_name, "confirmed"),  # by last name
        ("Yoga", "Olivia Smith", "confirmed"),
        ("Yoga", "Wendy Wait", "waitlisted"),
    ]
    assert (listed[-1].phone, listed[-1].email, listed[-1].status_label) == (
        "+1 212 555 0100",
        "w@example.com",
        "On the waitlist",
    )


def test_cancelling_them_is_one_action_never_late_promoting_nobody(club, staff):
    waiting = club.new_member(last_name="Wait")
    first = book(club.scheduled_class, club.member, CLASS)
    book(club.scheduled_class, club.new_member(), CLASS)
    queued = book(club.scheduled_class, waiting, CLASS, join_waitlist=True)
    slot_booking = book(club.slot, club.new_member())
    closure = close(club, staff, start=timezone.now())
    with connection.cursor() as cursor:
        # made a minute ago (a test is one transaction, whose now() is older than the row's statement time)
        cursor.execute(
            "update public.closures set created_at = now() - interval '1 minute' where id = %s", [closure.pk]
        )
        # inside every cutoff: a member's own cancellation would be late
        cursor.execute("update public.classes set starts_at = now() + interval '10 minutes',"
                       " ends_at = now() + interval '1 hour' where id = %s", [club.scheduled_class.pk])  # fmt: skip

    outcome = cancel_all(closure, staff)

    assert (outcome.cancelled, outcome.waitlist_cleared) == (3, 1)
    bookings = [*ClassBooking.objects.all(), *BenefitBooking.objects.all()]
    assert {(b.status, b.is_late_cancellation) for b in bookings} == {(BookingStatus.CANCELLED, False)}
    entries = AuditLog.objects.filter(action="booking.cancelled")
    assert entries.count() == 4
    assert set(entries.values_list("reason", flat=True)) == {"closed for maintenance: New heater"}
    assert not AuditLog.objects.filter(action="booking.waitlist_promoted").exists()
    summary = AuditLog.objects.get(action="closure.bookings_cancelled")
    assert summary.new_values == {"cancelled": 3, "waitlist_cleared": 1}
    assert summary.actor_label == "Ann" and str(closure.pk) == summary.entity_id
    assert {first.booking_id, queued.booking_id, slot_booking.booking_id} <= {b.pk for b in bookings}
    # still listed, to tell the members, but none live
    assert [row.status_label for row in closure_bookings(closure_id=closure.pk)] == ["Cancelled"] * 4
    assert cancel_all(closure, staff).cancelled == 0  # again: nothing left


def test_a_started_item_keeps_its_bookings(club, staff):
    booking = book(club.slot, club.member)
    closure = close(club, staff)
    with connection.cursor() as cursor:
        cursor.execute("update public.benefit_slots set starts_at = now() - interval '5 minutes' where id = %s",
                       [club.slot.pk])  # fmt: skip
    assert cancel_all(closure, staff).cancelled == 0
    assert BenefitBooking.objects.get(pk=booking.booking_id).status == BookingStatus.CONFIRMED


def test_a_reopened_closure_cancels_nothing(club, staff):
    book(club.slot, club.member)
    closure = close(club, staff)
    closure_reopen(closure_id=closure.pk, user=staff, source="admin")
    with pytest.raises(RuleViolation) as refusal:
        cancel_all(closure, staff)
    assert refusal.value.code == "closure_not_open"
    assert BenefitBooking.objects.get().status == BookingStatus.CONFIRMED


def test_a_members_own_cancellation_of_a_closed_item_is_not_late_and_promotes_nobody(club, staff):
    mine = book(club.scheduled_class, club.member, CLASS)
    book(club.scheduled_class, club.new_member(), CLASS)
    book(club.scheduled_class, club.new_member(), CLASS, join_waitlist=True)
    close(club, staff, start=timezone.now())
    with connection.cursor() as cursor:
        cursor.execute("update public.classes set starts_at = now() + interval '10 minutes' where id = %s",
                       [club.scheduled_class.pk])  # fmt: skip
    outcome = booking_cancel(kind=CLASS, booking_id=mine.booking_id, actor=Actor.system("test"), source="command")
    assert (outcome.late, outcome.promoted_booking_id) == (False, None)


def test_the_next_free_slot_is_after_the_closure(club, staff):
    after = BenefitSlotFactory(facility=club.facility, starts_at=tomorrow_at(18), ends_at=tomorrow_at(18, 30))
    close(club, staff, facility=club.facility, start=timezone.now(), end=tomorrow_at(17))
    with connection.cursor() as cursor:
        cursor.execute("select slot_id from app_private.next_free_slots(%s, now())", [club.branch.pk])
        assert cursor.fetchall() == [(after.pk,)]


def test_a_closure_in_the_future_leaves_today_bookable(club, staff):
    close(
        club, staff, start=tomorrow_at(0) + datetime.timedelta(days=1), end=tomorrow_at(0) + datetime.timedelta(days=2)
    )
    book(club.slot, club.member)
