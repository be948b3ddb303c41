"""Inserts that do not go through the booking engine: the rules hold whoever writes the row, and a
member's session learns nothing about anyone else's bookings.

Sessions act as PostgREST's do (a role plus JWT claims, see access/tests/postgrest.py), as the
service key does, and as the connecting owner (Django's own connection).
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager

import pytest
from django.db import DatabaseError, connection, transaction

from access.tests.postgrest import PERMISSION_DENIED, acting_as, sqlstate
from bookings.models import BenefitBooking
from bookings.tests.conftest import tomorrow_at
from bookings.tests.test_member_functions import book_for, claims, linked
from classes.models import ScheduledClass
from clubs.tests.factories import BranchFactory
from config.testing import committed_connection
from facilities.tests.factories import BenefitSlotFactory, FacilityFactory
from members.models import BenefitKind
from members.tests.factories import EntitlementFactory, MemberFactory

pytestmark = pytest.mark.django_db

OWNER = "owner"
ROLES = ["authenticated", "service_role", OWNER]
# The settings that used to turn the rules, the audit entry and the locks off for a transaction.
OLD_SWITCHES = (
    "select set_config('club.booking_function', 'on', true), set_config('club.skip_booking_lock_for_tests', 'on', true)"
)
INSERT_BOOKING = (
    "insert into public.{table} (organization_id, member_id, {column}, status, channel)"
    " values (%s, %s, %s, %s, 'member_app') returning id"
)
RLS_REFUSAL = 'new row violates row-level security policy for table "benefit_bookings"'
CLASS_RLS_REFUSAL = 'new row violates row-level security policy for table "class_bookings"'


@contextmanager
def session(role: str, member):
    """A cursor as `role` (the member's token for `authenticated`), rolled back at the end."""
    if role == OWNER:
        with transaction.atomic(), connection.cursor() as cursor:
            yield cursor
            transaction.set_rollback(True)
        return
    token = claims(member) if role == "authenticated" else {"role": role}
    with acting_as(role, token) as cursor:
        yield cursor


def insert_booking(cursor, member, item, status: str = "confirmed", *, organization_id=None):
    """Insert a booking of a slot or (given a ScheduledClass) a class, as PostgREST would."""
    table, column = (
        ("class_bookings", "class_id") if isinstance(item, ScheduledClass) else ("benefit_bookings", "slot_id")
    )
    insert = INSERT_BOOKING.format(table=table, column=column)
    cursor.execute(insert, [organization_id or member.organization_id, member.pk, item.pk, status])
    return cursor.fetchone()[0]


def insert_refused(role: str, session_member, booked_member, item, status: str = "confirmed", **row):
    with pytest.raises(DatabaseError) as refusal, session(role, session_member) as cursor:
        insert_booking(cursor, booked_member, item, status, **row)
    return sqlstate(refusal.value), refusal.value.__cause__.diag.message_primary


def fill(slot, places: int = 2):
    for _ in range(places):
        book_for(MemberFactory(home_branch=slot.facility.branch), slot)


# 1. Nothing a session can set turns a rule off


@pytest.mark.parametrize("role", ROLES)
def test_the_old_switches_do_not_let_an_insert_into_a_full_slot(club, role):
    fill(club.slot)
    member = linked(club.member)
    with pytest.raises(DatabaseError) as refusal, session(role, member) as cursor:
        cursor.execute(OLD_SWITCHES)
        insert_booking(cursor, member, club.slot)
    assert sqlstate(refusal.value) == "CB008"


@pytest.mark.parametrize("role", ROLES)
def test_the_old_switches_do_not_skip_the_audit_entry(club, role):
    member = linked(club.member)
    with session(role, member) as cursor:
        cursor.execute(OLD_SWITCHES)
        booking_id = insert_booking(cursor, member, club.slot)
        cursor.execute("reset role")
        cursor.execute("select action from audit_logs where entity_id = %s", [str(booking_id)])
        assert cursor.fetchall() == [("booking.created",)]


@pytest.mark.parametrize("role", ROLES)
def test_the_old_switches_do_not_turn_the_lock_off(club, role):
    """Another transaction is booking the slot: the insert waits for it (and gives up, busy)."""
    member = linked(club.member)
    with committed_connection() as holder:
        holder.execute("select app_private.lock_booking_rows('slot', %s, %s)", [club.slot.pk, club.new_member().pk])
        with pytest.raises(DatabaseError) as refusal, session(role, member) as cursor:
            cursor.execute(OLD_SWITCHES)
            insert_booking(cursor, member, club.slot)
        holder.rollback()
    assert sqlstate(refusal.value) == "55P03"


def test_the_old_switches_do_not_turn_the_member_functions_lock_off(club):
    member = linked(club.member)
    with committed_connection() as holder:
        holder.execute("select app_private.lock_booking_rows('slot', %s, %s)", [club.slot.pk, club.new_member().pk])
        with pytest.raises(DatabaseError) as refusal, session("authenticated", member) as cursor:
            cursor.execute(OLD_SWITCHES)
            cursor.execute("select * from public.book_benefit_slot(%s)", [club.slot.pk])
        holder.rollback()
    assert sqlstate(refusal.value) == "55P03"


def test_the_engines_bookings_have_one_audit_entry_each_and_leave_no_mark(club):
    fill(club.slot)
    with session("authenticated", linked(club.member)) as cursor:
        cursor.execute("select booking_id from public.book_benefit_slot(%s, true)", [club.slot.pk])
        (booking_id,) = cursor.fetchone()
        cursor.execute("reset role")
        cursor.execute("select action from audit_logs where entity_id = %s", [str(booking_id)])
        assert cursor.fetchall() == [("booking.waitlisted",)]
        cursor.execute("select count(*) from app_private.booking_engine_writes")
        assert cursor.fetchone() == (0,)


def test_no_installed_function_reads_a_switch_a_session_could_set():
    with connection.cursor() as cursor:
        cursor.execute(
            "select p.oid::regprocedure::text from pg_proc p join pg_namespace n on n.oid = p.pronamespace"
            " where n.nspname in ('public', 'app_private') and p.prosrc ~ %s",
            [r"'club\."],  # a 'club.…' setting named in a function's body
        )
        assert cursor.fetchall() == []


def test_a_session_cannot_write_the_engines_mark(club):
    """The engine marks its own rows in a table only the engine's owner can write."""
    for role in ("authenticated", "service_role"):
        with pytest.raises(DatabaseError) as refusal, session(role, linked(club.member)) as cursor:
            cursor.execute("insert into app_private.booking_engine_writes (booking_id) values (gen_random_uuid())")
        assert sqlstate(refusal.value) == PERMISSION_DENIED


# 2. A member learns nothing about other members or tenants


def frozen(member):
    member.status = "frozen"
    member.save()
    return member


def holding_the_slot(club, member):
    book_for(member, club.slot)
    return member


def in_yoga(club, member):
    book_for(member, club.scheduled_class, kind="class")
    return member


def with_entitlement_used_up(club, member):
    EntitlementFactory(member=member, benefit_kind=BenefitKind.RECOVERY, quota=1)
    book_for(member, BenefitSlotFactory(facility=club.facility, starts_at=tomorrow_at(14), ends_at=tomorrow_at(15)))
    return member


def after_the_slot_is_full(club, member):
    fill(club.slot)
    return member


@pytest.mark.parametrize(
    ("rule", "other_member"),
    [
        ("CB001", lambda club: frozen(club.new_member())),
        ("CB002", lambda club: holding_the_slot(club, club.new_member())),
        ("CB006", lambda club: in_yoga(club, club.new_member())),
        ("CB007", lambda club: with_entitlement_used_up(club, club.new_member())),
        ("CB008", lambda club: after_the_slot_is_full(club, club.new_member())),
        ("CB009", lambda club: MemberFactory(home_branch=BranchFactory())),
    ],
)
def test_a_member_inserting_for_another_member_is_refused_before_any_rule(club, rule, other_member):
    """Each case is one the rules would refuse (as the service key learns), but a member is told
    only what row-level security says of any row that is not theirs."""
    other = other_member(club)
    if rule == "CB006":
        slot = BenefitSlotFactory(facility=club.facility, starts_at=tomorrow_at(12), ends_at=tomorrow_at(12, 30))
    else:
        slot = club.slot
    assert insert_refused("service_role", None, other, slot)[0] == rule
    member = linked(club.member)
    assert insert_refused("authenticated", member, other, slot) == (PERMISSION_DENIED, RLS_REFUSAL)


@pytest.mark.parametrize("status", ["confirmed", "waitlisted"])
def test_a_member_cannot_book_for_a_member_that_does_not_exist(club, status):
    member = linked(club.member)
    ghost = MemberFactory.build(organization_id=member.organization_id)
    assert insert_refused("authenticated", member, ghost, club.slot, status) == (PERMISSION_DENIED, RLS_REFUSAL)


def test_another_organizations_slot_is_to_a_member_as_one_that_does_not_exist(club):
    member = linked(club.member)
    elsewhere = BenefitSlotFactory(facility=FacilityFactory(branch=BranchFactory()))
    # never saved: the database makes a slot's key, so this one's is made up
    nowhere = BenefitSlotFactory.build(id=uuid.uuid4(), organization_id=elsewhere.organization_id)
    answers = [
        insert_refused("authenticated", member, member, slot, organization_id=member.organization_id)
        for slot in (elsewhere, nowhere)
    ]
    assert answers == [("CB009", "That slot, class or member does not exist here.")] * 2


def test_a_row_of_another_organization_is_refused_before_any_rule(club):
    member = linked(club.member)
    elsewhere = BenefitSlotFactory(facility=FacilityFactory(branch=BranchFactory()))
    for slot in (elsewhere, club.slot):
        refused = insert_refused("authenticated", member, member, slot, organization_id=elsewhere.organization_id)
        assert refused == (PERMISSION_DENIED, RLS_REFUSAL)


def test_a_token_without_a_member_learns_nothing_about_the_member_it_names(club):
    token = {"sub": str(uuid.uuid4()), "role": "authenticated"}
    with pytest.raises(DatabaseError) as refusal, acting_as("authenticated", token) as cursor:
        insert_booking(cursor, club.member, club.slot)
    assert (sqlstate(refusal.value), refusal.value.__cause__.diag.message_primary) == (PERMISSION_DENIED, RLS_REFUSAL)


@pytest.mark.parametrize("status", ["confirmed", "waitlisted"])
def test_a_member_cannot_book_a_class_for_another_member(club, status):
    member = linked(club.member)
    other = in_yoga(club, club.new_member())
    refusal = insert_refused("authenticated", member, other, club.scheduled_class, status)
    assert refusal == (PERMISSION_DENIED, CLASS_RLS_REFUSAL)


# A member's own waitlist place, inserted directly: the engine's waitlist rules


def test_a_member_joins_the_waitlist_of_a_full_slot_directly(club):
    fill(club.slot)
    member = linked(club.member)
    with session("authenticated", member) as cursor:
        booking_id = insert_booking(cursor, member, club.slot, "waitlisted")
        cursor.execute("reset role")
        cursor.execute("select status from benefit_bookings where id = %s", [booking_id])
        assert cursor.fetchall() == [("waitlisted",)]
        cursor.execute("select action from audit_logs where entity_id = %s", [str(booking_id)])
        assert cursor.fetchall() == [("booking.waitlisted",)]


@pytest.mark.parametrize("item", ["slot", "scheduled_class"])
def test_a_member_cannot_wait_for_a_slot_or_class_with_places_left(club, item):
    member = linked(club.member)
    assert insert_refused("authenticated", member, member, getattr(club, item), "waitlisted") == (
        "CB015",
        "There are places left: book it rather than join the waitlist.",
    )


def test_a_member_waiting_for_a_full_slot_still_counts_their_entitlement(club):
    fill(club.slot)
    member = linked(club.member)
    member.entitlements.update(quota=1)
    book_for(member, BenefitSlotFactory(facility=club.facility, starts_at=tomorrow_at(14), ends_at=tomorrow_at(15)))
    state, message = insert_refused("authenticated", member, member, club.slot, "waitlisted")
    assert (state, message) == ("CB007", "1 of 1 recovery sessions used this week.")


@pytest.mark.parametrize("role", ["service_role", OWNER])
@pytest.mark.parametrize("change", ["slot_id = %(full)s", "member_id = %(frozen)s", "organization_id = %(other)s"])
def test_an_update_cannot_move_a_booking_past_the_rules(club, role, change):
    """Moving a booking to a full slot or a frozen member by UPDATE would take a place no rule
    counted, without an audit entry: cancel and book again instead."""
    fill(club.slot)
    elsewhere = BenefitSlotFactory(facility=club.facility, starts_at=tomorrow_at(15), ends_at=tomorrow_at(15, 30))
    book_for(club.member, elsewhere)
    booking = BenefitBooking.objects.get(member=club.member, slot=elsewhere).pk
    values = {"full": club.slot.pk, "frozen": frozen(club.new_member()).pk, "other": BranchFactory().organization_id}
    with pytest.raises(DatabaseError) as refusal, session(role, None) as cursor:
        moved = f"update public.benefit_bookings set {change} where id = %(booking)s"
        cursor.execute(moved, {**values, "booking": booking})
    assert sqlstate(refusal.value) == "CB016"
