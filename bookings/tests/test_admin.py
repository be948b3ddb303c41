import pytest
from django.urls import reverse

from bookings.models import BenefitBooking, BookingChannel, BookingStatus
from bookings.tests.factories import BenefitBookingFactory
from facilities.tests.factories import BenefitSlotFactory
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_booking_added_in_the_admin_records_the_staff_member_and_concierge_channel(front_desk, front_desk_client):
    slot = BenefitSlotFactory()
    member = MemberFactory(home_branch=slot.facility.branch)
    response = front_desk_client.post(
        reverse("admin:bookings_benefitbooking_add"),
        {"member": member.pk, "slot": slot.pk, "status": BookingStatus.CONFIRMED},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    booking = BenefitBooking.objects.get()
    assert (booking.booked_by_user, booking.channel) == (front_desk, BookingChannel.CONCIERGE)
    assert booking.organization_id == member.organization_id


def test_front_desk_cannot_set_a_capacity_override(front_desk_client):
    page = front_desk_client.get(reverse("admin:bookings_benefitbooking_add"))
    assert b'name="capacity_override"' not in page.content


def test_manager_override_without_reason_is_a_form_error(manager_client):
    slot = BenefitSlotFactory()
    member = MemberFactory(home_branch=slot.facility.branch)
    response = manager_client.post(
        reverse("admin:bookings_benefitbooking_add"),
        {"member": member.pk, "slot": slot.pk, "status": BookingStatus.CONFIRMED, "capacity_override": "on"},
    )
    assert response.status_code == 200
    assert "A capacity override needs a reason and a note." in response.content.decode()
    assert not BenefitBooking.objects.exists()


def test_a_second_live_booking_is_a_form_error(front_desk_client):
    booking = BenefitBookingFactory()
    response = front_desk_client.post(
        reverse("admin:bookings_benefitbooking_add"),
        {"member": booking.member.pk, "slot": booking.slot.pk, "status": BookingStatus.CONFIRMED},
    )
    assert response.status_code == 200
    assert "This member already has a booking here." in response.content.decode()


def test_overridden_bookings_carry_a_badge_in_the_list(manager_client):
    BenefitBookingFactory(capacity_override=True, override_reason_code="medical", override_reason="Physio referral")
    page = manager_client.get(reverse("admin:bookings_benefitbooking_changelist"))
    assert b'class="override-badge" title="Physio referral"' in page.content


def test_front_desk_finds_members_by_autocomplete(front_desk_client):
    member = MemberFactory(first_name="Zelda", last_name="Quinn")
    MemberFactory(first_name="Other")
    response = front_desk_client.get(
        reverse("admin:autocomplete"),
        {"term": "zelda", "app_label": "bookings", "model_name": "benefitbooking", "field_name": "member"},
    )
    assert response.status_code == 200
    assert [result["id"] for result in response.json()["results"]] == [str(member.pk)]
