"""Acting on the database the way PostgREST does for a request: a role, plus the JWT claims."""

from __future__ import annotations

import json
from contextlib import contextmanager

from django.db import DatabaseError, connection, transaction

PERMISSION_DENIED = "42501"


@contextmanager
def acting_as(role: str, claims: dict | str | None):
    """A cursor running as `role` with `claims` (a dict, or raw text for malformed cases).
    Everything it does is rolled back when the block ends, the role and claims included."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"set local role {role}")
            raw = claims if isinstance(claims, str) or claims is None else json.dumps(claims)
            cursor.execute("select set_config('request.jwt.claims', %s, true)", [raw or ""])
            yield cursor
        transaction.set_rollback(True)


def sqlstate(error: DatabaseError) -> str | None:
    return getattr(error.__cause__, "sqlstate", None)
