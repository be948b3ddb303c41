import datetime

import pytest

from classes.models import ScheduledClass
from classes.tests.factories import ScheduledClassFactory
from clubs.tests.factories import BranchFactory
from config.testing import rejected_by_database

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("change", "constraint"),
    [
        ({"capacity": 0}, "classes_capacity_positive"),
        ({"ends_at": datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)}, "classes_ends_after_start"),
    ],
)
def test_class_rejects_bad_values(change, constraint):
    scheduled_class = ScheduledClassFactory()
    with rejected_by_database(constraint):
        ScheduledClass.objects.filter(pk=scheduled_class.pk).update(**change)


def test_class_stays_in_its_branch_organization():
    scheduled_class = ScheduledClassFactory()
    with rejected_by_database("classes_branch_id_same_org_fk"):
        ScheduledClass.objects.filter(pk=scheduled_class.pk).update(branch=BranchFactory())
