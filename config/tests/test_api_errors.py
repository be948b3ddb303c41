"""The API answers JSON, always: every error under /api/ is the body {code, message, details},
whichever layer noticed it (a view, Django before the view, the database going away), and bad
query parameters are a 400 naming the field, never a 500. Other paths keep Django's pages."""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from django.db import OperationalError, connection
from django.test import Client, RequestFactory
from django.urls import reverse

from bookings import api as bookings_api
from clubs.tests.factories import BranchFactory
from config import api
from config.testing import committed_connection
from members.tests.factories import MemberFactory
from members.tests.tokens import bearer, member_token
from staff_auth.tests.factories import api_key_for

pytestmark = pytest.mark.django_db

FACILITIES = reverse("api:facilities")
BOOKINGS = reverse("api:bookings")


@pytest.fixture
def member():
    return MemberFactory(home_branch=BranchFactory(time_zone="America/New_York"), auth_user_id=uuid.uuid4())


@pytest.fixture
def as_member(member) -> dict:
    return bearer(member_token(member))


def assert_error_body(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert set(body) == {"code", "message", "details"}
    assert body["code"] == code and body["message"]
    assert "Traceback" not in response.content.decode()
    return body


# Statuses Django or DRF answer around the views


UNKNOWN_API_PATHS = [
    "/api", "/api/", "/api/nope", "/api/v1", "/api/v1/nope", "/api/v1/slots/", "/api/v1/bookings/not-a-uuid/cancel",
]  # fmt: skip


@pytest.mark.parametrize("path", UNKNOWN_API_PATHS)
def test_unknown_api_paths_are_a_json_404(client, path):
    assert_error_body(client.get(path), 404, "not_found")


@pytest.mark.parametrize("path", ["/nope", "/apiary"])
def test_unknown_paths_elsewhere_keep_djangos_page(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_method_an_endpoint_does_not_have_is_a_json_405(client, as_member):
    assert_error_body(client.delete(FACILITIES, **as_member), 405, "method_not_allowed")


def test_a_host_django_refuses_is_a_json_400_under_api(client):
    assert_error_body(client.get(FACILITIES, HTTP_HOST="evil.example"), 400, "bad_request")
    assert client.get("/admin/", HTTP_HOST="evil.example")["Content-Type"].startswith("text/html")


def test_a_body_that_is_not_json_is_a_json_400(client, as_member):
    response = client.post(BOOKINGS, "{not json", content_type="application/json", **as_member)
    assert_error_body(response, 400, "parse_error")


def test_a_body_of_an_unsupported_media_type_is_a_json_415(client, as_member):
    response = client.post(BOOKINGS, "<booking/>", content_type="application/xml", **as_member)
    assert_error_body(response, 415, "unsupported_media_type")


def test_a_json_array_body_is_a_400_naming_what_is_wrong(client, as_member):
    response = client.post(BOOKINGS, [1, 2], content_type="application/json", **as_member)
    body = assert_error_body(response, 400, "invalid")
    assert body["details"]["non_field_errors"]


# Oversized requests


@pytest.fixture
def small_bodies(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10


def test_an_oversized_json_body_is_a_413(client, as_member, small_bodies):
    body = {"kind": "slot", "item": str(uuid.uuid4()), "padding": "x" * 2000}
    response = client.post(BOOKINGS, body, content_type="application/json", **as_member)
    assert "1024 bytes" in assert_error_body(response, 413, "request_too_large")["message"]


def test_an_oversized_multipart_body_is_a_413_even_when_it_is_a_file(client, as_member, small_bodies, tmp_path):
    upload = tmp_path / "big.bin"
    upload.write_bytes(b"x" * 4096)
    with upload.open("rb") as file:
        response = client.post(BOOKINGS, {"kind": "slot", "item": str(uuid.uuid4()), "file": file}, **as_member)
    assert_error_body(response, 413, "request_too_large")


def test_a_form_with_too_many_fields_is_a_413(client, as_member, small_bodies):
    form = "&".join(f"field{number}=1" for number in range(50))
    response = client.post(BOOKINGS, form, content_type="application/x-www-form-urlencoded", **as_member)
    assert_error_body(response, 413, "request_too_large")


def test_a_huge_authorization_header_is_a_401_not_a_crash(client):
    # beyond the headers' limit (config/request_limits.py) it is a 431: test_request_limits.py
    response = client.get(FACILITIES, HTTP_AUTHORIZATION="Bearer " + "a" * 8_000)
    assert_error_body(response, 401, "token_malformed")


# Failures inside a view


@pytest.fixture
def broken_booking(monkeypatch):
    def bug(**arguments):
        raise ZeroDivisionError("a bug in the booking path")

    monkeypatch.setattr(bookings_api, "booking_create_by_sign_in", bug)


def test_an_unexpected_exception_is_a_json_500_that_is_logged(as_member, broken_booking, caplog):
    browser = Client(raise_request_exception=False)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = browser.post(BOOKINGS, {"kind": "slot", "item": str(uuid.uuid4())}, **as_member)
    body = assert_error_body(response, 500, "server_error")
    assert "ZeroDivisionError" not in str(body)
    logged = [record for record in caplog.records if record.exc_info]
    assert [record.exc_info[0] for record in logged] == [ZeroDivisionError]


def test_the_test_client_still_sees_the_bug(client, as_member, broken_booking):
    """Django's signal for uncaught exceptions is sent, so error reporting (and tests) see it."""
    with pytest.raises(ZeroDivisionError):
        client.post(BOOKINGS, {"kind": "slot", "item": str(uuid.uuid4())}, **as_member)


def test_a_database_error_inside_a_view_is_a_503_with_retry_after(client, as_member, monkeypatch):
    def unreachable(**arguments):
        raise OperationalError("connection to server failed: Connection refused")

    monkeypatch.setattr(bookings_api, "booking_create_by_sign_in", unreachable)
    response = client.post(BOOKINGS, {"kind": "slot", "item": str(uuid.uuid4())}, **as_member)
    assert "connection" not in assert_error_body(response, 503, "service_unavailable")["message"]
    assert response["Retry-After"] == "5"


def test_an_unreachable_database_is_a_503(client, as_member, monkeypatch):
    def unreachable():
        raise OperationalError('connection to server at "db.example.supabase.co" failed: Connection refused')

    # what Django's connection does when the server cannot be reached (the test's own is open)
    monkeypatch.setattr(connection, "ensure_connection", unreachable)
    response = client.get(FACILITIES, **as_member)
    assert_error_body(response, 503, "service_unavailable")
    assert response["Retry-After"] == "5"


def test_a_backend_terminated_mid_request_is_a_503(client, as_member, monkeypatch):
    """The connection dies between the token's check and the booking: what a restart, a failover
    or pg_terminate_backend does to a request in flight (the test's transaction dies with it)."""
    book = bookings_api.booking_create_by_sign_in

    def terminated_first(**arguments):
        with committed_connection() as observer:
            observer.execute("select pg_terminate_backend(%s)", [connection.connection.info.backend_pid])
        return book(**arguments)

    monkeypatch.setattr(bookings_api, "booking_create_by_sign_in", terminated_first)
    response = client.post(BOOKINGS, {"kind": "slot", "item": str(uuid.uuid4())}, **as_member)
    assert_error_body(response, 503, "service_unavailable")


# Django's own error views, for what fails outside a view


def test_djangos_500_view_answers_json_under_api_and_a_page_elsewhere():
    request = RequestFactory().get("/api/v1/facilities")
    assert_error_body(api.server_error(request), 500, "server_error")
    try:
        raise OperationalError("the server closed the connection unexpectedly")
    except OperationalError:  # Django calls the view while handling the exception
        assert_error_body(api.server_error(request), 503, "service_unavailable")
    page = api.server_error(RequestFactory().get("/admin/"))
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")


# Query parameters


def staff_token(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Token {api_key_for(user)}"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"offset": "null"}, "offset"),
        ({"offset": "-1"}, "offset"),
        ({"offset": "9" * 30}, "offset"),
        ({"offset": ""}, "offset"),
        ({"limit": "abc"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "1e3"}, "limit"),
        ({"limit": "9" * 5000}, "limit"),
    ],
)
def test_paging_parameters_that_are_not_a_page_are_a_400_naming_them(client, as_member, query, field):
    for path in (FACILITIES, BOOKINGS, reverse("api:slots"), reverse("api:classes")):
        body = assert_error_body(client.get(path, query, **as_member), 400, "invalid")
        assert list(body["details"]) == [field], path


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"date": "0001-01-01"}, "date"),
        ({"date": "9999-12-31"}, "date"),
        ({"date": "1899-12-31"}, "date"),
        ({"date": "3000-01-01"}, "date"),
        ({"date": "12/31/9999"}, "date"),
        ({"date": "20261201"}, "date"),
        ({"date": "2026-02-30"}, "date"),
        ({"date": ""}, "date"),
        ({"branch": "not-a-uuid"}, "branch"),
        ({"branch": ""}, "branch"),
        ({"facility": "1"}, "facility"),
    ],
)
def test_days_and_ids_that_cannot_be_one_are_a_400_naming_them(client, as_member, query, field):
    body = assert_error_body(client.get(reverse("api:slots"), query, **as_member), 400, "invalid")
    assert list(body["details"]) == [field]
    if field != "facility":
        body = assert_error_body(client.get(reverse("api:classes"), query, **as_member), 400, "invalid")
        assert list(body["details"]) == [field]


@pytest.mark.parametrize(
    ("day", "message"),
    [
        ("12/31/9999", "Write the day as YYYY-MM-DD."),
        ("2026-02-30", "There is no such day in the calendar."),
        ("9999-12-31", "Choose a day from 1900-01-01 to 2999-12-31."),
    ],
)
def test_a_wrong_day_says_what_is_wrong_with_it(client, as_member, day, message):
    response = client.get(reverse("api:slots"), {"date": day}, **as_member)
    assert assert_error_body(response, 400, "invalid")["details"] == {"date": [message]}


def test_the_first_and_last_days_that_are_accepted_answer_200(client, as_member):
    for day in ("1900-01-01", "2999-12-31"):
        assert client.get(reverse("api:slots"), {"date": day}, **as_member).status_code == 200
        assert client.get(reverse("api:classes"), {"date": day}, **as_member).status_code == 200


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ({"start": "0001-01-01", "end": "2026-01-01"}, ["start"]),
        ({"start": "2026-01-01", "end": "9999-12-31"}, ["end"]),
        ({"start": "12/31/9999", "end": "2026-01-01"}, ["start"]),
        ({"start": "2026-01-02", "end": "2026-01-01"}, ["end"]),
        ({"start": "2026-01-01"}, ["end"]),
        ({"start": "2026-01-01", "end": "2026-01-01", "organization": "x"}, ["organization"]),
        ({"start": "2026-01-01", "end": "2026-01-01", "file_format": "xlsx"}, ["file_format"]),
        ({"start": "2026-01-01", "end": "2026-01-01", "action": "a" * 65}, ["action"]),
        ({"start": "2026-01-01", "end": "2026-01-01", "action": "\x00"}, ["action"]),
    ],
)
def test_the_audit_exports_period_and_filters_are_checked_before_anything_runs(client, manager, query, fields):
    response = client.get(reverse("api:staff-audit-export"), query, **staff_token(manager))
    assert list(assert_error_body(response, 400, "invalid")["details"]) == fields


@pytest.mark.parametrize("query", ["", " ", "\x1f", "\u3000\t", "\x85"])
def test_a_member_search_of_nothing_but_spaces_is_a_400(client, manager, query):
    response = client.get(reverse("api:staff-members"), {"q": query}, **staff_token(manager))
    assert list(assert_error_body(response, 400, "invalid")["details"]) == ["q"]


def test_the_document_states_exactly_the_searches_the_api_accepts():
    """Every character Python trims (including \\x1c-\\x1f, which a JSON-schema \\s does not
    cover) is refused by the document's pattern too, and nothing else is."""
    (pattern,) = [v.regex for v in bookings_api.MemberSearchQuery().fields["q"].validators if hasattr(v, "regex")]
    for code in range(0x3001):
        character = chr(code)
        assert bool(pattern.match(character)) == (not character.isspace() and character != "\x00"), hex(code)
