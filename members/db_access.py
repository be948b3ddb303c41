"""What the Supabase roles may do with member tables (see access/declaration.py)."""

from access.declaration import (
    AUTHENTICATED,
    CURRENT_MEMBER,
    READ_ONLY,
    SAME_ORGANIZATION,
    SELECT,
    Policy,
    Table,
    own_rows_table,
)

DECLARATIONS = [
    Table(
        "members",
        grants={AUTHENTICATED: READ_ONLY},
        policies=(
            Policy("members read their own row", SELECT, using=f"id = {CURRENT_MEMBER} and {SAME_ORGANIZATION}"),
        ),
    ),
    own_rows_table("entitlements"),
]
