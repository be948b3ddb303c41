"""Retention: archive_audit takes a past month out of the trail in one step, its export verified
first, and the chains still verify across the cut, against their published heads too."""

from __future__ import annotations

import datetime
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection

from audit import services
from audit.archive import ArchiveError, read_archive
from audit.chain import INSTALLATION_LABEL
from audit.models import AuditCut, AuditCutRun, AuditLog, AuditPending, AuditSeal
from audit.selectors import audit_verify
from audit.services import audit_seal
from audit.tests.factories import AuditLogFactory
from audit.tests.test_chain import publish_heads, tamper, verify
from clubs.tests.factories import OrganizationFactory
from config.testing import committed_connection, rejected_by_database

pytestmark = pytest.mark.django_db

MONTH = "2004-02"
PARTITION = "audit_partitions.audit_logs_2004_02"


def in_month(day: int, hour: int = 12) -> datetime.datetime:
    return datetime.datetime(2004, 2, day, hour, tzinfo=datetime.UTC)


def archive(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("archive_audit", *args, stdout=out)
    except CommandError as error:
        return error.returncode, f"{out.getvalue()}{error}"
    return 0, out.getvalue()


def rows(sql: str, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def attached() -> bool:
    return bool(rows("select 1 from pg_inherits where inhrelid = to_regclass(%s)", [PARTITION]))


class Trail:
    """One club's chain: three entries of February 2004 (positions 1-3), two of today (4, 5), then
    one of February written late (6) and one of today (7); heads published after each sealing. A
    second club whose only entries are of February 2004. So February is two runs of the first
    chain (1-3 and 6) and one of the second."""

    def __init__(self, heads):
        self.club, self.other_club = OrganizationFactory(), OrganizationFactory()
        self.heads = heads
        self.february = [AuditLogFactory(organization=self.club, occurred_at=in_month(day)) for day in (1, 2, 3)]
        self.today = [AuditLogFactory(organization=self.club) for _ in range(2)]
        self.other = [AuditLogFactory(organization=self.other_club, occurred_at=in_month(day)) for day in (4, 5)]
        publish_heads(heads)
        self.late = AuditLogFactory(organization=self.club, occurred_at=in_month(28, 23))
        self.later = AuditLogFactory(organization=self.club)
        publish_heads(heads)

    def positions(self) -> list[int]:
        return sorted(AuditSeal.objects.filter(chain=self.club.id).values_list("position", flat=True))


@pytest.fixture
def trail(tmp_path) -> Trail:
    return Trail(tmp_path / "heads.jsonl")


def test_a_past_month_leaves_the_trail_in_one_step_and_the_chains_still_verify(trail, tmp_path):
    assert trail.positions() == [1, 2, 3, 4, 5, 6, 7]
    target = tmp_path / "2004-02.jsonl"
    status, output = archive("--month", MONTH, "--to", str(target))
    assert status == 0, output
    assert "2004-02: 6 entries; exporting them with their seals to" in output
    assert f"verifying {target}.partial" in output
    assert "Archived 6 entries of 2004-02 in 3 runs of their chains to" in output
    assert f"{PARTITION} was detached: once {target} is stored safely, drop it" in output

    # the file: every entry with its seal, verified on its own
    saved = read_archive(target)
    assert (saved.month, saved.entries) == (datetime.date(2004, 2, 1), 6)
    assert [(run.chain, run.first, run.last) for run in saved.runs] == sorted(
        [(trail.club.id, 1, 3), (trail.club.id, 6, 6), (trail.other_club.id, 1, 2)]
    )
    contents = [json.loads(json.loads(line)["content"]) for line in target.read_text().splitlines()[1:-1]]
    assert {entry["id"] for entry in contents} == {str(e.pk) for e in [*trail.february, trail.late, *trail.other]}

    # the database: the month's partition out of the trail, kept append-only; its seals gone, its runs kept
    assert not attached() and rows("select count(*) from " + PARTITION) == [(6,)]
    with rejected_by_database("audit_logs is append-only: DELETE is refused", DatabaseError):
        rows(f"delete from {PARTITION}")
    assert not AuditLog.objects.filter(occurred_at__lt=in_month(29)).exists()
    assert trail.positions() == [4, 5, 7]
    cut = AuditCut.objects.get()
    assert (cut.month, cut.entries, cut.archive_name, cut.archive_sha256, cut.dropped) == (
        datetime.date(2004, 2, 1), 6, str(target), saved.sha256, False,
    )  # fmt: skip
    assert {(run.chain, run.first_position, run.last_position, run.last_hash) for run in AuditCutRun.objects.all()} == {
        (run.chain, run.first, run.last, run.last_hash) for run in saved.runs
    }
    entry = AuditLog.objects.get(action="audit.archived")
    assert (entry.entity_id, entry.actor_id, entry.organization_id) == (MONTH, "archive_audit", None)
    assert entry.new_values == {
        "month": MONTH, "entries": 6, "runs": 3, "archive": str(target), "sha256": saved.sha256,
        "partition": PARTITION, "dropped": False,
    }  # fmt: skip

    # the chains verify across the cut, against the heads published before it, and go on after it
    status, output = verify("--against", str(trail.heads))
    assert status == 0, output
    assert f"{trail.club.id}: intact, 3 entries verified (4 more archived with their months)" in output
    assert f"{trail.other_club.id}: intact, 0 entries verified (2 more archived with their months)" in output
    AuditLogFactory(organization=trail.club)
    AuditLogFactory(organization=trail.other_club)  # a chain whose every seal was cut goes on from its runs
    audit_seal()
    assert trail.positions() == [4, 5, 7, 8]
    assert AuditSeal.objects.get(chain=trail.other_club.id).position == 3
    report = audit_verify()
    archived = {chain.chain: chain.archived for chain in report.chains}
    assert report.intact and (archived[trail.club.id], archived[trail.other_club.id]) == (4, 2)
    assert verify("--against", str(trail.heads))[0] == 0


def test_drop_drops_the_months_partition(trail, tmp_path):
    status, output = archive("--month", MONTH, "--to", str(tmp_path / "a.jsonl"), "--drop")
    assert status == 0 and f"{PARTITION} was dropped." in output
    assert rows("select to_regclass(%s)", [PARTITION]) == [(None,)]
    assert AuditCut.objects.get().dropped
    assert verify("--against", str(trail.heads))[0] == 0


def test_a_dry_run_verifies_the_export_and_changes_nothing(trail, tmp_path):
    target = tmp_path / "a.jsonl"
    status, output = archive("--month", MONTH, "--to", str(target), "--dry-run")
    assert status == 0, output
    assert "Dry run: 6 entries of 2004-02 in 3 runs of their chains would be archived to" in output
    assert "and audit_partitions.audit_logs_2004_02 detached. Nothing was changed." in output
    assert list(tmp_path.iterdir()) == [trail.heads]
    assert attached() and trail.positions() == [1, 2, 3, 4, 5, 6, 7]
    assert not AuditCut.objects.exists() and not AuditLog.objects.filter(action="audit.archived").exists()


@pytest.mark.parametrize(
    ("month", "message"),
    [
        ("2004-13", "--month '2004-13' is not a month (YYYY-MM)"),
        ("last month", "--month 'last month' is not a month (YYYY-MM)"),
        ("2001-05", "the trail has no partition for 2001-05: no entry was written then"),
    ],
)
def test_a_month_that_is_not_one_or_has_no_entries_is_refused_with_exit_2(month, message, tmp_path):
    status, output = archive("--month", month, "--to", str(tmp_path / "a.jsonl"))
    assert (status, output.splitlines()[-1]) == (2, message)
    assert list(tmp_path.iterdir()) == []


def test_the_current_and_a_future_month_are_refused_with_exit_2(tmp_path):
    today = datetime.datetime.now(datetime.UTC).date()
    for month in (today, today + datetime.timedelta(days=40)):
        status, output = archive("--month", f"{month:%Y-%m}", "--to", str(tmp_path / "a.jsonl"))
        assert status == 2 and f"{month:%Y-%m} is not over yet (months are UTC): archive a past month" in output


def test_a_month_archived_already_and_a_file_that_exists_are_refused_with_exit_2(trail, tmp_path):
    target = tmp_path / "a.jsonl"
    assert archive("--month", MONTH, "--to", str(target))[0] == 0
    sha256 = AuditCut.objects.get().archive_sha256
    status, output = archive("--month", MONTH, "--to", str(tmp_path / "b.jsonl"))
    assert status == 2 and "2004-02 was archived on " in output and f"to {target} (sha256 {sha256})" in output
    status, output = archive("--month", "2004-01", "--to", str(target))
    assert status == 2 and f"{target} exists: an archive is never overwritten; name another file" in output


def test_a_month_with_unsealed_entries_is_refused_with_exit_1(trail, tmp_path):
    AuditLogFactory(organization=trail.club, occurred_at=in_month(9))
    status, output = archive("--month", MONTH, "--to", str(tmp_path / "a.jsonl"))
    assert status == 1
    assert output.splitlines()[-1] == "1 entries of 2004-02 are not sealed yet: run seal_audit, then again"
    assert attached() and list(tmp_path.iterdir()) == [trail.heads]


def test_an_export_that_does_not_verify_is_refused_and_nothing_changes(trail, tmp_path):
    tamper("update audit_logs set reason = 'rewritten' where id = %s", [trail.february[1].pk])
    status, output = archive("--month", MONTH, "--to", str(tmp_path / "a.jsonl"))
    assert status == 1
    club = str(trail.club.id)
    first_line = 2 if club < str(trail.other_club.id) else 4  # the header, then chains in order
    assert output.splitlines()[-1] == (
        f"the export does not verify, nothing was archived: line {first_line + 1}: the hash of position 2 of {club} "
        "is not sha256(previous hash + content): the entry or its seal changed"
    )
    assert attached() and trail.positions() == [1, 2, 3, 4, 5, 6, 7] and not AuditCut.objects.exists()
    assert list(tmp_path.iterdir()) == [trail.heads]


def test_a_busy_trail_is_refused_with_exit_1_and_nothing_changes(trail, tmp_path, monkeypatch):
    monkeypatch.setattr(services, "CUT_LOCK_TIMEOUT", "100ms")
    with committed_connection() as reader:  # a long export of today's entries, say (its own partition)
        moment = trail.today[0].occurred_at
        reader.execute(
            "select count(*) from audit_logs where occurred_at >= %s and occurred_at < %s",
            [moment, moment + datetime.timedelta(seconds=1)],
        )
        status, output = archive("--month", MONTH, "--to", str(tmp_path / "a.jsonl"))
    assert status == 1
    assert (
        output.splitlines()[-1] == "the trail stayed busy for 100ms (a long export?), nothing was archived: run again"
    )
    assert attached() and not AuditCut.objects.exists() and list(tmp_path.iterdir()) == [trail.heads]


def test_a_second_archive_audit_at_the_same_time_is_refused_with_exit_1(trail, tmp_path):
    with committed_connection() as other:  # an archive_audit that has not committed yet
        other.execute("lock table audit_cuts in share row exclusive mode")
        status, output = archive("--month", MONTH, "--to", str(tmp_path / "a.jsonl"))
    assert (status, output.splitlines()[-1]) == (1, "another archive_audit is running: run again once it is done")
    assert attached() and list(tmp_path.iterdir()) == [trail.heads]


def test_a_path_too_long_to_record_is_refused_with_exit_2(tmp_path):
    status, output = archive("--month", MONTH, "--to", str(tmp_path / ("a" * 250)))
    assert status == 2 and "--to: a path of at most 255 characters, not " in output


def test_a_seal_is_deleted_only_with_its_month(trail):
    with rejected_by_database("audit_seals is append-only: DELETE is refused", DatabaseError):
        rows("delete from audit_seals where audit_log_id = %s", [trail.february[0].pk])


def test_an_archive_verifies_anywhere_and_against_the_heads_it_holds(trail, tmp_path):
    target = tmp_path / "a.jsonl"
    archive("--month", MONTH, "--to", str(target))
    status, output = verify("--archive", str(target), "--against", str(trail.heads))
    assert status == 0, output
    assert f"{target}: 2004-02, 6 entries in 3 run(s) of their chains, every hash and link verified" in output
    assert "It is the file the trail recorded when it archived 2004-02 on " in output
    # published after the first sealing: the club's head at 5 (kept), the other club's at 2 (archived)
    assert f"1 heads published in {trail.heads} fall in it, each unchanged." in output

    lines = target.read_text().splitlines()
    rewritten = tmp_path / "rewritten.jsonl"
    rewritten.write_text("\n".join(json.dumps(json.loads(line), indent=None, separators=(",", ":")) for line in lines))
    status, output = verify("--archive", str(rewritten))
    assert status == 1 and "this is not that file" in output  # verifies, but not the file the trail recorded

    forged = dict(json.loads(lines[1]), content=json.loads(lines[1])["content"].replace("facility", "member"))
    tampered = tmp_path / "tampered.jsonl"
    tampered.write_text("\n".join([lines[0], json.dumps(forged), *lines[2:]]) + "\n")
    status, output = verify("--archive", str(tampered))
    assert status == 1 and f"{tampered}: line 2: the hash of position" in output


def test_a_head_inside_an_archived_run_is_left_to_its_archive(trail, tmp_path):
    """A head published at a position whose month is then archived, and not the last of its run:
    the database no longer holds its hash; the archive does, and the later heads vouch for it."""
    seal = AuditSeal.objects.get(chain=trail.club.id, position=2)
    inside = tmp_path / "inside.jsonl"
    head = {"chain": str(trail.club.id), "position": 2, "hash": seal.hash, "sealed_at": seal.sealed_at.isoformat()}
    inside.write_text(json.dumps(head) + "\n")
    target = tmp_path / "a.jsonl"
    archive("--month", MONTH, "--to", str(target))
    status, output = verify("--against", str(inside))
    assert status == 0 and "1 of them fall inside archived months" in output
    assert verify("--archive", str(target), "--against", str(inside))[0] == 0
    inside.write_text(json.dumps(dict(head, hash="0" * 64)) + "\n")
    status, output = verify("--archive", str(target), "--against", str(inside))
    assert status == 1 and "the head published for position 2 (hash 0000000000000000…" in output


def test_an_archive_that_is_cut_short_or_not_one_is_named(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(ArchiveError, match="the file is empty"):
        read_archive(empty)
    header = '{"archive": "audit trail month", "version": 1, "month": "2004-02", '
    short = tmp_path / "short.jsonl"
    short.write_text(header + '"from": "2004-02-01T00:00:00Z", "to": "2004-03-01T00:00:00Z"}\n')
    with pytest.raises(ArchiveError, match="the last line .* is missing: the file was cut short"):
        read_archive(short)
    wrong = tmp_path / "wrong.jsonl"
    wrong.write_text(header + '"from": "2004-02-01T00:00:00Z", "to": "2004-04-01T00:00:00Z"}\n')
    with pytest.raises(ArchiveError, match="line 1: from and to are not the bounds of 2004-02"):
        read_archive(wrong)
    assert INSTALLATION_LABEL == "installation-wide"


def test_an_entry_back_dated_into_an_archived_month_stays_in_the_default_partition_and_is_sealed(trail, tmp_path):
    archive("--month", MONTH, "--to", str(tmp_path / "a.jsonl"), "--drop")
    late = AuditLogFactory(organization=trail.club, occurred_at=in_month(10))
    publish_heads(trail.heads)  # seal_audit: the month is not made again
    assert rows("select tableoid::regclass::text from audit_logs where id = %s", [late.pk]) == [
        ("audit_partitions.audit_logs_default",)
    ]
    assert not AuditPending.objects.exists() and AuditSeal.objects.get(entry=late).position == 8
    assert verify("--against", str(trail.heads))[0] == 0
