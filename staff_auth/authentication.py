"""Staff authenticate to the API with `Authorization: Token <key>`, a key made in the admin or by
`create_api_token` (staff_auth.services.api_token_create): found by its first characters, checked
by its SHA-256 digest, refused once expired or revoked, each refusal a 401 saying which."""

from __future__ import annotations

import re

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication

from staff_auth.selectors import api_token_of
from staff_auth.services import api_token_mark_used

KEYWORD = "Token"
# Keys made here (cst_…, 47 characters) and the plain keys of before, kept hashed (40 hex digits).
KEY = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


def refused(code: str, message: str) -> exceptions.AuthenticationFailed:
    return exceptions.AuthenticationFailed(detail=message, code=code)


class StaffTokenAuthentication(BaseAuthentication):
    """`Authorization: Token <key>` -> the staff user whose token it is."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header.startswith(f"{KEYWORD} "):
            return None
        key = header.removeprefix(f"{KEYWORD} ").strip()
        if not KEY.match(key):
            raise refused("token_malformed", "The API token is not one this API makes.")
        token = api_token_of(key)
        if token is None:
            raise refused("token_unknown", "The API token is not known here.")
        if token.revoked_at is not None:
            raise refused("token_revoked", "The API token was revoked; ask a manager for a new one.")
        if token.expires_at <= timezone.now():
            raise refused("token_expired", "The API token has expired; ask a manager for a new one.")
        if not (token.user.is_active and token.user.is_staff):
            raise refused("token_user_inactive", "The API token's staff user is no longer active.")
        api_token_mark_used(token=token)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return KEYWORD


class StaffTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI document describes a staff API token (as it did DRF's own tokens)."""

    target_class = StaffTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'Token-based authentication with required prefix "Token"',
        }
