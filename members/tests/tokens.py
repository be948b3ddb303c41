"""Supabase-like access tokens for tests."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import jwt
from django.conf import settings


def member_claims(member, **overrides) -> dict:
    now = int(time.time())
    claims = {
        "sub": str(member.auth_user_id),
        "aud": "authenticated",
        "role": "authenticated",
        "iat": now,
        "exp": now + 3600,
        "app_metadata": {"organization_id": str(member.organization_id)},
        "user_metadata": {},
    }
    claims.update(overrides)
    return claims


def member_token(member, *, key=None, algorithm: str = "HS256", headers=None, **overrides) -> str:
    return jwt.encode(
        member_claims(member, **overrides), key or settings.SUPABASE_JWT_SECRET, algorithm=algorithm, headers=headers
    )


def bearer(token: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _segment(part) -> bytes:
    raw = part if isinstance(part, bytes) else json.dumps(part).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=")


def crafted_token(header, payload) -> str:
    """A token with any header and payload (JSON values, or raw bytes), signed with the project's
    HS256 secret so that only what it holds can be wrong with it."""
    signing_input = _segment(header) + b"." + _segment(payload)
    signature = hmac.new(settings.SUPABASE_JWT_SECRET.encode(), signing_input, hashlib.sha256).digest()
    return (signing_input + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode()
