import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection
from django.utils import timezone

from audit.services import Actor
from bookings.models import BenefitBooking, BookingStatus, ClassBooking
from bookings.services import booking_cancel
from bookings.tests.factories import BenefitBookingFactory, ClassBookingFactory
from classes.tests.factories import ScheduledClassFactory
from config.testing import rejected_by_database
from facilities.tests.factories import BenefitSlotFactory
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

# Both booking tables keep the same rules; each case runs on both.
BOOKING_KINDS = [
    pytest.param(BenefitBookingFactory, "benefit_bookings", "slot", id="recovery"),
    pytest.param(ClassBookingFactory, "class_bookings", "scheduled_class", id="class"),
]


@pytest.mark.parametrize(("factory", "table", "item"), BOOKING_KINDS)
@pytest.mark.parametrize(
    ("change", "constraint"),
    [
        ({"status": "maybe"}, "status_valid"),
        ({"channel": "pigeon"}, "channel_valid"),
        ({"capacity_override": True, "override_reason": "  "}, "override_needs_reason"),
        ({"status": BookingStatus.CANCELLED}, "cancelled_at_iff_cancelled"),
    ],
)
def test_booking_rejects_bad_values(factory, table, item, change, constraint):
    booking = factory()
    with rejected_by_database(f"{table}_{constraint}"):
        type(booking).objects.filter(pk=booking.pk).update(**change)


@pytest.mark.parametrize(("factory", "table", "item"), BOOKING_KINDS)
def test_one_live_booking_per_member_and_slot_or_class(factory, table, item):
    booking = factory()
    # The booking rules (a trigger) refuse it first; the partial unique index stands behind them.
    with rejected_by_database("The member already has a booking for this.", DatabaseError):
        factory(member=booking.member, **{item: getattr(booking, item)})

    booking.status, booking.cancelled_at = BookingStatus.CANCELLED, timezone.now()
    booking.save()
    rebooked = factory(member=booking.member, **{item: getattr(booking, item)})
    assert rebooked.status == BookingStatus.CONFIRMED


@pytest.mark.parametrize(("factory", "table", "item"), BOOKING_KINDS)
def test_override_with_a_reason_is_accepted(factory, table, item):
    booking = factory(capacity_override=True, override_reason_code="vip", override_reason="VIP guest of the GM")
    assert booking.capacity_override


@pytest.mark.parametrize(("factory", "table", "item"), BOOKING_KINDS)
def test_override_without_reason_is_a_form_error(factory, table, item):
    booking = factory.build(capacity_override=True, override_reason="")
    with pytest.raises(ValidationError, match="A capacity override needs a reason and a note."):
        booking.validate_constraints(exclude={"organization"})


def moves_allowed(table: str) -> None:
    """The engine refuses every move (CB016); without that trigger the tenant keys still would."""
    with connection.cursor() as cursor:
        cursor.execute("set constraints all immediate")
        cursor.execute(f"alter table {table} disable trigger {table}_not_moved")


def test_booking_cannot_join_a_slot_and_member_of_different_organizations():
    booking = BenefitBookingFactory()
    moves_allowed("benefit_bookings")
    with rejected_by_database("benefit_bookings_slot_id_same_org_fk"):
        BenefitBooking.objects.filter(pk=booking.pk).update(slot=BenefitSlotFactory())
    with rejected_by_database("benefit_bookings_member_id_same_org_fk"):
        BenefitBooking.objects.filter(pk=booking.pk).update(member=MemberFactory())


def test_class_booking_cannot_cross_organizations():
    booking = ClassBookingFactory()
    moves_allowed("class_bookings")
    with rejected_by_database("class_bookings_class_id_same_org_fk"):
        ClassBooking.objects.filter(pk=booking.pk).update(scheduled_class=ScheduledClassFactory())


def test_the_engine_records_when_a_booking_was_cancelled():
    booking = BenefitBookingFactory()
    booking_cancel(kind="slot", booking_id=booking.pk, actor=Actor.system("test"), source="command")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED and booking.cancelled_at is not None
