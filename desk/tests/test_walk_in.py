"""Registering a walk-in at the desk: a few fields, the front desk's permission, an audit entry,
and on to booking."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditLog
from clubs.tests.factories import BranchFactory
from members.models import Member

pytestmark = pytest.mark.django_db

WALK_IN = reverse("admin:desk_walk_in")


@pytest.fixture
def branch():
    return BranchFactory(name="Harbourfront", time_zone="America/New_York")


def test_the_search_words_prefill_the_name(front_desk_client, branch):
    page = front_desk_client.get(WALK_IN, {"name": "Zed  Nobody Junior"}).content.decode()
    assert 'value="Zed"' in page and 'value="Nobody Junior"' in page
    assert f'<option value="{branch.pk}" selected>Harbourfront</option>' in page


@pytest.mark.parametrize(
    ("searched", "field", "value"),
    [("212-555-0100", "phone", "212-555-0100"), ("jane@example.org", "email", "jane@example.org")],
)
def test_a_searched_phone_or_email_prefills_its_own_field(front_desk_client, branch, searched, field, value):
    page = front_desk_client.get(WALK_IN, {"name": searched}).content.decode()
    assert f'name="{field}" value="{value}"' in page
    assert 'name="first_name" value' not in page


def test_a_walk_in_becomes_a_member_audited_and_goes_on_to_booking(front_desk_client, front_desk, branch):
    answer = front_desk_client.post(
        WALK_IN,
        {"first_name": "Zed", "last_name": "Nobody", "phone": "+1 212 555 0199", "email": "",
         "home_branch": branch.pk, "then": "book"},
    )  # fmt: skip
    member = Member.objects.get(first_name="Zed")
    assert answer.status_code == 302
    assert answer["Location"] == f"{reverse('admin:bookings_concierge_schedule')}?member={member.pk}"
    assert member.member_number.startswith("W") and len(member.member_number) == 7
    assert (member.status, member.home_branch_id, member.organization_id) == (
        "active",
        branch.pk,
        branch.organization_id,
    )
    entry = AuditLog.objects.get(action="member.created", entity_id=str(member.pk))
    assert entry.actor_label == front_desk.username and entry.reason == "Walk-in registered at the front desk"
    assert entry.new_values["phone"] == "+1 212 555 0199" and str(entry.member_id) == str(member.pk)


def test_register_only_goes_to_the_new_profile(front_desk_client, branch):
    answer = front_desk_client.post(
        WALK_IN, {"first_name": "Amy", "last_name": "Lo", "email": "amy@example.com", "home_branch": branch.pk}
    )
    member = Member.objects.get(first_name="Amy")
    assert answer["Location"] == reverse("admin:desk_member", args=[member.pk])


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"first_name": "Zed", "last_name": "Nobody"}, "Give a phone number or an email, so the club can reach them."),
        ({"first_name": "", "last_name": "Nobody", "phone": "2125550199"}, "This field is required."),
        ({"first_name": "Zed", "last_name": "Nobody", "phone": "call me"}, "Enter a phone number of 6 to 15 digits"),
        ({"first_name": "Zed", "last_name": "Nobody", "email": "not-an-email"}, "Enter a valid email address."),
        ({"first_name": "Zed\x00", "last_name": "Nobody", "phone": "2125550199"}, "Null characters are not allowed."),
    ],
)
def test_bad_input_is_named_and_nothing_is_written(front_desk_client, branch, fields, message):
    answer = front_desk_client.post(WALK_IN, {"home_branch": branch.pk, **fields})
    assert answer.status_code == 200
    assert message in answer.content.decode()
    assert not Member.objects.exists() and not AuditLog.objects.filter(action="member.created").exists()


def test_a_branch_that_is_not_offered_is_refused(front_desk_client, branch):
    closed = BranchFactory(name="Closed branch", is_active=False)
    answer = front_desk_client.post(
        WALK_IN, {"first_name": "Zed", "last_name": "N", "phone": "2125550199", "home_branch": closed.pk}
    )
    assert "Select a valid choice." in answer.content.decode() and not Member.objects.exists()


def test_registering_needs_the_walk_in_permission(client, django_user_model, branch):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_classbooking"))
    client.force_login(viewer)
    assert client.get(WALK_IN).status_code == 403
    answer = client.post(
        WALK_IN, {"first_name": "Zed", "last_name": "N", "phone": "2125550199", "home_branch": branch.pk}
    )
    assert answer.status_code == 403 and not Member.objects.exists()
