"""Writes to the audit trail: recording entries, sealing them into the hash chain, exporting."""

from __future__ import annotations

import datetime
import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, OperationalError, connection, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from audit.archive import (
    PROGRESS_EVERY,
    ArchiveError,
    Run,
    header_line,
    month_bounds,
    month_label,
    read_archive,
    trailer_line,
)
from audit.chain import GENESIS_HASH, INSTALLATION_LABEL, chain_label
from audit.context import RequestContext, current_request_context
from audit.models import INSTALLATION_CHAIN, ActorType, AuditAction, AuditCut, AuditSource
from audit.selectors import ExportStream, export_copy_sql

SEAL_BATCH = 5000


@dataclass(frozen=True)
class Actor:
    """Who made a change: kept as id and name, so the entry outlives the user or member."""

    type: str
    id: str
    label: str

    @classmethod
    def staff(cls, user) -> Actor:
        return cls(ActorType.STAFF, str(user.pk), user.get_full_name() or user.get_username())

    @classmethod
    def member(cls, member) -> Actor:
        return cls(ActorType.MEMBER, str(member.auth_user_id or member.id), member.full_name)

    @classmethod
    def system(cls, name: str) -> Actor:
        return cls(ActorType.SYSTEM, name, name)


def audit_json(value: Any) -> str | None:
    """Values as the trail stores them: JSON, with model instances by key and times in ISO 8601."""
    if value is None:
        return None
    return json.dumps(value, cls=_AuditEncoder, sort_keys=True)


class _AuditEncoder(DjangoJSONEncoder):
    def default(self, value):
        if isinstance(value, Model):
            return str(value.pk)
        return super().default(value)


def audit_record(
    *,
    action: str,
    entity_type: str,
    entity_id: Any,
    source: str,
    actor: Actor,
    organization_id: uuid.UUID | None = None,
    changes: dict[str, tuple[Any, Any]] | None = None,
    old_values: dict | None = None,
    new_values: dict | None = None,
    reason: str = "",
    member_id: uuid.UUID | None = None,
    branch_id: uuid.UUID | None = None,
    context: RequestContext | None = None,
) -> uuid.UUID:
    """Write one entry, in the caller's transaction: if the change rolls back, so does the entry.

    `changes` maps each changed field to (old, new); or give `old_values`/`new_values` whole.
    Request id, address and user agent come from the current request unless `context` is given.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("audit_record() must run inside the transaction of the change it records")
    if changes is not None:
        old_values = {field: old for field, (old, _) in changes.items()}
        new_values = {field: new for field, (_, new) in changes.items()}
    context = context or current_request_context()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            select app_private.audit_record(
                p_action => %s, p_entity_type => %s, p_entity_id => %s, p_source => %s,
                p_actor_type => %s, p_actor_id => %s, p_actor_label => %s, p_organization_id => %s,
                p_old_values => %s::jsonb, p_new_values => %s::jsonb, p_reason => %s,
                p_member_id => %s, p_branch_id => %s, p_request_id => %s, p_ip_address => %s::inet,
                p_user_agent => %s)
            """,
            [
                action,
                entity_type,
                str(entity_id),
                source,
                actor.type,
                actor.id,
                actor.label,
                organization_id,
                audit_json(old_values),
                audit_json(new_values),
                reason,
                member_id,
                branch_id,
                context.request_id,
                context.ip_address,
                context.user_agent,
            ],  # fmt: skip
        )
        return cursor.fetchone()[0]


@dataclass(frozen=True)
class SealResult:
    sealed: int
    chains: int


# Where each run of a chain starts reading the queue: before every (occurred_at, id).
_QUEUE_START = (datetime.datetime(1, 1, 1, tzinfo=datetime.UTC), uuid.UUID(int=0))


def audit_seal(*, batch_size: int = SEAL_BATCH) -> SealResult:
    """Chain every committed, unsealed entry onto the end of its organization's chain.

    Writers never wait for this: entries are inserted freely and queued; sealing takes the
    queue in order, one chain at a time under an advisory lock, so concurrent sealers (cron on
    two hosts, a verify and an export) neither fail nor fork the chain. Each batch is one
    transaction and reads the queue from where the last one stopped (app_private.audit_seal_batch),
    so sealing takes time in proportion to the backlog.
    """
    sealed = 0
    chains = _queued_chains()
    for chain in chains:
        after = _QUEUE_START
        while True:
            taken, count, after = _seal_batch(chain, after, batch_size)
            sealed += count
            if taken < batch_size:
                break
    return SealResult(sealed=sealed, chains=len(chains))


def _queued_chains() -> list[uuid.UUID]:
    """The chains with queued entries, found by skipping along the queue's index, one probe per
    chain, rather than by reading the whole queue."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            with recursive chains (chain) as (
                (select chain from audit_pending order by chain limit 1)
                union all
                select (select pending.chain from audit_pending pending where pending.chain > chains.chain
                        order by pending.chain limit 1)
                from chains where chains.chain is not null
            )
            select chain from chains where chain is not null
            """
        )
        return [chain for (chain,) in cursor.fetchall()]


@transaction.atomic
def _seal_batch(
    chain: uuid.UUID, after: tuple[datetime.datetime, uuid.UUID], batch_size: int
) -> tuple[int, int, tuple[datetime.datetime, uuid.UUID]]:
    """Seal the chain's next queued entries after `after`: (rows taken off the queue, entries
    sealed, the queue position to go on from)."""
    with connection.cursor() as cursor:
        cursor.execute("select * from app_private.audit_seal_batch(%s, %s, %s, %s)", [chain, *after, batch_size])
        taken, sealed, last_occurred_at, last_entry = cursor.fetchone()
    return taken, sealed, (last_occurred_at, last_entry) if taken else after


@transaction.atomic
def audit_partitions_ensure(*, months: list[datetime.date] = ()) -> int:
    """Make the trail's month partitions that are missing: this month's and the next two, those of
    `months`, and those of entries waiting in the default partition (moved into them). Returns how
    many it made. `seal_audit` runs it (cron), in a transaction of its own: making a partition
    holds the default partition's lock until it commits."""
    with connection.cursor() as cursor:
        cursor.execute("select app_private.audit_partitions_ensure(%s::date[])", [list(months)])
        return cursor.fetchone()[0]


class AuditArchiveRefused(Exception):
    """A month that cannot be archived, said in words a person can act on. `argument`: what was
    asked for cannot be archived (the month, the file); otherwise the trail is not ready for it."""

    def __init__(self, message: str, *, argument: bool = False):
        super().__init__(message)
        self.message, self.argument = message, argument


@dataclass(frozen=True)
class ArchiveResult:
    month: datetime.date
    entries: int
    runs: int
    sha256: str
    partition: str
    dropped: bool
    dry_run: bool


# The wait for the trail's locks when the month's partition leaves it: beyond it, other writers
# would queue behind the cut.
CUT_LOCK_TIMEOUT = "5s"


def audit_archive(
    *,
    month: datetime.date,
    path: Path,
    drop: bool = False,
    dry_run: bool = False,
    progress: Callable[[str], None] = lambda message: None,
) -> ArchiveResult:
    """Take one past month out of the trail in one step: export it with its chain proof to `path`
    (audit.archive), verify the file, then in the same transaction record the cut and the runs of
    positions it takes from each chain (from which the rest still verifies), delete the month's
    seals and detach its partition (kept as a table of its own until someone drops it) or, with
    `drop`, drop it; the cut is itself an audit entry. Refused (AuditArchiveRefused) for the
    current or a future month, one already archived, a month with unsealed entries, and when the
    export does not verify or the chain around the month is broken; then nothing changes and no
    file is left. `dry_run`: all of it but the change, with the export in a file removed after."""
    label = month_label(month)
    month = month.replace(day=1)
    _refuse_the_month(month, label, path)
    audit_partitions_ensure()  # the month's entries waiting in the default partition move to its own
    start, end = month_bounds(month)
    with connection.cursor() as cursor:
        cursor.execute("select to_regclass(%s)::text", [f"audit_partitions.audit_logs_{month:%Y_%m}"])
        partition = cursor.fetchone()[0]
    if partition is None:
        raise AuditArchiveRefused(f"the trail has no partition for {label}: no entry was written then", argument=True)
    partial = path.with_name(f"{path.name}.partial")
    committed = False
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            _one_archive_at_a_time(cursor, month, label)
            # Nobody writes into the month until the cut commits; reading it goes on.
            cursor.execute(f"lock table {partition} in share mode")
            entries = _sealed_month(cursor, label, start, end)
            progress(f"{label}: {entries:,} entries; exporting them with their seals to {partial}")
            _write_archive(cursor, partial, month, start, end, entries, progress)
            progress(f"verifying {partial}")
            try:
                archive = read_archive(
                    partial, progress=lambda read: progress(f"verified {read:,} of {entries:,} entries")
                )
            except ArchiveError as problem:
                raise AuditArchiveRefused(f"the export does not verify, nothing was archived: {problem}") from None
            if archive.entries != entries:
                raise AuditArchiveRefused(f"the export holds {archive.entries:,} entries, not {entries:,}")
            _check_links(cursor, label, archive.runs)
            result = ArchiveResult(month, entries, len(archive.runs), archive.sha256, partition, drop, dry_run)
            if dry_run:
                transaction.set_rollback(True)
                return result
            progress(f"recording the cut and {'dropping' if drop else 'detaching'} {partition}")
            _cut(cursor, result, str(path), archive.runs, start, end)
        committed = True
        os.replace(partial, path)
        return result
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) != "55P03":  # lock_not_available
            raise
        raise AuditArchiveRefused(
            f"the trail stayed busy for {CUT_LOCK_TIMEOUT} (a long export?), nothing was archived: run again"
        ) from None
    finally:
        if not committed:
            partial.unlink(missing_ok=True)


def _refuse_the_month(month: datetime.date, label: str, path: Path) -> None:
    if month >= timezone.now().astimezone(datetime.UTC).date().replace(day=1):
        raise AuditArchiveRefused(f"{label} is not over yet (months are UTC): archive a past month", argument=True)
    longest = AuditCut._meta.get_field("archive_name").max_length
    if len(str(path)) > longest:
        raise AuditArchiveRefused(f"--to: a path of at most {longest} characters, not {len(str(path))}", argument=True)
    _refuse_an_archived_month(month, label)
    if path.exists() or Path(f"{path}.partial").exists():
        raise AuditArchiveRefused(f"{path} exists: an archive is never overwritten; name another file", argument=True)
    if not path.parent.is_dir():
        raise AuditArchiveRefused(f"{path.parent} is not a directory", argument=True)


def _one_archive_at_a_time(cursor, month: datetime.date, label: str) -> None:
    """Held until the cut commits; a second archive_audit meanwhile is refused, not queued."""
    try:
        with transaction.atomic():
            cursor.execute("lock table audit_cuts in share row exclusive mode nowait")
    except OperationalError:
        raise AuditArchiveRefused("another archive_audit is running: run again once it is done") from None
    _refuse_an_archived_month(month, label)  # by the one that just ended


def _refuse_an_archived_month(month: datetime.date, label: str) -> None:
    cut = AuditCut.objects.filter(month=month).first()
    if cut is not None:
        raise AuditArchiveRefused(
            f"{label} was archived on {cut.cut_at:%Y-%m-%d} to {cut.archive_name} (sha256 {cut.archive_sha256})",
            argument=True,
        )


def _sealed_month(cursor, label: str, start: datetime.datetime, end: datetime.datetime) -> int:
    """The month's entry count, once each entry is sealed (else refused)."""
    cursor.execute(
        """
        select count(*),
               count(*) filter (where not exists (
                   select from audit_seals seal
                   where seal.audit_log_id = entry.id and seal.occurred_at = entry.occurred_at)),
               (select count(*) from audit_pending pending
                where pending.occurred_at >= %s and pending.occurred_at < %s)
        from audit_logs entry where entry.occurred_at >= %s and entry.occurred_at < %s
        """,
        [start, end, start, end],
    )
    entries, unsealed, pending = cursor.fetchone()
    if pending:
        raise AuditArchiveRefused(f"{pending:,} entries of {label} are not sealed yet: run seal_audit, then again")
    if unsealed:
        raise AuditArchiveRefused(
            f"{unsealed:,} entries of {label} are neither sealed nor waiting to be: verify_audit lists them"
        )
    return entries


# Each of a month's runs of consecutive positions in its chain, with the hash before it and its
# last hash (audit.archive.Run), found from the month's entries.
_MONTH_RUNS = """
    select runs.chain, runs.first, runs.last, first_seal.previous_hash, last_seal.hash
    from (
        select island.chain, min(island.position) as first, max(island.position) as last
        from (
            select seal.chain, seal.position,
                   seal.position - row_number() over (partition by seal.chain order by seal.position) as run
            from audit_logs entry
            join audit_seals seal on seal.audit_log_id = entry.id and seal.occurred_at = entry.occurred_at
            where entry.occurred_at >= %(start)s and entry.occurred_at < %(end)s
        ) island
        group by island.chain, island.run
    ) runs
    join audit_seals first_seal on first_seal.chain = runs.chain and first_seal.position = runs.first
    join audit_seals last_seal on last_seal.chain = runs.chain and last_seal.position = runs.last
    order by runs.chain, runs.first
"""
_ARCHIVE_LINES = f"""
    copy (
        select jsonb_build_object(
            'chain', case when seal.chain = '{INSTALLATION_CHAIN}' then '{INSTALLATION_LABEL}'
                          else seal.chain::text end,
            'position', seal.position,
            'previous_hash', seal.previous_hash,
            'hash', seal.hash,
            'sealed_at', to_char(seal.sealed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
            'content', app_private.audit_entry_content(entry)
        )::text
        from audit_logs entry
        join audit_seals seal on seal.audit_log_id = entry.id and seal.occurred_at = entry.occurred_at
        where entry.occurred_at >= %(start)s and entry.occurred_at < %(end)s
        order by seal.chain, seal.position
    ) to stdout with (format csv, quote e'\\x01', delimiter e'\\x02')
"""


def _write_archive(cursor, path: Path, month, start, end, entries: int, progress) -> None:
    """Header, the entries by COPY (a line each, streamed), then the runs, as the database has
    them; on the disk before it is read back."""
    bounds = {"start": start, "end": end}
    with path.open("wb") as file:
        file.write(header_line(month).encode())
        written = 0
        with cursor.cursor.copy(connection.ops.compose_sql(_ARCHIVE_LINES, bounds)) as copy:
            for line in copy:
                file.write(line)
                written += 1
                if written % PROGRESS_EVERY == 0:
                    progress(f"exported {written:,} of {entries:,} entries")
        cursor.execute(_MONTH_RUNS, bounds)
        runs = [Run(*row) for row in cursor.fetchall()]
        file.write(trailer_line(written, runs).encode())
        file.flush()
        os.fsync(file.fileno())


def _check_links(cursor, label: str, runs: list[Run]) -> None:
    """Each run must follow from the hash before it in the chain (a seal, the end of a run cut
    earlier, or the start) and lead to the seal after it: what is cut joins what stays."""
    cursor.execute(
        """
        select run.chain, run.first, run.last,
               case when run.first = 1 then %s
                    else coalesce((select seal.hash from audit_seals seal
                                   where seal.chain = run.chain and seal.position = run.first - 1),
                                  (select cut.last_hash from audit_cut_runs cut
                                   where cut.chain = run.chain and cut.last_position = run.first - 1)) end,
               (select seal.previous_hash from audit_seals seal
                where seal.chain = run.chain and seal.position = run.last + 1)
        from unnest(%s::uuid[], %s::bigint[], %s::bigint[]) run (chain, first, last)
        """,
        [GENESIS_HASH, [run.chain for run in runs], [run.first for run in runs], [run.last for run in runs]],
    )
    for (chain, first, last, before, after), run in zip(cursor.fetchall(), runs, strict=True):
        if before != run.previous_hash:
            raise AuditArchiveRefused(
                f"the chain of {chain_label(chain)} is broken before position {first}, where {label} starts a run: "
                "verify_audit says where; nothing was archived"
            )
        if after is not None and after != run.last_hash:
            raise AuditArchiveRefused(
                f"the chain of {chain_label(chain)} is broken after position {last}, where a run of {label} ends: "
                "verify_audit says where; nothing was archived"
            )


def _cut(cursor, result: ArchiveResult, archive_name: str, runs: list[Run], start, end) -> None:
    cursor.execute(
        "insert into audit_cuts (month, entries, archive_name, archive_sha256, dropped) values (%s, %s, %s, %s, %s)",
        [result.month, result.entries, archive_name, result.sha256, result.dropped],
    )
    cursor.execute(
        """
        insert into audit_cut_runs (chain, first_position, last_position, last_hash, month)
        select chain, first, last, last_hash, %s from unnest(%s::uuid[], %s::bigint[], %s::bigint[], %s::text[])
            run (chain, first, last, last_hash)
        """,
        [result.month, *([getattr(run, name) for run in runs] for name in ("chain", "first", "last", "last_hash"))],
    )
    cursor.execute(
        """
        delete from audit_seals seal using audit_logs entry
        where seal.audit_log_id = entry.id and seal.occurred_at = entry.occurred_at
          and entry.occurred_at >= %s and entry.occurred_at < %s
        """,
        [start, end],
    )
    audit_record(
        action=AuditAction.AUDIT_ARCHIVED,
        entity_type="audit_month",
        entity_id=month_label(result.month),
        source=AuditSource.COMMAND,
        actor=Actor.system("archive_audit"),
        new_values={
            "month": month_label(result.month),
            "entries": result.entries,
            "runs": len(runs),
            "archive": archive_name,
            "sha256": result.sha256,
            "partition": result.partition,
            "dropped": result.dropped,
        },
    )
    cursor.execute(f"set local lock_timeout = '{CUT_LOCK_TIMEOUT}'")
    if result.dropped:
        cursor.execute(f"drop table {result.partition}")
    else:
        cursor.execute(f"alter table audit_logs detach partition {result.partition}")
        # kept as written until someone drops it: detaching took the trail's triggers with it
        cursor.execute(
            f"create trigger audit_logs_append_only before update or delete on {result.partition}"
            " for each row execute function app_private.refuse_audit_change()"
        )


class AuditExport:
    """An export on its way out: iterate for its chunks (or hand it to a StreamingHttpResponse).

    Pending entries are sealed first, so that what is exported is part of the verified chain.
    However the reading ends, the export itself is recorded: who, with which filters, how many
    rows the reader took (`rows`), and whether it read to the end. When it did not, the entry's
    reason says why; when the database connection was lost, on a fresh connection.
    """

    def __init__(
        self,
        *,
        queryset: QuerySet,
        export_format: str,
        actor: Actor,
        filters: dict,
        source: str,
        context: RequestContext | None = None,
    ):
        self._stream = ExportStream(export_copy_sql(queryset, export_format), header=export_format == "csv")
        self._record = {
            "actor": actor,
            "source": source,
            "organization_id": filters.get("organization_id"),
            "context": context or current_request_context(),
        }
        self._described = {"filters": filters, "format": export_format}
        self._chunks = self._recorded_chunks()
        self.recorded = False  # True once the export's own entry is written

    @property
    def rows(self) -> int:
        return self._stream.rows

    def __iter__(self) -> Iterator[bytes]:
        return self._chunks

    def close(self) -> None:
        """Stop early (the reader went away): the export is recorded as not read to the end."""
        self._chunks.close()

    def _recorded_chunks(self) -> Iterator[bytes]:
        stopped = None
        try:
            audit_seal()
            yield from self._stream.chunks()
        except BaseException as interruption:  # the reader went away, Ctrl-C, the connection lost
            stopped = interruption
            raise
        finally:
            _reconnect_if_lost()
            with transaction.atomic():
                audit_record(
                    action=AuditAction.AUDIT_EXPORTED,
                    entity_type="audit_log",
                    entity_id="",
                    new_values={**self._described, "rows": self.rows, "completed": stopped is None},
                    reason="" if stopped is None else f"not read to the end: {_why_stopped(stopped)}",
                    **self._record,
                )
            self.recorded = True


def audit_export(
    *,
    queryset: QuerySet,
    export_format: str,
    actor: Actor,
    filters: dict,
    source: str,
    context: RequestContext | None = None,
) -> AuditExport:
    """Stream `queryset`'s entries as CSV or JSON Lines, recording the export (see AuditExport).
    An unknown format is refused here, before any output."""
    return AuditExport(
        queryset=queryset, export_format=export_format, actor=actor, filters=filters, source=source, context=context
    )


def _why_stopped(interruption: BaseException) -> str:
    if isinstance(interruption, GeneratorExit):
        return "the reader stopped"
    if isinstance(interruption, KeyboardInterrupt):
        return "interrupted (Ctrl-C)"
    cause = str(interruption).strip().split("\n", 1)[0]
    if isinstance(interruption, DatabaseError):
        return f"the database failed ({cause})"
    return f"{type(interruption).__name__}: {cause}"


def _reconnect_if_lost() -> None:
    """A connection the server closed (or that the network lost) is dropped: the next query opens
    a fresh one."""
    raw = connection.connection
    if raw is not None and (raw.closed or raw.broken):
        connection.close()
