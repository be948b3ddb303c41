"""Members authenticate to the API with their Supabase access token, verified here, locally.

HS256 tokens with the project's JWT secret, or ES256/RS256 tokens with the project's signing keys
(a JWKS document from a URL, cached, or from a file). The audience must be `authenticated`, the
token unexpired (with a small leeway), and it must name a member of the organization it carries
in `app_metadata` (`organization_id`, or the legacy `org_id`; never `user_metadata`).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from functools import lru_cache

import jwt
from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from members.selectors import MemberIdentity, member_identity

ASYMMETRIC = {"ES256", "RS256"}
# Supabase's access tokens are about 1 KB; anything far longer is not one (and is not decoded). Below
# the 8,190 bytes a header may hold (config/request_limits.py), so the API says so in its own words.
MAX_TOKEN_LENGTH = 6144


class TokenRefused(exceptions.AuthenticationFailed):
    """401 with a code that says which check the token failed."""

    def __init__(self, code: str, message: str):
        super().__init__(detail=message, code=code)


class SigningKeysUnavailable(exceptions.APIException):
    """The project's signing keys could not be fetched: the server's trouble, not the token's."""

    status_code = 503
    default_code = "signing_keys_unavailable"
    default_detail = "The project's signing keys cannot be fetched right now; please try again shortly."
    wait = 30


@dataclass
class MemberPrincipal:
    """`request.user` for a member's token: who signed in (the token's user, in the organization it
    carries), the claims they came with, and the member they are, looked up on first use."""

    auth_user_id: uuid.UUID
    organization_id: uuid.UUID
    claims: dict
    _member: MemberIdentity | None = field(default=None, init=False, repr=False)

    is_authenticated = True
    is_staff = False
    is_active = True
    is_member = True
    pk = None

    def has_perm(self, permission: str) -> bool:
        return False

    def find_member(self) -> MemberIdentity:
        """The member the token speaks for (one query, the first time); a 401 when no member of
        the organization belongs to it."""
        if self._member is None:
            self._member = member_identity(auth_user_id=self.auth_user_id, organization_id=self.organization_id)
            if self._member is None:
                raise unknown_member()
        return self._member

    member = property(find_member)


def unknown_member() -> TokenRefused:
    return TokenRefused("unknown_member", "No member of this organization belongs to the token.")


def _uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def organization_of(claims: dict) -> uuid.UUID | None:
    app_metadata = claims.get("app_metadata")
    if not isinstance(app_metadata, dict):
        return None
    return _uuid(app_metadata.get("organization_id")) or _uuid(app_metadata.get("org_id"))


@lru_cache(maxsize=1)
def _jwks_client() -> jwt.PyJWKClient:
    return jwt.PyJWKClient(settings.SUPABASE_JWKS_URL, cache_keys=True, lifespan=settings.SUPABASE_JWKS_CACHE_SECONDS)


@lru_cache(maxsize=1)
def _jwks_file() -> jwt.PyJWKSet:
    with open(settings.SUPABASE_JWKS_FILE) as document:
        return jwt.PyJWKSet.from_dict(json.load(document))


def malformed(message: str) -> TokenRefused:
    return TokenRefused("token_malformed", message)


def _header(token: str) -> dict:
    """The token's header, once it is known to name its algorithm (and key) as strings."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise malformed(f"The bearer token is longer than {MAX_TOKEN_LENGTH} characters; it is not an access token.")
    try:
        header = jwt.get_unverified_header(token)  # also refuses a `kid` that is not a string
    except jwt.InvalidTokenError:
        raise malformed("The bearer token is not a JWT.") from None
    if not isinstance(header.get("alg"), str):
        raise malformed("The token's header does not name its algorithm.")
    return header


def _signing_key(token: str, header: dict):
    algorithm = header["alg"]
    if algorithm == "HS256":
        if not settings.SUPABASE_JWT_SECRET:
            raise TokenRefused("token_algorithm_not_allowed", "HS256 tokens are not accepted here.")
        return settings.SUPABASE_JWT_SECRET
    if algorithm in ASYMMETRIC and (settings.SUPABASE_JWKS_FILE or settings.SUPABASE_JWKS_URL):
        unknown = TokenRefused("token_unknown_key", "The token is signed with a key this project does not know.")
        try:
            if settings.SUPABASE_JWKS_FILE:
                signing_key = _jwks_file()[header.get("kid", "")]
            else:
                signing_key = _jwks_client().get_signing_key_from_jwt(token)
        except jwt.PyJWKClientConnectionError:
            raise SigningKeysUnavailable() from None
        except (KeyError, jwt.PyJWKClientError, jwt.PyJWKError):
            raise unknown from None
        # a key is for one algorithm: an RS256 header naming an EC key's id names no key
        if signing_key.algorithm_name != algorithm:
            raise unknown
        return signing_key.key
    raise TokenRefused("token_algorithm_not_allowed", f"Tokens signed with {algorithm!r} are not accepted.")


def verify_token(token: str) -> dict:
    """The token's claims, or TokenRefused naming the check it failed: whatever the token holds,
    never another exception."""
    header = _header(token)
    key = _signing_key(token, header)
    try:
        return jwt.decode(
            token,
            key,
            algorithms=[header["alg"]],
            audience=settings.SUPABASE_JWT_AUDIENCE,
            leeway=settings.SUPABASE_JWT_LEEWAY_SECONDS,
            options={"require": ["exp", "sub", "aud"]},
        )
    except jwt.ExpiredSignatureError:
        raise TokenRefused("token_expired", "The token has expired; sign in again.") from None
    except jwt.ImmatureSignatureError:
        message = "The token is not valid yet; check the clock of the device that sent it."
        raise TokenRefused("token_not_yet_valid", message) from None
    except jwt.InvalidAudienceError:
        raise TokenRefused("token_wrong_audience", "The token is not meant for this API.") from None
    except jwt.InvalidSignatureError:
        raise TokenRefused("token_bad_signature", "The token's signature does not match.") from None
    except jwt.MissingRequiredClaimError as error:
        raise TokenRefused("token_incomplete", f"The token has no {error.claim!r} claim.") from None
    # Any other claim or part PyJWT could not read: its own errors, and the TypeError or
    # ValueError it lets out for claims of the wrong type (`"nbf": [1]`).
    except (jwt.PyJWTError, TypeError, ValueError):
        raise malformed("The token could not be read.") from None


class SupabaseTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <Supabase access token>` -> the member it belongs to.

    The member is looked up here, so that a token no member belongs to is refused (401) before
    anything else, unless the view says it `finds_member_itself`: such a view finds the member in
    the statement that does its work, and refuses the token itself (one round trip instead of two).
    """

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.startswith("Bearer "):
            return None
        token = header.removeprefix("Bearer ").strip()
        claims = verify_token(token)
        user_id, organization_id = _uuid(claims.get("sub")), organization_of(claims)
        if user_id is None:
            raise malformed("The token's subject is not a user id.")
        if organization_id is None:
            raise TokenRefused("token_no_organization", "The token carries no organization in app_metadata.")
        principal = MemberPrincipal(user_id, organization_id, claims)
        view = (request.parser_context or {}).get("view")
        if not getattr(view, "finds_member_itself", False):
            principal.find_member()
        return principal, token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class SupabaseTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI document describes a member's token."""

    target_class = SupabaseTokenAuthentication
    name = "supabaseToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT (Supabase access token)"}
