"""A member's booking through the API: the token's member is found in the booking's own statement
(one round trip), and a token no member belongs to is still refused first, whatever else is wrong."""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditLog
from bookings.models import BenefitBooking
from bookings.services import booking_create_by_sign_in
from config.api import PerMemberThrottle
from members.tests.tokens import bearer, member_token

pytestmark = pytest.mark.django_db

BOOKINGS = reverse("api:bookings")


@pytest.fixture
def member(club):
    club.member.auth_user_id = uuid.uuid4()
    club.member.save()
    return club.member


@pytest.fixture
def stranger(member) -> dict:
    """A well-signed token of the member's organization that no member belongs to."""
    return bearer(member_token(member, sub=str(uuid.uuid4())))


def statements(queries: CaptureQueriesContext) -> list[str]:
    """The statements sent, without the savepoints of the test's own transaction."""
    return [query["sql"] for query in queries.captured_queries if "SAVEPOINT" not in query["sql"]]


def test_a_members_booking_is_one_statement_written_by_the_member(client, club, member):
    with CaptureQueriesContext(connection) as queries:
        response = client.post(BOOKINGS, {"kind": "slot", "item": club.slot.pk}, **bearer(member_token(member)))
    assert response.status_code == 201, response.json()
    assert len(statements(queries)) == 1
    booking = BenefitBooking.objects.get(pk=response.json()["id"])
    assert (booking.member_id, booking.channel) == (member.pk, "api")
    entry = AuditLog.objects.get(entity_id=booking.pk)
    assert (entry.actor_type, entry.actor_id, entry.actor_label) == ("member", str(member.auth_user_id), "Olivia Smith")


@pytest.mark.parametrize("body", ["valid", "invalid", "unreadable"])
def test_a_token_no_member_belongs_to_is_refused_before_its_body(client, club, stranger, body):
    sent = {
        "valid": {"kind": "slot", "item": str(club.slot.pk)},
        "invalid": {"kind": "spa", "item": "nope"},
        "unreadable": "{not json",
    }[body]
    response = client.post(BOOKINGS, sent, content_type="application/json", **stranger)
    assert (response.status_code, response.json()["code"]) == (401, "unknown_member")
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not BenefitBooking.objects.exists()


def test_listing_with_a_token_no_member_belongs_to_is_refused_before_the_query(client, stranger):
    response = client.get(BOOKINGS, {"limit": "many"}, **stranger)
    assert (response.status_code, response.json()["code"]) == (401, "unknown_member")


def test_the_service_books_nothing_for_a_sign_in_no_member_has(club, member):
    outcome = booking_create_by_sign_in(
        kind="slot", item_id=club.slot.pk, auth_user_id=uuid.uuid4(), organization_id=member.organization_id,
        channel="api", source="api",
    )  # fmt: skip
    assert outcome is None
    assert not BenefitBooking.objects.exists() and not AuditLog.objects.filter(action="booking.created").exists()


def test_the_service_refuses_as_booking_create_does(club, member):
    for _ in range(club.slot.capacity):
        booking_create_by_sign_in(
            kind="slot", item_id=club.slot.pk, auth_user_id=club.new_member(auth_user_id=uuid.uuid4()).auth_user_id,
            organization_id=member.organization_id, channel="api", source="api",
        )  # fmt: skip
    waitlisted = booking_create_by_sign_in(
        kind="slot", item_id=club.slot.pk, auth_user_id=member.auth_user_id, organization_id=member.organization_id,
        channel="api", source="api", join_waitlist=True,
    )  # fmt: skip
    assert (waitlisted.status, waitlisted.capacity_override) == ("waitlisted", False)


# The per-member throttle counts by the token's sign-in, known without a query


@pytest.fixture
def two_a_minute(monkeypatch):
    monkeypatch.setattr(PerMemberThrottle, "rate", "2/min", raising=False)
    cache.clear()
    yield
    cache.clear()


def test_a_member_is_throttled_across_endpoints(client, club, member, two_a_minute):
    token = bearer(member_token(member))
    assert client.get(reverse("api:entitlements"), **token).status_code == 200
    assert client.post(BOOKINGS, {"kind": "slot", "item": club.slot.pk}, **token).status_code == 201
    throttled = client.post(BOOKINGS, {"kind": "class", "item": club.scheduled_class.pk}, **token)
    assert (throttled.status_code, throttled.json()["code"]) == (429, "throttled")
    assert client.get(reverse("api:entitlements"), **token).status_code == 429
    other = club.new_member(auth_user_id=uuid.uuid4())
    assert client.get(reverse("api:entitlements"), **bearer(member_token(other))).status_code == 200


def test_a_throttled_token_no_member_belongs_to_is_told_so_not_to_wait(client, club, stranger, two_a_minute):
    answers = [client.post(BOOKINGS, {"kind": "slot", "item": club.slot.pk}, **stranger) for _ in range(4)]
    assert {(answer.status_code, answer.json()["code"]) for answer in answers} == {(401, "unknown_member")}


def test_the_engines_refusal_is_unchanged_for_a_member_booking_twice(client, club, member):
    token = bearer(member_token(member))
    assert client.post(BOOKINGS, {"kind": "slot", "item": club.slot.pk}, **token).status_code == 201
    again = client.post(BOOKINGS, {"kind": "slot", "item": club.slot.pk}, **token)
    assert again.status_code == 409
    assert BenefitBooking.objects.filter(member=member).count() == 1
