"""The member app's functions, called as PostgREST calls them: same rules, same refusals."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.db import DatabaseError

from access.tests.postgrest import PERMISSION_DENIED, acting_as, sqlstate
from bookings.tests.conftest import tomorrow_at
from classes.tests.factories import ScheduledClassFactory
from clubs.tests.factories import BranchFactory
from facilities.tests.factories import BenefitSlotFactory, FacilityFactory
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def claims(member) -> dict:
    return {
        "sub": str(member.auth_user_id),
        "role": "authenticated",
        "app_metadata": {"organization_id": str(member.organization_id)},
    }


def linked(member):
    member.auth_user_id = uuid.uuid4()
    member.save()
    return member


def call(member, sql: str, params: list):
    with acting_as("authenticated", claims(member)) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def refused(member, sql: str, params: list) -> tuple[str, str]:
    with pytest.raises(DatabaseError) as refusal:
        call(member, sql, params)
    return sqlstate(refusal.value), refusal.value.__cause__.diag.message_primary


def book_for(member, item, kind="slot"):
    """A booking that stays (made through the service, outside the PostgREST-like block)."""
    from audit.services import Actor
    from bookings.services import booking_create

    booking_create(kind=kind, item_id=item.pk, member_id=member.pk, actor=Actor.system("t"),
                   channel="concierge", source="command")  # fmt: skip


BOOK_SLOT = "select booking_id, status from public.book_benefit_slot(%s)"
BOOK_CLASS = "select booking_id, status from public.book_class(%s)"
WAITLIST_SLOT = "select booking_id, status from public.book_benefit_slot(%s, true)"


def test_a_member_books_a_slot_and_a_class_for_themselves(club):
    member = linked(club.member)
    with acting_as("authenticated", claims(member)) as cursor:
        cursor.execute(BOOK_SLOT, [club.slot.pk])
        ((booking_id, status),) = cursor.fetchall()
        assert status == "confirmed"
        cursor.execute(BOOK_CLASS, [club.scheduled_class.pk])
        assert cursor.fetchall()[0][1] == "confirmed"
        cursor.execute("select member_id, channel from public.benefit_bookings where id = %s", [booking_id])
        assert cursor.fetchall() == [(member.pk, "member_app")]
        cursor.execute("reset role")
        cursor.execute("select actor_type, actor_id, source from audit_logs where entity_id = %s", [str(booking_id)])
        assert cursor.fetchall() == [("member", str(member.auth_user_id), "rpc")]


@pytest.mark.parametrize(
    ("case", "state", "message"),
    [
        ("frozen", "CB001", "The membership is frozen: only active members can book."),
        ("twice", "CB002", "The member already has a booking for this."),
        ("past", "CB003", "It has already started or is over."),
        ("maintenance", "CB004", "Not bookable: the facility is under maintenance."),
        ("overlap", "CB006", "The member is already booked at that time: Yoga at 12:00."),
        ("full", "CB008", "Full: 2 of 2 places taken. The member can join the waitlist."),
        ("other_organization", "CB009", "That slot, class or member does not exist here."),
    ],
)
def test_each_rule_refuses_with_its_own_sqlstate(club, case, state, message):
    member = linked(club.member)
    slot = club.slot
    if case == "frozen":
        member.status = "frozen"
        member.save()
    elif case == "twice":
        book_for(member, slot)
    elif case == "past":
        slot = BenefitSlotFactory(
            facility=club.facility,
            starts_at=tomorrow_at(10) - datetime.timedelta(days=3),
            ends_at=tomorrow_at(10, 30) - datetime.timedelta(days=3),
        )
    elif case == "maintenance":
        club.facility.under_maintenance = True
        club.facility.save()
    elif case == "overlap":
        slot = BenefitSlotFactory(facility=club.facility, starts_at=tomorrow_at(12), ends_at=tomorrow_at(12, 30))
        with acting_as("authenticated", claims(member)) as cursor:
            cursor.execute(BOOK_CLASS, [club.scheduled_class.pk])
            with pytest.raises(DatabaseError) as refusal:
                cursor.execute(BOOK_SLOT, [slot.pk])
        assert (sqlstate(refusal.value), refusal.value.__cause__.diag.message_primary) == (state, message)
        return
    elif case == "full":
        for _ in range(2):
            book_for(club.new_member(), slot)
    elif case == "other_organization":
        slot = BenefitSlotFactory(facility=FacilityFactory(branch=BranchFactory()))
    assert refused(member, BOOK_SLOT, [slot.pk]) == (state, message)


def test_a_full_slot_takes_the_member_on_the_waitlist_when_asked(club):
    for _ in range(2):
        book_for(club.new_member(), club.slot)
    assert call(linked(club.member), WAITLIST_SLOT, [club.slot.pk])[0][1] == "waitlisted"


def test_a_member_cancels_only_their_own_booking(club):
    member, other = linked(club.member), linked(club.new_member())
    with acting_as("authenticated", claims(member)) as cursor:
        cursor.execute(BOOK_SLOT, [club.slot.pk])
        ((booking_id, _),) = cursor.fetchall()
        cursor.execute("select set_config('request.jwt.claims', %s, true)", [__import__("json").dumps(claims(other))])
        with pytest.raises(DatabaseError) as refusal:
            cursor.execute("select * from public.cancel_booking(%s)", [booking_id])
    assert sqlstate(refusal.value) == "CB009"
    with acting_as("authenticated", claims(member)) as cursor:
        cursor.execute(BOOK_SLOT, [club.slot.pk])
        ((booking_id, _),) = cursor.fetchall()
        cursor.execute("select status, late from public.cancel_booking(%s)", [booking_id])
        assert cursor.fetchall() == [("cancelled", False)]


def test_a_direct_insert_through_postgrest_obeys_the_same_capacity(club):
    for _ in range(2):
        book_for(club.new_member(), club.slot)
    member = linked(club.member)
    state, message = refused(
        member,
        "insert into public.benefit_bookings (organization_id, member_id, slot_id, channel)"
        " values (%s, %s, %s, 'member_app')",
        [member.organization_id, member.pk, club.slot.pk],
    )
    assert (state, message) == ("CB008", "Full: 2 of 2 places taken. The member can join the waitlist.")


def test_a_direct_insert_is_recorded_in_the_audit_trail(club):
    member = linked(club.member)
    with acting_as("authenticated", claims(member)) as cursor:
        cursor.execute(
            "insert into public.class_bookings (organization_id, member_id, class_id, channel)"
            " values (%s, %s, %s, 'member_app') returning id",
            [member.organization_id, member.pk, club.scheduled_class.pk],
        )
        (booking_id,) = cursor.fetchone()
        cursor.execute("reset role")
        cursor.execute(
            "select action, actor_type, source, branch_id from audit_logs where entity_id = %s", [str(booking_id)]
        )
        assert cursor.fetchall() == [("booking.created", "member", "api", club.branch.pk)]


def test_a_token_without_a_member_is_refused(club):
    token = {"sub": str(uuid.uuid4()), "role": "authenticated"}
    with pytest.raises(DatabaseError) as refusal:
        with acting_as("authenticated", token) as cursor:
            cursor.execute(BOOK_SLOT, [club.slot.pk])
    assert sqlstate(refusal.value) == "CB010"


def test_anon_cannot_book(club):
    with pytest.raises(DatabaseError) as refusal:
        with acting_as("anon", {"role": "anon"}) as cursor:
            cursor.execute(BOOK_SLOT, [club.slot.pk])
    assert sqlstate(refusal.value) == PERMISSION_DENIED


def test_search_members_answers_staff_tools_but_not_member_tokens(club):
    member = linked(club.member)
    assert call(member, "select * from public.search_members('smith')", []) == []
    with acting_as("service_role", {"role": "service_role"}) as cursor:
        cursor.execute("select member_number from public.search_members('smith')")
        assert cursor.fetchall() == [(member.member_number,)]


@pytest.mark.parametrize(
    "query", ["olivia", "smi", "olivia smith", "smith olivia", "OLIVIA.SMITH", "{number}", "+44 7700 9001"]
)
def test_member_search_by_name_email_number_or_phone(club, query):
    from members.selectors import member_search

    member = club.member
    member.email = "olivia.smith@example.com"
    member.phone = "+44 7700 900123"
    member.save()
    MemberFactory(home_branch=club.branch, first_name="Noah", last_name="Jones", phone="+1 212 555 0100")
    found = [match.id for match in member_search(query.format(number=member.member_number))]
    assert found == [member.pk]


def test_class_functions_share_the_rules(club):
    member = linked(club.member)
    ScheduledClassFactory(branch=club.branch)  # another class, irrelevant
    club.scheduled_class.is_cancelled = True
    club.scheduled_class.save()
    assert refused(member, BOOK_CLASS, [club.scheduled_class.pk]) == ("CB004", "Not bookable: the class is cancelled.")
