"""Writes to the audit trail: recording entries, sealing them into the hash chain, exporting."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, transaction
from django.db.models import Model, QuerySet

from audit.chain import GENESIS_HASH, chain_hash
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


def audit_seal(*, batch_size: int = SEAL_BATCH) -> SealResult:
    """Chain every committed, unsealed entry onto the end of its organization's chain.

    Writers never wait for this: entries are inserted freely and queued; sealing takes the
    queue in order, one chain at a time under an advisory lock, so concurrent sealers (cron on
    two hosts, a verify and an export) neither fail nor fork the chain.
    """
    with connection.cursor() as cursor:
        cursor.execute("select distinct chain from audit_pending")
        chains = [chain for (chain,) in cursor.fetchall()]
    sealed = 0
    for chain in chains:
        while True:
            taken, count = _seal_batch(chain, batch_size)
            sealed += count
            if taken < batch_size:
                break
    return SealResult(sealed=sealed, chains=len(chains))


@transaction.atomic
def _seal_batch(chain: uuid.UUID, batch_size: int) -> tuple[int, int]:
    """Seal the chain's next queued entries: (rows taken off the queue, entries sealed)."""
    with connection.cursor() as cursor:
        # serialises sealers of one chain across processes and hosts (the lock space 'audit_seal')
        cursor.execute("select app_private.take_lock('audit_seal', %s::text)", [chain])
        cursor.execute(
            "select position, hash from audit_seals where chain = %s order by position desc limit 1", [chain]
        )
        last = cursor.fetchone()
        position, previous_hash = last if last else (0, GENESIS_HASH)
        # Only the queue trigger's rows are sure to be true; service_role may add others (the
        # queue is append-only to it). A row whose entry is already sealed, or does not exist, is
        # taken off the queue unsealed: an entry and its queue row commit together, so no real
        # entry is ever dropped.
        cursor.execute(
            """
            select pending.audit_log_id,
                   case when entry.id is not null then app_private.audit_entry_content(entry) end,
                   exists (select from audit_seals seal where seal.audit_log_id = pending.audit_log_id)
            from audit_pending pending left join audit_logs entry on entry.id = pending.audit_log_id
            where pending.chain = %s
            order by pending.occurred_at, pending.audit_log_id
            limit %s
            """,
            [chain, batch_size],
        )
        rows = cursor.fetchall()
        if not rows:
            return 0, 0
        ids, positions, previous_hashes, hashes = [], [], [], []
        for entry_id, content, already_sealed in rows:
            if content is None or already_sealed:
                continue
            position += 1
            current = chain_hash(previous_hash, content)
            ids.append(entry_id)
            positions.append(position)
            previous_hashes.append(previous_hash)
            hashes.append(current)
            previous_hash = current
        cursor.execute(
            """
            insert into audit_seals (audit_log_id, chain, position, previous_hash, hash)
            select entry_id, %s, position, previous_hash, hash
            from unnest(%s::uuid[], %s::bigint[], %s::text[], %s::text[])
                as sealed(entry_id, position, previous_hash, hash)
            """,
            [chain, ids, positions, previous_hashes, hashes],
        )
        cursor.execute("delete from audit_pending where audit_log_id = any(%s::uuid[])", [[row[0] for row in rows]])
    return len(rows), len(ids)


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
