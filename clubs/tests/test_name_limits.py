"""Names have a limit that the form and the table hold alike (issue 12: "limits on free text
(override note, names)"; the override note's is in test_constraints.py): at the limit a name is
saved, one character more is a plain error on its field, and the table refuses it however it is
written."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError

from classes.tests.factories import ClassTimetableEntryFactory, ScheduledClassFactory
from clubs.tests.factories import BranchFactory, OrganizationFactory
from config.testing import rejected_by_database
from facilities.tests.factories import FacilityFactory
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

NAMES = [
    (OrganizationFactory, "name", 200),
    (BranchFactory, "name", 200),
    (MemberFactory, "first_name", 100),
    (MemberFactory, "last_name", 100),
    (FacilityFactory, "name", 200),
    (ScheduledClassFactory, "title", 200),
    (ClassTimetableEntryFactory, "title", 200),
]


@pytest.mark.parametrize(("factory", "field", "limit"), NAMES, ids=lambda value: getattr(value, "__name__", value))
def test_a_name_longer_than_its_limit_is_refused_by_form_and_table(factory, field, limit):
    row = factory()
    model = type(row)
    assert model._meta.get_field(field).formfield().max_length == limit

    setattr(row, field, "x" * limit)
    row.full_clean()
    model.objects.filter(pk=row.pk).update(**{field: "x" * limit})

    setattr(row, field, "x" * (limit + 1))
    with pytest.raises(ValidationError) as refusal:
        row.full_clean()
    said = f"Ensure this value has at most {limit} characters (it has {limit + 1})."
    assert refusal.value.message_dict[field] == [said]
    with rejected_by_database(f"value too long for type character varying({limit})", error=DataError):
        model.objects.filter(pk=row.pk).update(**{field: "x" * (limit + 1)})
