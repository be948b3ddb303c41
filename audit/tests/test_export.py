"""The audit export: its human time column on each branch's clock, and an export that stops early
(the reader goes away, Ctrl-C, the database connection lost) still recorded, with its rows."""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import signal
import subprocess
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audit import selectors
from audit.models import AuditAction, AuditLog, AuditSource
from audit.selectors import LOCAL_TIME_COLUMN, audit_entries
from audit.services import Actor, audit_export
from audit.tests.factories import AuditLogFactory
from clubs.localtime import at, zone_label
from clubs.tests.factories import BranchFactory
from config.testing import committed_connection, database_url
from config.tests.command_line import PROJECT_DIR, deployer_environment, manage_py

pytestmark = pytest.mark.django_db


def export(export_format: str, **filters):
    return audit_export(
        queryset=audit_entries(**filters),
        export_format=export_format,
        actor=Actor.system("test"),
        filters={key: str(value) for key, value in filters.items()},
        source=AuditSource.COMMAND,
    )


def csv_rows(**filters) -> list[dict]:
    return list(csv.DictReader(io.StringIO(b"".join(export("csv", **filters)).decode())))


def jsonl_rows(**filters) -> list[dict]:
    return [json.loads(line) for line in b"".join(export("jsonl", **filters)).decode().splitlines()]


def utc(instant: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(instant).replace(tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("zone", "instant", "shown"),
    [
        ("America/New_York", "2026-12-01T23:00", "2026-12-01 18:00:00 EST"),
        ("America/New_York", "2026-07-01T23:00", "2026-07-01 19:00:00 EDT"),
        ("America/New_York", "2026-11-01T05:30", "2026-11-01 01:30:00 EDT"),  # 01:30 happens twice that night
        ("America/New_York", "2026-11-01T06:30", "2026-11-01 01:30:00 EST"),
        ("Asia/Kolkata", "2026-12-01T23:00", "2026-12-02 04:30:00 IST"),
        ("Australia/Sydney", "2026-12-01T23:00", "2026-12-02 10:00:00 AEDT"),
        ("Australia/Sydney", "2026-06-01T23:00", "2026-06-02 09:00:00 AEST"),
        ("Pacific/Chatham", "2026-12-01T23:00", "2026-12-02 12:45:00 UTC+13:45"),
        ("Pacific/Chatham", "2026-06-01T23:00", "2026-06-02 11:45:00 UTC+12:45"),
        ("America/Sao_Paulo", "2018-01-15T12:00", "2018-01-15 10:00:00 UTC-2"),  # summer time it no longer has
        (None, "2026-12-01T23:00", "2026-12-01 23:00:00 UTC"),  # no branch: the installation's TIME_ZONE
    ],
)
def test_the_human_column_is_the_branchs_clock_labelled_as_on_screen(zone, instant, shown):
    branch = BranchFactory(time_zone=zone) if zone else None
    AuditLogFactory(occurred_at=utc(instant), branch_id=branch.pk if branch else None, entity_type="clock_probe")
    (row,) = csv_rows(entity_type="clock_probe")
    (line,) = jsonl_rows(entity_type="clock_probe")
    assert row[LOCAL_TIME_COLUMN] == line[LOCAL_TIME_COLUMN] == shown
    assert row["occurred_at"] == line["occurred_at"] == f"{instant}:00.000000Z"
    if zone:
        local = at(utc(instant), zone)
        assert shown == f"{local:%Y-%m-%d %H:%M:%S} {zone_label(local)}"  # as clubs.localtime says it


def test_the_human_column_follows_the_instant_in_the_csv_header():
    AuditLogFactory(entity_type="clock_probe")
    header = b"".join(export("csv", entity_type="clock_probe")).decode().splitlines()[0].split(",")
    assert header[:3] == ["occurred_at", LOCAL_TIME_COLUMN, "id"]


def test_a_reader_that_stops_early_is_recorded_with_the_rows_it_took(monkeypatch):
    monkeypatch.setattr(selectors, "EXPORT_CHUNK_BYTES", 1)  # one row per chunk
    for number in range(5):
        AuditLogFactory(entity_type="stop_probe", entity_id=str(number))
    chunks = export("csv", entity_type="stop_probe")
    # The reader writes the header and two rows, then fails to write the third: a chunk counts
    # once the reader comes back for the next one.
    received = [next(iter(chunks)) for _ in range(4)]
    chunks.close()
    assert b"".join(received).decode().count("\n") == 4
    entry = AuditLog.objects.get(action=AuditAction.AUDIT_EXPORTED)
    assert entry.new_values["rows"] == chunks.rows == 2
    assert entry.new_values["completed"] is False
    assert entry.reason == "not read to the end: the reader stopped"


def test_a_read_to_the_end_counts_every_row():
    for number in range(3):
        AuditLogFactory(entity_type="end_probe", entity_id=str(number))
    chunks = export("jsonl", entity_type="end_probe")
    assert len(b"".join(chunks).splitlines()) == 3
    entry = AuditLog.objects.get(action=AuditAction.AUDIT_EXPORTED)
    assert (entry.new_values["rows"], entry.new_values["completed"], entry.reason) == (3, True, "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-01-01", "--to", "9999-12-31"], "--to 9999-12-31 is out of range: give a day from 2000-01-01"),
        (["--from", "0001-01-01", "--to", "2026-01-01"], "--from 0001-01-01 is out of range"),
        (["--from", "12/31/2026", "--to", "2026-01-01"], "--from '12/31/2026' is not a date (YYYY-MM-DD)"),
        (["--from", "2026-01-02", "--to", "2026-01-01"], "--to 2026-01-01 is before --from 2026-01-02"),
        (["--from", "2026-01-01", "--to", "2026-01-01", "--format", "xlsx"], "argument --format: invalid choice"),
    ],
)
def test_bad_arguments_exit_2_and_export_nothing(args, message, tmp_path):
    target = tmp_path / "out.csv"
    with pytest.raises(CommandError, match=re.escape(message)) as refusal:
        call_command("export_audit", *args, "--output", str(target))
    assert refusal.value.returncode == 2
    assert not target.exists()
    assert not AuditLog.objects.filter(action=AuditAction.AUDIT_EXPORTED).exists()


# Interrupted for real: `manage.py export_audit` in its own process, on committed rows.

BIG_EXPORT_ROWS = 20_000  # about 10 MB of JSON lines: far more than the pipe and socket buffers hold


@pytest.fixture
def big_trail():
    """An organization with many committed entries, removed again afterwards (the trail is append-only:
    as a superuser in replica mode its triggers do not fire)."""
    organization_id = uuid.uuid4()
    with committed_connection() as db:
        db.execute(
            "insert into organizations (id, name, slug) values (%s, 'Export club', %s)",
            [organization_id, f"export-{organization_id}"],
        )
        db.execute(
            """
            insert into audit_logs (organization_id, occurred_at, actor_type, actor_id, actor_label, action,
                                    entity_type, entity_id, new_values, source, request_id)
            select %s, now() - interval '1 hour' + g * interval '1 millisecond', 'system', 'test', 'test',
                   'facility.updated', 'facility', g::text, jsonb_build_object('padding', repeat('x', 400)),
                   'command', ''
            from generate_series(1, %s) g
            """,
            [organization_id, BIG_EXPORT_ROWS],
        )
        # statistics that know about the new rows, before the export seals them: with the queue
        # thought empty, a sealing batch was once planned slowly enough to outlast the test's wait
        db.execute("analyze audit_logs, audit_pending, audit_seals")
    yield organization_id
    with committed_connection() as cleanup:
        cleanup.execute("set session_replication_role = replica")
        for table, column in [
            ("audit_seals", "chain"),
            ("audit_pending", "chain"),
            ("audit_logs", "organization_id"),
            ("organizations", "id"),
        ]:
            cleanup.execute(f"delete from {table} where {column} = %s", [organization_id])


@contextmanager
def export_process(organization_id: uuid.UUID):
    """`manage.py export_audit` of the organization's entries as JSON lines to a pipe, and the id of
    its server process once it waits for the exporting process to take more rows."""
    name = f"export-test-{uuid.uuid4()}"
    today = datetime.date.today()
    process = subprocess.Popen(
        manage_py(
            "export_audit",
            "--from",
            str(today - datetime.timedelta(days=1)),
            "--to",
            str(today + datetime.timedelta(days=1)),
            "--org",
            str(organization_id),
            "--format",
            "jsonl",
            "--output",
            "-",
        ),  # fmt: skip
        cwd=PROJECT_DIR,
        env=deployer_environment(
            DATABASE_URL=f"{database_url()}{'&' if '?' in database_url() else '?'}application_name={name}", DEBUG="true"
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_interruptible_as_in_a_terminal,
    )
    try:
        yield process, _backend_blocked_on_the_reader(process, name)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def _interruptible_as_in_a_terminal() -> None:
    """The command's SIGINT neither ignored nor blocked, whatever the test worker's own state is
    (a child inherits both): Ctrl-C in a terminal reaches it so."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _signal_state(pid: int) -> str:
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    return ", ".join(line for line in status if line.startswith(("SigBlk", "SigIgn", "SigCgt", "Threads")))


def _backend_blocked_on_the_reader(process: subprocess.Popen, name: str) -> int:
    """Blocked for good, not for a moment: the server waits for the exporting process, which waits
    for the pipe that nobody reads."""
    deadline, blocked_since = time.monotonic() + 60, {}
    with committed_connection() as db:
        db.autocommit = True  # a transaction would see one snapshot of pg_stat_activity
        while time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read().decode()
            found = db.execute(
                "select pid from pg_stat_activity where application_name = %s and wait_event = 'ClientWrite'", [name]
            ).fetchone()
            blocked_since = {found[0]: blocked_since.get(found[0], time.monotonic())} if found else {}
            if found and time.monotonic() - blocked_since[found[0]] > 0.5:
                return found[0]
            time.sleep(0.1)
        activity = db.execute("select application_name, state, wait_event, left(query, 60) from pg_stat_activity")
    raise AssertionError(f"the export never filled its output: {activity.fetchall()}")


def recorded_export(organization_id: uuid.UUID) -> AuditLog:
    with committed_connection() as db:
        new_values, reason = db.execute(
            "select new_values, reason from audit_logs where organization_id = %s and action = 'audit.exported'",
            [organization_id],
        ).fetchone()
    return AuditLog(new_values=new_values, reason=reason)


def one_error_line(stderr: bytes) -> str:
    text = stderr.decode()
    assert "Traceback" not in text
    (line,) = text.strip().splitlines()
    return line


def test_an_export_whose_connection_is_killed_is_recorded_on_a_fresh_connection(big_trail):
    with export_process(big_trail) as (process, backend), committed_connection() as db:
        assert db.execute("select pg_terminate_backend(%s)", [backend]).fetchone() == (True,)
        output, errors = process.communicate(timeout=120)
    assert process.returncode == 1
    line = one_error_line(errors)
    assert line.startswith("error: the export stopped after ")
    assert "(the trail records it as not read to the end): lost the connection to the database" in line
    entry = recorded_export(big_trail)
    assert entry.new_values["completed"] is False
    assert entry.reason.startswith("not read to the end: the database failed (")
    rows = entry.new_values["rows"]
    assert 0 < rows < BIG_EXPORT_ROWS
    assert len(output.splitlines()) == rows  # what it wrote, exactly
    assert f"stopped after {rows} rows" in line


def test_an_export_whose_reader_goes_away_is_recorded(big_trail):
    with export_process(big_trail) as (process, _):
        received = process.stdout.read(1_000_000)
        process.stdout.close()  # as `| head` does
        errors = process.stderr.read()
        assert process.wait(timeout=120) == 1
    line = one_error_line(errors)
    assert line.endswith(
        "(the trail records it as not read to the end): the output was closed before the command finished writing it"
    )
    entry = recorded_export(big_trail)
    assert (entry.new_values["completed"], entry.reason) == (False, "not read to the end: the reader stopped")
    assert received and 0 < entry.new_values["rows"] < BIG_EXPORT_ROWS


def test_an_export_stopped_with_ctrl_c_is_recorded(big_trail):
    with export_process(big_trail) as (process, _):
        state = _signal_state(process.pid)
        process.send_signal(signal.SIGINT)
        _, errors = process.communicate(timeout=120)
    assert process.returncode == 1, f"{errors.decode()} ({state})"
    line = one_error_line(errors)
    assert line.endswith(
        "(the trail records it as not read to the end): interrupted (Ctrl-C) before the command finished"
    )
    entry = recorded_export(big_trail)
    assert entry.new_values["completed"] is False
    assert entry.new_values["rows"] < BIG_EXPORT_ROWS
