"""Reads of the audit trail: the filters managers use, exports as COPY streams, chain verification."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from audit.chain import GENESIS_HASH, ChainHead
from audit.models import INSTALLATION_CHAIN, AuditLog, AuditPending
from clubs import localtime
from clubs.models import Branch

EXPORT_FORMATS = ("csv", "jsonl")
EXPORT_CHUNK_BYTES = 256 * 1024
VERIFY_BATCH = 10_000
# The days a period of the trail may name: no club's trail is older, and a later day is a typo.
AUDIT_FIRST_DAY = datetime.date(2000, 1, 1)
AUDIT_LAST_DAY = datetime.date(2999, 12, 31)
# The entries' columns, exported in order. Times are ISO 8601 in UTC whatever the session's zone.
EXPORT_COLUMNS = [
    "occurred_at", "id", "organization_id", "branch_id", "member_id", "actor_type", "actor_id", "actor_label",
    "action", "entity_type", "entity_id", "old_values", "new_values", "reason", "source", "request_id",
    "ip_address", "user_agent",
]  # fmt: skip
# For people, after occurred_at: the same instant on its branch's clock (the installation's
# TIME_ZONE for entries of no branch), labelled with the zone: "2026-12-01 13:00:00 EST".
LOCAL_TIME_COLUMN = "occurred_at_local"
_UTC_ISO = """to_char(entries.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""
# A zone's label by offset is sampled over this many days either side of today (clubs.localtime's
# labels); an offset outside them, from a past rule of the zone, is spelled out (UTC-3).
_LABEL_SAMPLE_DAYS = 366
_LOCAL_TIME = """
    to_char(here.wall, 'YYYY-MM-DD HH24:MI:SS') || ' ' || coalesce(zone_labels.label,
        'UTC' || case when here.offset_seconds < 0 then '-' else '+' end || abs(here.offset_seconds) / 3600
        || case when mod(abs(here.offset_seconds), 3600) = 0 then ''
                else ':' || lpad((mod(abs(here.offset_seconds), 3600) / 60)::text, 2, '0') end)
"""
# A spreadsheet runs a cell that starts with = + - @ tab or CR as a formula; a leading quote
# defuses it. Compared as character codes: ascii() reads the first character without copying.
_FORMULA_START_CODES = "61, 43, 45, 64, 9, 13"
# Columns that hold free text (names, reasons, headers a client sent). The others are uuids,
# times, addresses and codes the database constrains, which cannot start a formula.
_FREE_TEXT_COLUMNS = {"actor_id", "actor_label", "entity_id", "reason", "request_id", "user_agent"}
# JSON text starts with { [ " a digit or a letter, or - for a negative number: only that needs care.
_JSON_COLUMNS = {"old_values", "new_values"}


def filter_entries(
    queryset: QuerySet,
    *,
    start: datetime.datetime | None = None,
    end: datetime.datetime | None = None,
    organization_id: uuid.UUID | None = None,
    action: str | None = None,
    actor_type: str | None = None,
    actor_id: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    member_id: uuid.UUID | None = None,
    branch_id: uuid.UUID | None = None,
) -> QuerySet:
    """The one definition of each audit filter, used by the admin's filters and by export_audit.
    Selective criteria (organization, action, actor, entity id, member) hit an index that also
    serves the newest-first order; entity type and branch, shared by many entries, ride on the
    time index: fewer indexes keep every change's entry cheap to write."""
    criteria = {
        "occurred_at__gte": start,
        "occurred_at__lt": end,
        "organization_id": organization_id,
        "action": action,
        "actor_type": actor_type,
        "actor_id": actor_id,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "member_id": member_id,
        "branch_id": branch_id,
    }
    return queryset.filter(**{key: value for key, value in criteria.items() if value not in (None, "")})


def audit_entries(**criteria) -> QuerySet:
    return filter_entries(AuditLog.objects.all(), **criteria)


def _csv_cell(column: str) -> str:
    if column == "occurred_at":
        return f"{_UTC_ISO} as occurred_at, {_LOCAL_TIME} as {LOCAL_TIME_COLUMN}"
    value = f"entries.{column}"
    if column in _FREE_TEXT_COLUMNS:
        starts_a_formula = f"ascii({value}) in ({_FORMULA_START_CODES})"
        return f"case when {starts_a_formula} then '''' || {value} else {value} end as {column}"
    if column in _JSON_COLUMNS:
        negative = f"jsonb_typeof({value}) = 'number' and ascii({value}::text) = 45"
        return f"case when {negative} then '''' || {value}::text else {value}::text end as {column}"
    return f"{value}::text"


def _jsonl_line() -> str:
    values = {column: _UTC_ISO if column == "occurred_at" else f"entries.{column}" for column in EXPORT_COLUMNS}
    values[LOCAL_TIME_COLUMN] = _LOCAL_TIME
    pairs = ", ".join(f"'{name}', {value}" for name, value in values.items())
    return f"jsonb_build_object({pairs})::text"


def export_copy_sql(queryset: QuerySet, export_format: str) -> str:
    """A COPY statement streaming exactly `queryset`'s rows, oldest first, in `export_format`.

    COPY runs in the server and streams: the export process holds one chunk at a time, whatever
    the number of rows. JSON Lines rides on CSV with a quote and delimiter that JSON text never
    contains raw, so each line is the JSON object as written.
    """
    if export_format not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {export_format!r}; choose one of {', '.join(EXPORT_FORMATS)}")
    inner_sql, params = queryset.order_by().values(*EXPORT_COLUMNS).query.sql_with_params()
    inner = connection.ops.compose_sql(inner_sql, params)
    if export_format == "csv":
        select = ", ".join(_csv_cell(column) for column in EXPORT_COLUMNS)
        options = "format csv, header"
    else:
        select = _jsonl_line()
        options = "format csv, quote e'\\x01', delimiter e'\\x02'"
    labels = ", ".join(f"({_literal(zone)}, {offset}, {_literal(label)})" for zone, offset, label in _zone_labels())
    ordered = f"""
        select {select}
        from ({inner}) entries
        left join branches branch on branch.id = entries.branch_id
        cross join lateral (select coalesce(branch.time_zone, {_literal(settings.TIME_ZONE)}) as zone) chosen
        cross join lateral (
            select entries.occurred_at at time zone chosen.zone as wall,
                   extract(epoch from (entries.occurred_at at time zone chosen.zone)
                                      - (entries.occurred_at at time zone 'UTC'))::int as offset_seconds
        ) here
        left join (values {labels}) zone_labels (zone, offset_seconds, label)
            on zone_labels.zone = chosen.zone and zone_labels.offset_seconds = here.offset_seconds
        order by entries.occurred_at, entries.id
    """
    return f"copy ({ordered}) to stdout with ({options})"


def _zone_labels() -> list[tuple[str, int, str]]:
    """(zone, UTC offset in seconds, label) for the installation's zone and every branch's, as
    clubs.localtime labels them (EST, EDT, UTC+13:45), so the export reads like the screens."""
    zones = {settings.TIME_ZONE, *Branch.objects.values_list("time_zone", flat=True).distinct()}
    now = timezone.now()
    labels = {}
    for zone in sorted(zones):
        for days in range(-_LABEL_SAMPLE_DAYS, _LABEL_SAMPLE_DAYS + 1):
            local = localtime.at(now + datetime.timedelta(days=days), zone)
            labels.setdefault((zone, int(local.utcoffset().total_seconds())), localtime.zone_label(local))
    return [(zone, offset, label) for (zone, offset), label in labels.items()]


def _literal(value: str) -> str:
    return connection.ops.compose_sql("%s", [value])


@dataclass
class ExportStream:
    """Chunks of an export. `rows` counts the rows in the chunks the reader has taken: all of
    them once it has read to the end, those written so far when it stopped early."""

    copy_sql: str
    header: bool = False  # CSV's first line names the columns: not a row
    rows: int = 0

    def chunks(self) -> Iterator[bytes]:
        buffer, buffered_rows = bytearray(), -1 if self.header else 0
        # Errors as Django's own, so that the connection is known to be broken afterwards.
        with connection.cursor() as cursor, connection.wrap_database_errors:
            with cursor.cursor.copy(self.copy_sql) as copy:
                for data in copy:  # one row (or the header line) at a time
                    buffer += data
                    buffered_rows += 1
                    if len(buffer) >= EXPORT_CHUNK_BYTES:
                        yield bytes(buffer)
                        self.rows += buffered_rows  # the reader came back for more: it took those
                        buffer.clear()
                        buffered_rows = 0
        if buffer:
            yield bytes(buffer)
            self.rows += buffered_rows


@dataclass
class ChainReport:
    chain: uuid.UUID
    verified: int = 0
    unsealed: int = 0
    broken_at: int | None = None  # position of the first broken entry
    broken_entry: str | None = None
    problem: str = ""
    # Entries neither sealed nor queued for sealing (id, time): nothing proves them unchanged.
    unqueued: list[tuple[uuid.UUID, datetime.datetime]] = field(default_factory=list)
    # Positions cut away with archived months (their archives prove them), and the published heads
    # among them that only an archive can check.
    archived: int = 0
    archived_heads: int = 0

    @property
    def intact(self) -> bool:
        return self.broken_at is None and not self.unqueued


@dataclass
class VerifyReport:
    chains: list[ChainReport] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return all(chain.intact for chain in self.chains)

    @property
    def unsealed(self) -> int:
        return sum(chain.unsealed for chain in self.chains)


def audit_verify(
    *,
    organization_id: uuid.UUID | None = None,
    start: datetime.datetime | None = None,
    end: datetime.datetime | None = None,
    published: Sequence[ChainHead] = (),
) -> VerifyReport:
    """Recompute each chain (or one organization's) from its seals and entries, in order.

    With a period, the positions from the first to the last entry in it are checked, starting
    from the hash recorded before the first one. Reports the first broken entry of each chain:
    an edited entry (its hash differs), a deleted one (a position is missing), reordered ones
    (a previous hash does not match); and every entry that is neither sealed nor queued, which
    nothing would ever seal.
    """
    unqueued = _unqueued_entries(organization_id, start, end)
    published = [head for head in published if organization_id in (None, head.chain)]
    if organization_id:
        chains = [organization_id]
    else:
        chains = sorted(set(_chains()) | unqueued.keys() | {head.chain for head in published})
    report = VerifyReport()
    for chain in chains:
        chain_report = ChainReport(chain=chain, unqueued=unqueued.get(chain, []))
        chain_report.unsealed = AuditPending.objects.filter(chain=chain).count()
        cut_runs = _cut_runs(chain)
        chain_report.archived = sum(run.last - run.first + 1 for run in cut_runs.values())
        first, last = _position_range(chain, start, end)
        if first is not None:
            _verify_positions(chain_report, first, last, cut_runs)
        if chain_report.broken_at is None:
            _compare_with_published(chain_report, [head for head in published if head.chain == chain], cut_runs)
        report.chains.append(chain_report)
    return report


@dataclass(frozen=True)
class CutRun:
    """Positions first..last of a chain, cut away with an archived month; last_hash is the hash the
    chain's next position follows."""

    first: int
    last: int
    last_hash: str


def _cut_runs(chain: uuid.UUID) -> dict[int, CutRun]:
    """The chain's runs cut with archived months, by first position: a few per month cut."""
    with connection.cursor() as cursor:
        cursor.execute("select first_position, last_position, last_hash from audit_cut_runs where chain = %s", [chain])
        return {first: CutRun(first, last, last_hash) for first, last, last_hash in cursor.fetchall()}


def _compare_with_published(report: ChainReport, published: list[ChainHead], cut_runs: dict[int, CutRun]) -> None:
    """The chain, recomputed and consistent, must still hold every head published for it: the
    hash at a published position commits to every entry up to it. A head at the end of a run cut
    with an archived month is checked against the hash kept for it; one inside such a run only its
    archive can check (the heads after it still vouch for it)."""
    if not published:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "select position, hash from audit_seals where chain = %s and position = any(%s)",
            [report.chain, sorted({head.position for head in published})],
        )
        current = dict(cursor.fetchall())
    for run in cut_runs.values():
        current.setdefault(run.last, run.last_hash)
    last_matching = 0
    for head in sorted(published, key=lambda head: head.position):
        now = current.get(head.position)
        if now == head.hash:
            last_matching = head.position
            continue
        if now is None and any(run.first <= head.position < run.last for run in cut_runs.values()):
            report.archived_heads += 1
            continue
        published_head = f"the head published for it (hash {head.hash[:16]}…, sealed {head.sealed_at.isoformat()})"
        where = f"somewhere in positions {last_matching + 1}-{head.position}"
        if now is None:
            problem = f"{published_head} is gone, that position no longer exists: history up to it was deleted, {where}"
        else:
            problem = (
                f"{published_head} no longer matches: history up to it was rewritten and resealed, {where} "
                f"(its hash is now {now[:16]}…)"
            )
        # Only what a published head still vouches for is proven.
        report.broken_at, report.problem, report.verified = head.position, problem, last_matching
        return


def _chains() -> list[uuid.UUID]:
    with connection.cursor() as cursor:
        cursor.execute(
            "select chain from audit_seals union select chain from audit_pending"
            " union select chain from audit_cut_runs order by 1"
        )
        return [chain for (chain,) in cursor.fetchall()]


def _unqueued_entries(organization_id, start, end) -> dict[uuid.UUID, list[tuple[uuid.UUID, datetime.datetime]]]:
    """Entries in no seal and not in the queue, by chain, oldest first. One statement, so an entry
    moving from the queue to its seal meanwhile is seen in one place or the other."""
    chain = f"coalesce(entry.organization_id, '{INSTALLATION_CHAIN}'::uuid)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            select {chain}, entry.id, entry.occurred_at
            from audit_logs entry
            where (%s::uuid is null or {chain} = %s)
              and (%s::timestamptz is null or entry.occurred_at >= %s)
              and (%s::timestamptz is null or entry.occurred_at < %s)
              and not exists (select from audit_seals seal
                              where seal.audit_log_id = entry.id and seal.occurred_at = entry.occurred_at)
              and not exists (select from audit_pending pending
                              where pending.audit_log_id = entry.id and pending.occurred_at = entry.occurred_at)
            order by 1, entry.occurred_at, entry.id
            """,
            [organization_id, organization_id, start, start, end, end],
        )
        found: dict[uuid.UUID, list] = {}
        for chain_id, entry_id, occurred_at in cursor.fetchall():
            found.setdefault(chain_id, []).append((entry_id, occurred_at))
    return found


def _position_range(chain, start, end) -> tuple[int | None, int | None]:
    if start is None and end is None:
        # The whole chain, by its seals alone: a seal whose entry is gone is a position to report,
        # not one to leave out.
        last = _last_position(chain)
        return (1, last) if last is not None else (None, None)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            select min(seal.position), max(seal.position)
            from audit_seals seal
            join audit_logs entry on entry.id = seal.audit_log_id and entry.occurred_at = seal.occurred_at
            where seal.chain = %s
              and (%s::timestamptz is null or entry.occurred_at >= %s)
              and (%s::timestamptz is null or entry.occurred_at < %s)
            """,
            [chain, start, start, end, end],
        )
        return cursor.fetchone()


def _last_position(chain) -> int:
    with connection.cursor() as cursor:
        cursor.execute("select max(position) from audit_seals where chain = %s", [chain])
        return cursor.fetchone()[0]


# One window of a chain's seals from a position on, checked in the database: each seal against
# the one before it (or, for the window's first, the position and hash expected), its entry
# found, and its hash recomputed from its entry (sha256 of the previous hash and the content, as
# seal_audit made it). Returns the first seal with a problem, else the window's last seal, with
# its number in the window and what was expected of it.
_CHECK_WINDOW = """
    select position, audit_log_id::text, problem, hash, n, expected_position, expected_previous
    from (
        select seal.position, seal.audit_log_id, seal.hash,
               row_number() over in_order as n,
               row_number() over in_order = count(*) over () as last_in_window,
               coalesce(lag(seal.position) over in_order + 1, %(position)s) as expected_position,
               coalesce(lag(seal.hash) over in_order, %(previous)s) as expected_previous,
               case
                   when seal.position <> coalesce(lag(seal.position) over in_order + 1, %(position)s) then 'gap'
                   when seal.previous_hash <> coalesce(lag(seal.hash) over in_order, %(previous)s) then 'previous'
                   when entry.content is null then 'missing'
                   when encode(sha256(convert_to(seal.previous_hash || entry.content, 'UTF8')), 'hex') <> seal.hash
                       then 'content'
               end as problem
        from (
            select * from audit_seals
            where chain = %(chain)s and position >= %(position)s and position <= %(last)s
            order by position
            limit %(limit)s
        ) seal
        -- each entry by its key in its month's partition (LIMIT keeps it a lookup, never a scan)
        left join lateral (
            select app_private.audit_entry_content(logged) as content
            from audit_logs logged
            where logged.id = seal.audit_log_id and logged.occurred_at = seal.occurred_at
            limit 1
        ) entry on true
        window in_order as (order by seal.position)
    ) checked
    where problem is not null or last_in_window
    order by position
    limit 1
"""
_PROBLEMS = {
    "previous": "its previous hash does not match: entries were reordered or removed",
    "missing": "the entry is missing",
    "content": "its content changed after it was sealed",
}


def _verify_positions(report: ChainReport, first: int, last: int, cut_runs: dict[int, CutRun]) -> None:
    """Positions first..last of the chain, a window at a time; positions cut away with archived
    months are stepped over by their runs, from whose last hash the chain goes on."""
    position, previous = first, GENESIS_HASH if first == 1 else None  # a period starts from its first seal's
    with connection.cursor() as cursor:
        while position <= last:
            parameters = {"chain": report.chain, "position": position, "previous": previous}
            cursor.execute(_CHECK_WINDOW, {**parameters, "last": last, "limit": VERIFY_BATCH})
            row = cursor.fetchone()
            if row is None:
                report.broken_at, report.problem = position, "seals are missing from here on"
                return
            found, entry_id, problem, found_hash, n, expected, expected_previous = row
            report.verified += n - 1 if problem else n
            if problem == "gap":
                position, previous = expected, expected_previous
                while position < found and position in cut_runs:
                    run = cut_runs[position]
                    position, previous = run.last + 1, run.last_hash
                if position != found:
                    report.broken_at, report.problem = position, f"position {position} is missing: an entry was deleted"
                    return
                continue  # the seal found is checked first in the next window, after the runs
            if problem:
                report.broken_at, report.broken_entry, report.problem = found, entry_id, _PROBLEMS[problem]
                return
            position, previous = found + 1, found_hash


def chain_heads() -> list[ChainHead]:
    """Each chain's last seal. The chains are found by skipping along the (chain, position)
    index, one probe per chain, rather than by reading every seal."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            with recursive chains (chain) as (
                (select chain from audit_seals order by chain limit 1)
                union all
                select (select seal.chain from audit_seals seal where seal.chain > chains.chain
                        order by seal.chain limit 1)
                from chains where chains.chain is not null
            )
            select head.chain, head.position, head.hash, head.sealed_at
            from chains cross join lateral (
                select chain, position, hash, sealed_at from audit_seals seal
                where seal.chain = chains.chain order by seal.position desc limit 1
            ) head
            order by head.chain
            """
        )
        return [ChainHead(*row) for row in cursor.fetchall()]
