"""Schemas and the claim helpers every policy uses (see access/declaration.py).

Django's own tables (auth_*, django_*) are deliberately not declared: undeclared means private.
"""

from access.declaration import ANON, AUTHENTICATED, EXPOSED_SCHEMAS, PRIVATE_SCHEMA, SERVICE_ROLE, Function, Schema

POLICY_ROLES = frozenset({AUTHENTICATED, SERVICE_ROLE})

DECLARATIONS = [
    *(Schema(name, usage=frozenset({ANON, AUTHENTICATED, SERVICE_ROLE})) for name in EXPOSED_SCHEMAS),
    # Not exposed by PostgREST; the roles that policies run as must still see into it.
    Schema(PRIVATE_SCHEMA, usage=POLICY_ROLES),
    Function(f"{PRIVATE_SCHEMA}.jwt_claims()", execute=POLICY_ROLES),
    Function(f"{PRIVATE_SCHEMA}.uuid_or_null(text)", execute=POLICY_ROLES),
    Function(f"{PRIVATE_SCHEMA}.jwt_user_id()", execute=POLICY_ROLES),
    Function(f"{PRIVATE_SCHEMA}.jwt_organization_id()", execute=POLICY_ROLES),
    Function(f"{PRIVATE_SCHEMA}.current_member_id()", execute=POLICY_ROLES),
]
