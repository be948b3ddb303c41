"""Members in the admin: the list's search, and what the member form refuses."""

import pytest
from django.urls import reverse

from clubs.tests.admin_forms import form_errors, submitted_form
from clubs.tests.factories import BranchFactory
from members.models import Member
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("typed", ["07700 900189", "7700900189", "900189", "+44 7700 900189"])
def test_the_members_list_finds_a_phone_number_however_it_is_typed(manager_client, typed):
    MemberFactory(last_name="Found", phone="+44 7700 900189")
    MemberFactory(last_name="Other", phone="+44 7700 900100")

    page = manager_client.get(reverse("admin:members_member_changelist"), {"q": typed}).content.decode()

    assert "Found" in page and "Other" not in page


def test_a_new_member_with_a_number_taken_in_the_club_is_a_form_error(manager_client):
    member = MemberFactory(member_number="M00042")
    add = reverse("admin:members_member_add")
    form = submitted_form(manager_client.get(add).content.decode())
    form.update(
        member_number="M00042", first_name="Ada", last_name="Lovelace", status="active",
        home_branch=str(member.home_branch_id),
    )  # fmt: skip

    response = manager_client.post(add, form)

    assert form_errors(response) == {"__all__": ["Another member of this club has this member number."]}
    assert Member.objects.filter(member_number="M00042").count() == 1


def test_a_member_number_of_another_club_is_free(manager_client):
    MemberFactory(member_number="M00042")
    branch = BranchFactory()
    add = reverse("admin:members_member_add")
    form = submitted_form(manager_client.get(add).content.decode())
    form.update(member_number="M00042", first_name="Ada", last_name="Lovelace", home_branch=str(branch.pk))

    assert manager_client.post(add, form).status_code == 302
    assert Member.objects.filter(member_number="M00042").count() == 2


def test_a_member_cannot_move_to_a_branch_of_another_organization(manager_client):
    member = MemberFactory()
    elsewhere = BranchFactory()
    change = reverse("admin:members_member_change", args=[member.pk])
    form = submitted_form(manager_client.get(change).content.decode())

    response = manager_client.post(change, {**form, "home_branch": str(elsewhere.pk)})

    assert form_errors(response) == {
        "home_branch": [f"Choose a branch of {member.organization}: this member belongs to it."]
    }


def test_a_phone_number_in_another_format_is_refused_in_plain_words(manager_client):
    member = MemberFactory()
    change = reverse("admin:members_member_change", args=[member.pk])
    form = submitted_form(manager_client.get(change).content.decode())

    response = manager_client.post(change, {**form, "phone": "ask at reception"})

    assert form_errors(response) == {
        "phone": [
            "Enter a phone number of 6 to 15 digits, with a + in front for an international one; spaces, "
            "brackets and dashes may separate them."
        ]
    }


def test_a_members_page_is_on_their_home_branchs_clock(manager_client):
    member = MemberFactory(home_branch=BranchFactory(time_zone="Australia/Sydney"))
    page = manager_client.get(reverse("admin:members_member_change", args=[member.pk])).content.decode()
    assert "on the branch's clock: Australia/Sydney" in page
