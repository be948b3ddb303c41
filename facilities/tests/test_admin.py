"""Facilities and their booking settings in the admin: a new capacity, new hours or a new slot length
lead to the schedule change's preview (tested in schedule/tests/), and the forms refuse in words."""

import datetime
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from clubs.tests.admin_forms import form_errors, submitted_form
from clubs.tests.factories import BranchFactory
from facilities.models import BenefitSetting, BenefitSlot
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


def preview_of(response, facility) -> dict:
    """The values a save sent to the schedule change's preview of the facility (schedule/changes.py)."""
    assert response.redirect_chain, "saved without the preview"
    location = urlsplit(response.redirect_chain[0][0])
    assert location.path == reverse("admin:schedule_change_facility", args=[facility.pk])
    return dict(parse_qsl(location.query, keep_blank_values=True))


def test_a_new_capacity_leads_to_the_preview_and_leaves_the_slots_alone(manager_client, sauna):
    kept = slots(sauna, 12, capacity=8)

    response = save(manager_client, sauna, capacity="12")

    assert preview_of(response, sauna)["facility_capacity"] == "12"
    sauna.refresh_from_db()
    assert sauna.capacity == 8
    assert {slot.capacity for slot in BenefitSlot.objects.filter(pk__in=[slot.pk for slot in kept])} == {8}


def test_the_settings_inline_sends_its_new_values_to_the_preview(manager_client, sauna):
    BenefitSettingFactory(facility=sauna)

    response = save(manager_client, sauna, **{"settings-0-capacity": "10", "settings-0-slot_minutes": "45"})

    values = preview_of(response, sauna)
    assert (values["capacity"], values["slot_minutes"], values["facility_capacity"]) == ("10", "45", "8")
    assert BenefitSetting.objects.get(facility=sauna).capacity is None


def test_new_hours_in_the_booking_settings_page_lead_to_the_preview(manager_client, sauna):
    settings = BenefitSettingFactory(facility=sauna)

    response = save(manager_client, settings, opens_at="07:00", closes_at="21:00", slot_minutes="45")

    values = preview_of(response, sauna)
    assert (values["opens_at"], values["closes_at"], values["slot_minutes"]) == ("07:00", "21:00", "45")
    settings.refresh_from_db()
    assert (settings.opens_at, settings.closes_at, settings.slot_minutes) == (datetime.time(6), datetime.time(22), 30)


def test_a_change_of_anything_else_saves_at_once(manager_client, sauna):
    response = save(manager_client, sauna, name="Finnish sauna", under_maintenance="on")

    assert response.redirect_chain[0][0] == reverse("admin:facilities_facility_changelist")
    sauna.refresh_from_db()
    assert (sauna.name, sauna.under_maintenance) == ("Finnish sauna", True)


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
