"""Helpers for tests of any app."""

from contextlib import contextmanager

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction


@contextmanager
def rejected_by_database(constraint: str, error: type[Exception] = IntegrityError):
    """The block's write is refused by the database, and by the named constraint (or message)."""
    with pytest.raises(error) as refusal, transaction.atomic():
        yield
    assert constraint in str(refusal.value), f"refused, but not by {constraint}: {refusal.value}"


def committed_connection() -> psycopg.Connection:
    """A connection of its own to the test database: what it commits is seen by every other
    connection at once (the test's own transaction included), as with concurrent requests."""
    params = {key: value for key, value in connection.get_connection_params().items() if key in RAW_PARAMETERS}
    return psycopg.connect(**params)


RAW_PARAMETERS = {"dbname", "host", "port", "user", "password", "sslmode", "client_encoding"}
