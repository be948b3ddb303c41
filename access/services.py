"""Writes: making the database's grants, RLS and policies equal to the declaration."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import DatabaseError, connection, transaction

from access.planning import (
    AccessConfigurationError,
    Change,
    OthersDefaultPrivileges,
    others_default_privileges,
    plan_changes,
    policy_comment,
)
from access.registry import collect_declarations
from access.selectors import read_live_state, read_policy
from audit.models import AuditAction, AuditSource
from audit.services import Actor, audit_record
from config.access_declaration import Policy

INSUFFICIENT_PRIVILEGE = "42501"


@dataclass(frozen=True)
class SyncResult:
    changes: list[Change]
    applied: bool
    # Reported, never changed: other roles' default privileges that open their new objects.
    others_defaults: list[OthersDefaultPrivileges] = field(default_factory=list)


def grants_plan() -> list[Change]:
    """What `grants_sync` would change, without changing anything."""
    return plan_changes(collect_declarations(), read_live_state())


def grants_sync(*, apply: bool, actor: Actor | None = None, source: str = AuditSource.COMMAND) -> SyncResult:
    """Plan, and with `apply` carry out, every change in one transaction, recorded in the audit
    trail; then ask PostgREST to reload its schema cache so that the API sees the grants at once."""
    with transaction.atomic():
        live = read_live_state()
        changes = plan_changes(collect_declarations(), live)
        others_defaults = others_default_privileges(live)
        if not apply or not changes:
            return SyncResult(changes=changes, applied=False, others_defaults=others_defaults)
        with connection.cursor() as cursor:
            for change in changes:
                _execute(cursor, change)
            cursor.execute("NOTIFY pgrst, 'reload schema'")
        audit_record(
            action=AuditAction.GRANTS_SYNCED,
            entity_type="database",
            entity_id=connection.settings_dict["NAME"],
            source=source,
            actor=actor or Actor.system("sync_grants"),
            new_values={"changes": len(changes), "statements": [change.sql for change in changes]},
        )
    return SyncResult(changes=changes, applied=True, others_defaults=others_defaults)


def _execute(cursor, change: Change) -> None:
    try:
        cursor.execute(change.sql)
        if change.policy is not None:
            _record_policy_fingerprint(cursor, *change.policy)
    except DatabaseError as error:
        if getattr(error.__cause__, "sqlstate", None) == INSUFFICIENT_PRIVILEGE:
            raise AccessConfigurationError(
                [
                    f"no permission to run `{change.sql}` ({str(error).strip()}): run sync_grants as the "
                    "role that owns the app's tables (the one that runs migrations)"
                ]
            ) from error
        raise


def _record_policy_fingerprint(cursor, table: str, policy: Policy) -> None:
    live_policy = read_policy(table, policy.name)
    comment = policy_comment(policy.fingerprint(table), live_policy.definition_hash)
    cursor.execute(f'COMMENT ON POLICY "{policy.name}" ON {table} IS %s', [comment])
