"""The booking use cases: book, cancel (promoting the waitlist), check in, mark no-show.

Each is one call to the booking engine in SQL (`bookings/sql/engine/`), the same functions the
member app reaches, so the rules exist once. Refusals come back as RuleViolation with the rule's
code and message from the registry (config/rules.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import TextChoices

from audit.context import RequestContext, current_request_context
from audit.models import ActorType
from audit.services import Actor
from bookings.models import OverrideReason
from config.rules import n_of_m, refusals_of_the_database, refuse
from config.sql import prepared_cursor

OVERRIDE_PERMISSION = "bookings.override_capacity"


class BookingKind(TextChoices):
    SLOT = "slot", "Recovery facility"
    CLASS = "class", "Class"


# What staff need to book, and to change (cancel, check in) a booking, of each kind.
ADD_PERMISSIONS = {BookingKind.SLOT: "bookings.add_benefitbooking", BookingKind.CLASS: "bookings.add_classbooking"}
CHANGE_PERMISSIONS = {
    BookingKind.SLOT: "bookings.change_benefitbooking",
    BookingKind.CLASS: "bookings.change_classbooking",
}


@dataclass(frozen=True)
class Override:
    """A manager's decision to book beyond capacity or entitlement, and why."""

    reason_code: str
    note: str


@dataclass(frozen=True)
class BookingOutcome:
    booking_id: uuid.UUID
    kind: str
    status: str
    capacity_override: bool
    overridden_rules: Sequence[str]
    places_taken_before: int | None
    capacity: int | None

    @property
    def places_after_override(self) -> str:
        """ "11 of 10": the places taken with this booking, against the capacity."""
        return n_of_m(self.places_taken_before + 1, self.capacity) if self.capacity_override else ""


@dataclass(frozen=True)
class CancelOutcome:
    late: bool
    promoted_booking_id: uuid.UUID | None


def _engine(sql: str, params: list | dict) -> tuple | None:
    """Run one booking-engine call; refusals become RuleViolation.

    The call is one statement, so on its own it is one transaction, without BEGIN and COMMIT
    round trips; inside a caller's transaction it gets a savepoint, so a refusal leaves the
    caller's transaction usable.
    """
    in_transaction = transaction.atomic() if connection.in_atomic_block else nullcontext()
    with refusals_of_the_database(), in_transaction, prepared_cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _request(context: RequestContext | None) -> list:
    context = context or current_request_context()
    return [context.request_id, context.ip_address, context.user_agent]


# The engine's call to book. `{members}`, `{member_id}`, `{actor_label}` and `{where}` say where the
# member and the actor's name come from: given by the caller, or found in the same statement.
_BOOK = """
    select booked.booking_id, booked.status, booked.capacity_override, booked.overridden_rules,
           booked.places_taken_before, booked.capacity
    from {members} app_private.book(
        p_kind => %(kind)s, p_item_id => %(item_id)s, p_member_id => {member_id}, p_channel => %(channel)s,
        p_source => %(source)s, p_actor_type => %(actor_type)s, p_actor_id => %(actor_id)s,
        p_actor_label => {actor_label}, p_booked_by_user_id => %(booked_by)s, p_override_code => %(override_code)s,
        p_override_note => %(override_note)s, p_join_waitlist => %(join_waitlist)s,
        p_request_id => %(request_id)s, p_ip_address => %(ip_address)s::inet, p_user_agent => %(user_agent)s) booked
    {where}
"""
_BOOK_FOR_MEMBER = _BOOK.format(members="", member_id="%(member_id)s", actor_label="%(actor_label)s", where="")
# The member named by their sign-in, as members.selectors.member_identity finds them, and the
# booking in one statement: one round trip instead of two.
_BOOK_FOR_SIGN_IN = _BOOK.format(
    members="members m cross join lateral",
    member_id="m.id",
    actor_label="m.first_name || ' ' || m.last_name",
    where="where m.auth_user_id = %(auth_user_id)s and m.organization_id = %(organization_id)s",
)


def _book(sql: str, kind: str, booked_by, override: Override | None, context: RequestContext | None, **values):
    if override is not None and override.reason_code not in OverrideReason.values:
        raise refuse("override_needs_reason", "code")
    request_id, ip_address, user_agent = _request(context)
    return _engine(
        sql,
        {
            "kind": kind,
            "booked_by": booked_by.pk if booked_by else None,
            "override_code": override.reason_code if override else "",
            "override_note": override.note if override else "",
            "request_id": request_id,
            "ip_address": ip_address,
            "user_agent": user_agent,
            **values,
        },
    )


def _outcome(kind: str, row: tuple) -> BookingOutcome:
    booking_id, status, overridden, rules, taken_before, capacity = row
    return BookingOutcome(booking_id, kind, status, overridden, rules or [], taken_before, capacity)


def booking_create(
    *,
    kind: str,
    item_id: uuid.UUID,
    member_id: uuid.UUID,
    actor: Actor,
    channel: str,
    source: str,
    booked_by=None,
    override: Override | None = None,
    join_waitlist: bool = False,
    context: RequestContext | None = None,
) -> BookingOutcome:
    """Book a slot or class for a member: confirmed while places remain; when full, the waitlist
    if asked, or a capacity override if `booked_by` holds the override permission (the engine
    checks it)."""
    row = _book(
        _BOOK_FOR_MEMBER, kind, booked_by, override, context,
        item_id=item_id, member_id=member_id, channel=channel, source=source, join_waitlist=join_waitlist,
        actor_type=actor.type, actor_id=actor.id, actor_label=actor.label,
    )  # fmt: skip
    return _outcome(kind, row)


def booking_create_by_sign_in(
    *,
    kind: str,
    item_id: uuid.UUID,
    auth_user_id: uuid.UUID,
    organization_id: uuid.UUID,
    channel: str,
    source: str,
    join_waitlist: bool = False,
    context: RequestContext | None = None,
) -> BookingOutcome | None:
    """A member books for themselves, named by their sign-in (`auth_user_id` in `organization_id`)
    rather than by a member id looked up first: as booking_create with the member as the actor,
    in one statement. None, with nothing done, when no member of the organization signs in so."""
    row = _book(
        _BOOK_FOR_SIGN_IN, kind, None, None, context,
        item_id=item_id, auth_user_id=auth_user_id, organization_id=organization_id, channel=channel,
        source=source, join_waitlist=join_waitlist, actor_type=ActorType.MEMBER, actor_id=str(auth_user_id),
    )  # fmt: skip
    return None if row is None else _outcome(kind, row)


def booking_cancel(
    *,
    kind: str,
    booking_id: uuid.UUID,
    actor: Actor,
    source: str,
    reason: str = "",
    only_member_id: uuid.UUID | None = None,
    context: RequestContext | None = None,
) -> CancelOutcome:
    """Cancel, and give the place to the first waitlisted member who can take it. With
    `only_member_id`, another member's booking is refused as not found."""
    _, late, promoted = _engine(
        """
        select status, late, promoted_booking_id from app_private.cancel_booking(
            p_kind => %s, p_booking_id => %s, p_source => %s, p_actor_type => %s, p_actor_id => %s,
            p_actor_label => %s, p_reason => %s, p_only_member_id => %s, p_request_id => %s,
            p_ip_address => %s::inet, p_user_agent => %s)
        """,
        [kind, booking_id, source, actor.type, actor.id, actor.label, reason, only_member_id, *_request(context)],
    )
    return CancelOutcome(late=late, promoted_booking_id=promoted)


def _attendance(kind: str, booking_id: uuid.UUID, attended: bool, actor: Actor, source: str, context) -> str:
    (status,) = _engine(
        """
        select app_private.set_attendance(
            p_kind => %s, p_booking_id => %s, p_attended => %s, p_source => %s, p_actor_type => %s,
            p_actor_id => %s, p_actor_label => %s, p_request_id => %s, p_ip_address => %s::inet, p_user_agent => %s)
        """,
        [kind, booking_id, attended, source, actor.type, actor.id, actor.label, *_request(context)],
    )
    return status


def booking_check_in(
    *, kind: str, booking_id: uuid.UUID, actor: Actor, source: str, context: RequestContext | None = None
) -> str:
    return _attendance(kind, booking_id, True, actor, source, context)


def booking_mark_no_show(
    *, kind: str, booking_id: uuid.UUID, actor: Actor, source: str, context: RequestContext | None = None
) -> str:
    return _attendance(kind, booking_id, False, actor, source, context)


def booking_undo_attendance(
    *, kind: str, booking_id: uuid.UUID, actor: Actor, source: str, context: RequestContext | None = None
) -> str:
    """Undo a check-in or a no-show: the booking is confirmed again (a wrong click at the desk)."""
    (status,) = _engine(
        """
        select app_private.undo_attendance(
            p_kind => %s, p_booking_id => %s, p_source => %s, p_actor_type => %s, p_actor_id => %s,
            p_actor_label => %s, p_request_id => %s, p_ip_address => %s::inet, p_user_agent => %s)
        """,
        [kind, booking_id, source, actor.type, actor.id, actor.label, *_request(context)],
    )
    return status


@dataclass(frozen=True)
class ClosureCancellation:
    cancelled: int
    waitlist_cleared: int


def closure_cancel_bookings(
    *, closure_id: uuid.UUID, actor: Actor, source: str, context: RequestContext | None = None
) -> ClosureCancellation:
    """Cancel every live booking of what a closure covers that has not started, in one
    transaction: each with its own audit entry and the closure as the reason, none late, nobody
    promoted, waitlist places cleared (app_private.cancel_closure_bookings). Refused when the
    closure was reopened or is over."""
    with refusals_of_the_database(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            select cancelled, waitlist_cleared from app_private.cancel_closure_bookings(
                p_closure_id => %s, p_source => %s, p_actor_type => %s, p_actor_id => %s, p_actor_label => %s,
                p_request_id => %s, p_ip_address => %s::inet, p_user_agent => %s)
            """,
            [closure_id, source, actor.type, actor.id, actor.label, *_request(context)],
        )
        return ClosureCancellation(*cursor.fetchone())
