"""Table rules that forms report on a field, and limits on free text held by forms and tables alike."""

import pytest
from django.core.exceptions import ValidationError
from django.db import models

from bookings.models import OVERRIDE_NOTE_MAX_LENGTH, BenefitBooking, ClassBooking
from bookings.tests.factories import BenefitBookingFactory, ClassBookingFactory
from clubs.constraints import FieldCheckConstraint
from config.testing import rejected_by_database
from facilities.models import Facility
from facilities.tests.factories import FacilityFactory

pytestmark = pytest.mark.django_db


def test_a_broken_rule_is_an_error_on_its_field_in_its_own_words():
    facility = FacilityFactory.build(capacity=0)
    with pytest.raises(ValidationError) as refusal:
        facility.validate_constraints()
    assert refusal.value.message_dict == {"capacity": ["Capacity is at least 1 person."]}


def test_the_field_a_rule_is_reported_on_is_part_of_its_definition():
    rule = FieldCheckConstraint(
        condition=models.Q(capacity__gt=0), name="x_capacity", field="capacity", violation_error_message="At least 1."
    )
    path, args, kwargs = rule.deconstruct()
    assert path == "clubs.constraints.FieldCheckConstraint" and kwargs["field"] == "capacity"
    assert FieldCheckConstraint(*args, **kwargs) == rule
    assert FieldCheckConstraint(**{**kwargs, "field": "name"}) != rule


@pytest.mark.parametrize(
    ("model", "factory"), [(BenefitBooking, BenefitBookingFactory), (ClassBooking, ClassBookingFactory)]
)
def test_an_override_note_is_limited_in_forms_and_in_the_table(model, factory):
    assert model._meta.get_field("override_reason").formfield().max_length == OVERRIDE_NOTE_MAX_LENGTH
    booking = factory()
    model.objects.filter(pk=booking.pk).update(override_reason="x" * OVERRIDE_NOTE_MAX_LENGTH)
    with rejected_by_database(f"{model._meta.db_table}_override_note_length"):
        model.objects.filter(pk=booking.pk).update(override_reason="x" * (OVERRIDE_NOTE_MAX_LENGTH + 1))


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_a_name_of_nothing_but_spaces_is_refused_by_the_table(name):
    facility = FacilityFactory()
    with rejected_by_database("facilities_name_not_blank"):
        Facility.objects.filter(pk=facility.pk).update(name=name)
