"""Writes to the audit trail: recording entries, sealing them into the hash chain, exporting."""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, transaction
from django.db.models import Model, QuerySet

from audit.context import RequestContext, current_request_context
from audit.models import ActorType, AuditAction
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
    so sealing takes time in proportion to the backlog. The month partitions ahead are seen to
    first (audit_partitions_ensure).
    """
    audit_partitions_ensure()
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
    `months`, and those of entries waiting in the default partition. Returns how many it made."""
    with connection.cursor() as cursor:
        cursor.execute("select app_private.audit_partitions_ensure(%s::date[])", [list(months)])
        return cursor.fetchone()[0]


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
