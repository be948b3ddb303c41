import datetime

import pytest
from django import forms

from clubs.tests.factories import BranchFactory
from config.testing import rejected_by_database
from facilities.models import BenefitSetting, BenefitSlot, Facility, Weekday
from facilities.tests.factories import BenefitSettingFactory, BenefitSlotFactory, FacilityFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("change", "constraint"),
    [
        ({"capacity": 0}, "facilities_capacity_positive"),
        ({"kind": "ball_pit"}, "facilities_kind_valid"),
        ({"available_days": [1, 8]}, "facilities_available_days_are_weekdays"),
    ],
)
def test_facility_rejects_bad_values(change, constraint):
    facility = FacilityFactory()
    with rejected_by_database(constraint):
        Facility.objects.filter(pk=facility.pk).update(**change)


def test_facility_names_are_unique_per_branch():
    facility = FacilityFactory(name="Sauna")
    with rejected_by_database("facilities_name_unique_per_branch"):
        FacilityFactory(name="Sauna", branch=facility.branch)


def test_facility_cannot_move_to_a_branch_of_another_organization():
    facility = FacilityFactory()
    with rejected_by_database("facilities_branch_id_same_org_fk"):
        Facility.objects.filter(pk=facility.pk).update(branch=BranchFactory())


def test_facility_is_available_every_day_unless_told_otherwise():
    assert FacilityFactory().available_days == Weekday.values


def test_available_days_are_edited_as_weekday_checkboxes():
    field = Facility._meta.get_field("available_days").formfield()
    assert isinstance(field.widget, forms.CheckboxSelectMultiple)
    assert field.initial() == Weekday.values  # a new facility starts with every day ticked
    assert field.clean(["1", "6"]) == [1, 6]
    with pytest.raises(forms.ValidationError):
        field.clean(["9"])


def test_settings_default_to_six_to_ten_in_half_hours():
    settings = BenefitSettingFactory()
    settings.refresh_from_db()
    assert (settings.opens_at, settings.closes_at, settings.slot_minutes) == (
        datetime.time(6),
        datetime.time(22),
        30,
    )


@pytest.mark.parametrize(
    ("change", "constraint"),
    [
        ({"opens_at": datetime.time(22), "closes_at": datetime.time(6)}, "benefit_settings_closes_after_opens"),
        ({"slot_minutes": 0}, "benefit_settings_slot_length_valid"),
        ({"capacity": 0}, "benefit_settings_capacity_positive"),
        ({"booking_window_days": 400}, "benefit_settings_window_at_most_a_year"),
    ],
)
def test_settings_reject_bad_values(change, constraint):
    settings = BenefitSettingFactory()
    with rejected_by_database(constraint):
        BenefitSetting.objects.filter(pk=settings.pk).update(**change)


def test_one_settings_row_per_facility():
    settings = BenefitSettingFactory()
    with rejected_by_database("facility_id"):
        BenefitSettingFactory(facility=settings.facility)


@pytest.mark.parametrize(
    ("change", "constraint"),
    [
        ({"capacity": 0}, "benefit_slots_capacity_positive"),
        ({"ends_at": datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)}, "benefit_slots_ends_after_start"),
    ],
)
def test_slot_rejects_bad_values(change, constraint):
    slot = BenefitSlotFactory()
    with rejected_by_database(constraint):
        BenefitSlot.objects.filter(pk=slot.pk).update(**change)


def test_one_slot_per_facility_and_start():
    slot = BenefitSlotFactory()
    with rejected_by_database("benefit_slots_unique_start"):
        BenefitSlotFactory(facility=slot.facility, starts_at=slot.starts_at)


def test_slot_stays_in_its_facility_organization():
    slot = BenefitSlotFactory()
    with rejected_by_database("benefit_slots_facility_id_same_org_fk"):
        BenefitSlot.objects.filter(pk=slot.pk).update(facility=FacilityFactory())


@pytest.mark.parametrize("moment", ["06:00:03", "22:00:00"])
def test_no_system_check_warns_at_the_default_opening_hours(moment):
    """Every command runs the system checks; a warning then would come before its output."""
    import time_machine
    from django.core import checks

    with time_machine.travel(datetime.datetime.fromisoformat(f"2026-12-01T{moment}+00:00"), tick=False):
        assert [message.id for message in checks.run_checks() if not message.is_silenced()] == []
