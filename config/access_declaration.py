"""The vocabulary of the access declaration.

Each app declares, in its `db_access.py`, what the Supabase roles may do with its tables, views
and SQL functions (`DECLARATIONS = [...]`). `sync_grants` makes the database equal to the sum of
those declarations; `db_doctor` reports where it is not. The vocabulary is the project's, not the
access app's, so that every app declares its grants without importing the app that applies them.

Rules for what is not declared:
- a table or view is private: nothing for `anon` and `authenticated`, RLS on, and the
  server-side role `service_role` may read and write it (so it never meets 42501);
- a closed table (Django's own) is private to `service_role` too;
- a function may be executed by `service_role` only;
- new objects start that way too: `migrate` makes the migrating role's default privileges private
  and turns RLS on in each migration's transaction (access/born_private.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

ANON = "anon"
AUTHENTICATED = "authenticated"
SERVICE_ROLE = "service_role"
SUPABASE_ROLES = (ANON, AUTHENTICATED, SERVICE_ROLE)
# PUBLIC is every role; the declaration never grants it anything, so sync revokes what it holds.
PUBLIC = "PUBLIC"

SELECT, INSERT, UPDATE, DELETE = "SELECT", "INSERT", "UPDATE", "DELETE"
# Every privilege a table can carry; what the declaration does not grant is revoked.
TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
READ_WRITE = frozenset({SELECT, INSERT, UPDATE, DELETE})
READ_ONLY = frozenset({SELECT})
APPEND_ONLY = frozenset({SELECT, INSERT})

# Schemas PostgREST exposes (its `db-schemas`), and the one it must never expose, which holds
# the claim helpers and the privileged bodies of SECURITY DEFINER functions.
EXPOSED_SCHEMAS = ("public",)
PRIVATE_SCHEMA = "app_private"

# Claim helpers for policies, always wrapped in a scalar subquery so PostgreSQL evaluates them
# once per statement (an InitPlan) rather than once per row.
CURRENT_ORGANIZATION = f"(select {PRIVATE_SCHEMA}.jwt_organization_id())"
CURRENT_MEMBER = f"(select {PRIVATE_SCHEMA}.current_member_id())"
SAME_ORGANIZATION = f"organization_id = {CURRENT_ORGANIZATION}"
OWN_ROWS = f"member_id = {CURRENT_MEMBER} and {SAME_ORGANIZATION}"


@dataclass(frozen=True)
class Policy:
    """A permissive RLS policy, named without the table (sync prefixes nothing)."""

    name: str
    action: str  # SELECT, INSERT, UPDATE, DELETE or ALL
    using: str = ""
    with_check: str = ""
    roles: tuple[str, ...] = (AUTHENTICATED,)

    def create_sql(self, qualified_table: str) -> str:
        sql = f'CREATE POLICY "{self.name}" ON {qualified_table} AS PERMISSIVE FOR {self.action}'
        sql += f" TO {', '.join(self.roles)}"
        if self.using:
            sql += f" USING ({self.using})"
        if self.with_check:
            sql += f" WITH CHECK ({self.with_check})"
        return sql

    def fingerprint(self, qualified_table: str) -> str:
        return hashlib.sha256(self.create_sql(qualified_table).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Table:
    """What each Supabase role may do with one table (or view).

    `grants`: role -> privileges on the whole table. `column_grants`: role -> privilege ->
    columns, for privileges that hold only on some columns (a member may insert a booking but
    not its `capacity_override`). `service_role` gets READ_WRITE unless `grants` says otherwise.
    """

    name: str
    grants: dict[str, frozenset[str]] = field(default_factory=dict)
    column_grants: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    policies: tuple[Policy, ...] = ()
    schema: str = "public"

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"

    def privileges_of(self, role: str) -> frozenset[str]:
        if role == SERVICE_ROLE and SERVICE_ROLE not in self.grants:
            return READ_WRITE
        return self.grants.get(role, frozenset())

    def column_privileges_of(self, role: str) -> dict[str, tuple[str, ...]]:
        return self.column_grants.get(role, {})


@dataclass(frozen=True)
class Function:
    """Who may EXECUTE one SQL function; `signature` as `schema.name(argtype, …)`."""

    signature: str
    execute: frozenset[str] = frozenset({SERVICE_ROLE})


@dataclass(frozen=True)
class Schema:
    """Who may use (see into) a schema."""

    name: str
    usage: frozenset[str]


def closed_table(name: str) -> Table:
    """A table no API role may touch, `service_role` included: only the app's own connection
    (the role that runs migrations) reads it. For Django's tables: password hashes, sessions,
    API tokens, the admin log."""
    return Table(name, grants={SERVICE_ROLE: frozenset()})


def organization_table(name: str) -> Table:
    """A table members read within their own organization (schedules, facilities…)."""
    return Table(
        name,
        grants={AUTHENTICATED: READ_ONLY},
        policies=(Policy("members read their organization's rows", SELECT, using=SAME_ORGANIZATION),),
    )


def own_rows_table(name: str) -> Table:
    """A table whose rows belong to one member, who alone may read them."""
    return Table(
        name,
        grants={AUTHENTICATED: READ_ONLY},
        policies=(Policy("members read their own rows", SELECT, using=OWN_ROWS),),
    )
