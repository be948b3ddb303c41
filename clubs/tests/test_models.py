import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, connection

from clubs.models import Branch
from clubs.tests.factories import BranchFactory, OrganizationFactory
from config.testing import rejected_by_database

pytestmark = pytest.mark.django_db


def test_branch_with_unknown_time_zone_is_refused_by_the_database():
    branch = BranchFactory()
    with rejected_by_database('time zone "Mars/Olympus_Mons" not recognized', DataError):
        Branch.objects.filter(pk=branch.pk).update(time_zone="Mars/Olympus_Mons")


def test_branch_time_zone_is_validated_in_forms_too():
    branch = BranchFactory.build(time_zone="Europe/Londn", organization=OrganizationFactory())
    with pytest.raises(ValidationError, match="not an IANA time zone"):
        branch.full_clean()


def test_branch_names_are_unique_within_an_organization_only():
    branch = BranchFactory(name="Riverside")
    BranchFactory(name="Riverside")  # another organization: fine
    with rejected_by_database("branches_name_unique_per_org"):
        BranchFactory(name="Riverside", organization=branch.organization)


def test_rows_get_a_uuid_from_the_database_when_inserted_without_one():
    organization = OrganizationFactory()
    with connection.cursor() as cursor:
        cursor.execute(
            "insert into branches (organization_id, name, time_zone, address)"
            " values (%s, 'Inserted by PostgREST', 'Asia/Tokyo', '') returning id, is_active, created_at",
            [organization.id],
        )
        branch_id, is_active, created_at = cursor.fetchone()
    assert Branch.objects.get(pk=branch_id).time_zone == "Asia/Tokyo"
    assert is_active is True and created_at is not None
