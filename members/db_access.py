"""What the Supabase roles may do with member tables (see config/access_declaration.py)."""

from config.access_declaration import (
    AUTHENTICATED,
    CURRENT_MEMBER,
    PRIVATE_SCHEMA,
    READ_ONLY,
    SAME_ORGANIZATION,
    SELECT,
    SERVICE_ROLE,
    Function,
    Policy,
    Table,
    closed_table,
    own_rows_table,
)

# The member search (members/sql/member_search/) serves staff tools; a member's token may call
# it and gets nothing back.
SEARCHERS = frozenset({AUTHENTICATED, SERVICE_ROLE})

DECLARATIONS = [
    Table(
        "members",
        grants={AUTHENTICATED: READ_ONLY},
        policies=(
            Policy("members read their own row", SELECT, using=f"id = {CURRENT_MEMBER} and {SAME_ORGANIZATION}"),
        ),
    ),
    own_rows_table("entitlements"),
    # The staff's notes on members: for staff in the admin only, never for an API role.
    closed_table("member_notes"),
    Function("public.search_members(text, integer)", execute=SEARCHERS),
    Function(f"{PRIVATE_SCHEMA}.search_members(text, integer)", execute=SEARCHERS),
]
