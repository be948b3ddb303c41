"""Helpers for tests of any app."""

from contextlib import contextmanager
from urllib.parse import quote, urlencode

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


# prepare_threshold as the app's: none behind a transaction pooler, where a statement prepared in
# one transaction is not on the server connection the next one gets (config/database.py).
RAW_PARAMETERS = {"dbname", "host", "port", "user", "password", "sslmode", "client_encoding", "prepare_threshold"}


def database_url() -> str:
    """A DATABASE_URL for the test database, for commands run in separate processes."""
    settings_dict = connection.settings_dict
    user = quote(settings_dict["USER"] or "")
    password = quote(settings_dict["PASSWORD"] or "")
    host = settings_dict["HOST"] or ""
    options = dict(settings_dict.get("OPTIONS") or {})
    if host.startswith("/"):
        options["host"] = host
        host = ""
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") and host else ""
    query = urlencode({key: value for key, value in options.items() if isinstance(value, str)})
    return f"postgresql://{user}:{password}@{host}{port}/{settings_dict['NAME']}" + (f"?{query}" if query else "")


@contextmanager
def requests_keep_the_test_connection():
    """Requests served outside Django's test client (a WSGI app, a live server) close the
    database connection when they end, which would end the test's transaction. Not inside this."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
