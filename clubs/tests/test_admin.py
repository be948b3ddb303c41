"""The club's admin pages: branches, and addresses that ask for what a list cannot show."""

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from clubs.models import Branch
from clubs.tests.admin_forms import form_errors, submitted_form
from clubs.tests.factories import BranchFactory, OrganizationFactory
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def move(client, branch: Branch, organization):
    change = reverse("admin:clubs_branch_change", args=[branch.pk])
    form = submitted_form(client.get(change).content.decode())
    return client.post(change, {**form, "organization": str(organization.pk)})


def test_a_branch_with_members_stays_in_its_organization(admin_client):
    branch = MemberFactory().home_branch

    response = move(admin_client, branch, OrganizationFactory())

    assert form_errors(response) == {
        "organization": ["A branch with members, facilities or classes stays in its organization."]
    }


def test_an_empty_branch_may_move(admin_client):
    branch, elsewhere = BranchFactory(), OrganizationFactory()

    assert move(admin_client, branch, elsewhere).status_code == 302
    branch.refresh_from_db()
    assert branch.organization == elsewhere


def test_a_nul_in_a_filter_is_ignored_and_said(manager_client):
    response = manager_client.get(reverse("admin:members_member_changelist"), {"status__exact": "active\x00"})

    assert response.status_code == 200
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        "A filter in the address held a NUL character, which nothing can match: it is not applied."
    ]


def test_initial_values_a_field_cannot_take_are_left_out(manager_client):
    branch = BranchFactory(name="Harbourfront")
    add = reverse("admin:classes_scheduledclass_add")

    response = manager_client.get(add, {"starts_at": "%", "capacity": "9" * 5000, "branch": str(branch.pk)})

    assert response.status_code == 200
    initial = response.context["adminform"].form.initial
    assert initial == {"branch": branch}


@pytest.mark.parametrize("query", ["created_at__year=99999", "created_at__month=13", "created_at__day=0"])
def test_a_date_outside_the_calendar_is_not_applied_and_said(manager_client, query):
    MemberFactory(first_name="Ada")
    response = manager_client.get(f"{reverse('admin:members_member_changelist')}?{query}")
    assert response.status_code == 200 and "Ada" in response.content.decode()
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        "A date in the address is outside the calendar: it is not applied."
    ]


def test_organizations_are_listed_with_the_installations_clock_labelled(manager_client, settings):
    settings.TIME_ZONE = "Asia/Kolkata"
    OrganizationFactory(name="Harbour Club")
    page = manager_client.get(reverse("admin:clubs_organization_changelist")).content.decode()
    assert "Harbour Club" in page and " IST</td>" in page
