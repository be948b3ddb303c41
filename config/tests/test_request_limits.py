"""An address or headers beyond the limits (config/request_limits.py) are refused with 414 or 431:
under /api/ as the API's JSON error body, on the staff pages as a plain page. Through Django's
test client (the middleware), and through gunicorn as the README starts it, whose own refusals
(beyond its larger bounds, gunicorn.conf.py) are the same JSON body instead of its HTML page."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from config.request_limits import MAX_HEADER_FIELD_BYTES, MAX_HEADER_FIELDS, MAX_TARGET_BYTES
from config.testing import database_url

# The gunicorn tests' server needs the test database to exist (it is made for marked tests only).
pytestmark = pytest.mark.django_db

PROJECT_DIR = Path(__file__).resolve().parents[2]
API = "/api/v1/no-such-endpoint"


def is_error_body(response_json: dict, code: str) -> bool:
    return set(response_json) == {"code", "message", "details"} and response_json["code"] == code


def as_meta(headers: dict[str, str]) -> dict[str, str]:
    return {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}


TOO_MANY_HEADERS = {f"X-Extra-{number}": "1" for number in range(MAX_HEADER_FIELDS + 20)}
HUGE_AUTHORIZATION = {"Authorization": "Bearer " + "x" * 12_000}
TOO_LONG_QUERY = "?q=" + "x" * 9_000


# Django's test client: the middleware.


@pytest.mark.parametrize(
    ("path", "headers", "status", "code"),
    [
        (f"{API}{TOO_LONG_QUERY}", {}, 414, "uri_too_long"),
        (f"{API}?q=" + "x" * (MAX_TARGET_BYTES - len(API) - 2), {}, 414, "uri_too_long"),
        ("/api/v1/" + "p" * MAX_TARGET_BYTES, {}, 414, "uri_too_long"),
        (API, HUGE_AUTHORIZATION, 431, "headers_too_large"),
        (API, {"X-Big": "x" * MAX_HEADER_FIELD_BYTES}, 431, "headers_too_large"),
        (API, TOO_MANY_HEADERS, 431, "headers_too_large"),
        ("/api/v1/bookings", HUGE_AUTHORIZATION, 431, "headers_too_large"),
    ],
    ids=["9kB-query", "one-byte-over", "long-path", "12kB-authorization", "one-big-field", "120-fields", "endpoint"],
)
def test_the_api_refuses_an_oversized_request_with_its_error_body(client, path, headers, status, code):
    response = client.get(path, **as_meta(headers))
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert is_error_body(response.json(), code)


def test_a_request_just_within_the_limits_is_served(client):
    target = f"{API}?q=" + "x" * (MAX_TARGET_BYTES - len(API) - 3)
    headers = {f"X-Extra-{number}": "1" for number in range(MAX_HEADER_FIELDS - 10)}
    headers["X-Big"] = "x" * (MAX_HEADER_FIELD_BYTES - len("X-BIG: ") - 1)
    response = client.get(target, **as_meta(headers))
    assert response.status_code == 404  # the API's own answer: it read the request
    assert is_error_body(response.json(), "not_found")


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [("/admin/" + TOO_LONG_QUERY, {}, 414), ("/admin/", HUGE_AUTHORIZATION, 431), ("/admin/", TOO_MANY_HEADERS, 431)],
    ids=["9kB-query", "12kB-authorization", "120-fields"],
)
def test_a_staff_page_refuses_an_oversized_request_with_a_plain_page(client, path, headers, status):
    response = client.get(path, **as_meta(headers))
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert f"({status})</h1>" in page and "Traceback" not in page


# gunicorn, started as the README says: from the project's directory, which holds gunicorn.conf.py.


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def gunicorn_server(django_db_setup, django_db_blocker):
    """One server for the module; the requests below are answered before any reads the database."""
    port = free_port()
    with django_db_blocker.unblock():
        url = database_url()
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": url,
        "DEBUG": "false",
        "SECRET_KEY": "request-limits-test-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
    }
    command = [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", "1", "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        command, cwd=PROJECT_DIR, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        for _ in range(150):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"gunicorn did not start: {server.stdout.read()}")
                time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, str, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.read()
    finally:
        connection.close()


def raw(port: int, request: bytes) -> tuple[int, str, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers["Content-Type"], body


def test_gunicorn_answers_oversized_api_requests_with_the_error_body(gunicorn_server):
    port = gunicorn_server
    cases = [
        # refused by the app (gunicorn lets them through)
        (API, HUGE_AUTHORIZATION, 431, "headers_too_large"),
        (API, TOO_MANY_HEADERS, 431, "headers_too_large"),
        (f"{API}?q=" + "x" * (MAX_TARGET_BYTES + 100 - len(API) - 3), {}, 414, "uri_too_long"),
        # refused by gunicorn itself, beyond its bounds
        (f"{API}{TOO_LONG_QUERY}", {}, 414, "uri_too_long"),
        (API, {"Authorization": "Bearer " + "x" * 40_000}, 431, "headers_too_large"),
        (API, {f"X-Extra-{number}": "1" for number in range(1_000)}, 431, "headers_too_large"),
        # within every limit: the API's own answer
        (API, {"Authorization": "Bearer " + "x" * 2_000}, 404, "not_found"),
    ]
    answers = []
    for path, headers, _, code in cases:
        status, content_type, body = get(port, path, headers)
        answers.append((status, content_type, is_error_body(json.loads(body), code)))
    assert answers == [(status, "application/json", True) for _, _, status, _ in cases]


def test_gunicorn_answers_a_request_it_cannot_parse_with_the_error_body(gunicorn_server):
    status, content_type, body = raw(gunicorn_server, b"GET /api/v1/bookings HTTP/1.1\r\nBad Name: 1\r\n\r\n")
    assert (status, content_type) == (400, "application/json")
    assert is_error_body(json.loads(body), "bad_request")


def test_gunicorn_lets_the_app_answer_a_staff_page_with_a_plain_page(gunicorn_server):
    status, content_type, body = get(gunicorn_server, "/admin/", HUGE_AUTHORIZATION)
    assert (status, content_type) == (431, "text/html; charset=utf-8")
    assert b"Request Header Fields Too Large (431)" in body
