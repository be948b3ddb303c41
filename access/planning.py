"""Compares the declaration with the live database and plans the statements that make them equal."""

from __future__ import annotations

from dataclasses import dataclass

from access.registry import Declaration
from access.selectors import DEFAULT_ACL_OBJECTS, LiveState, resolve_function
from config.access_declaration import (
    EXPOSED_SCHEMAS,
    PRIVATE_SCHEMA,
    PUBLIC,
    READ_WRITE,
    SERVICE_ROLE,
    SUPABASE_ROLES,
    TABLE_PRIVILEGES,
    Policy,
    Table,
)

MANAGED_GRANTEES = (*SUPABASE_ROLES, PUBLIC)
SEQUENCE_PRIVILEGES = ("USAGE", "SELECT", "UPDATE")
SERVER_SIDE_SEQUENCE = frozenset({"USAGE", "SELECT"})
# What a new object grants by default in a managed schema: private, but reachable server-side.
DEFAULT_PRIVILEGES = {
    "r": {SERVICE_ROLE: set(READ_WRITE)},
    "S": {SERVICE_ROLE: set(SERVER_SIDE_SEQUENCE)},
    "f": {SERVICE_ROLE: {"EXECUTE"}},
}
POLICY_COMMENT_PREFIX = "sync_grants"


class AccessConfigurationError(Exception):
    """The declaration cannot be applied to this database; `problems` says why, one line each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True)
class Change:
    kind: str  # schema, rls, revoke, grant, policy, default
    target: str
    sql: str
    # For CREATE POLICY: the policy, so that applying it can record its fingerprint.
    policy: tuple[str, Policy] | None = None

    def as_dict(self) -> dict:
        return {"kind": self.kind, "target": self.target, "sql": self.sql}


def plan_changes(declaration: Declaration, live: LiveState) -> list[Change]:
    _check_applicable(declaration, live)
    changes: list[Change] = []
    changes += _schema_changes(declaration, live)
    changes += _rls_changes(live)
    changes += _relation_privilege_changes(declaration, live)
    changes += _function_privilege_changes(declaration, live)
    changes += _policy_changes(declaration, live)
    changes += default_privilege_changes(live)
    return changes


def _check_applicable(declaration: Declaration, live: LiveState) -> None:
    problems = []
    for role in SUPABASE_ROLES:
        if role not in live.existing_roles:
            problems.append(
                f"role {role} does not exist: on plain PostgreSQL run 'manage.py migrate' (it creates the "
                "Supabase roles); on Supabase check that DATABASE_URL points at the project's database"
            )
    for name in declaration.tables:
        if name not in live.relations:
            problems.append(f"declared table {name} is missing: run 'manage.py migrate'")
            continue
        table, columns = declaration.tables[name], live.columns[name]
        for role_columns in table.column_grants.values():
            for column in (column for cols in role_columns.values() for column in cols):
                if column not in columns:
                    problems.append(f"declared column {name}.{column} is missing: run 'manage.py migrate'")
    for function in declaration.functions:
        if resolve_function(function.signature) is None:
            problems.append(f"declared function {function.signature} is missing: run 'manage.py migrate'")
    for schema in declaration.schemas:
        if schema not in live.existing_schemas:
            problems.append(f"declared schema {schema} is missing: run 'manage.py migrate'")
    if problems:
        raise AccessConfigurationError(problems)


def _grant(target: str, privileges: str, on: str, grantees: set[str] | str) -> Change:
    return Change("grant", target, f"GRANT {privileges} ON {on} TO {_names(grantees)}")


def _revoke(target: str, privileges: str, on: str, grantees: set[str] | str) -> Change:
    return Change("revoke", target, f"REVOKE {privileges} ON {on} FROM {_names(grantees)}")


def _names(items: set[str] | str) -> str:
    return items if isinstance(items, str) else ", ".join(sorted(items))


def _privileges(privileges: set[str]) -> str:
    """In the order people write them: SELECT, INSERT, UPDATE, DELETE…"""
    order = {
        name: index for index, name in enumerate(dict.fromkeys((*TABLE_PRIVILEGES, *SEQUENCE_PRIVILEGES, "EXECUTE")))
    }
    return ", ".join(sorted(privileges, key=lambda name: (order.get(name, len(order)), name)))


def _schema_changes(declaration: Declaration, live: LiveState) -> list[Change]:
    changes = []
    for name in sorted(declaration.schemas):
        schema = declaration.schemas[name]
        for role in SUPABASE_ROLES:
            have = live.schema_privileges.get((name, role), set())
            want = {"USAGE"} if role in schema.usage else set()
            if want - have:
                changes.append(_grant(name, _privileges(want - have), f"SCHEMA {name}", role))
            if have - want:
                changes.append(_revoke(name, _privileges(have - want), f"SCHEMA {name}", role))
    return changes


def _rls_changes(live: LiveState) -> list[Change]:
    return [
        Change("rls", name, f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY")
        for name, relation in sorted(live.relations.items())
        if relation.can_have_rls and not relation.rls_enabled
    ]


def wanted_relation_privileges(declaration: Declaration, name: str, relkind: str, grantee: str) -> set[str]:
    """What `grantee` should hold on the whole relation `name` (undeclared means private)."""
    if grantee == PUBLIC:
        return set()
    if relkind == "S":
        return set(SERVER_SIDE_SEQUENCE) if grantee == SERVICE_ROLE else set()
    table = declaration.tables.get(name) or Table(name.split(".", 1)[1])
    return set(table.privileges_of(grantee))


def _relation_privilege_changes(declaration: Declaration, live: LiveState) -> list[Change]:
    revokes, grants = [], []
    for name, relation in sorted(live.relations.items()):
        on = f"{'SEQUENCE' if relation.relkind == 'S' else 'TABLE'} {name}"
        table = declaration.tables.get(name)
        for grantee in MANAGED_GRANTEES:
            have = live.table_privileges.get((name, grantee), set())
            want = wanted_relation_privileges(declaration, name, relation.relkind, grantee)
            if have - want:
                revokes.append(_revoke(name, _privileges(have - want), on, grantee))
            if want - have:
                grants.append(_grant(name, _privileges(want - have), on, grantee))
            if relation.relkind == "S":
                continue
            wanted_columns = table.column_privileges_of(grantee) if table else {}
            for privilege in TABLE_PRIVILEGES:
                want_columns = set(wanted_columns.get(privilege, ()))
                have_columns = set()
                # Revoking a privilege on the table revokes it on every column too.
                if privilege not in have - want:
                    have_columns = {
                        column
                        for column in live.columns[name]
                        if privilege in live.column_privileges.get((name, column, grantee), set())
                    }
                if have_columns - want_columns:
                    revoked = f"{privilege} ({_names(have_columns - want_columns)})"
                    revokes.append(_revoke(name, revoked, on, grantee))
                if want_columns - have_columns:
                    granted = f"{privilege} ({_names(want_columns - have_columns)})"
                    grants.append(_grant(name, granted, on, grantee))
    return revokes + grants


def _function_privilege_changes(declaration: Declaration, live: LiveState) -> list[Change]:
    declared = {resolve_function(function.signature): function for function in declaration.functions}
    changes = []
    for oid, function in sorted(live.functions.items(), key=lambda item: item[1].signature):
        want = set(declared[oid].execute) if oid in declared else {SERVICE_ROLE}
        on = f"FUNCTION {function.signature}"
        if function.executors - want:
            changes.append(_revoke(function.signature, "EXECUTE", on, function.executors - want))
        if want - function.executors:
            changes.append(_grant(function.signature, "EXECUTE", on, want - function.executors))
    return changes


def policy_comment(fingerprint: str, definition_hash: str) -> str:
    """Recorded on each policy sync creates: the declaration it came from and what PostgreSQL
    made of it, so that a change on either side shows as drift."""
    return f"{POLICY_COMMENT_PREFIX}:{fingerprint}:{definition_hash}"


def _policy_changes(declaration: Declaration, live: LiveState) -> list[Change]:
    wanted = {(name, policy.name): policy for name, table in declaration.tables.items() for policy in table.policies}
    dropped = set()
    for key, live_policy in live.policies.items():
        policy = wanted.get(key)
        table = key[0]
        if policy is None or live_policy.comment != policy_comment(
            policy.fingerprint(table), live_policy.definition_hash
        ):
            dropped.add(key)
    changes = [
        Change("policy", f"{table}: {name}", f'DROP POLICY "{name}" ON {table}') for table, name in sorted(dropped)
    ]
    for key, policy in sorted(wanted.items()):
        if key not in live.policies or key in dropped:
            table = key[0]
            changes.append(
                Change("policy", f"{table}: {policy.name}", policy.create_sql(table), policy=(table, policy))
            )
    return changes


def default_privilege_changes(live: LiveState) -> list[Change]:
    """What makes the current role's new objects private: nothing for anon, authenticated and
    PUBLIC, what the server side needs for service_role (roles that do not exist yet are skipped:
    nothing can grant to them)."""
    changes = []
    for_role = f'ALTER DEFAULT PRIVILEGES FOR ROLE "{live.current_role}"'
    managed_schemas = sorted(schema for schema in (*EXPOSED_SCHEMAS, PRIVATE_SCHEMA) if schema in live.existing_schemas)
    for schema in ["", *managed_schemas]:
        in_schema = f" IN SCHEMA {schema}" if schema else ""
        target = schema or "all schemas"
        for kind, objects in DEFAULT_ACL_OBJECTS.items():
            for grantee in (grantee for grantee in MANAGED_GRANTEES if grantee in {*live.existing_roles, PUBLIC}):
                have = live.default_privileges.get((schema, kind, grantee), set())
                # Per-schema defaults add to the global ones, which grant nobody anything.
                want = DEFAULT_PRIVILEGES[kind].get(grantee, set()) if schema else set()
                if want - have:
                    sql = f"{for_role}{in_schema} GRANT {_privileges(want - have)} ON {objects} TO {grantee}"
                    changes.append(Change("default", target, sql))
                if have - want:
                    sql = f"{for_role}{in_schema} REVOKE {_privileges(have - want)} ON {objects} FROM {grantee}"
                    changes.append(Change("default", target, sql))
    return changes


@dataclass(frozen=True)
class OthersDefaultPrivileges:
    """Another role's default privileges that open what it creates to members or anon.

    sync_grants does not change them (they are not the migrating role's, and on Supabase it may
    not); it and db_doctor report them with the statement that closes them.
    """

    role: str
    schema: str  # "" for every schema
    objects: str  # TABLES, SEQUENCES, FUNCTIONS
    grants: tuple[str, ...]  # "anon: SELECT, INSERT", ...
    grantees: tuple[str, ...]
    role_is_ours: bool  # the connected role is a member of `role`, so it may run the fix

    @property
    def fix_sql(self) -> str:
        in_schema = f" IN SCHEMA {self.schema}" if self.schema else ""
        return (
            f'ALTER DEFAULT PRIVILEGES FOR ROLE "{self.role}"{in_schema} REVOKE ALL ON {self.objects}'
            f" FROM {', '.join(self.grantees)}"
        )

    @property
    def where(self) -> str:
        return f"{self.role} in {self.schema or 'every schema'}"

    @property
    def detail(self) -> str:
        detail = f"new {self.objects.lower()} {self.role} creates grant {'; '.join(self.grants)}; fix: {self.fix_sql}"
        if self.role_is_ours:
            return detail
        return (
            f"{detail} (as a member of {self.role}; on hosted Supabase nobody but Supabase is, so create "
            f"nothing as {self.role} in {self.schema or 'public'}: install extensions in schema extensions)"
        )

    def as_dict(self) -> dict:
        return {"role": self.role, "schema": self.schema, "objects": self.objects, "fix": self.fix_sql}


def others_default_privileges(live: LiveState) -> list[OthersDefaultPrivileges]:
    by_scope: dict[tuple[str, str, str], dict[str, set[str]]] = {}
    for (role, schema, kind, grantee), privileges in live.others_default_privileges.items():
        by_scope.setdefault((role, schema, kind), {})[grantee] = privileges
    return [
        OthersDefaultPrivileges(
            role=role,
            schema=schema,
            objects=DEFAULT_ACL_OBJECTS[kind],
            grants=tuple(f"{grantee}: {_privileges(grants[grantee])}" for grantee in sorted(grants)),
            grantees=tuple(sorted(grants)),
            role_is_ours=role in live.roles_we_act_for,
        )
        for (role, schema, kind), grants in sorted(by_scope.items())
    ]
