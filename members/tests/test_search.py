"""The staff's member search (app_private.search_members, members/sql/member_search/): a phone
number however it is typed, LIKE's % and _ as plain characters, every status found and shown, and
nothing for a member's session whatever its token claims."""

import uuid

import pytest

from access.tests.postgrest import acting_as
from members.models import MemberStatus
from members.selectors import member_search
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def found(query: str) -> set[str]:
    return {match.last_name for match in member_search(query)}


@pytest.fixture
def phones():
    MemberFactory(last_name="International", phone="+44 7700 900189")
    MemberFactory(last_name="National", phone="07700 900289")
    MemberFactory(last_name="Bracketed", phone="+44 (0)7700 900389")
    MemberFactory(last_name="Elsewhere", phone="+1 212 555 0189")


@pytest.mark.parametrize(
    "typed",
    [
        "07700 900189",  # national form
        "7700900189",  # without the country code
        "900189",  # the last digits
        "+44 7700 900189",  # international
        "+44 (0)7700 900-189",
        "0044 7700 900189",
        "+44 7700 9001",  # the start
    ],
)
def test_a_number_stored_internationally_is_found_however_it_is_typed(phones, typed):
    assert found(typed) == {"International"}


@pytest.mark.parametrize("typed", ["07700 900289", "7700 900289", "900289", "+44 7700 900289", "447700900289"])
def test_a_number_stored_nationally_is_found_however_it_is_typed(phones, typed):
    assert found(typed) == {"National"}


@pytest.mark.parametrize("typed", ["+44 7700 900389", "07700 900389", "900389", "+44 (0)7700 900389"])
def test_a_number_stored_with_its_trunk_zero_in_brackets_is_found_however_it_is_typed(phones, typed):
    assert found(typed) == {"Bracketed"}


def test_digits_only_at_the_end_find_every_number_that_ends_so(phones):
    assert found("0189") == {"International", "Elsewhere"}
    assert found("900188") == set()


def test_percent_and_underscore_are_plain_characters():
    MemberFactory(last_name="O_Neil", first_name="Ann", email="ann_oneil@example.com")
    MemberFactory(last_name="Oxneil", first_name="Bob", email="bob@example.com")
    MemberFactory(last_name="Smith", first_name="Cy", email="100%fit@example.com")

    assert found("o_n") == {"O_Neil"}
    assert found("%") == set()
    assert found("_") == set()
    assert found("%neil") == set()
    assert found("100%") == {"Smith"}
    assert found("100_") == set()
    assert found("ann_") == {"O_Neil"}
    assert found("o\\") == set()


def test_frozen_and_cancelled_members_are_found_with_their_status():
    for status in MemberStatus:
        MemberFactory(last_name="Patel", first_name=status.label, status=status)

    assert {(match.first_name, match.status) for match in member_search("patel")} == {
        ("Active", "active"),
        ("Frozen", "frozen"),
        ("Cancelled", "cancelled"),
    }


# Who gets answers: decided by the database role the request runs as, never by the token's claims.

SEARCHES = ["select last_name from public.search_members('patel')",
            "select last_name from app_private.search_members('patel')"]  # fmt: skip


def member_token(member, **overrides) -> dict:
    return {
        "sub": str(member.auth_user_id),
        "role": "authenticated",
        "app_metadata": {"organization_id": str(member.organization_id)},
        **overrides,
    }


def searched_as(role: str, claims: dict | None, search: str) -> list[tuple]:
    with acting_as(role, claims) as cursor:
        cursor.execute(search)
        return cursor.fetchall()


@pytest.fixture
def member():
    return MemberFactory(last_name="Patel", auth_user_id=uuid.uuid4())


@pytest.mark.parametrize("search", SEARCHES)
@pytest.mark.parametrize(
    "forged",
    [
        {},
        {"role": "service_role"},
        {"role": None},
        {"role": "postgres"},
        {"role": ["service_role"]},
    ],
    ids=["plain", "role service_role", "role null", "role postgres", "role a list"],
)
def test_a_member_session_gets_nothing_whatever_its_token_claims(member, search, forged):
    assert searched_as("authenticated", member_token(member, **forged), search) == []


@pytest.mark.parametrize("search", SEARCHES)
@pytest.mark.parametrize("claims", [None, {"role": "service_role"}, {"role": "authenticated"}, "not json"])
def test_service_role_gets_results_whatever_its_token_claims(member, search, claims):
    assert searched_as("service_role", claims, search) == [("Patel",)]


@pytest.mark.parametrize("claims", [{"role": "authenticated"}, {"role": "anon"}])
def test_the_apps_own_connection_gets_results_whatever_claims_are_set(member, claims):
    with acting_as("none", claims):
        assert found("patel") == {"Patel"}
