"""Failed sign-ins are counted per username and per address; a handful locks that name or
address out for the cool-off, and the sign-in form says until when."""

import datetime
import re

import pytest
import time_machine
from axes.models import AccessAttempt
from django.utils import timezone

from audit.models import AuditAction, AuditLog
from config.browser import PASSWORD, with_password
from staff_auth.tests.conftest import LOGIN, sign_in

pytestmark = pytest.mark.django_db

LIMIT = 5  # SIGN_IN_FAILURE_LIMIT's default
NOON = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)


def fail(client, username: str, times: int, **extra):
    for _ in range(times):
        response = sign_in(client, username, "not-the-password", **extra)
    return response


def signed_in(response) -> bool:
    return response.status_code == 302 and response["Location"] == "/admin/"


def test_the_fifth_wrong_password_locks_the_name_and_the_form_says_until_when(desk_computer, manager):
    with_password(manager)
    with time_machine.travel(NOON, tick=False):
        response = fail(desk_computer, manager.username, LIMIT - 1)
        assert response.status_code == 200 and "Please enter the correct username" in response.text
        response = fail(desk_computer, manager.username, 1)
    assert response.status_code == 429
    text = re.sub(r"\s+", " ", response.text)
    assert (
        f"Too many failed sign-ins for “{manager.username}”. Try again at 12:15 UTC (in 15 minutes), "
        "or ask a manager to unlock it." in text
    )
    assert 'name="username"' in text  # the form itself, to try again later
    with time_machine.travel(NOON + datetime.timedelta(minutes=10), tick=False):
        refused = sign_in(desk_computer, manager.username)  # the right password, during the cool-off
        assert refused.status_code == 429 and "(in 5 minutes)" in refused.text


def test_the_cool_off_ends_when_the_form_said_however_often_someone_tried_meanwhile(desk_computer, manager):
    with_password(manager)
    with time_machine.travel(NOON, tick=False):
        fail(desk_computer, manager.username, LIMIT)
    with time_machine.travel(NOON + datetime.timedelta(minutes=14), tick=False):
        assert fail(desk_computer, manager.username, 3).status_code == 429
    with time_machine.travel(NOON + datetime.timedelta(minutes=15, seconds=1), tick=False):
        assert signed_in(sign_in(desk_computer, manager.username))
        assert not AccessAttempt.objects.exists()  # a success forgets the failures of the name and address


def test_the_name_is_locked_from_every_address(client, manager):
    with_password(manager)
    for address in range(LIMIT):
        sign_in(client, manager.username, "wrong", REMOTE_ADDR=f"203.0.113.{address}")
    response = sign_in(client, manager.username, REMOTE_ADDR="192.0.2.99")
    assert response.status_code == 429 and f"for “{manager.username}”" in response.text


def test_an_address_trying_many_names_is_locked_for_every_name(desk_computer, manager):
    with_password(manager)
    for number in range(LIMIT):
        sign_in(desk_computer, f"guess-{number}", "wrong")
    response = sign_in(desk_computer, manager.username)
    assert response.status_code == 429
    assert "from this computer’s network address" in response.text
    assert signed_in(sign_in(desk_computer, manager.username, REMOTE_ADDR="198.51.100.21"))  # another desk


def test_a_success_before_the_limit_starts_the_count_again(desk_computer, manager):
    with_password(manager)
    fail(desk_computer, manager.username, LIMIT - 1)
    assert signed_in(sign_in(desk_computer, manager.username))
    desk_computer.post("/admin/logout/")
    assert fail(desk_computer, manager.username, LIMIT - 1).status_code == 200


def test_behind_a_proxy_the_address_is_the_one_the_proxy_wrote(client, manager, settings):
    """The client may put any address in X-Forwarded-For; the proxy appends the one it saw."""
    settings.TRUSTED_PROXY_COUNT = 1
    with_password(manager)
    for number in range(LIMIT):
        # each time claiming another address, from the same real one
        sign_in(client, f"guess-{number}", "wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{number}, 203.0.113.50")
    assert AccessAttempt.objects.filter(ip_address="203.0.113.50").count() == LIMIT
    response = sign_in(client, manager.username, HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.50")
    assert response.status_code == 429
    # the club's own desk is not locked by someone claiming to be it
    assert signed_in(sign_in(client, manager.username, HTTP_X_FORWARDED_FOR="203.0.113.51"))


def test_without_a_proxy_the_header_is_ignored(client, manager, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    sign_in(client, "someone", "wrong", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert AccessAttempt.objects.get().ip_address == "192.0.2.1"


@pytest.mark.parametrize(
    "username",
    [
        "x" * 5000,
        "nul\x00name",
        "‮ admin",
        "'; drop table auth_user; --",
        "<script>alert(1)</script>",
        "",
    ],
    ids=["long", "nul", "bidi", "sql", "html", "empty"],
)
def test_hostile_names_and_passwords_get_the_form_again_never_a_500(desk_computer, username):
    for password in ("wrong", "p" * 100_000, "nul\x00password"):
        response = desk_computer.post(LOGIN, {"username": username, "password": password})
        assert response.status_code in (200, 429), (username[:20], password[:20], response.status_code)
        assert "<script>alert(1)</script>" not in response.text


def test_bytes_that_are_not_utf_8_get_the_form_again(desk_computer):
    body = "username=%ED%A0%80%FF&password=%C0%AF"  # a lone surrogate and bytes no UTF-8 has
    response = desk_computer.post(LOGIN, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200


def test_hostile_headers_on_the_form_never_a_500(desk_computer, manager, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for headers in (
        {"HTTP_USER_AGENT": "agent\x00with nul" + "a" * 1000},
        {"HTTP_X_FORWARDED_FOR": "not an address"},
        {"HTTP_X_FORWARDED_FOR": ", , ,"},
        {"HTTP_X_FORWARDED_FOR": "999.1.1.1"},
        {"REMOTE_ADDR": ""},
    ):
        response = sign_in(desk_computer, manager.username, "wrong", **headers)
        assert response.status_code in (200, 429), headers


def test_a_lockout_reached_again_after_the_cool_off_is_recorded_again(desk_computer, manager):
    with time_machine.travel(NOON, tick=False):
        fail(desk_computer, manager.username, LIMIT)
    with time_machine.travel(NOON + datetime.timedelta(minutes=20), tick=False):
        fail(desk_computer, manager.username, LIMIT)
    assert AuditLog.objects.filter(action=AuditAction.SIGN_IN_LOCKED_OUT).count() == 2


def test_failures_older_than_the_cool_off_no_longer_count(desk_computer, manager):
    with_password(manager)
    with time_machine.travel(NOON, tick=False):
        fail(desk_computer, manager.username, LIMIT - 1)
    with time_machine.travel(NOON + datetime.timedelta(minutes=16), tick=False):
        assert fail(desk_computer, manager.username, LIMIT - 1).status_code == 200
        assert timezone.now() == NOON + datetime.timedelta(minutes=16)
        assert signed_in(sign_in(desk_computer, manager.username, PASSWORD))
