"""Reads what the live database grants: privileges, RLS flags, policies, default privileges.

Only the Supabase roles (and PUBLIC) are looked at; grants to other roles are none of our business.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection

from config.access_declaration import ANON, AUTHENTICATED, EXPOSED_SCHEMAS, PRIVATE_SCHEMA, SUPABASE_ROLES

# pg_class.relkind -> what it is
RELATION_KINDS = {
    "r": "table",
    "p": "table",
    "v": "view",
    "m": "materialized view",
    "f": "foreign table",
    "S": "sequence",
}
# pg_default_acl.defaclobjtype -> the word ALTER DEFAULT PRIVILEGES uses
DEFAULT_ACL_OBJECTS = {"r": "TABLES", "S": "SEQUENCES", "f": "FUNCTIONS"}

_GRANTEE = "case when a.grantee = 0 then 'PUBLIC' else r.rolname end"
_MANAGED_GRANTEE = "(a.grantee = 0 or r.rolname = any(%(roles)s))"
_NOT_EXTENSION_MEMBER = """not exists (
    select from pg_catalog.pg_depend d
    where d.classid = %(catalog)s::regclass and d.objid = {oid} and d.deptype = 'e')"""


@dataclass(frozen=True)
class Relation:
    schema: str
    name: str
    relkind: str
    rls_enabled: bool
    owner: str
    options: tuple[str, ...]

    @property
    def qualified_name(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def kind(self) -> str:
        return RELATION_KINDS[self.relkind]

    @property
    def can_have_rls(self) -> bool:
        return self.relkind in ("r", "p")


@dataclass(frozen=True)
class LivePolicy:
    table: str  # qualified
    name: str
    command: str  # SELECT, INSERT, UPDATE, DELETE, ALL
    permissive: bool
    roles: tuple[str, ...]
    using: str | None
    with_check: str | None
    comment: str | None

    @property
    def definition_hash(self) -> str:
        """A hash of the policy as PostgreSQL deparses it, to notice edits made by hand."""
        text = f"{self.command}|{self.permissive}|{','.join(sorted(self.roles))}|{self.using}|{self.with_check}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class LiveFunction:
    oid: int
    signature: str  # schema.name(argtypes)
    security_definer: bool
    config: tuple[str, ...]
    owner: str
    executors: frozenset[str]


@dataclass
class LiveState:
    current_role: str
    is_superuser: bool
    existing_roles: set[str]
    relations: dict[str, Relation]
    table_privileges: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    column_privileges: dict[tuple[str, str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    columns: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    policies: dict[tuple[str, str], LivePolicy] = field(default_factory=dict)
    functions: dict[int, LiveFunction] = field(default_factory=dict)
    schema_privileges: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    existing_schemas: set[str] = field(default_factory=set)
    # (schema or "" for every schema, object type letter, grantee) -> privileges
    default_privileges: dict[tuple[str, str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    # The same, held by other roles for anon, authenticated or PUBLIC: (role, schema, type, grantee)
    others_default_privileges: dict[tuple[str, str, str, str], set[str]] = field(
        default_factory=lambda: defaultdict(set)
    )
    # Other roles whose default privileges the current role may change (it is a member of them).
    roles_we_act_for: set[str] = field(default_factory=set)


def _rows(sql: str, params: dict | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.fetchall()


def read_live_state() -> LiveState:
    params = {
        "exposed": list(EXPOSED_SCHEMAS),
        "managed": [*EXPOSED_SCHEMAS, PRIVATE_SCHEMA],
        "roles": list(SUPABASE_ROLES),
    }
    ((current_role, is_superuser),) = _rows("select current_user, rolsuper from pg_roles where rolname = current_user")
    state = LiveState(
        current_role=current_role,
        is_superuser=is_superuser,
        existing_roles={
            name for (name,) in _rows("select rolname from pg_roles where rolname = any(%(roles)s)", params)
        },
        relations={},
    )
    _read_relations(state, params)
    _read_table_privileges(state, params)
    _read_columns(state, params)
    _read_policies(state, params)
    _read_functions(state, params)
    _read_schema_privileges(state, params)
    _read_default_privileges(state, params)
    _read_others_default_privileges(state, params)
    return state


def _read_relations(state: LiveState, params: dict) -> None:
    not_extension = _NOT_EXTENSION_MEMBER.format(oid="c.oid")
    rows = _rows(
        f"""
        select n.nspname, c.relname, c.relkind, c.relrowsecurity, pg_get_userbyid(c.relowner),
               coalesce(c.reloptions, '{{}}')
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = any(%(exposed)s) and c.relkind = any(%(kinds)s) and {not_extension}
        """,
        {**params, "kinds": list(RELATION_KINDS), "catalog": "pg_class"},
    )
    for schema, name, relkind, rls, owner, options in rows:
        relation = Relation(schema, name, relkind, rls, owner, tuple(options))
        state.relations[relation.qualified_name] = relation


def _read_table_privileges(state: LiveState, params: dict) -> None:
    rows = _rows(
        f"""
        select n.nspname || '.' || c.relname, {_GRANTEE}, a.privilege_type
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        cross join lateral aclexplode(c.relacl) a
        left join pg_roles r on r.oid = a.grantee
        where n.nspname = any(%(exposed)s) and {_MANAGED_GRANTEE}
        """,
        params,
    )
    for relation, grantee, privilege in rows:
        if relation in state.relations:
            state.table_privileges[(relation, grantee)].add(privilege)


def _read_columns(state: LiveState, params: dict) -> None:
    rows = _rows(
        """
        select n.nspname || '.' || c.relname, att.attname, att.attacl
        from pg_attribute att
        join pg_class c on c.oid = att.attrelid join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = any(%(exposed)s) and att.attnum > 0 and not att.attisdropped
        """,
        params,
    )
    for relation, column, _ in rows:
        state.columns[relation].add(column)
    rows = _rows(
        f"""
        select n.nspname || '.' || c.relname, att.attname, {_GRANTEE}, a.privilege_type
        from pg_attribute att
        join pg_class c on c.oid = att.attrelid join pg_namespace n on n.oid = c.relnamespace
        cross join lateral aclexplode(att.attacl) a
        left join pg_roles r on r.oid = a.grantee
        where n.nspname = any(%(exposed)s) and att.attnum > 0 and not att.attisdropped and {_MANAGED_GRANTEE}
        """,
        params,
    )
    for relation, column, grantee, privilege in rows:
        if relation in state.relations:
            state.column_privileges[(relation, column, grantee)].add(privilege)


_POLICIES = """
    select n.nspname || '.' || c.relname, p.polname,
           case p.polcmd when 'r' then 'SELECT' when 'a' then 'INSERT' when 'w' then 'UPDATE'
                         when 'd' then 'DELETE' else 'ALL' end,
           p.polpermissive,
           array(select case when role_oid = 0 then 'public' else pg_get_userbyid(role_oid) end
                 from unnest(p.polroles) role_oid order by 1),
           pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid),
           obj_description(p.oid, 'pg_policy')
    from pg_policy p join pg_class c on c.oid = p.polrelid join pg_namespace n on n.oid = c.relnamespace
"""


def _read_policies(state: LiveState, params: dict) -> None:
    for row in _rows(_POLICIES + "where n.nspname = any(%(exposed)s)", params):
        policy = LivePolicy(*row)
        state.policies[(policy.table, policy.name)] = policy


def read_policy(table: str, name: str) -> LivePolicy:
    """One policy as it is now, e.g. right after creating it."""
    (row,) = _rows(
        _POLICIES + "where n.nspname || '.' || c.relname = %(table)s and p.polname = %(name)s",
        {"table": table, "name": name},
    )
    return LivePolicy(*row)


def _read_functions(state: LiveState, params: dict) -> None:
    not_extension = _NOT_EXTENSION_MEMBER.format(oid="p.oid")
    rows = _rows(
        f"""
        select p.oid, n.nspname || '.' || p.proname || '(' || oidvectortypes(p.proargtypes) || ')',
               p.prosecdef, coalesce(p.proconfig, '{{}}'), pg_get_userbyid(p.proowner),
               array(select {_GRANTEE}
                     from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                     left join pg_roles r on r.oid = a.grantee
                     where a.privilege_type = 'EXECUTE' and {_MANAGED_GRANTEE})
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = any(%(managed)s) and {not_extension}
        """,
        {**params, "catalog": "pg_proc"},
    )
    for oid, signature, secdef, config, owner, executors in rows:
        state.functions[oid] = LiveFunction(oid, signature, secdef, tuple(config), owner, frozenset(executors))


def resolve_function(signature: str) -> int | None:
    """The oid of a declared `schema.name(types)`, whatever its spacing or type aliases."""
    with connection.cursor() as cursor:
        cursor.execute("select to_regprocedure(%s)::oid", [signature])
        return cursor.fetchone()[0]


def _read_schema_privileges(state: LiveState, params: dict) -> None:
    state.existing_schemas = {name for (name,) in _rows(
        "select nspname from pg_namespace where nspname = any(%(managed)s)", params
    )}  # fmt: skip
    rows = _rows(
        f"""
        select n.nspname, {_GRANTEE}, a.privilege_type
        from pg_namespace n cross join lateral aclexplode(n.nspacl) a
        left join pg_roles r on r.oid = a.grantee
        where n.nspname = any(%(managed)s) and r.rolname = any(%(roles)s)
        """,
        params,
    )
    for schema, grantee, privilege in rows:
        state.schema_privileges[(schema, grantee)].add(privilege)


def _read_default_privileges(state: LiveState, params: dict) -> None:
    """Default privileges of the current role, per managed schema and for every schema ("").

    With no entry of its own for functions, a role's global default is PostgreSQL's built-in one,
    which lets PUBLIC execute every new function; acldefault() shows it.
    """
    rows = _rows(
        f"""
        with me as (select oid from pg_roles where rolname = current_user),
        scopes as (
            select 0::oid as namespace, kind from unnest(array['r', 'S', 'f']::"char"[]) kind
            union all
            select n.oid, kind from pg_namespace n, unnest(array['r', 'S', 'f']::"char"[]) kind
            where n.nspname = any(%(managed)s)
        )
        select coalesce(n.nspname, ''), s.kind::text, {_GRANTEE}, a.privilege_type
        from scopes s cross join me
        left join pg_default_acl d
            on d.defaclrole = me.oid and d.defaclnamespace = s.namespace and d.defaclobjtype = s.kind
        left join pg_namespace n on n.oid = s.namespace
        cross join lateral aclexplode(
            case when s.namespace = 0 and s.kind = 'f' then coalesce(d.defaclacl, acldefault('f', me.oid))
                 else d.defaclacl end
        ) a
        left join pg_roles r on r.oid = a.grantee
        where {_MANAGED_GRANTEE}
        """,
        params,
    )
    for schema, kind, grantee, privilege in rows:
        state.default_privileges[(schema, kind, grantee)].add(privilege)


def _read_others_default_privileges(state: LiveState, params: dict) -> None:
    """What other roles' new objects in the managed schemas grant the member-facing roles.

    On Supabase projects made before October 2026, `supabase_admin` grants everything it creates
    in `public` to anon and authenticated; only its members may change that.
    """
    rows = _rows(
        f"""
        select pg_get_userbyid(d.defaclrole), coalesce(n.nspname, ''), d.defaclobjtype::text, {_GRANTEE},
               a.privilege_type, pg_has_role(current_user, d.defaclrole, 'MEMBER')
        from pg_default_acl d left join pg_namespace n on n.oid = d.defaclnamespace
        cross join lateral aclexplode(d.defaclacl) a
        left join pg_roles r on r.oid = a.grantee
        where d.defaclrole <> (select oid from pg_roles where rolname = current_user)
          and (d.defaclnamespace = 0 or n.nspname = any(%(managed)s))
          and d.defaclobjtype = any(array['r', 'S', 'f']::"char"[])
          and (a.grantee = 0 or r.rolname = any(%(member_facing)s))
        """,
        {**params, "member_facing": [ANON, AUTHENTICATED]},
    )
    for role, schema, kind, grantee, privilege, is_member in rows:
        state.others_default_privileges[(role, schema, kind, grantee)].add(privilege)
        if is_member:
            state.roles_we_act_for.add(role)
