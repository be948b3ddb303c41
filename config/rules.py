"""The rule registry: every business rule once, with what each door shows for it.

A rule has a stable `code` (the API's error code, the admin's and the command line's refusal), the
SQLSTATE the database raises it with (None for a rule Python checks before asking the database),
the HTTP status the API answers with, when it applies (the README's table of rules), and its
front-desk messages: one per situation (`""` is the usual one), with `%s` filled in, in order, by
whoever refuses.

The database reads the same registry: `app_private.refusal` and `app_private.refuse` are generated
from it (`render_sql`, written to clubs/sql/platform/ and frozen into the migration that installs it),
so SQL refers to a rule by its code, never by a SQLSTATE or a message of its own. A test checks
that the SQL, this registry and the README's table agree.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import DatabaseError

from config.errors import RuleViolation

# How a count against a limit reads everywhere: "3 of 4" (places, entitlements, overrides).
N_OF_M = "%s of %s"

# PostgreSQL's own SQLSTATE for a lock not had within lock_timeout: the one standard SQLSTATE that is
# a rule ("busy"). The booking engine's own start with CB, slot generation's with CS and closures'
# with CC, classes no standard SQLSTATE uses, so a real permission error or bad value is never mistaken for a rule.
LOCK_NOT_AVAILABLE = "55P03"


@dataclass(frozen=True)
class Rule:
    code: str
    sqlstate: str | None
    http_status: int
    when: str
    messages: Mapping[str, str]

    def message(self, situation: str = "", *values) -> str:
        return self.messages[situation] % tuple(values)

    def violation(self, situation: str = "", *values, details: dict | None = None) -> RuleViolation:
        return RuleViolation(self.code, self.message(situation, *values), details)


RULES: tuple[Rule, ...] = (
    # The booking engine.
    Rule("member_not_active", "CB001", 409, "the membership is frozen or cancelled",
         {"": "The membership is %s: only active members can book."}),
    Rule("already_booked", "CB002", 409, "the member already has a live booking for it",
         {"": "The member already has a booking for this."}),
    Rule("started", "CB003", 409, "it has started or is over", {"": "It has already started or is over."}),
    Rule("unavailable", "CB004", 409, "the class is cancelled, the facility closed or under maintenance",
         {"": "Not bookable: %s."}),
    Rule("outside_window", "CB005", 409, "further ahead than the facility's booking window",
         {"": "Too far ahead: bookable %s days in advance, from %s."}),
    Rule("overlapping", "CB006", 409, "the member holds a confirmed booking at the same time",
         {"": "The member is already booked at that time: %s."}),
    Rule("entitlement_used_up", "CB007", 409,
         '"4 of 4 recovery sessions used this week" (no entitlement row: no limit)',
         {"": "%s %s used this %s."}),
    Rule("full", "CB008", 409, "no place left; the member can join the waitlist",
         {"": "Full: %s places taken. The member can join the waitlist."}),
    Rule("not_found", "CB009", 404, "the slot, class, member, booking, branch or closure is not in the organization",
         {"": "That slot, class or member does not exist here.", "booking": "That booking does not exist.",
          "branch": "unknown branch %s",
          "closure": "That closure does not exist."}),
    Rule("no_member", "CB010", 403, "a member-app token with no member behind it",
         {"": "No member of an organization behind this token.",
          "slots": "no member of an organization behind this token"}),
    Rule("override_needs_reason", "CB011", 400, "an override without a reason code and a note",
         {"": "An override needs a note saying why.", "code": "Choose a reason for the override."}),
    Rule("not_cancellable", "CB012", 409, "cancelling, marking or unmarking a booking whose status does not allow it",
         {"": "Only confirmed or waitlisted bookings can be cancelled; this one is %s.",
          "attendance": "Only confirmed bookings can be marked %s; this one is %s.",
          "undo": "Only a check-in or a no-show can be undone; this booking is %s."}),
    Rule("too_early", "CB013", 409, "check-in more than an hour before, no-show before the start",
         {"": "Check-in opens an hour before the start.",
          "no_show": "A no-show can only be marked once it has started."}),
    Rule("override_not_allowed", "CB014", 403,
         "an override asked for by staff without `bookings.override_capacity`",
         {"": "Only staff with the override permission may override."}),
    Rule("not_full", "CB015", 409, "a waitlist place inserted directly while places remain (book instead)",
         {"": "There are places left: book it rather than join the waitlist."}),
    Rule("not_movable", "CB016", 409,
         "an UPDATE moving a booking to another member, slot, class or organization (cancel and book again)",
         {"": "A booking cannot be moved to another member or item: cancel it and book again."}),
    Rule("busy", LOCK_NOT_AVAILABLE, 409, "another booking of the same item or member holds the lock past 2 s",
         {"": "Someone else is booking this right now; try again in a moment.",
          "waitlist": "their bookings were being changed at that moment"}),
    # Slot generation.
    Rule("invalid_range", "CS001", 400, "a slot run's days are missing, backwards, too many or too far ahead",
         {"": "%s is out of range: give a day from %s to %s (at most %s years from today at %s)",
          "days": "%s is out of range: give a number of days from 1 to %s",
          "backwards": "%s is before the start date %s",
          "too_long": "%s is %s days from %s: a run covers at most %s days",
          "required": "start and end dates are required",
          "end_before_start": "end date %s is before start date %s",
          "longer_than_limit": "range of %s days is longer than the limit of %s days",
          "beyond_window": "%s is beyond the booking window: slots here can be booked up to %s days ahead, until %s"}),
    Rule("start_in_past", "CS002", 400, "a slot run that starts before the branch's today (its slots would have ended)",
         {"": "%s is before today at %s (%s in %s): its slots would already have ended",
          "classes": "%s is before today at %s (%s in %s): its classes would already be over",
          "member": "start date %s is in the past (today is %s at the branch)"}),
    # Closures.
    Rule("closure_overlaps", "CC001", 409,
         "a closure overlapping an open closure of the same facility, room or branch (or of the whole branch)",
         {"": "It overlaps the closure of %s, %s (%s): reopen or shorten that one, or choose other times."}),
    Rule("closure_in_past", "CC002", 400, "a closure that starts in the past, or one moved after it started",
         {"": "A closure cannot start in the past: it is %s at the branch now.",
          "started": "This closure has started: only its end, reason and note can change."}),
    Rule("closure_not_open", "CC003", 409, "reopening or cancelling the bookings of a closure reopened or over",
         {"": "This closure was already reopened, on %s.",
          "over": "This closure is over (it ended %s): there is nothing left to reopen or cancel."}),
    Rule("closure_scope", "CC004", 400, "a closure of a facility of another branch",
         {"": "%s is not a facility of %s."}),
    # The API's own.
    Rule("permission_denied", None, 403, "a staff token without the permission the operation needs",
         {"book": "You may not book this kind of booking.", "check_in": "You may not check members in."}),
)  # fmt: skip

BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}
BY_SQLSTATE: dict[str, Rule] = {rule.sqlstate: rule for rule in RULES if rule.sqlstate}


def n_of_m(n: int, m: int) -> str:
    return N_OF_M % (n, m)


def refuse(code: str, situation: str = "", *values, details: dict | None = None) -> RuleViolation:
    """The RuleViolation of a rule Python checks itself: `raise refuse("start_in_past", "", ...)`."""
    return BY_CODE[code].violation(situation, *values, details=details)


def http_status(code: str) -> int:
    """The API's status for a refusal; a code outside the registry is a conflict with the state."""
    rule = BY_CODE.get(code)
    return rule.http_status if rule else 409


def violation_from_database(error: Exception) -> RuleViolation | None:
    """The rule a database error is, or None when it is no rule (then it is a real failure).

    The one translation from the database's refusals to RuleViolation, for services, commands and
    the API alike. The message is the database's own (it holds the values) except for a foreign
    SQLSTATE such as a lock timeout, whose text is PostgreSQL's.
    """
    cause = error.__cause__ if error.__cause__ is not None else error
    rule = BY_SQLSTATE.get(getattr(cause, "sqlstate", None) or "")
    if rule is None:
        return None
    own = rule.sqlstate.startswith(("CB", "CS", "CC"))
    return RuleViolation(rule.code, cause.diag.message_primary if own else rule.message())


@contextmanager
def refusals_of_the_database() -> Iterator[None]:
    """Around a call into the database: an error that is a rule leaves as its RuleViolation;
    anything else is a real failure and leaves as it is."""
    try:
        yield
    except DatabaseError as error:
        violation = violation_from_database(error)
        if violation is None:
            raise
        raise violation from error


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def render_sql() -> str:
    """The registry as SQL: the rules' SQLSTATEs and messages by code and situation, for the
    engine's functions (`app_private.refusal` to describe one, `app_private.refuse` to raise it)."""
    rows = ",\n".join(
        f"        ({_literal(rule.code)}, {_literal(situation)}, {_literal(rule.sqlstate)}, {_literal(message)})"
        for rule in RULES
        if rule.sqlstate
        for situation, message in rule.messages.items()
    )
    return f"""-- Generated from config/rules.py (manage.py freeze_sql writes it): do not edit; change the registry.

-- A rule's SQLSTATE and its message for a situation, the values put in (format's %s, in order).
-- An unknown code or situation is a mistake in the calling SQL, never a refusal of the user.
create or replace function app_private.refusal(
    p_code text, p_situation text default '', p_values text[] default '{{}}',
    out sqlstate text, out message text
)
    language plpgsql stable
    set search_path = ''
as $$
begin
    select r.sqlstate, format(r.message, variadic p_values) into sqlstate, message
    from (values
{rows}
    ) r (code, situation, sqlstate, message)
    where r.code = p_code and r.situation = p_situation;
    if sqlstate is null then
        raise exception 'no rule % with situation "%" in config/rules.py', p_code, p_situation;
    end if;
end
$$;

-- "3 of 4": a count against its limit, as config.rules.n_of_m writes it.
create or replace function app_private.n_of_m(p_n integer, p_m integer) returns text
    language sql immutable
    set search_path = ''
    return format({_literal(N_OF_M)}, p_n, p_m);

-- Raise a refusal app_private.refusal described: its SQLSTATE, its message, its code as the detail.
create or replace function app_private.raise_refusal(p_code text, p_sqlstate text, p_message text)
    returns void
    language plpgsql volatile
    set search_path = ''
as $$
begin
    raise exception using message = p_message, errcode = p_sqlstate, detail = p_code;
end
$$;

-- Refuse by a rule's code.
create or replace function app_private.refuse(p_code text, p_situation text default '', p_values text[] default '{{}}')
    returns void
    language plpgsql volatile
    set search_path = ''
as $$
declare
    rule record := app_private.refusal(p_code, p_situation, p_values);
begin
    perform app_private.raise_refusal(p_code, rule.sqlstate, rule.message);
end
$$;
"""
