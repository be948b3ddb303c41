import pytest
from django.test import Client

from config.browser import PASSWORD

LOGIN = "/admin/login/"


@pytest.fixture(autouse=True)
def idle_sessions_end(settings):
    """The production default, which the rest of the suite turns off (config/settings_test.py)."""
    settings.SESSION_IDLE_MINUTES = 15
    settings.SESSION_IDLE_MINUTES_MANAGERS = 30


@pytest.fixture
def desk_computer() -> Client:
    """A browser at the front desk, not signed in (every request from the same address)."""
    return Client(REMOTE_ADDR="198.51.100.20", HTTP_USER_AGENT="DeskBrowser/1.0", raise_request_exception=False)


def sign_in(client: Client, username: str, password: str = PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"}, **extra)
