"""Every command fails in one line: what is wrong and what to do, exit 1 (2 for bad arguments),
no traceback; whatever the database does (unreachable, missing, refusing the password or SSL)."""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
import uuid
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.db import OperationalError

from config.commands import database_failure, failure_message
from config.testing import database_url
from config.tests.command_line import run_manage

COMMANDS = [
    ["migrate"],
    ["sync_grants"],
    ["db_doctor"],
    ["ensure_slots"],
    ["ensure_classes"],
    ["seal_audit"],
    ["verify_audit"],
    ["export_audit", "--from", "2026-01-01", "--to", "2026-01-31", "--output", "-"],
    ["seed_demo"],
]
COMMAND_IDS = [command[0] for command in COMMANDS]


def fails_in_one_line(result, returncode: int = 1) -> str:
    assert result.returncode == returncode, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the probe is closed


def with_database_name(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@pytest.mark.parametrize("command", COMMANDS, ids=COMMAND_IDS)
def test_an_unreachable_database_is_one_line_naming_the_address(command):
    port = closed_port()
    result = run_manage(*command, DATABASE_URL=f"postgresql://clubops:pw@127.0.0.1:{port}/clubops", DEBUG="true")
    line = fails_in_one_line(result)
    assert line.startswith(f"error: cannot reach the database at 127.0.0.1:{port} (Connection refused)")
    assert line.endswith("is it running? check DATABASE_URL")


@pytest.mark.parametrize("command", COMMANDS, ids=COMMAND_IDS)
def test_a_missing_database_is_one_line_naming_it(command):
    missing = f"missing_{uuid.uuid4().hex[:8]}"
    result = run_manage(*command, DATABASE_URL=with_database_name(database_url(), missing), DEBUG="true")
    line = fails_in_one_line(result)
    assert f"there is no database '{missing}' on " in line
    assert line.endswith("create it, or fix the database name in DATABASE_URL")


class _FakePostgres(socketserver.BaseRequestHandler):
    """Speaks as much of PostgreSQL's protocol as a server needs to refuse a client: no SSL
    ('N' to SSLRequest, as a server built without it), then a password request answered with
    FATAL 28P01, as pg_hba's scram/md5/password methods do."""

    SSL_REQUEST, GSS_REQUEST = 80877103, 80877104

    def handle(self):
        while True:
            length, code = struct.unpack("!ii", self._read(8))
            if code not in (self.SSL_REQUEST, self.GSS_REQUEST):
                break
            self.request.sendall(b"N")
        self._read(length - 8)  # the rest of the startup message
        self.request.sendall(b"R" + struct.pack("!ii", 8, 3))  # AuthenticationCleartextPassword
        self._read(1)
        self._read(struct.unpack("!i", self._read(4))[0] - 4)  # the password
        fields = b'SFATAL\0VFATAL\0C28P01\0Mpassword authentication failed for user "clubops"\0\0'
        self.request.sendall(b"E" + struct.pack("!i", len(fields) + 4) + fields)

    def _read(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.request.recv(size - len(data))
            if not chunk:
                raise ConnectionError("the client went away")
            data += chunk
        return data


@contextmanager
def fake_postgres():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _FakePostgres)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


EXPORT = next(command for command in COMMANDS if command[0] == "export_audit")


@pytest.mark.parametrize("command", [["migrate"], ["ensure_slots"], EXPORT], ids=str)
def test_a_refused_password_is_one_line_saying_which_user(command):
    with fake_postgres() as port:
        url = f"postgresql://clubops:wrong@127.0.0.1:{port}/clubops"
        line = fails_in_one_line(run_manage(*command, DATABASE_URL=url, DEBUG="true"))
    assert line == (
        f"error: the database at 127.0.0.1:{port} refused the password of user 'clubops': "
        "fix the password in DATABASE_URL (percent-encode special characters, @ as %40)"
    )
    assert "wrong" not in line


def test_a_refused_password_on_the_machines_postgresql():
    """The same against a real server, when one at 127.0.0.1:5432 asks for passwords."""
    url = "postgresql://postgres:not-the-password@127.0.0.1:5432/postgres"
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.OperationalError as refusal:
        if "password authentication failed" not in str(refusal):
            pytest.skip(f"no PostgreSQL asking for passwords at 127.0.0.1:5432 ({refusal})")
    else:
        pytest.skip("the PostgreSQL at 127.0.0.1:5432 trusts every password")
    line = fails_in_one_line(run_manage("migrate", DATABASE_URL=url, DEBUG="true"))
    assert line.startswith("error: the database at 127.0.0.1:5432 refused the password of user 'postgres'")


@pytest.mark.parametrize("command", [["migrate"], ["verify_audit"]], ids=str)
def test_sslmode_require_against_a_server_without_ssl_is_one_line(command):
    with fake_postgres() as port:
        url = f"postgresql://clubops:pw@127.0.0.1:{port}/clubops?sslmode=require"
        line = fails_in_one_line(run_manage(*command, DATABASE_URL=url, DEBUG="true"))
    assert line.startswith(
        f"error: the database at 127.0.0.1:{port} does not offer SSL, but DATABASE_URL asks for it (sslmode=require)"
    )


def test_traceback_still_shows_one_when_asked():
    port = closed_port()
    result = run_manage("seal_audit", "--traceback", DATABASE_URL=f"postgresql://u:p@127.0.0.1:{port}/x", DEBUG="true")
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "OperationalError" in result.stderr


def test_bad_arguments_are_one_line_naming_the_argument_with_exit_2():
    port = closed_port()  # arguments are refused before the database is needed
    result = run_manage(
        "ensure_slots", "--start", "12/31/9999", DATABASE_URL=f"postgresql://u:p@127.0.0.1:{port}/x", DEBUG="true"
    )
    line = fails_in_one_line(result, returncode=2)
    assert line == (
        "error: argument --start: '12/31/9999' is not a day: write it YYYY-MM-DD, e.g. 2026-12-31 "
        "(see 'manage.py ensure_slots --help')"
    )


def test_djangos_own_commands_get_the_same_one_line_argument_errors():
    port = closed_port()
    result = run_manage("migrate", "--bogus", DATABASE_URL=f"postgresql://u:p@127.0.0.1:{port}/x", DEBUG="true")
    line = fails_in_one_line(result, returncode=2)
    assert line == "error: unrecognized arguments: --bogus (see 'manage.py migrate --help')"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export_audit", "--from", "2026-01-01", "--to", "9999-12-31", "--output", "-"], "error: --to 9999-12-31"),
        (["verify_audit", "--from", "0001-01-01"], "error: --from 0001-01-01 is out of range"),
    ],
)
def test_out_of_range_values_are_one_line_with_exit_2(args, message):
    """ensure_slots' ranges depend on each branch's today: facilities/tests/test_slot_generation.py."""
    line = fails_in_one_line(run_manage(*args, DATABASE_URL=database_url(), DEBUG="true"), returncode=2)
    assert line.startswith(message)


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        (
            psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
            "lost the connection to the database at",
        ),
        (
            OperationalError("consuming input failed: server closed the connection unexpectedly"),
            "lost the connection to the database at",
        ),
        (OperationalError("connection failed: FATAL:  sorry, too many clients already"), "accepts no more connections"),
        (
            OperationalError('connection failed: FATAL:  no pg_hba.conf entry for host "10.0.0.1", SSL off'),
            "add ?sslmode=require",
        ),
        (OperationalError('connection failed: FATAL:  role "nobody" does not exist'), "has no user 'nobody'"),
        (KeyboardInterrupt(), "interrupted (Ctrl-C) before the command finished"),
        (BrokenPipeError(32, "Broken pipe"), "the output was closed before the command finished"),
        (ValueError("odd"), "ValueError: odd (unexpected: run again with --traceback and report it)"),
    ],
)
def test_each_failure_has_its_own_words(failure, message):
    assert message in failure_message(failure)


def test_a_lost_connection_names_what_to_do():
    failure = database_failure(psycopg.OperationalError("the connection is lost"))
    assert failure.endswith("(the connection is lost): check that it is running, then run the command again")
