"""What the Supabase roles may do with the club's own tables (see config/access_declaration.py)."""

from config.access_declaration import (
    AUTHENTICATED,
    CURRENT_ORGANIZATION,
    READ_ONLY,
    SELECT,
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
]
