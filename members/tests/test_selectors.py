"""The member a token speaks for, and the days the API's lists use."""

import datetime
import uuid
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from clubs.tests.factories import BranchFactory
from members.selectors import member_identity
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_the_identity_of_a_members_token_carries_what_the_api_needs():
    member = MemberFactory(
        home_branch=BranchFactory(time_zone="America/New_York"), first_name="Ada", last_name="Ng",
        auth_user_id=uuid.uuid4(),
    )  # fmt: skip
    identity = member_identity(auth_user_id=member.auth_user_id, organization_id=member.organization_id)
    assert (identity.id, identity.full_name, identity.home_branch_id, identity.time_zone) == (
        member.pk, member.full_name, member.home_branch_id, "America/New_York",
    )  # fmt: skip


def test_no_identity_for_an_unknown_user_or_another_organization():
    member = MemberFactory(auth_user_id=uuid.uuid4())
    assert member_identity(auth_user_id=uuid.uuid4(), organization_id=member.organization_id) is None
    other = MemberFactory().organization_id
    assert member_identity(auth_user_id=member.auth_user_id, organization_id=other) is None


def test_day_bounds_are_the_home_branchs_day_today_by_default():
    member = MemberFactory(home_branch=BranchFactory(time_zone="America/New_York"), auth_user_id=uuid.uuid4())
    identity = member_identity(auth_user_id=member.auth_user_id, organization_id=member.organization_id)
    zone = ZoneInfo("America/New_York")
    start, end = identity.day_bounds(datetime.date(2026, 3, 8))  # spring forward: 23 hours
    elapsed = end.astimezone(datetime.UTC) - start.astimezone(datetime.UTC)
    assert (start.isoformat(), elapsed) == ("2026-03-08T00:00:00-05:00", datetime.timedelta(hours=23))
    start, _ = identity.day_bounds(None)
    assert start.date() == timezone.localtime(timezone.now(), zone).date()
