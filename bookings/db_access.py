"""What the Supabase roles may do with bookings (see config/access_declaration.py).

A member reads their own bookings and may insert one for themselves through the member app;
every insert passes the booking rules (a trigger), capacity included. The columns they may
insert leave out `capacity_override`, its reason and the booking staff user, so a member's token
can never set an override (42501), and the policy checks the rest. Booking and cancelling go
through functions: thin entry points in `public`, bodies in `app_private`.
"""

from config.access_declaration import (
    AUTHENTICATED,
    CURRENT_MEMBER,
    INSERT,
    OWN_ROWS,
    PRIVATE_SCHEMA,
    READ_ONLY,
    SAME_ORGANIZATION,
    SELECT,
    SERVICE_ROLE,
    Function,
    Policy,
    Table,
)

MEMBER_INSERTABLE_COLUMNS = ("organization_id", "member_id", "status", "channel")
MEMBER_BOOKS_FOR_THEMSELVES = (
    f"member_id = {CURRENT_MEMBER} and {SAME_ORGANIZATION}"
    " and channel = 'member_app' and status in ('confirmed', 'waitlisted')"
    " and not capacity_override and booked_by_user_id is null"
)
MEMBER_APP = frozenset({AUTHENTICATED, SERVICE_ROLE})


def booking_table(name: str, booked_item_column: str) -> Table:
    return Table(
        name,
        grants={AUTHENTICATED: READ_ONLY},
        column_grants={AUTHENTICATED: {INSERT: (*MEMBER_INSERTABLE_COLUMNS, booked_item_column)}},
        policies=(
            Policy("members read their own bookings", SELECT, using=OWN_ROWS),
            Policy("members book for themselves", INSERT, with_check=MEMBER_BOOKS_FOR_THEMSELVES),
        ),
    )


DECLARATIONS = [
    booking_table("benefit_bookings", "slot_id"),
    booking_table("class_bookings", "class_id"),
    Function("public.book_benefit_slot(uuid, boolean)", execute=MEMBER_APP),
    Function("public.book_class(uuid, boolean)", execute=MEMBER_APP),
    Function("public.cancel_booking(uuid)", execute=MEMBER_APP),
    Function(f"{PRIVATE_SCHEMA}.book_for_member(text, uuid, boolean)", execute=MEMBER_APP),
    Function(f"{PRIVATE_SCHEMA}.cancel_for_member(uuid)", execute=MEMBER_APP),
    Function(f"{PRIVATE_SCHEMA}.token_member()", execute=MEMBER_APP),
]
