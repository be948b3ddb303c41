"""Member tokens: verified locally, and every way a token can be wrong answers 401 saying which."""

from __future__ import annotations

import base64
import json
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.urls import reverse

from members import authentication
from members.tests.factories import MemberFactory
from members.tests.tokens import bearer, crafted_token, member_claims, member_token

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


HS256 = {"alg": "HS256", "typ": "JWT"}
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def segment(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("algorithm_is_an_object", "token_malformed"),
        ("algorithm_is_a_list", "token_malformed"),
        ("no_algorithm", "token_malformed"),
        ("kid_is_a_list", "token_malformed"),
        ("kid_is_a_number", "token_malformed"),
        ("header_is_a_json_array", "token_malformed"),
        ("header_is_not_json", "token_malformed"),
        ("header_is_not_base64", "token_malformed"),
        ("two_parts_only", "token_malformed"),
        ("empty", "token_malformed"),
        ("not_ascii", "token_malformed"),
        ("huge", "token_malformed"),
        ("unencoded_payload_header", "token_malformed"),
        ("payload_is_a_json_array", "token_malformed"),
        ("payload_is_not_json", "token_malformed"),
        ("expiry_is_a_string", "token_malformed"),
        ("issued_at_is_a_string", "token_malformed"),
        ("not_before_is_a_list", "token_malformed"),
        ("expiry_is_an_object", "token_malformed"),
        ("issued_at_is_a_list", "token_malformed"),
        ("subject_is_not_a_uuid", "token_malformed"),
        ("subject_is_a_number", "token_malformed"),
        ("audience_is_a_number", "token_wrong_audience"),
        ("app_metadata_is_a_string", "token_no_organization"),
        ("app_metadata_is_a_list", "token_no_organization"),
        ("organization_is_not_a_uuid", "token_no_organization"),
        ("not_valid_yet", "token_not_yet_valid"),
        ("hs512", "token_algorithm_not_allowed"),
        ("es256_without_signing_keys", "token_algorithm_not_allowed"),
    ],
)
def test_a_crafted_token_is_a_401_saying_which_never_a_500(client, member, case, code):
    claims = member_claims(member)
    now = int(time.time())
    token = {
        "algorithm_is_an_object": lambda: crafted_token({"alg": {"x": 1}}, claims),
        "algorithm_is_a_list": lambda: crafted_token({"alg": ["HS256"]}, claims),
        "no_algorithm": lambda: crafted_token({"typ": "JWT"}, claims),
        "kid_is_a_list": lambda: crafted_token({**HS256, "kid": ["key-1"]}, claims),
        "kid_is_a_number": lambda: crafted_token({**HS256, "kid": 7}, claims),
        "header_is_a_json_array": lambda: crafted_token(["HS256"], claims),
        "header_is_not_json": lambda: crafted_token(b"alg=HS256", claims),
        "header_is_not_base64": lambda: "!!!." + crafted_token(HS256, claims).split(".", 1)[1],
        "two_parts_only": lambda: crafted_token(HS256, claims).rsplit(".", 1)[0],
        "empty": lambda: "",
        "not_ascii": lambda: "é.é.é",
        "huge": lambda: crafted_token(HS256, {**claims, "padding": "x" * 5_000}),
        "unencoded_payload_header": lambda: crafted_token({**HS256, "b64": False}, claims),
        "payload_is_a_json_array": lambda: crafted_token(HS256, [claims]),
        "payload_is_not_json": lambda: crafted_token(HS256, b"sub=me"),
        "expiry_is_a_string": lambda: crafted_token(HS256, {**claims, "exp": "tomorrow"}),
        "issued_at_is_a_string": lambda: crafted_token(HS256, {**claims, "iat": "today"}),
        "not_before_is_a_list": lambda: crafted_token(HS256, {**claims, "nbf": [now]}),
        "expiry_is_an_object": lambda: crafted_token(HS256, {**claims, "exp": {"at": now + 60}}),
        "issued_at_is_a_list": lambda: crafted_token(HS256, {**claims, "iat": [now]}),
        "subject_is_not_a_uuid": lambda: crafted_token(HS256, {**claims, "sub": "admin"}),
        "subject_is_a_number": lambda: crafted_token(HS256, {**claims, "sub": 42}),
        "audience_is_a_number": lambda: crafted_token(HS256, {**claims, "aud": 1}),
        "app_metadata_is_a_string": lambda: crafted_token(HS256, {**claims, "app_metadata": "org"}),
        "app_metadata_is_a_list": lambda: crafted_token(HS256, {**claims, "app_metadata": [claims["app_metadata"]]}),
        "organization_is_not_a_uuid": lambda: crafted_token(
            HS256, {**claims, "app_metadata": {"organization_id": {"$ne": None}}}
        ),
        "not_valid_yet": lambda: crafted_token(HS256, {**claims, "nbf": now + 3600}),
        "hs512": lambda: jwt.encode(claims, "x" * 64, algorithm="HS512"),
        "es256_without_signing_keys": lambda: member_token(member, key=EC_KEY, algorithm="ES256"),
    }[case]()
    response = get(client, token)
    assert response.status_code == 401, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == code
    assert response.json()["message"]
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.fixture
def signing_keys(tmp_path, settings):
    """The project's signing keys: an EC key (key-1, ES256) and an RSA key (key-2, RS256)."""
    private_key = ec.generate_private_key(ec.SECP256R1())
    public_jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private_key.public_key()))
    public_jwk.update({"kid": "key-1", "alg": "ES256", "use": "sig"})
    rsa_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(RSA_KEY.public_key()))
    rsa_jwk.update({"kid": "key-2", "alg": "RS256", "use": "sig"})
    document = tmp_path / "jwks.json"
    document.write_text(json.dumps({"keys": [public_jwk, rsa_jwk]}))
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


def test_rs256_tokens_are_verified_with_the_projects_rsa_key(client, member, signing_keys):
    token = member_token(member, key=RSA_KEY, algorithm="RS256", headers={"kid": "key-2"})
    assert get(client, token).status_code == 200


@pytest.mark.parametrize(("algorithm", "kid", "key"), [("RS256", "key-1", RSA_KEY), ("ES256", "key-2", EC_KEY)])
def test_a_header_naming_a_key_of_another_algorithm_names_no_key(client, member, signing_keys, algorithm, kid, key):
    token = member_token(member, key=key, algorithm=algorithm, headers={"kid": kid})
    response = get(client, token)
    assert (response.status_code, response.json()["code"]) == (401, "token_unknown_key")


@pytest.mark.parametrize("kid", [["key-1"], 1, {"kid": "key-1"}])
def test_a_kid_that_is_not_a_string_is_malformed_with_signing_keys_too(client, member, signing_keys, kid):
    header = {"alg": "ES256", "typ": "JWT", "kid": kid}
    token = f"{segment(json.dumps(header).encode())}.{segment(json.dumps(member_claims(member)).encode())}.c2ln"
    response = get(client, token)
    assert (response.status_code, response.json()["code"]) == (401, "token_malformed")


def test_signing_keys_that_cannot_be_fetched_are_a_503_not_the_tokens_fault(client, member, settings, monkeypatch):
    settings.SUPABASE_JWKS_URL = "https://project.example.supabase.co/auth/v1/.well-known/jwks.json"

    def unreachable(self, token):
        raise jwt.PyJWKClientConnectionError("Fail to fetch data from the url")

    monkeypatch.setattr(jwt.PyJWKClient, "get_signing_key_from_jwt", unreachable)
    token = member_token(member, key=EC_KEY, algorithm="ES256", headers={"kid": "key-1"})
    response = get(client, token)
    assert (response.status_code, response.json()["code"]) == (503, "signing_keys_unavailable")
    assert response["Retry-After"] == "30"
