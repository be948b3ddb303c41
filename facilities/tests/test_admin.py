"""Facilities and their booking settings in the admin: what a manager is told after a change, and
what the forms refuse."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from clubs.tests.admin_forms import form_errors, submitted_form
from clubs.tests.factories import BranchFactory
from facilities.models import BenefitSlot
from facilities.tests.factories import BenefitSettingFactory, BenefitSlotFactory, FacilityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sauna():
    return FacilityFactory(name="Sauna", capacity=8)


def slots(facility, count: int, *, capacity: int, days_ahead: int = 1) -> list[BenefitSlot]:
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=days_ahead)
    return [
        BenefitSlotFactory(
            facility=facility,
            starts_at=start + datetime.timedelta(hours=hour),
            ends_at=start + datetime.timedelta(hours=hour, minutes=30),
            capacity=capacity,
        )
        for hour in range(count)
    ]


def save(client, obj, **changes):
    """Submit the object's change page as it stands, with `changes`; the page that follows."""
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
    form = submitted_form(client.get(url).content.decode())
    return client.post(url, {**form, **changes}, follow=True)


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_a_new_capacity_tells_the_manager_that_future_slots_keep_the_old_one(manager_client, sauna):
    kept = slots(sauna, 12, capacity=8)
    slots(sauna, 2, capacity=8, days_ahead=-1)  # over already: nothing to say of them

    response = save(manager_client, sauna, capacity="12")

    assert (
        "Sauna: 12 future slots keep capacity 8; slots made from now on have 12. Their bookings are untouched."
    ) in said(response)
    assert {slot.capacity for slot in BenefitSlot.objects.filter(pk__in=[slot.pk for slot in kept])} == {8}


def test_the_settings_capacity_inline_counts_each_kept_capacity(manager_client, sauna):
    BenefitSettingFactory(facility=sauna)
    slots(sauna, 1, capacity=8)
    slots(sauna, 3, capacity=6, days_ahead=2)

    response = save(manager_client, sauna, **{"settings-0-capacity": "10"})

    assert any(
        message.startswith("Sauna: 3 future slots keep capacity 6 and 1 future slot keeps capacity 8; slots made")
        for message in said(response)
    ), said(response)


def test_new_hours_in_the_booking_settings_page_say_the_slots_keep_theirs(manager_client, sauna):
    settings = BenefitSettingFactory(facility=sauna)
    slots(sauna, 5, capacity=8)

    response = save(manager_client, settings, opens_at="07:00", closes_at="21:00", slot_minutes="45")

    assert any(
        message.startswith(
            "Sauna: 5 future slots keep the hours they were made with; slots made from now on are 07:00–21:00 in "
            "45-minute slots."
        )
        for message in said(response)
    ), said(response)


def test_nothing_is_said_when_no_future_slot_differs(manager_client, sauna):
    slots(sauna, 3, capacity=12)

    capacity_response = save(manager_client, sauna, capacity="12")
    name_response = save(manager_client, sauna, name="Finnish sauna")

    assert not [message for message in said(capacity_response) + said(name_response) if "future slot" in message]


def test_the_settings_inline_refuses_closing_before_opening_on_its_field(manager_client, sauna):
    BenefitSettingFactory(facility=sauna)

    response = save(manager_client, sauna, **{"settings-0-opens_at": "10:00", "settings-0-closes_at": "09:00"})

    assert form_errors(response) == {
        "settings-0-closes_at": ["Closing time must be later than opening time, on the same day."]
    }


def test_a_facility_cannot_move_to_a_branch_of_another_organization(manager_client, sauna):
    elsewhere = BranchFactory()

    response = save(manager_client, sauna, branch=str(elsewhere.pk))

    assert list(form_errors(response)) == ["branch"]
    sauna.refresh_from_db()
    assert sauna.branch_id != elsewhere.pk


def test_a_slot_page_and_the_slot_list_are_on_the_branchs_clock(manager_client):
    from config.tests.clock import interesting_day, local

    zone = "Asia/Kolkata"
    day = interesting_day(zone, "standard")
    facility = FacilityFactory(name="Cold plunge", branch=BranchFactory(time_zone=zone))
    slot = BenefitSlotFactory(facility=facility, starts_at=local(day, 0, 30, zone), ends_at=local(day, 1, 0, zone))
    page = manager_client.get(reverse("admin:facilities_benefitslot_change", args=[slot.pk])).content.decode()
    # A manager reads a slot (it changes only through slot generation): 00:30 in Kolkata.
    assert "12:30 a.m." in page and "on the branch's clock: Asia/Kolkata" in page
    listed = manager_client.get(f"{reverse('admin:facilities_benefitslot_changelist')}?day={day.isoformat()}")
    assert f"{day:%a} {day.day} {day:%b %Y}, 00:30 IST" in listed.content.decode()  # 19:00 UTC the day before
