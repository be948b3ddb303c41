"""The hash chain: sealing, verification, tampering found, concurrent and late writers."""

from __future__ import annotations

import datetime
import json
import re
import threading
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction

from audit.chain import chain_hash
from audit.models import AuditLog, AuditSeal
from audit.selectors import audit_verify
from audit.services import Actor, audit_record, audit_seal
from clubs.tests.factories import OrganizationFactory
from config.testing import committed_connection

pytestmark = pytest.mark.django_db


def record(organization_id, number: int = 0) -> uuid.UUID:
    with transaction.atomic():
        return audit_record(
            action="facility.updated",
            entity_type="facility",
            entity_id=f"f{number}",
            source="command",
            actor=Actor.system("test"),
            organization_id=organization_id,
            new_values={"n": number},
        )


def verify(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("verify_audit", *args, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue()
    return 0, out.getvalue()


def execute(sql: str, params=None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def tamper(sql: str, params=None) -> None:
    """What the tables' owner can do (on Supabase, the role the app connects as): switch the
    append-only triggers off, change history, switch them back."""
    execute("set constraints all immediate")  # ALTER TABLE waits for no deferred check
    execute("alter table audit_logs disable trigger audit_logs_append_only")
    execute("alter table audit_seals disable trigger audit_seals_append_only")
    execute(sql, params)
    execute("alter table audit_logs enable trigger audit_logs_append_only")
    execute("alter table audit_seals enable trigger audit_seals_append_only")


@pytest.fixture
def sealed_chain():
    organization = OrganizationFactory()
    ids = [record(organization.id, number) for number in range(5)]
    audit_seal()
    return organization, ids


def test_sealing_chains_entries_in_order_and_a_second_run_seals_nothing(sealed_chain):
    organization, ids = sealed_chain
    seals = list(AuditSeal.objects.filter(chain=organization.id).order_by("position"))
    assert [seal.entry_id for seal in seals] == ids
    assert [seal.position for seal in seals] == [1, 2, 3, 4, 5]
    assert all(later.previous_hash == earlier.hash for earlier, later in zip(seals, seals[1:], strict=False))
    assert audit_seal().sealed == 0


def test_an_untouched_trail_verifies(sealed_chain):
    organization, _ = sealed_chain
    report = audit_verify(organization_id=organization.id)
    assert report.intact and report.chains[0].verified == 5
    status, output = verify("--org", str(organization.id))
    assert status == 0 and "intact, 5 entries verified" in output


def test_an_edited_entry_is_found(sealed_chain):
    organization, ids = sealed_chain
    tamper("update audit_logs set new_values = '{\"n\": 99}' where id = %s", [ids[2]])
    status, output = verify("--org", str(organization.id))
    assert status == 1
    assert f"BROKEN at position 3 (entry {ids[2]}): its content changed after it was sealed" in output


def test_a_deleted_entry_is_found(sealed_chain):
    organization, ids = sealed_chain
    tamper("delete from audit_seals where audit_log_id = %s", [ids[1]])
    tamper("delete from audit_logs where id = %s", [ids[1]])
    report = audit_verify(organization_id=organization.id).chains[0]
    assert (report.broken_at, report.problem) == (2, "position 2 is missing: an entry was deleted")


def test_reordered_entries_are_found(sealed_chain):
    organization, ids = sealed_chain
    for old, new in [(2, 1002), (3, 2), (1002, 3)]:  # swap the second and third entries
        tamper("update audit_seals set position = %s where chain = %s and position = %s", [new, organization.id, old])
    report = audit_verify(organization_id=organization.id).chains[0]
    assert report.broken_at == 2
    assert report.problem == "its previous hash does not match: entries were reordered or removed"


def test_a_period_is_verified_from_the_hash_before_it(sealed_chain):
    organization, ids = sealed_chain
    tomorrow = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    status, output = verify("--org", str(organization.id), "--from", "2000-01-01", "--to", tomorrow)
    assert status == 0 and "5 entries verified" in output
    status, output = verify("--org", str(organization.id), "--from", tomorrow)
    assert status == 0 and "0 entries verified" in output


def test_unsealed_entries_are_counted_and_sealed_before_verifying():
    organization = OrganizationFactory()
    record(organization.id)
    assert audit_verify(organization_id=organization.id).chains[0].unsealed == 1
    status, output = verify("--org", str(organization.id))
    assert "pending entries first." in output
    assert "intact, 1 entries verified, 0 not yet sealed" in output


def test_an_entry_taken_off_the_sealing_queue_is_reported(sealed_chain):
    organization, ids = sealed_chain
    unqueued = [record(organization.id, number) for number in (5, 6)]
    execute("delete from audit_pending where audit_log_id = any(%s)", [unqueued])
    report = audit_verify(organization_id=organization.id)
    assert not report.intact and [str(entry) for entry, _ in report.chains[0].unqueued] == [str(i) for i in unqueued]
    status, output = verify("--org", str(organization.id))
    assert status == 1
    for entry in unqueued:
        assert f"entry {entry} (" in output
        assert "is neither sealed nor waiting to be sealed" in output


def test_a_chain_whose_only_entry_left_the_queue_is_still_found():
    organization = OrganizationFactory()
    entry = record(organization.id)
    execute("delete from audit_pending where audit_log_id = %s", [entry])
    status, output = verify()
    assert status == 1
    assert f"{organization.id}: entry {entry} (" in output


def publish_heads(path) -> str:
    out = StringIO()
    call_command("seal_audit", "--heads", str(path), stdout=out)
    return out.getvalue()


def reseal_from(organization_id, first_position: int) -> None:
    """What the table's owner can do after rewriting an entry: recompute every later seal, so that
    the chain inside the database is consistent again."""
    with connection.cursor() as cursor:
        cursor.execute(
            "select seal.position, seal.previous_hash, app_private.audit_entry_content(entry)"
            " from audit_seals seal join audit_logs entry on entry.id = seal.audit_log_id"
            " where seal.chain = %s and seal.position >= %s order by seal.position",
            [organization_id, first_position],
        )
        rows = cursor.fetchall()
    previous_hash = rows[0][1]
    for position, _, content in rows:
        current = chain_hash(previous_hash, content)
        tamper(
            "update audit_seals set previous_hash = %s, hash = %s where chain = %s and position = %s",
            [previous_hash, current, organization_id, position],
        )
        previous_hash = current


def test_sealing_publishes_each_chains_head_once(sealed_chain, tmp_path):
    organization, ids = sealed_chain
    heads = tmp_path / "heads.jsonl"
    assert "Published the heads of" in publish_heads(heads)
    published = [json.loads(line) for line in heads.read_text().splitlines()]
    ours = [head for head in published if head["chain"] == str(organization.id)]
    last_seal = AuditSeal.objects.get(chain=organization.id, position=5)
    assert ours == [
        {"chain": str(organization.id), "position": 5, "hash": last_seal.hash, "sealed_at": ours[0]["sealed_at"]}
    ]
    assert datetime.datetime.fromisoformat(ours[0]["sealed_at"]) == last_seal.sealed_at

    assert "no chain moved" in publish_heads(heads)  # nothing new: nothing appended
    assert len(heads.read_text().splitlines()) == len(published)

    record(organization.id, 5)
    publish_heads(heads)
    lines = [json.loads(line) for line in heads.read_text().splitlines()]
    assert lines[len(published) :] == [
        {
            "chain": str(organization.id),
            "position": 6,
            "hash": AuditSeal.objects.get(chain=organization.id, position=6).hash,
            "sealed_at": lines[-1]["sealed_at"],
        }
    ]


def test_history_rewritten_and_resealed_by_the_tables_owner_is_caught_against_published_heads(sealed_chain, tmp_path):
    organization, ids = sealed_chain
    heads = tmp_path / "heads.jsonl"
    publish_heads(heads)
    record(organization.id, 5)  # the chain moves on after the heads were published
    audit_seal()
    assert verify("--org", str(organization.id), "--against", str(heads))[0] == 0

    tamper("update audit_logs set new_values = '{\"n\": 99}' where id = %s", [ids[2]])
    reseal_from(organization.id, 3)

    status, output = verify("--org", str(organization.id))
    assert status == 0 and "intact, 6 entries verified" in output  # consistent inside the database

    status, output = verify("--org", str(organization.id), "--against", str(heads))
    assert status == 1
    published_hash = json.loads(heads.read_text().splitlines()[-1])["hash"]
    assert (
        f"{organization.id}: BROKEN at position 5: the head published for it (hash {published_hash[:16]}…, " in output
    )
    assert "no longer matches: history up to it was rewritten and resealed, somewhere in positions 1-5" in output
    assert "Audit trail intact." not in output


def test_a_chain_that_vanished_is_caught_against_published_heads(sealed_chain, tmp_path):
    organization, ids = sealed_chain
    heads = tmp_path / "heads.jsonl"
    publish_heads(heads)
    tamper("delete from audit_seals where chain = %s", [organization.id])
    tamper("delete from audit_logs where organization_id = %s", [organization.id])
    assert verify()[0] == 0
    status, output = verify("--against", str(heads))
    assert status == 1
    assert f"{organization.id}: BROKEN at position 5: the head published for it" in output
    assert "that position no longer exists: history up to it was deleted" in output


def test_entries_deleted_from_under_their_seals_are_caught(sealed_chain, tmp_path):
    """The tables' owner drops the seals' foreign key and deletes the entries: the seals still
    match the published heads, but the entries they seal are gone."""
    organization, ids = sealed_chain
    heads = tmp_path / "heads.jsonl"
    publish_heads(heads)
    with connection.cursor() as cursor:
        cursor.execute("set constraints all immediate")  # the test's own deferred checks, done now
        cursor.execute("select conname from pg_constraint where conrelid = 'audit_seals'::regclass and contype = 'f'")
        for (name,) in cursor.fetchall():
            cursor.execute(f'alter table audit_seals drop constraint "{name}"')
    tamper("delete from audit_logs where organization_id = %s", [organization.id])
    status, output = verify("--org", str(organization.id), "--against", str(heads))
    assert status == 1 and "BROKEN" in output and "intact" not in output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json\n", "line 1 is not a published head (JSON with chain, position, hash, sealed_at)"),
        ('{"chain": "x", "position": 1, "hash": "ab", "sealed_at": "2026-01-01T00:00:00+00:00"}\n', "line 1"),
        ("", "holds no published head"),
        ("[" * 100_000 + "\n", "line 1 is not a published head"),
    ],
)
def test_a_heads_file_that_is_not_one_is_refused_naming_the_line(tmp_path, content, message):
    heads = tmp_path / "heads.jsonl"
    heads.write_text(content)
    with pytest.raises(CommandError, match=re.escape(message)) as refusal:
        call_command("verify_audit", "--against", str(heads), stdout=StringIO())
    assert refusal.value.returncode == 2


def test_a_torn_heads_file_does_not_stop_the_sealing(tmp_path):
    heads = tmp_path / "heads.jsonl"
    heads.write_text('{"chain": "installation-wide", "posit')  # a crash mid-line
    entry = record(None)
    with pytest.raises(CommandError, match="the entries are sealed, but no head was published") as refusal:
        call_command("seal_audit", "--heads", str(heads), stdout=StringIO())
    assert refusal.value.returncode == 1
    assert AuditSeal.objects.filter(entry_id=entry).exists()


def test_against_refuses_a_missing_file_and_a_period(tmp_path):
    missing = tmp_path / "nowhere.jsonl"
    with pytest.raises(CommandError, match=re.escape(f"--against {missing}: no such file")) as refusal:
        call_command("verify_audit", "--against", str(missing), stdout=StringIO())
    assert refusal.value.returncode == 2
    missing.write_text("")
    with pytest.raises(CommandError, match="--against verifies whole chains") as refusal:
        call_command("verify_audit", "--against", str(missing), "--from", "2026-01-01", stdout=StringIO())
    assert refusal.value.returncode == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "last tuesday"], "--from 'last tuesday' is not a date (YYYY-MM-DD) or an ISO 8601 time"),
        (["--to", "9999-12-31"], "--to 9999-12-31 is out of range: give a day from 2000-01-01 to 2999-12-31"),
        (["--from", "0001-01-01"], "--from 0001-01-01 is out of range: give a day from 2000-01-01 to 2999-12-31"),
        (["--to", "9999-12-31T23:00:00+00:00"], "--to 9999-12-31T23:00:00+00:00 is out of range"),
        (["--from", "2026-02-01", "--to", "2026-01-01"], "--to 2026-01-01 is before --from 2026-02-01"),
        (["--org", "nine"], "argument --org: invalid UUID value: 'nine'"),
    ],
)
def test_bad_arguments_exit_2_naming_the_argument(args, message):
    with pytest.raises(CommandError, match=re.escape(message)) as refusal:
        call_command("verify_audit", *args, stdout=StringIO())
    assert refusal.value.returncode == 2


class CommittedWork:
    """Rows committed by other connections, removed again when the test ends."""

    def __init__(self):
        self.organization_id = uuid.uuid4()
        with committed_connection() as setup:
            setup.execute(
                "insert into organizations (id, name, slug) values (%s, 'Concurrency club', %s)",
                [self.organization_id, f"concurrency-{self.organization_id}"],
            )

    def write_entry(self, db, number: int) -> None:
        db.execute(
            "select app_private.audit_record('facility.updated', 'facility', %s, 'api', 'system', 'w', 'w',"
            " p_organization_id => %s)",
            [str(number), self.organization_id],
        )

    def remove(self) -> None:
        # As a superuser in replica mode triggers do not fire: the only way to take entries back out.
        with committed_connection() as cleanup:
            cleanup.execute("set session_replication_role = replica")
            for table, column in [
                ("audit_seals", "chain"),
                ("audit_pending", "chain"),
                ("audit_logs", "organization_id"),
                ("organizations", "id"),
            ]:
                cleanup.execute(f"delete from {table} where {column} = %s", [self.organization_id])


def _in_thread(work) -> threading.Thread:
    def run():
        try:
            work()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_concurrent_writers_and_a_late_commit_end_in_one_valid_chain():
    work = CommittedWork()
    try:
        late = committed_connection()
        work.write_entry(late, -1)  # its transaction stays open while others write and seal

        def writer(first: int) -> None:
            with committed_connection() as db:
                for number in range(first, first + 25):
                    work.write_entry(db, number)
                    db.commit()

        def sealer() -> None:
            for _ in range(5):
                audit_seal()

        threads = [_in_thread(lambda first=first: writer(first)) for first in (0, 100, 200, 300)]
        threads += [_in_thread(sealer), _in_thread(sealer)]
        for thread in threads:
            thread.join()

        late.commit()  # commits after later entries were already sealed
        late.close()
        _in_thread(audit_seal).join()

        report = audit_verify(organization_id=work.organization_id).chains[0]
        assert report.intact, report.problem
        assert (report.verified, report.unsealed) == (101, 0)
        positions = AuditSeal.objects.filter(chain=work.organization_id).values_list("position", flat=True)
        assert sorted(positions) == list(range(1, 102))
        assert AuditLog.objects.filter(organization_id=work.organization_id).count() == 101
    finally:
        work.remove()
