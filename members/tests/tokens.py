"""Supabase-like access tokens for tests."""

from __future__ import annotations

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
