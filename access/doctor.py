"""Everything the code expects of the database, checked against the live one, in one report.

Errors are what will fail in front of a user (a missing table is PostgREST's PGRST205, a missing
grant its 42501) or leak data; warnings are what Supabase's database linter also flags but that
does not break anything today, and what would break behind a transaction pooler (settings that
prepare statements while a pooler relays the connection, SQL functions that leave state on it).
"""

from __future__ import annotations

import os
import re
import socket
from collections import defaultdict
from dataclasses import asdict, dataclass

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.migrations.loader import MigrationLoader

from access.planning import AccessConfigurationError, others_default_privileges, plan_changes
from access.registry import Declaration, collect_declarations
from access.selectors import LiveState, read_live_state, resolve_function
from config.access_declaration import ANON, AUTHENTICATED, EXPOSED_SCHEMAS, PUBLIC, SERVICE_ROLE, Table
from config.database import SUPABASE_TRANSACTION_POOLER_PORT

ERROR, WARNING = "error", "warning"
# A claim helper called inside a policy; it must sit in a scalar subquery to run once per statement.
_PER_ROW_CALL = re.compile(r"\b(?:auth|app_private)\.\w+\(\)|\bcurrent_setting\(")
_WRAPPED_CALL_PREFIX = re.compile(r"SELECT\s+$", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    severity: str
    check: str
    object: str
    detail: str

    def as_dict(self) -> dict:
        return asdict(self)


def database_checkup() -> list[Finding]:
    declaration = collect_declarations()
    live = read_live_state()
    findings = [
        *_unapplied_migrations(),
        *_missing_objects(declaration, live),
        *_grant_drift(declaration, live),
        *_others_default_privileges(live),
        *_server_side_privileges(declaration, live),
        *_rls_lints(live),
        *_policy_lints(live),
        *_function_lints(live),
        *_view_lints(live),
        *_unindexed_foreign_keys(),
        *_settings_behind_a_pooler(),
        *_session_state_in_functions(live),
    ]
    return sorted(findings, key=lambda finding: (finding.severity != ERROR, finding.check, finding.object))


def _unapplied_migrations() -> list[Finding]:
    # Every migration the database has not recorded, one below an applied one included (a plan to
    # the leaves would skip it: its app's leaf is applied).
    loader = MigrationLoader(connections[DEFAULT_DB_ALIAS])
    return [
        Finding(ERROR, "migration not applied", f"{app_label}.{name}", "run 'manage.py migrate'")
        for app_label, name in sorted(set(loader.graph.nodes) - set(loader.applied_migrations))
    ]


def _missing_objects(declaration: Declaration, live: LiveState) -> list[Finding]:
    findings = []
    expected_columns: dict[str, set[str]] = defaultdict(set)
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            table = f"public.{model._meta.db_table}"
            expected_columns[table] |= {field.column for field in model._meta.local_concrete_fields}
    for name in declaration.tables:
        expected_columns.setdefault(name, set())
    for table, columns in sorted(expected_columns.items()):
        if table not in live.relations:
            findings.append(Finding(ERROR, "missing table", table, "the code uses it; PostgREST would answer PGRST205"))
            continue
        for column in sorted(columns - live.columns[table]):
            findings.append(
                Finding(ERROR, "missing column", f"{table}.{column}", "the code uses it; queries will fail")
            )
    for function in declaration.functions:
        if resolve_function(function.signature) is None:
            findings.append(
                Finding(
                    ERROR, "missing function", function.signature, "the code calls it; PostgREST would answer PGRST202"
                )
            )
    for schema in sorted(set(declaration.schemas) - live.existing_schemas):
        findings.append(Finding(ERROR, "missing schema", schema, "declared in the access policy"))
    return findings


def _grant_drift(declaration: Declaration, live: LiveState) -> list[Finding]:
    try:
        changes = plan_changes(declaration, live)
    except AccessConfigurationError as error:
        return [Finding(ERROR, "access declaration", "sync_grants", problem) for problem in error.problems]
    return [
        Finding(ERROR, "access drift", change.target, f"{change.sql} (run 'manage.py sync_grants')")
        for change in changes
    ]


def _others_default_privileges(live: LiveState) -> list[Finding]:
    """Nothing is open yet, but whatever that role creates in the schema will be."""
    return [
        Finding(WARNING, "default privileges of another role", item.where, item.detail)
        for item in others_default_privileges(live)
    ]


def _server_side_privileges(declaration: Declaration, live: LiveState) -> list[Finding]:
    """The 42501 of seed 000, predicted: a table the server side writes that service_role cannot."""
    if SERVICE_ROLE not in live.existing_roles:
        return []
    needed = [
        (name, privilege)
        for name, relation in sorted(live.relations.items())
        if relation.relkind != "S"
        for privilege in (declaration.tables[name] if name in declaration.tables else Table(name)).privileges_of(
            SERVICE_ROLE
        )
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            select relation, privilege from unnest(%s::text[], %s::text[]) as needed(relation, privilege)
            where not has_table_privilege(%s, relation, privilege)
            order by 1, 2
            """,
            [[name for name, _ in needed], [privilege for _, privilege in needed], SERVICE_ROLE],
        )
        missing = cursor.fetchall()
    return [
        Finding(ERROR, "service_role lacks privilege", name, f"{privilege}: server-side code will get 42501")
        for name, privilege in missing
    ]


def _member_facing(live: LiveState, table: str) -> bool:
    return any(live.table_privileges.get((table, role)) for role in (ANON, AUTHENTICATED, PUBLIC)) or any(
        grantee in (ANON, AUTHENTICATED, PUBLIC) for (name, _, grantee) in live.column_privileges if name == table
    )


def _rls_lints(live: LiveState) -> list[Finding]:
    findings = []
    tables_with_policies = {table for table, _ in live.policies}
    for name, relation in sorted(live.relations.items()):
        if not relation.can_have_rls:
            continue
        if not relation.rls_enabled:
            findings.append(Finding(ERROR, "RLS disabled", name, "every row is visible to any role with a grant"))
            if name in tables_with_policies:
                findings.append(Finding(ERROR, "policies while RLS is off", name, "the policies are not enforced"))
        elif name not in tables_with_policies and _member_facing(live, name):
            findings.append(Finding(WARNING, "RLS on, no policy", name, "granted to members, yet every row is hidden"))
    return findings


def _per_row_calls(expression: str | None) -> list[str]:
    if not expression:
        return []
    return [
        match.group(0)
        for match in _PER_ROW_CALL.finditer(expression)
        if not _WRAPPED_CALL_PREFIX.search(expression[: match.start()])
    ]


def _policy_lints(live: LiveState) -> list[Finding]:
    findings = []
    permissive_by_role_and_action = defaultdict(list)
    for (table, name), policy in sorted(live.policies.items()):
        label = f"{table}: {name}"
        expressions = f"{policy.using or ''} {policy.with_check or ''}"
        if "user_metadata" in expressions:
            findings.append(
                Finding(
                    ERROR, "policy uses user_metadata", label, "users edit their own user_metadata; use app_metadata"
                )
            )
        if policy.command != "SELECT" and "true" in ((policy.using or "").strip(), (policy.with_check or "").strip()):
            findings.append(
                Finding(WARNING, "always-true write policy", label, f"{policy.command} is allowed on every row")
            )
        for call in _per_row_calls(policy.using) + _per_row_calls(policy.with_check):
            findings.append(
                Finding(
                    WARNING,
                    "claim read per row",
                    label,
                    f"wrap {call}…) as (select …) to evaluate it once per statement",
                )
            )
        if policy.permissive:
            actions = ("SELECT", "INSERT", "UPDATE", "DELETE") if policy.command == "ALL" else (policy.command,)
            for role in policy.roles:
                for action in actions:
                    permissive_by_role_and_action[(table, role, action)].append(name)
    for (table, role, action), names in sorted(permissive_by_role_and_action.items()):
        if len(names) > 1:
            findings.append(
                Finding(
                    WARNING,
                    "several permissive policies",
                    table,
                    f"{role} {action}: {', '.join(sorted(names))} are each evaluated; merge them",
                )
            )
    return findings


def _function_lints(live: LiveState) -> list[Finding]:
    findings = []
    for function in sorted(live.functions.values(), key=lambda function: function.signature):
        if not function.security_definer:
            continue
        if not any(setting.startswith("search_path=") for setting in function.config):
            findings.append(
                Finding(ERROR, "definer without search_path", function.signature, "pin it: SET search_path = ''")
            )
        callers = function.executors & {ANON, PUBLIC}
        if callers:
            findings.append(
                Finding(
                    ERROR, "definer executable by anon", function.signature, f"{', '.join(sorted(callers))} may run it"
                )
            )
        if function.signature.split(".", 1)[0] in EXPOSED_SCHEMAS:
            findings.append(
                Finding(
                    WARNING,
                    "definer in exposed schema",
                    function.signature,
                    "keep the privileged body in app_private and a thin invoker entry point in public",
                )
            )
    return findings


def _view_lints(live: LiveState) -> list[Finding]:
    return [
        Finding(ERROR, "view without security_invoker", name, "it runs with its owner's rights, bypassing RLS")
        for name, relation in sorted(live.relations.items())
        if relation.relkind in ("v", "m")
        and not any(option in relation.options for option in ("security_invoker=true", "security_invoker=on"))
    ]


def _unindexed_foreign_keys() -> list[Finding]:
    """A foreign key is served by a valid index whose leading columns are the key's, in its order.

    Supabase's splinter (lint 0001) asks the same: an index that merely starts with the first column
    of a composite key (`member_id` for `(member_id, organization_id)`) does not count.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            select n.nspname || '.' || c.relname, con.conname
            from pg_constraint con
            join pg_class c on c.oid = con.conrelid join pg_namespace n on n.oid = c.relnamespace
            where con.contype = 'f' and n.nspname = any(%s)
              and not exists (
                  select from pg_index i
                  where i.indrelid = con.conrelid and i.indisvalid
                    -- indkey's subscripts start at 0; like splinter, INCLUDE columns count
                    and (i.indkey::smallint[])[0:cardinality(con.conkey) - 1] = con.conkey
              )
            order by 1, 2
            """,
            [list(EXPOSED_SCHEMAS)],
        )
        rows = cursor.fetchall()
    return [
        Finding(WARNING, "foreign key without index", f"{table}: {name}", "joins and deletes scan")
        for table, name in rows
    ]


def _session_features_of_the_settings() -> list[str]:
    """What the connection's settings use that outlives a transaction (config/database.py turns
    both off behind a transaction pooler)."""
    features = []
    if connection.get_connection_params().get("prepare_threshold") is not None:
        features.append("statements are prepared (prepare_threshold)")
    if not connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"):
        features.append("server-side cursors are on")
    return features


def _relayed() -> bool:
    """Something (a pooler, a proxy) relays the connection: the server sees its client come from
    another port than this process's own socket has."""
    connection.ensure_connection()
    with socket.socket(fileno=os.dup(connection.connection.pgconn.socket)) as own:
        if own.family not in (socket.AF_INET, socket.AF_INET6):
            return False
        own_port = own.getsockname()[1]
    with connection.cursor() as cursor:
        cursor.execute("select inet_client_port()")
        return cursor.fetchone()[0] != own_port


def _settings_behind_a_pooler() -> list[Finding]:
    features = _session_features_of_the_settings()
    if not features:
        return []
    used = " and ".join(features)
    fix = "set DATABASE_TRANSACTION_POOLER=true"
    if str(connection.settings_dict.get("PORT")) == str(SUPABASE_TRANSACTION_POOLER_PORT):
        return [
            Finding(
                ERROR,
                "settings not made for the pooler",
                "DATABASE_URL",
                f"port {SUPABASE_TRANSACTION_POOLER_PORT} is Supabase's transaction pooler, yet {used}: "
                f"requests will fail with 'prepared statement ... does not exist'; {fix}",
            )
        ]
    if _relayed():
        return [
            Finding(
                WARNING,
                "settings not made for the pooler",
                "DATABASE_URL",
                f"a pooler or proxy relays the connection, yet {used}: if it pools by transaction "
                f"(PgBouncer, Supavisor), {fix}",
            )
        ]
    return []


# What a function can leave on its server connection after the transaction. Behind a transaction
# pooler the next transaction on that connection is any client's.
_STATEMENT_START = r"(?:\A|;|\bbegin\b|\bthen\b|\belse\b|\bloop\b)\s*"
_SESSION_STATE = [
    (
        re.compile(r"\bpg_(?:try_)?advisory_lock(?:_shared)?\s*\("),
        "a session-level advisory lock: held by the connection past the transaction; use pg_advisory_xact_lock",
    ),
    (
        re.compile(_STATEMENT_START + r"set\s+(?!local\b|transaction\b|constraints\b)"),
        "SET without LOCAL: the setting stays on the connection; use SET LOCAL",
    ),
    (
        re.compile(r"\bset_config\s*\((?:[^()]|\([^()]*\))*,\s*false\s*\)"),
        "set_config(..., false): the setting stays on the connection; pass true",
    ),
    (
        re.compile(r"\bcreate\s+(?:(?:global|local)\s+)?temp(?:orary)?\s+table\b(?![^;]*\bon\s+commit\s+drop\b)"),
        "a temporary table without ON COMMIT DROP: it stays on the connection",
    ),
    (re.compile(r"\bwith\s+hold\b"), "a cursor WITH HOLD: it stays open on the connection"),
    (
        re.compile(_STATEMENT_START + r"listen\s"),
        "LISTEN: notifications go to whichever client has the connection",
    ),
    (
        re.compile(_STATEMENT_START + r"prepare\s+\w+\s*(?:\(|\bas\b)"),
        "PREPARE: the statement stays on the connection",
    ),
]
_COMMENT_OR_LITERAL = re.compile(r"--[^\n]*|/\*.*?\*/|'(?:[^']|'')*'", re.DOTALL)


def _session_state_in_functions(live: LiveState) -> list[Finding]:
    """SQL and PL/pgSQL bodies that leave state on the connection, which a transaction pooler then
    lends to another client (Supavisor on 6543, PgBouncer; PostgREST's own pool does the same)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            select p.oid, p.prosrc from pg_proc p join pg_language l on l.oid = p.prolang
            where p.oid = any(%s) and l.lanname in ('sql', 'plpgsql')
            """,
            [list(live.functions)],
        )
        bodies = cursor.fetchall()
    findings = []
    for oid, body in bodies:
        code = _COMMENT_OR_LITERAL.sub(lambda match: "''" if match.group(0).startswith("'") else " ", body.lower())
        findings += [
            Finding(WARNING, "breaks behind a transaction pooler", live.functions[oid].signature, detail)
            for pattern, detail in _SESSION_STATE
            if pattern.search(code)
        ]
    return findings
