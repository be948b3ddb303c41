"""The booking engine through its Python services: each rule refuses with its message."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import DatabaseError, connection, transaction

from access.staff_groups import MANAGER
from audit.models import AuditLog
from audit.services import Actor
from bookings.models import BenefitBooking, BookingStatus, ClassBooking
from bookings.selectors import bookable_items, booking_refusals
from bookings.services import (
    OVERRIDE_PERMISSION,
    BookingKind,
    Override,
    booking_cancel,
    booking_check_in,
    booking_create,
    booking_mark_no_show,
    booking_undo_attendance,
)
from bookings.tests.conftest import tomorrow_at
from classes.tests.factories import ScheduledClassFactory
from config.errors import RuleViolation
from facilities.tests.factories import BenefitSlotFactory
from members.models import BenefitKind
from members.tests.factories import EntitlementFactory

pytestmark = pytest.mark.django_db

SLOT, CLASS = BookingKind.SLOT, BookingKind.CLASS


def book(item, member, kind=SLOT, **options):
    return booking_create(
        kind=kind,
        item_id=item.pk,
        member_id=member.pk,
        actor=Actor.system("test"),
        channel="concierge",
        source="command",
        **options,
    )


def refused(code: str, message: str, call):
    with pytest.raises(RuleViolation) as refusal:
        call()
    assert (refusal.value.code, refusal.value.message) == (code, message)


def test_booking_confirms_and_writes_one_audit_entry(club):
    outcome = book(club.slot, club.member)
    booking = BenefitBooking.objects.get(pk=outcome.booking_id)
    assert (booking.status, booking.channel, booking.capacity_override) == ("confirmed", "concierge", False)
    entries = AuditLog.objects.filter(entity_id=str(booking.pk))
    assert [entry.action for entry in entries] == ["booking.created"]
    entry = entries.get()
    assert (entry.member_id, entry.branch_id, entry.organization_id) == (
        club.member.pk,
        club.branch.pk,
        club.branch.organization_id,
    )


def test_a_refused_booking_writes_nothing(club):
    club.member.status = "frozen"
    club.member.save()
    before = AuditLog.objects.count()
    with pytest.raises(RuleViolation):
        book(club.slot, club.member)
    assert AuditLog.objects.count() == before
    assert not BenefitBooking.objects.exists()


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("frozen", "The membership is frozen: only active members can book."),
        ("cancelled", "The membership is cancelled: only active members can book."),
    ],
)
def test_member_not_active(club, status, message):
    club.member.status = status
    club.member.save()
    refused("member_not_active", message, lambda: book(club.slot, club.member))


def test_already_booked(club):
    book(club.slot, club.member)
    refused("already_booked", "The member already has a booking for this.", lambda: book(club.slot, club.member))


def test_in_the_past(club):
    past = BenefitSlotFactory(
        facility=club.facility,
        starts_at=tomorrow_at(10) - datetime.timedelta(days=2),
        ends_at=tomorrow_at(10, 30) - datetime.timedelta(days=2),
    )
    refused("started", "It has already started or is over.", lambda: book(past, club.member))


def test_cancelled_class_and_facility_under_maintenance(club):
    club.scheduled_class.is_cancelled = True
    club.scheduled_class.save()
    refused(
        "unavailable",
        "Not bookable: the class is cancelled.",
        lambda: book(club.scheduled_class, club.member, kind=CLASS),
    )
    club.facility.under_maintenance = True
    club.facility.save()
    refused("unavailable", "Not bookable: the facility is under maintenance.", lambda: book(club.slot, club.member))


def test_outside_the_booking_window(club):
    far = BenefitSlotFactory(
        facility=club.facility,
        starts_at=tomorrow_at(10) + datetime.timedelta(days=10),
        ends_at=tomorrow_at(10, 30) + datetime.timedelta(days=10),
    )
    with pytest.raises(RuleViolation) as refusal:
        book(far, club.member)
    assert refusal.value.code == "outside_window"
    assert refusal.value.message.startswith("Too far ahead: bookable 7 days in advance, from ")


def test_overlapping_booking_of_the_same_member(club):
    book(club.slot, club.member)
    clash = ScheduledClassFactory(
        branch=club.branch, title="Spin", starts_at=tomorrow_at(10, 15), ends_at=tomorrow_at(11)
    )
    refused(
        "overlapping",
        "The member is already booked at that time: Sauna at 10:00.",
        lambda: book(clash, club.member, kind=CLASS),
    )


def test_entitlement_used_up_says_how_many(club):
    EntitlementFactory(member=club.member, benefit_kind=BenefitKind.CLASS, quota=1)
    book(club.scheduled_class, club.member, kind=CLASS)
    later = ScheduledClassFactory(branch=club.branch, starts_at=tomorrow_at(18), ends_at=tomorrow_at(19))
    refused("entitlement_used_up", "1 of 1 classes used this week.", lambda: book(later, club.member, kind=CLASS))


def test_full_offers_the_waitlist(club):
    book(club.slot, club.new_member())
    book(club.slot, club.new_member())
    refused(
        "full",
        "Full: 2 of 2 places taken. The member can join the waitlist.",
        lambda: book(club.slot, club.member),
    )
    waitlisted = booking_create(
        kind=SLOT, item_id=club.slot.pk, member_id=club.member.pk, actor=Actor.system("t"),
        channel="concierge", source="command", join_waitlist=True,
    )  # fmt: skip
    assert waitlisted.status == "waitlisted"
    assert AuditLog.objects.get(entity_id=str(waitlisted.booking_id)).action == "booking.waitlisted"


def test_every_reason_is_returned_at_once(club):
    book(club.slot, club.new_member())
    book(club.slot, club.new_member())
    club.member.status = "frozen"
    club.member.save()
    codes = [refusal.code for refusal in booking_refusals(kind=SLOT, item_id=club.slot.pk, member_id=club.member.pk)]
    assert codes == ["member_not_active", "full"]


def manager_user(django_user_model, with_permission: bool = True):
    user = django_user_model.objects.create_user(username="boss", first_name="Morgan", last_name="Lead", is_staff=True)
    if with_permission:
        user.user_permissions.add(Permission.objects.get(codename="override_capacity"))
    return django_user_model.objects.get(pk=user.pk)  # fresh permission cache


def test_a_manager_overrides_a_full_slot_with_a_recorded_reason(club, django_user_model):
    book(club.slot, club.new_member())
    book(club.slot, club.new_member())
    manager = manager_user(django_user_model)
    outcome = booking_create(
        kind=SLOT,
        item_id=club.slot.pk,
        member_id=club.member.pk,
        actor=Actor.staff(manager),
        channel="concierge",
        source="admin",
        booked_by=manager,
        override=Override("medical", "Physio referral, back pain"),
    )
    assert (outcome.capacity_override, list(outcome.overridden_rules)) == (True, ["capacity"])
    assert outcome.places_after_override == "3 of 2"
    booking = BenefitBooking.objects.get(pk=outcome.booking_id)
    assert (booking.override_reason_code, booking.override_reason, booking.booked_by_user) == (
        "medical",
        "Physio referral, back pain",
        manager,
    )
    entry = AuditLog.objects.get(entity_id=str(booking.pk))
    assert entry.action == "booking.capacity_overridden"
    assert entry.new_values["places"] == "3 of 2" and entry.new_values["overridden_rules"] == ["capacity"]
    assert entry.reason == "medical: Physio referral, back pain"
    assert (entry.actor_type, entry.actor_id) == ("staff", str(manager.pk))


def test_override_also_sets_aside_the_entitlement(club, django_user_model):
    EntitlementFactory(member=club.member, benefit_kind=BenefitKind.CLASS, quota=1)
    book(
        ScheduledClassFactory(branch=club.branch, starts_at=tomorrow_at(18), ends_at=tomorrow_at(19)),
        club.member,
        CLASS,
    )
    manager = manager_user(django_user_model)
    outcome = book(club.scheduled_class, club.member, CLASS, booked_by=manager, override=Override("vip", "Guest"))
    assert list(outcome.overridden_rules) == ["entitlement"]


def test_only_staff_with_the_permission_may_override(club, django_user_model):
    clerk = manager_user(django_user_model, with_permission=False)
    refused(
        "override_not_allowed",
        "Only staff with the override permission may override.",
        lambda: book(club.slot, club.member, booked_by=clerk, override=Override("vip", "Guest")),
    )


def _may_override(user) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("select app_private.staff_may_override(%s)", [user.pk])
        return cursor.fetchone()[0]


def test_the_engine_asks_who_may_override_as_django_does(django_user_model):
    clerk = django_user_model.objects.create_user(username="clerk", is_staff=True)
    in_group = django_user_model.objects.create_user(username="lead", is_staff=True)
    in_group.groups.add(Group.objects.get(name=MANAGER))
    superuser = django_user_model.objects.create_superuser(username="root")
    gone = django_user_model.objects.create_superuser(username="gone", is_active=False)
    granted = manager_user(django_user_model)
    assert [_may_override(user) for user in (clerk, in_group, superuser, gone, granted)] == [
        False, True, True, False, True,
    ]  # fmt: skip
    assert [user.has_perm(OVERRIDE_PERMISSION) for user in (clerk, in_group, superuser, gone, granted)] == [
        False, True, True, False, True,
    ]  # fmt: skip


def test_server_code_calling_the_engine_cannot_override_for_staff_without_the_permission(club, django_user_model):
    clerk = manager_user(django_user_model, with_permission=False)
    with pytest.raises(DatabaseError) as refusal, connection.cursor() as cursor:
        cursor.execute(
            "select * from app_private.book('slot', %s, %s, 'concierge', 'command', 'system', 'x', 'x',"
            " p_booked_by_user_id => %s, p_override_code => 'vip', p_override_note => 'Guest')",
            [club.slot.pk, club.member.pk, clerk.pk],
        )
    assert refusal.value.__cause__.sqlstate == "CB014"


def test_a_direct_insert_sets_capacity_aside_only_for_staff_with_the_permission(club, django_user_model):
    book(club.slot, club.new_member())
    book(club.slot, club.new_member())
    insert = (
        "insert into benefit_bookings (id, organization_id, member_id, slot_id, status, channel, booked_by_user_id,"
        " capacity_override, override_reason_code, override_reason)"
        " values (gen_random_uuid(), %s, %s, %s, 'confirmed', 'concierge', %s, true, 'vip', 'Guest') returning id"
    )
    params = [club.member.organization_id, club.member.pk, club.slot.pk]
    clerk = manager_user(django_user_model, with_permission=False)
    with pytest.raises(DatabaseError) as refusal, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(insert, [*params, clerk.pk])
    assert refusal.value.__cause__.sqlstate == "CB014"
    manager = django_user_model.objects.create_superuser(username="gm")
    with connection.cursor() as cursor:
        cursor.execute(insert, [*params, manager.pk])
        (booking_id,) = cursor.fetchone()
    assert list(BenefitBooking.objects.get(pk=booking_id).overridden_rules) == ["capacity"]


def test_an_override_needs_a_note(club, django_user_model):
    book(club.slot, club.new_member())
    book(club.slot, club.new_member())
    manager = manager_user(django_user_model)
    refused(
        "override_needs_reason",
        "An override needs a note saying why.",
        lambda: book(club.slot, club.member, booked_by=manager, override=Override("vip", "   ")),
    )


def test_an_override_cannot_set_aside_other_rules(club, django_user_model):
    club.member.status = "frozen"
    club.member.save()
    manager = manager_user(django_user_model)
    with pytest.raises(RuleViolation) as refusal:
        book(club.slot, club.member, booked_by=manager, override=Override("vip", "Guest"))
    assert refusal.value.code == "member_not_active"


def test_cancelling_promotes_the_first_waitlisted_member_who_can_take_the_place(club):
    first = book(club.slot, club.new_member())
    book(club.slot, club.new_member())
    frozen_later = club.new_member(first_name="Fran")
    skipped = book(club.slot, frozen_later, join_waitlist=True)
    promoted_member = club.new_member(first_name="Pat")
    promoted = book(club.slot, promoted_member, join_waitlist=True)
    frozen_later.status = "frozen"
    frozen_later.save()

    outcome = booking_cancel(kind=SLOT, booking_id=first.booking_id, actor=Actor.system("test"), source="command")

    assert outcome.promoted_booking_id == promoted.booking_id
    assert BenefitBooking.objects.get(pk=promoted.booking_id).status == "confirmed"
    assert BenefitBooking.objects.get(pk=skipped.booking_id).status == "waitlisted"
    entry = AuditLog.objects.get(action="booking.waitlist_promoted")
    assert entry.member_id == promoted_member.pk
    assert entry.new_values["skipped"] == [
        {
            "member": frozen_later.full_name,
            "booking": str(skipped.booking_id),
            "reason": "The membership is frozen: only active members can book.",
        }
    ]


def test_a_waitlisted_member_with_a_clash_is_skipped(club):
    first = book(club.slot, club.new_member())
    book(club.slot, club.new_member())
    book(club.slot, club.member, join_waitlist=True)
    clash = ScheduledClassFactory(branch=club.branch, starts_at=tomorrow_at(10), ends_at=tomorrow_at(11))
    book(clash, club.member, CLASS)
    outcome = booking_cancel(kind=SLOT, booking_id=first.booking_id, actor=Actor.system("test"), source="command")
    assert outcome.promoted_booking_id is None
    cancelled = AuditLog.objects.get(action="booking.cancelled")
    assert "already booked at that time" in cancelled.new_values["skipped_on_waitlist"][0]["reason"]


def test_cancelling_after_the_cutoff_is_a_late_cancellation(club):
    soon = BenefitSlotFactory(
        facility=club.facility,
        starts_at=datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=30),
        ends_at=datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=60),
    )
    booking = book(soon, club.member)
    outcome = booking_cancel(kind=SLOT, booking_id=booking.booking_id, actor=Actor.system("test"), source="command")
    assert outcome.late
    assert BenefitBooking.objects.get(pk=booking.booking_id).is_late_cancellation
    early = book(club.slot, club.member)
    assert not booking_cancel(kind=SLOT, booking_id=early.booking_id, actor=Actor.system("t"), source="command").late


def test_a_cancelled_booking_cannot_be_cancelled_again(club):
    booking = book(club.slot, club.member)
    booking_cancel(kind=SLOT, booking_id=booking.booking_id, actor=Actor.system("test"), source="command")
    refused(
        "not_cancellable",
        "Only confirmed or waitlisted bookings can be cancelled; this one is cancelled.",
        lambda: booking_cancel(kind=SLOT, booking_id=booking.booking_id, actor=Actor.system("t"), source="command"),
    )


def test_check_in_and_no_show(club):
    now = datetime.datetime.now(datetime.UTC)
    started = ScheduledClassFactory(
        branch=club.branch, starts_at=now + datetime.timedelta(minutes=1), ends_at=now + datetime.timedelta(hours=1)
    )
    booking = book(started, club.member, CLASS)
    assert (
        booking_check_in(kind=CLASS, booking_id=booking.booking_id, actor=Actor.system("t"), source="admin")
        == "attended"
    )
    booked = ClassBooking.objects.get(pk=booking.booking_id)
    assert booked.status == BookingStatus.ATTENDED and booked.checked_in_at is not None
    refused(
        "too_early",
        "A no-show can only be marked once it has started.",
        lambda: booking_mark_no_show(
            kind=CLASS, booking_id=booking.booking_id, actor=Actor.system("t"), source="admin"
        ),
    )
    later = book(club.scheduled_class, club.member, CLASS)
    refused(
        "too_early",
        "Check-in opens an hour before the start.",
        lambda: booking_check_in(kind=CLASS, booking_id=later.booking_id, actor=Actor.system("t"), source="admin"),
    )
    assert [
        entry.action for entry in AuditLog.objects.filter(entity_id=str(booking.booking_id)).order_by("occurred_at")
    ] == [
        "booking.created",
        "booking.checked_in",
    ]


def test_a_check_in_can_be_undone_and_only_a_check_in_or_a_no_show(club):
    now = datetime.datetime.now(datetime.UTC)
    soon = BenefitSlotFactory(
        facility=club.facility,
        starts_at=now + datetime.timedelta(minutes=10),
        ends_at=now + datetime.timedelta(minutes=40),
    )
    booking = book(soon, club.member)
    refused(
        "not_cancellable",
        "Only a check-in or a no-show can be undone; this booking is confirmed.",
        lambda: booking_undo_attendance(
            kind=SLOT, booking_id=booking.booking_id, actor=Actor.system("t"), source="admin"
        ),
    )
    booking_check_in(kind=SLOT, booking_id=booking.booking_id, actor=Actor.system("t"), source="admin")
    assert (
        booking_undo_attendance(kind=SLOT, booking_id=booking.booking_id, actor=Actor.system("t"), source="admin")
        == "confirmed"
    )
    undone = BenefitBooking.objects.get(pk=booking.booking_id)
    assert undone.status == BookingStatus.CONFIRMED and undone.checked_in_at is None
    entry = AuditLog.objects.get(entity_id=str(booking.booking_id), action="booking.attendance_undone")
    assert (entry.old_values, entry.new_values) == ({"status": "attended"}, {"status": "confirmed"})


def test_the_day_schedule_shows_places_entitlement_and_nearby_bookings(club, django_assert_max_num_queries):
    book(club.slot, club.new_member())
    BenefitSlotFactory(facility=club.facility, starts_at=tomorrow_at(11), ends_at=tomorrow_at(11, 30))
    book(club.scheduled_class, club.member, CLASS)
    day = tomorrow_at(0).date()
    with django_assert_max_num_queries(3):
        schedule = bookable_items(
            kind=SLOT, branch_id=club.branch.pk, time_zone=club.branch.time_zone, day=day, member_id=club.member.pk
        )
    first, second = schedule.items
    assert (first.taken, first.remaining, first.is_full) == (1, 1, False)
    assert schedule.entitlement == "0 of 4 recovery sessions used this week"
    assert first.nearby == [] and second.nearby == ["Yoga 12:00"]  # within an hour of 11:00–11:30
