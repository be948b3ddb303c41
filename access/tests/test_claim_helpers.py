"""The claim helpers behind every policy, with every claim layout: NULL, never an error."""

import json
import uuid

import pytest
from django.db import connection

from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

ORG = "3f2f6a1e-5a7c-4c1e-9d5e-0c3a1b2c3d4e"
OTHER_ORG = "9b1d7e4a-1111-4c1e-9d5e-0c3a1b2c3d4e"
USER = "7d0c1f6e-2b3a-4c5d-8e9f-001122334455"


def helpers_with(claims: str, legacy_sub: str = "") -> tuple:
    with connection.cursor() as cursor:
        cursor.execute("select set_config('request.jwt.claims', %s, true)", [claims])
        cursor.execute("select set_config('request.jwt.claim.sub', %s, true)", [legacy_sub])
        cursor.execute("select app_private.jwt_organization_id()::text, app_private.jwt_user_id()::text")
        return cursor.fetchone()


@pytest.mark.parametrize(
    ("claims", "organization", "user"),
    [
        pytest.param({"sub": USER, "app_metadata": {"organization_id": ORG}}, ORG, USER, id="app_metadata"),
        pytest.param({"sub": USER, "app_metadata": {"org_id": ORG}}, ORG, USER, id="legacy-org_id"),
        pytest.param(
            {"sub": USER, "app_metadata": {"organization_id": ORG, "org_id": OTHER_ORG}}, ORG, USER, id="both-names"
        ),
        pytest.param(
            {"sub": USER, "app_metadata": {"organization_id": "not-a-uuid", "org_id": ORG}},
            ORG,
            USER,
            id="malformed-new-name-falls-back-to-legacy",
        ),
        pytest.param({"sub": USER, "user_metadata": {"organization_id": ORG}}, None, USER, id="user_metadata-only"),
        pytest.param({"sub": USER, "organization_id": ORG}, None, USER, id="top-level-claim"),
        pytest.param({"sub": USER}, None, USER, id="no-organization"),
        pytest.param({"sub": USER, "app_metadata": "organization_id"}, None, USER, id="app_metadata-not-an-object"),
        pytest.param({"sub": USER, "app_metadata": {"organization_id": 42}}, None, USER, id="organization-a-number"),
        pytest.param({"sub": "not-a-uuid", "app_metadata": {"organization_id": ORG}}, ORG, None, id="malformed-sub"),
        pytest.param({"role": "anon"}, None, None, id="anon-token"),
    ],
)
def test_claim_layouts(claims, organization, user):
    assert helpers_with(json.dumps(claims)) == (organization, user)


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("", id="empty-setting"),
        pytest.param("{not json", id="malformed-json"),
        pytest.param("[1, 2]", id="array"),
        pytest.param('"a string"', id="json-string"),
        pytest.param("null", id="json-null"),
    ],
)
def test_unusable_claims_give_null_not_an_error(raw):
    assert helpers_with(raw) == (None, None)


def test_the_legacy_sub_setting_wins_like_auth_uid():
    assert helpers_with(json.dumps({"sub": str(uuid.uuid4())}), legacy_sub=USER)[1] == USER


def test_current_member_needs_the_user_and_the_organization_to_match():
    member = MemberFactory(auth_user_id=USER)
    org = str(member.organization_id)
    with connection.cursor() as cursor:
        for claims, expected in [
            ({"sub": USER, "app_metadata": {"organization_id": org}}, member.id),
            ({"sub": USER, "app_metadata": {"org_id": org}}, member.id),
            ({"sub": USER, "app_metadata": {"organization_id": OTHER_ORG}}, None),
            ({"sub": USER, "user_metadata": {"organization_id": org}}, None),
            ({"sub": str(uuid.uuid4()), "app_metadata": {"organization_id": org}}, None),
        ]:
            cursor.execute("select set_config('request.jwt.claims', %s, true)", [json.dumps(claims)])
            cursor.execute("set local role authenticated")
            cursor.execute("select app_private.current_member_id()")
            assert cursor.fetchone()[0] == expected, claims
            cursor.execute("reset role")
