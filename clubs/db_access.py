"""What the Supabase roles may do with the club's own tables (see config/access_declaration.py)."""

from config.access_declaration import (
    AUTHENTICATED,
    CURRENT_ORGANIZATION,
    PRIVATE_SCHEMA,
    READ_ONLY,
    SELECT,
    SERVICE_ROLE,
    Function,
    Policy,
    Table,
    organization_table,
)

DECLARATIONS = [
    Table(
        "organizations",
        grants={AUTHENTICATED: READ_ONLY},
        policies=(Policy("members read their own organization", SELECT, using=f"id = {CURRENT_ORGANIZATION}"),),
    ),
    organization_table("branches"),
    # The key default of the tables written in bulk (clubs/sql/ids/): a default runs with the rights
    # of whoever inserts, so a member's direct booking needs it too.
    Function(f"{PRIVATE_SCHEMA}.uuid_v7()", execute=frozenset({AUTHENTICATED, SERVICE_ROLE})),
]
