"""The header's member search, as you type: a fragment of links to profiles after two characters."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from clubs.tests.factories import BranchFactory
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

SEARCH = reverse("admin:desk_search")


@pytest.fixture
def olivia():
    branch = BranchFactory(name="Harbourfront", time_zone="America/New_York")
    return MemberFactory(
        home_branch=branch, first_name="Olivia", last_name="Smith", member_number="M00042",
        email="olivia.smith@example.com", phone="+1 (212) 555-0142",
    )  # fmt: skip


def results(client, query: str) -> str:
    answer = client.get(SEARCH, {"q": query}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200
    return answer.content.decode()


@pytest.mark.parametrize("query", ["ol", "smi", "Olivia Smith", "m00042", "olivia.sm", "212 555 0142", "5550142"])
def test_a_member_is_found_by_name_number_email_or_phone_in_any_form(front_desk_client, olivia, query):
    found = results(front_desk_client, query)
    assert f'href="{reverse("admin:desk_member", args=[olivia.pk])}"' in found
    assert "Olivia Smith" in found and "#M00042" in found and "Harbourfront" in found


def test_one_character_asks_for_another(front_desk_client, olivia):
    assert "Type at least two characters." in results(front_desk_client, "o")
    assert "<a " not in results(front_desk_client, "") and "<p" not in results(front_desk_client, "")


def test_a_frozen_member_is_marked_in_the_results(front_desk_client, olivia):
    olivia.status = "frozen"
    olivia.save()
    assert '<span class="status-badge status-frozen">Frozen</span>' in results(front_desk_client, "olivia")


def test_nothing_found_offers_a_walk_in_to_who_may_register_one(front_desk_client, client, django_user_model, olivia):
    found = results(front_desk_client, "Zed Nobody")
    assert "No member matches “Zed Nobody”." in found
    assert f'href="{reverse("admin:desk_walk_in")}?name=Zed%20Nobody"' in found
    viewer = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_classbooking"))
    client.force_login(viewer)
    found = results(client, "Zed Nobody")
    assert "No member matches" in found and "walk-in" not in found


@pytest.mark.parametrize("hostile", ["%", "_", "\\", "' or 1=1 --", "\x00olivia", "é" * 500, "(((", "*"])
def test_hostile_searches_are_answered_plainly(front_desk_client, olivia, hostile):
    results(front_desk_client, hostile)


def test_the_search_costs_a_fixed_number_of_queries(front_desk_client, olivia, django_assert_num_queries):
    for number in range(30):
        MemberFactory(home_branch=olivia.home_branch, first_name="Oliver", last_name=f"Twist{number}")
    # session, user, permissions (2), the search
    with django_assert_num_queries(5):
        results(front_desk_client, "oli")


def test_the_search_is_for_desk_staff(client, django_user_model, olivia):
    clerk = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    client.force_login(clerk)
    assert client.get(SEARCH, {"q": "olivia"}).status_code == 403


def test_every_staff_page_has_the_search_box(front_desk_client):
    for page in [reverse("admin:desk_today"), reverse("admin:bookings_classbooking_changelist")]:
        assert 'id="desk-search"' in front_desk_client.get(page).content.decode()


def test_more_matches_than_shown_are_said(front_desk_client, olivia):
    for number in range(9):
        MemberFactory(home_branch=olivia.home_branch, first_name="Oliver", last_name=f"Twist{number}")
    found = results(front_desk_client, "oliv")
    assert found.count('class="desk-result"') == 8
    assert "More members match: type more of the name, or the number." in found
    assert "More members match" not in results(front_desk_client, "olivia")
