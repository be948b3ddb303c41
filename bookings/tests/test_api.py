"""The REST API: member and staff endpoints, happy paths, refusals and isolation."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from audit.models import AuditLog
from audit.services import Actor
from bookings.models import BenefitBooking
from bookings.services import Override, booking_create
from bookings.tests.conftest import tomorrow_at
from classes.tests.factories import ScheduledClassFactory
from clubs.tests.factories import BranchFactory
from facilities.services import closure_open
from facilities.tests.factories import BenefitSlotFactory, FacilityFactory
from members.models import BenefitKind
from members.tests.factories import EntitlementFactory, MemberFactory
from members.tests.tokens import bearer, member_token
from staff_auth.tests.factories import api_key_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(club):
    club.member.auth_user_id = uuid.uuid4()
    club.member.save()
    return club.member


def as_member(member) -> dict:
    return bearer(member_token(member))


def fill(club):
    for _ in range(club.slot.capacity):
        booking_create(kind="slot", item_id=club.slot.pk, member_id=club.new_member().pk,
                       actor=Actor.system("t"), channel="concierge", source="command")  # fmt: skip


def test_member_lists_facilities_slots_with_places_and_classes(client, club, member):
    fill(club)
    day = tomorrow_at(0).date().isoformat()
    facilities = client.get(reverse("api:facilities"), **as_member(member)).json()
    assert [facility["name"] for facility in facilities["results"]] == ["Sauna"]
    slots = client.get(reverse("api:slots"), {"date": day}, **as_member(member)).json()
    assert [(slot["id"], slot["remaining"]) for slot in slots["results"]] == [(str(club.slot.pk), 0)]
    classes = client.get(reverse("api:classes"), {"date": day}, **as_member(member)).json()
    assert [(item["title"], item["remaining"]) for item in classes["results"]] == [("Yoga", 2)]


def test_a_slot_of_a_facility_under_maintenance_is_listed_as_closed(client, club, member):
    club.facility.under_maintenance = True
    club.facility.save()
    day = tomorrow_at(0).date().isoformat()
    slots = client.get(reverse("api:slots"), {"date": day}, **as_member(member)).json()
    assert [(slot["id"], slot["is_closed"]) for slot in slots["results"]] == [(str(club.slot.pk), True)]


def test_a_closure_closes_the_slots_and_classes_it_covers_with_its_reason(client, club, member, manager):
    closure_open(branch=club.branch, facility=None, room="", starts_at=tomorrow_at(11), ends_at=tomorrow_at(14),
                 reason="private_event", note="Open day", user=manager, source="admin")  # fmt: skip
    day = tomorrow_at(0).date().isoformat()
    slots = client.get(reverse("api:slots"), {"date": day}, **as_member(member)).json()
    assert [(slot["is_closed"], slot["closed_reason"]) for slot in slots["results"]] == [(False, None)]  # 10:00
    classes = client.get(reverse("api:classes"), {"date": day}, **as_member(member)).json()
    assert [(item["is_cancelled"], item["closed_reason"]) for item in classes["results"]] == [
        (True, "closed for private event: Open day")  # 12:00
    ]


def test_a_slot_overridden_beyond_capacity_shows_no_places_left(client, club, member, manager):
    fill(club)
    booking_create(
        kind="slot", item_id=club.slot.pk, member_id=club.new_member().pk, actor=Actor.staff(manager),
        channel="concierge", source="admin", booked_by=manager, override=Override("vip", "Guest"),
    )  # fmt: skip
    day = tomorrow_at(0).date().isoformat()
    slots = client.get(reverse("api:slots"), {"date": day}, **as_member(member)).json()
    assert [slot["remaining"] for slot in slots["results"]] == [0]


def test_member_books_lists_and_cancels(client, club, member):
    response = client.post(
        reverse("api:bookings"), {"kind": "class", "item": club.scheduled_class.pk}, **as_member(member)
    )
    assert response.status_code == 201, response.json()
    booking = response.json()
    assert (booking["status"], booking["capacity_override"]) == ("confirmed", False)
    mine = client.get(reverse("api:bookings"), **as_member(member)).json()
    assert [item["id"] for item in mine["results"]] == [booking["id"]]
    entry = AuditLog.objects.get(entity_id=booking["id"])
    assert (entry.actor_type, entry.actor_id, entry.source) == ("member", str(member.auth_user_id), "api")
    cancelled = client.post(reverse("api:booking-cancel", args=[booking["id"]]), **as_member(member))
    assert cancelled.json() == {"status": "cancelled", "late_cancellation": False}


def test_a_full_slot_refuses_with_the_rule_code_or_waitlists(client, club, member):
    fill(club)
    refused = client.post(reverse("api:bookings"), {"kind": "slot", "item": club.slot.pk}, **as_member(member))
    assert refused.status_code == 409
    assert refused.json() == {
        "code": "full",
        "message": "Full: 2 of 2 places taken. The member can join the waitlist.",
        "details": {},
    }
    waitlisted = client.post(
        reverse("api:bookings"), {"kind": "slot", "item": club.slot.pk, "join_waitlist": True}, **as_member(member)
    )
    assert waitlisted.json()["status"] == "waitlisted"


def test_a_member_can_never_set_an_override(client, club, member):
    fill(club)
    response = client.post(
        reverse("api:bookings"),
        {"kind": "slot", "item": club.slot.pk, "override": {"reason_code": "vip", "note": "me"}},
        content_type="application/json",
        **as_member(member),
    )
    assert response.status_code == 409  # the override field is not part of a member's request
    assert not BenefitBooking.objects.filter(member=member).exists()


def test_another_members_booking_answers_404(client, club, member):
    other = club.new_member(auth_user_id=uuid.uuid4())
    theirs = booking_create(kind="slot", item_id=club.slot.pk, member_id=other.pk, actor=Actor.system("t"),
                            channel="concierge", source="command")  # fmt: skip
    response = client.post(reverse("api:booking-cancel", args=[theirs.booking_id]), **as_member(member))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert BenefitBooking.objects.get(pk=theirs.booking_id).status == "confirmed"
    assert [b["id"] for b in client.get(reverse("api:bookings"), **as_member(member)).json()["results"]] == []


def test_members_of_another_organization_see_nothing_of_this_one(client, club):
    stranger_branch = BranchFactory(time_zone="Europe/London")
    stranger = MemberFactory(home_branch=stranger_branch, auth_user_id=uuid.uuid4())
    day = tomorrow_at(0).date().isoformat()
    assert client.get(reverse("api:slots"), {"date": day}, **as_member(stranger)).json()["results"] == []
    assert client.get(reverse("api:facilities"), **as_member(stranger)).json()["results"] == []
    response = client.post(reverse("api:bookings"), {"kind": "slot", "item": club.slot.pk}, **as_member(stranger))
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_entitlements_show_the_use_in_the_current_period(client, club, member):
    EntitlementFactory(member=member, benefit_kind=BenefitKind.CLASS, quota=8, period="month")
    # a time of its own, so that no other booking of the member's overlaps it
    now_slot = BenefitSlotFactory(facility=club.facility, starts_at=tomorrow_at(15), ends_at=tomorrow_at(15, 30))
    booking_create(kind="slot", item_id=now_slot.pk, member_id=member.pk, actor=Actor.system("t"),
                   channel="concierge", source="command")  # fmt: skip
    body = client.get(reverse("api:entitlements"), **as_member(member)).json()
    assert [(item["benefit_kind"], item["quota"], item["period"]) for item in body] == [
        ("class", 8, "month"),
        ("recovery", 4, "week"),
    ]
    assert body[0]["used"] == 0


def test_member_triggers_slot_generation_through_the_same_function(client, club, member):
    FacilityFactory(branch=club.branch, name="Plunge")
    day = tomorrow_at(0).date().isoformat()
    response = client.post(
        reverse("api:slot-generation"), {"branch": club.branch.pk, "start": day, "end": day}, **as_member(member)
    )
    assert response.status_code == 200, response.json()
    # two facilities, 06:00 to 22:00; the sauna's 10:00 slot was there already
    assert response.json() == {"created": 63, "already_present": 1}
    past = client.post(
        reverse("api:slot-generation"), {"branch": club.branch.pk, "start": "2020-01-01", "end": "2020-01-02"},
        **as_member(member),
    )  # fmt: skip
    assert past.status_code == 400 and "in the past" in past.json()["message"]


def test_a_frozen_member_opens_no_slots_and_is_told_why(client, club, member):
    member.status = "frozen"
    member.save()
    day = tomorrow_at(0).date().isoformat()
    response = client.post(
        reverse("api:slot-generation"), {"branch": club.branch.pk, "start": day, "end": day}, **as_member(member)
    )
    assert response.status_code == 409 and response.json()["code"] == "member_not_active", response.json()


def test_bad_input_is_a_400_with_details(client, member):
    response = client.post(reverse("api:bookings"), {"kind": "spa", "item": "nope"}, **as_member(member))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and set(body["details"]) == {"kind", "item"}


# Staff


def staff_token(user) -> dict:
    return {"HTTP_AUTHORIZATION": f"Token {api_key_for(user)}"}


def test_staff_search_members(client, front_desk, club):
    response = client.get(reverse("api:staff-members"), {"q": "olivia"}, **staff_token(front_desk))
    assert [match["member_number"] for match in response.json()] == [club.member.member_number]


def test_member_tokens_cannot_use_staff_endpoints(client, member):
    response = client.get(reverse("api:staff-members"), {"q": "o"}, **as_member(member))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_staff_concierge_booking_with_override_needs_the_permission(client, front_desk, manager, club):
    fill(club)
    request = {
        "kind": "slot", "item": str(club.slot.pk), "member": str(club.member.pk),
        "override": {"reason_code": "medical", "note": "Physio referral"},
    }  # fmt: skip
    post = {"path": reverse("api:staff-bookings"), "data": request, "content_type": "application/json"}
    refused = client.post(**post, **staff_token(front_desk))
    assert (refused.status_code, refused.json()["code"]) == (403, "override_not_allowed")
    booked = client.post(**post, **staff_token(manager))
    assert booked.status_code == 201
    assert booked.json()["places"] == "3 of 2"


def test_staff_check_in(client, front_desk, club):
    from django.utils import timezone

    soon = BenefitSlotFactory(
        facility=club.facility,
        starts_at=timezone.now() + timezone.timedelta(minutes=10),
        ends_at=timezone.now() + timezone.timedelta(minutes=40),
    )
    booking = booking_create(kind="slot", item_id=soon.pk, member_id=club.member.pk, actor=Actor.system("t"),
                             channel="concierge", source="command")  # fmt: skip
    response = client.post(reverse("api:staff-check-in", args=[booking.booking_id]), **staff_token(front_desk))
    assert response.json() == {"status": "attended"}


def test_session_staff_need_csrf(front_desk):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(front_desk)
    response = browser.post(reverse("api:staff-bookings"), {}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_audit_export_is_for_managers_and_streams(client, front_desk, manager, club):
    ScheduledClassFactory(branch=club.branch)
    day = tomorrow_at(0).date().isoformat()
    refused = client.get(reverse("api:staff-audit-export"), {"start": day, "end": day}, **staff_token(front_desk))
    assert refused.status_code == 403
    query = {"start": "2020-01-01", "end": day, "file_format": "jsonl"}
    response = client.get(reverse("api:staff-audit-export"), query, **staff_token(manager))
    assert response.status_code == 200 and response.streaming
    body = b"".join(response.streaming_content).decode()
    assert all(line.startswith("{") for line in body.splitlines())
    assert AuditLog.objects.filter(action="audit.exported", source="api").exists()
