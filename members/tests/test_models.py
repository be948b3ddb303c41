import pytest
from django.core.exceptions import ValidationError

from clubs.tests.factories import BranchFactory
from config.testing import rejected_by_database
from members.models import Entitlement, Member
from members.tests.factories import EntitlementFactory, MemberFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("change", "constraint"),
    [
        ({"status": "suspended"}, "members_status_valid"),
        ({"member_number": ""}, "members_number_not_blank"),
        ({"first_name": "  "}, "members_first_name_not_blank"),
        ({"last_name": ""}, "members_last_name_not_blank"),
        ({"phone": "call reception"}, "members_phone_valid"),
    ],
)
def test_member_rejects_bad_values(change, constraint):
    member = MemberFactory()
    with rejected_by_database(constraint):
        Member.objects.filter(pk=member.pk).update(**change)


VALID_PHONES = ["+44 7700 900123", "020 7946 0000", "(212) 555-0100", "+1 212-555-0100", "+44 (0)7700 900123", "123456"]
INVALID_PHONES = [
    "12345",  # too short to be anyone's number
    "+44 7700 900123 0000",  # 16 digits: longer than any number (E.164)
    "44+7700900123",  # + only in front
    "+44 7700 900123 ext 5",
    "0800-FLOWERS",
    "+44.7700.900123",
]


@pytest.mark.parametrize("phone", VALID_PHONES)
def test_phone_numbers_as_people_write_them_are_accepted_by_form_and_table(phone):
    member = MemberFactory(phone=phone)
    member.full_clean()


@pytest.mark.parametrize("phone", INVALID_PHONES)
def test_other_phone_numbers_are_refused_by_form_and_table_alike(phone):
    member = MemberFactory()
    member.phone = phone
    with pytest.raises(ValidationError) as refusal:
        member.full_clean()
    assert list(refusal.value.message_dict) == ["phone"]
    with rejected_by_database("members_phone_valid"):
        Member.objects.filter(pk=member.pk).update(phone=phone)


def test_member_numbers_are_unique_per_organization():
    member = MemberFactory(member_number="M00001")
    MemberFactory(member_number="M00001")  # another organization
    with rejected_by_database("members_number_unique_per_org"):
        MemberFactory(member_number="M00001", home_branch=member.home_branch)


def test_a_supabase_user_is_one_member_at_most():
    member = MemberFactory(auth_user_id="6f1c0e52-7a53-4a8e-9a51-2f0d3c1d7a10")
    with rejected_by_database("auth_user_id"):
        MemberFactory(auth_user_id=member.auth_user_id)


def test_member_cannot_belong_to_a_branch_of_another_organization():
    member = MemberFactory()
    foreign_branch = BranchFactory()
    with rejected_by_database("members_home_branch_id_same_org_fk"):
        Member.objects.filter(pk=member.pk).update(home_branch=foreign_branch)


def test_member_organization_is_taken_from_the_home_branch():
    member = MemberFactory()
    assert member.organization_id == member.home_branch.organization_id


@pytest.mark.parametrize(
    ("change", "constraint"),
    [
        ({"quota": 0}, "entitlements_quota_positive"),
        ({"period": "year"}, "entitlements_period_valid"),
        ({"benefit_kind": "massage"}, "entitlements_kind_valid"),
    ],
)
def test_entitlement_rejects_bad_values(change, constraint):
    entitlement = EntitlementFactory()
    with rejected_by_database(constraint):
        Entitlement.objects.filter(pk=entitlement.pk).update(**change)


def test_one_entitlement_per_member_and_kind():
    entitlement = EntitlementFactory()
    with rejected_by_database("entitlements_one_per_kind"):
        EntitlementFactory(member=entitlement.member, benefit_kind=entitlement.benefit_kind)


def test_entitlement_stays_in_its_member_organization():
    entitlement = EntitlementFactory()
    other_member = MemberFactory()
    with rejected_by_database("entitlements_member_id_same_org_fk"):
        Entitlement.objects.filter(pk=entitlement.pk).update(member=other_member)
