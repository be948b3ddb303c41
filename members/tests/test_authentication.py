"""Member tokens: verified locally, and every way a token can be wrong answers 401 saying which."""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.urls import reverse

from members import authentication
from members.tests.factories import MemberFactory
from members.tests.tokens import bearer, member_token

pytestmark = pytest.mark.django_db

ENTITLEMENTS = reverse("api:entitlements")


@pytest.fixture
def member():
    return MemberFactory(auth_user_id=uuid.uuid4())


def get(client, token):
    return client.get(ENTITLEMENTS, **bearer(token))


def test_a_valid_token_is_the_member(client, member):
    response = get(client, member_token(member))
    assert response.status_code == 200, response.json()


def test_the_legacy_organization_claim_still_works(client, member):
    token = member_token(member, app_metadata={"org_id": str(member.organization_id)})
    assert get(client, token).status_code == 200


def unsigned(claims: dict) -> str:
    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("expired", "token_expired"),
        ("wrong_secret", "token_bad_signature"),
        ("alg_none", "token_algorithm_not_allowed"),
        ("wrong_audience", "token_wrong_audience"),
        ("unknown_member", "unknown_member"),
        ("organization_only_in_user_metadata", "token_no_organization"),
        ("other_organization", "unknown_member"),
        ("not_a_jwt", "token_malformed"),
        ("no_expiry", "token_incomplete"),
    ],
)
def test_every_bad_token_answers_401_saying_which(client, member, case, code):
    now = int(time.time())
    token = {
        "expired": lambda: member_token(member, exp=now - 120, iat=now - 4000),
        "wrong_secret": lambda: member_token(member, key="another-secret-entirely-but-long-enough"),
        "alg_none": lambda: unsigned({"sub": str(member.auth_user_id), "aud": "authenticated", "exp": now + 60}),
        "wrong_audience": lambda: member_token(member, aud="anon"),
        "unknown_member": lambda: member_token(member, sub=str(uuid.uuid4())),
        "organization_only_in_user_metadata": lambda: member_token(
            member, app_metadata={}, user_metadata={"organization_id": str(member.organization_id)}
        ),
        "other_organization": lambda: member_token(member, app_metadata={"organization_id": str(uuid.uuid4())}),
        "not_a_jwt": lambda: "not.a.token",
        "no_expiry": lambda: jwt.encode(
            {"sub": str(member.auth_user_id), "aud": "authenticated"},
            "test-supabase-jwt-secret-with-enough-length-for-hs256",
        ),
    }[case]()
    response = get(client, token)
    assert response.status_code == 401
    assert response.json()["code"] == code
    assert response.json()["message"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_a_small_clock_skew_is_tolerated(client, member):
    now = int(time.time())
    assert get(client, member_token(member, exp=now - 5)).status_code == 200


def test_no_token_is_401_not_authenticated(client):
    response = client.get(ENTITLEMENTS)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.fixture
def signing_keys(tmp_path, settings):
    private_key = ec.generate_private_key(ec.SECP256R1())
    public_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private_key.public_key()))
    public_jwk.update({"kid": "key-1", "alg": "ES256", "use": "sig"})
    document = tmp_path / "jwks.json"
    document.write_text(json.dumps({"keys": [public_jwk]}))
    settings.SUPABASE_JWKS_FILE = str(document)
    authentication._jwks_file.cache_clear()
    yield private_key
    authentication._jwks_file.cache_clear()


def test_es256_tokens_are_verified_with_the_projects_signing_keys(client, member, signing_keys):
    token = member_token(member, key=signing_keys, algorithm="ES256", headers={"kid": "key-1"})
    assert get(client, token).status_code == 200
    other = ec.generate_private_key(ec.SECP256R1())
    forged = member_token(member, key=other, algorithm="ES256", headers={"kid": "key-1"})
    assert get(client, forged).json()["code"] == "token_bad_signature"
    unknown = member_token(member, key=signing_keys, algorithm="ES256", headers={"kid": "key-9"})
    assert get(client, unknown).json()["code"] == "token_unknown_key"
