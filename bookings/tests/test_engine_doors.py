"""The engine through the doors that are not Django's: server code with the service key calls its
functions, which read the relations of bookable items and bookings; and a cancellation never waits
on another member's lock while holding one (it could deadlock with that member's cancellation)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection

from access.tests.postgrest import acting_as, sqlstate
from audit.models import AuditLog
from audit.services import Actor
from bookings.models import BenefitBooking
from bookings.services import booking_cancel
from bookings.tests.factories import BenefitBookingFactory
from bookings.tests.test_services import book
from config.testing import committed_connection

pytestmark = pytest.mark.django_db

SERVICE_KEY = {"role": "service_role"}


def test_the_service_key_reads_the_engines_relations_through_its_functions(club):
    booked = book(club.slot, club.new_member())
    with acting_as("service_role", SERVICE_KEY) as cursor:
        cursor.execute("select app_private.booking_kind(%s), app_private.places_taken('slot', %s)", [
            booked.booking_id, club.slot.pk,
        ])  # fmt: skip
        assert cursor.fetchone() == ("slot", 1)
        cursor.execute("select code from app_private.booking_refusals('slot', %s, %s)", [club.slot.pk, club.member.pk])
        assert cursor.fetchall() == []
        cursor.execute("select count(*) from app_private.bookable_items where id = %s", [club.slot.pk])
        assert cursor.fetchone() == (1,)


def test_the_service_key_cancels_and_checks_in(club):
    booked = book(club.slot, club.new_member())
    with pytest.raises(DatabaseError) as refusal, acting_as("service_role", SERVICE_KEY) as cursor:
        cursor.execute(
            "select app_private.set_attendance('slot', %s, true, 'api', 'system', 'service_role', 'service_role')",
            [booked.booking_id],
        )
    assert sqlstate(refusal.value) == "CB013"  # too early: a rule, not a permission error
    with acting_as("service_role", SERVICE_KEY) as cursor:
        cursor.execute(
            "select status from app_private.cancel_booking('slot', %s, 'api', 'system', 'key', 'service_role')",
            [booked.booking_id],
        )
        assert cursor.fetchone() == ("cancelled",)


@pytest.mark.parametrize("role", ["anon", "authenticated"])
def test_members_and_anon_cannot_read_the_relations(club, role):
    for relation in ("app_private.bookable_items", "app_private.item_bookings"):
        with pytest.raises(DatabaseError) as refusal, acting_as(role, {"role": role}) as cursor:
            cursor.execute(f"select 1 from {relation} limit 1")
        assert sqlstate(refusal.value) == "42501"


def test_a_waitlisted_member_whose_bookings_are_busy_is_skipped_not_waited_for(club):
    first = book(club.slot, club.new_member())
    book(club.slot, club.new_member())
    busy_member = club.new_member(first_name="Bea")
    with connection.cursor() as cursor:
        # the waitlist place written without the rules trigger, so that this transaction does not
        # already hold the member's lock, which the other connection takes
        cursor.execute("set constraints all immediate")
        cursor.execute("alter table benefit_bookings disable trigger benefit_bookings_rules")
        waiting = BenefitBookingFactory(slot=club.slot, member=busy_member, status="waitlisted")
        cursor.execute("alter table benefit_bookings enable trigger benefit_bookings_rules")
    with committed_connection() as holder:
        holder.execute("set lock_timeout = '5s'")
        holder.execute("select app_private.take_lock('member', %s)", [str(busy_member.pk)])
        outcome = booking_cancel(kind="slot", booking_id=first.booking_id, actor=Actor.system("t"), source="command")
        holder.rollback()
    assert outcome.promoted_booking_id is None
    assert BenefitBooking.objects.get(pk=waiting.pk).status == "waitlisted"
    entry = AuditLog.objects.get(entity_id=str(first.booking_id), action="booking.cancelled")
    assert [skip["reason"] for skip in entry.new_values["skipped_on_waitlist"]] == [
        "their bookings were being changed at that moment"
    ]
