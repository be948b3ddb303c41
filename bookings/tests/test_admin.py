"""The concierge flow and the bookings lists in the admin."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditLog
from audit.services import Actor
from bookings.models import BenefitBooking
from bookings.services import booking_create
from bookings.tests.conftest import tomorrow_at
from bookings.tests.factories import BenefitBookingFactory
from clubs.tests.factories import BranchFactory
from facilities.tests.factories import BenefitSlotFactory
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def url(name: str, **params) -> str:
    return f"{reverse(f'admin:bookings_concierge_{name}')}?{urlencode(params)}"


def fill(club):
    for _ in range(club.slot.capacity):
        booking_create(
            kind="slot",
            item_id=club.slot.pk,
            member_id=club.new_member().pk,
            actor=Actor.system("t"),
            channel="concierge",
            source="command",
        )


def state(club, **extra) -> dict:
    return {
        "member": club.member.pk,
        "kind": "slot",
        "branch": club.branch.pk,
        "date": tomorrow_at(0).date().isoformat(),
        **extra,
    }


def queries(client, address: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(address)
    assert response.status_code == 200, address
    return len(captured)


def test_step_one_finds_the_member_by_name_number_or_email(front_desk_client, club):
    page = front_desk_client.get(url("member", q="olivia smi")).content.decode()
    assert "Olivia Smith" in page and club.member.member_number in page and "Riverside" in page
    assert "Choose" in page
    empty = front_desk_client.get(url("member", q="zzzz")).content.decode()
    assert "No member starts with “zzzz”" in empty


def test_step_two_defaults_to_the_members_branch_and_today(front_desk_client, club):
    page = front_desk_client.get(url("schedule", member=club.member.pk)).content.decode()
    assert f'<option value="{club.branch.pk}" selected>' in page
    assert 'type="date"' in page and "Booking for <strong>Olivia Smith</strong>" in page


def test_step_two_offers_only_the_members_organizations_branches(front_desk_client, club):
    elsewhere = BranchFactory(name="Elsewhere")  # another organization's
    page = front_desk_client.get(url("schedule", member=club.member.pk)).content.decode()
    assert "Elsewhere" not in page
    picked = front_desk_client.get(url("pick", **{**state(club), "branch": elsewhere.pk})).content.decode()
    assert "Select a valid choice" in picked


def test_step_three_shows_recovery_slots_as_the_facility_grid_with_places_left(front_desk_client, club):
    BenefitSlotFactory(facility=club.facility, starts_at=tomorrow_at(11), ends_at=tomorrow_at(11, 30))
    fill(club)
    page = front_desk_client.get(url("pick", **state(club))).content.decode()
    assert 'class="facility-grid"' in page and '<span class="grid-name">Sauna</span>' in page
    assert '<strong class="grid-state">Full</strong>' in page and "Join waitlist" in page
    assert 'title="Sauna, 10:00–10:30: 2 of 2 taken"' in page
    assert ">4 left</a>" in page  # the other slot
    assert "0 of 4 recovery sessions used this week" in page


def test_step_three_marks_what_the_member_has_booked_already(front_desk_client, club):
    booking_create(kind="slot", item_id=club.slot.pk, member_id=club.member.pk,
                   actor=Actor.system("t"), channel="concierge", source="command")  # fmt: skip
    page = front_desk_client.get(url("pick", **state(club))).content.decode()
    assert 'Already booked</span> <span class="grid-why">(confirmed)' in page
    assert f"item={club.slot.pk}" not in page
    assert "Olivia has that day: Sauna 10:00–10:30." in page


def test_step_three_keeps_classes_as_a_list(front_desk_client, club):
    page = front_desk_client.get(url("pick", **state(club, kind="class"))).content.decode()
    assert "facility-grid" not in page and "<td>Yoga</td>" in page and "2 of 2 left" in page
    assert ">Choose</a>" in page


def test_step_four_books_and_the_success_page_offers_another(front_desk, front_desk_client, club):
    confirm = url("confirm", **state(club, item=club.slot.pk))
    page = front_desk_client.get(confirm).content.decode()
    assert "Confirm the booking" in page and 'name="override"' not in page
    assert 'name="book" autofocus>' in page  # Enter books
    assert 'id="nav-sidebar"' not in page  # the flow has the page to itself
    response = front_desk_client.post(confirm, {})
    assert response.status_code == 302
    booking = BenefitBooking.objects.get(member=club.member)
    assert (booking.booked_by_user, booking.channel, booking.status) == (front_desk, "concierge", "confirmed")
    done = front_desk_client.get(response["Location"]).content.decode()
    assert "Booked" in done and "Book another for this member" in done
    assert reverse("admin:bookings_benefitbooking_change", args=[booking.pk]) in done
    profile = reverse("admin:desk_member", args=[club.member.pk])
    assert f'<a href="{profile}">Back to Olivia Smith\'s profile</a>' in done
    assert f'<a href="{reverse("admin:desk_today")}">Today</a>' in done and 'id="nav-sidebar"' not in done
    entry = AuditLog.objects.get(entity_id=str(booking.pk))
    assert (entry.actor_type, entry.actor_id, entry.source) == ("staff", str(front_desk.pk), "admin")


def test_a_refusal_is_shown_on_the_step_in_plain_words(front_desk_client, club):
    fill(club)
    confirm = url("confirm", **state(club, item=club.slot.pk))
    page = front_desk_client.get(confirm).content.decode()
    assert "Full: 2 of 2 places taken. The member can join the waitlist." in page
    response = front_desk_client.post(confirm, {})
    assert response.status_code == 200
    assert "Full: 2 of 2 places taken." in response.content.decode()
    assert not BenefitBooking.objects.filter(member=club.member).exists()


def test_joining_the_waitlist(front_desk_client, club):
    fill(club)
    response = front_desk_client.post(url("confirm", **state(club, item=club.slot.pk, waitlist=1)), {})
    assert response.status_code == 302
    assert BenefitBooking.objects.get(member=club.member).status == "waitlisted"


def test_a_manager_overrides_a_full_slot_with_a_reason(manager, manager_client, club):
    fill(club)
    confirm = url("confirm", **state(club, item=club.slot.pk))
    assert 'name="override"' in manager_client.get(confirm).content.decode()
    missing = manager_client.post(confirm, {"override": "on", "override_reason_code": "", "override_note": ""})
    assert "Choose a reason for the override." in missing.content.decode()
    response = manager_client.post(
        confirm, {"override": "on", "override_reason_code": "medical", "override_note": "Physio referral"}
    )
    assert response.status_code == 302
    booking = BenefitBooking.objects.get(member=club.member)
    assert (booking.capacity_override, booking.places_taken_before, booking.capacity_at_booking) == (True, 2, 2)
    done = manager_client.get(response["Location"]).content.decode()
    assert "Override" in done and "3 of 2 places" in done


def test_a_managers_override_from_the_class_list_arrives_ticked_at_the_reason(manager_client, club):
    for _ in range(club.scheduled_class.capacity):
        booking_create(kind="class", item_id=club.scheduled_class.pk, member_id=club.new_member().pk,
                       actor=Actor.system("t"), channel="concierge", source="command")  # fmt: skip
    page = manager_client.get(url("pick", **state(club, kind="class"))).content.decode()
    override = url("confirm", **state(club, kind="class", item=club.scheduled_class.pk, override=1))
    assert f'<a href="{override.replace("&", "&amp;")}">Override…</a>' in page
    confirm = manager_client.get(override).content.decode()
    assert 'name="override" id="id_override" checked>' in confirm and 'name="override_reason_code" autofocus' in confirm


def test_override_asked_for_but_not_needed_is_a_plain_booking(manager_client, club):
    confirm = manager_client.get(url("confirm", **state(club, item=club.slot.pk, override=1))).content.decode()
    assert "checked" not in confirm and 'name="book" autofocus>' in confirm


def test_front_desk_cannot_override_even_by_posting_the_fields(front_desk_client, club):
    fill(club)
    confirm = url("confirm", **state(club, item=club.slot.pk))
    response = front_desk_client.post(
        confirm, {"override": "on", "override_reason_code": "vip", "override_note": "trust me"}
    )
    assert response.status_code == 200
    assert not BenefitBooking.objects.filter(member=club.member).exists()


def test_every_step_has_a_bounded_number_of_queries(manager_client, club):
    steps = [
        url("member", q="smith"),
        url("schedule", member=club.member.pk),
        url("pick", **state(club)),
        url("confirm", **state(club, item=club.slot.pk)),
    ]
    few = [queries(manager_client, step) for step in steps]
    for hour in range(12, 20):
        BenefitSlotFactory(facility=club.facility, starts_at=tomorrow_at(hour), ends_at=tomorrow_at(hour, 30))
    for _ in range(20):
        MemberFactory(home_branch=club.branch, last_name="Smithson")
    fill(club)
    many = [queries(manager_client, step) for step in steps]
    assert many == few
    assert max(many) <= 12


def test_the_bookings_list_is_bounded_and_shows_the_new_booking_button(manager_client, club):
    changelist = reverse("admin:bookings_benefitbooking_changelist")
    BenefitBookingFactory(capacity_override=True, override_reason_code="medical", override_reason="Physio")
    few = queries(manager_client, changelist)
    for _ in range(5):
        BenefitBookingFactory()
    assert queries(manager_client, changelist) == few
    page = manager_client.get(changelist).content.decode()
    assert "New booking" in page and reverse("admin:bookings_concierge_member") in page
    assert 'class="override-badge" title="Medical or physio referral: Physio"' in page


def test_the_plain_add_form_leads_to_the_concierge_flow(front_desk_client):
    response = front_desk_client.get(reverse("admin:bookings_benefitbooking_add"))
    assert response["Location"] == reverse("admin:bookings_concierge_member")


def test_cancel_action_goes_through_the_engine_and_reports_refusals(front_desk_client, club):
    first = booking_create(kind="slot", item_id=club.slot.pk, member_id=club.member.pk,
                           actor=Actor.system("t"), channel="concierge", source="command")  # fmt: skip
    changelist = reverse("admin:bookings_benefitbooking_changelist")
    response = front_desk_client.post(
        changelist, {"action": "cancel_bookings", "_selected_action": [first.booking_id]}, follow=True
    )
    assert "1 booking cancelled." in response.content.decode()
    again = front_desk_client.post(
        changelist, {"action": "cancel_bookings", "_selected_action": [first.booking_id]}, follow=True
    )
    assert "Olivia Smith: Only confirmed or waitlisted bookings can be cancelled" in again.content.decode()
    assert AuditLog.objects.filter(action="booking.cancelled", entity_id=str(first.booking_id)).count() == 1


def test_a_booking_page_is_a_record_not_a_form(manager_client, club):
    booking = BenefitBookingFactory()
    page = manager_client.get(reverse("admin:bookings_benefitbooking_change", args=[booking.pk])).content.decode()
    assert 'name="_save"' not in page


def test_front_desk_needs_booking_permission_for_the_flow(client, django_user_model):
    clerk = django_user_model.objects.create_user(username="nobody", password="pw", is_staff=True)
    client.force_login(clerk)
    assert client.get(url("member")).status_code == 403


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("frozen", "The membership is frozen: only active members can book."),
        ("maintenance", "Not bookable: the facility is under maintenance."),
    ],
)
def test_rules_refuse_in_the_concierge_flow_in_plain_words(front_desk_client, club, case, message):
    if case == "frozen":
        club.member.status = "frozen"
        club.member.save()
    else:
        club.facility.under_maintenance = True
        club.facility.save()
    response = front_desk_client.post(url("confirm", **state(club, item=club.slot.pk)), {})
    assert response.status_code == 200
    assert message in response.content.decode()


def test_a_booked_item_says_so_and_a_second_submit_answers_with_the_first_booking(front_desk_client, club):
    confirm = url("confirm", **state(club, item=club.slot.pk))
    first = front_desk_client.post(confirm, {})
    booking = BenefitBooking.objects.get(member=club.member, slot=club.slot)
    done = url("done", kind="slot", booking=booking.pk, member=club.member.pk)
    assert (first.status_code, first["Location"]) == (302, done)
    second = front_desk_client.post(confirm, {})  # a double click, or a reload of the POST
    assert (second.status_code, second["Location"]) == (302, done)
    assert BenefitBooking.objects.filter(member=club.member).count() == 1
    page = front_desk_client.get(confirm).content.decode()  # opened again later: the reason, and no Book button
    assert "The member already has a booking for this." in page and 'name="book"' not in page


def test_check_in_action(front_desk_client, club):
    from django.utils import timezone

    soon = BenefitSlotFactory(
        facility=club.facility,
        starts_at=timezone.now() + timezone.timedelta(minutes=20),
        ends_at=timezone.now() + timezone.timedelta(minutes=50),
    )
    booking = booking_create(kind="slot", item_id=soon.pk, member_id=club.member.pk,
                             actor=Actor.system("t"), channel="concierge", source="command")  # fmt: skip
    response = front_desk_client.post(
        reverse("admin:bookings_benefitbooking_changelist"),
        {"action": "check_in", "_selected_action": [booking.booking_id]},
        follow=True,
    )
    assert "1 booking checked in." in response.content.decode()
    assert BenefitBooking.objects.get(pk=booking.booking_id).status == "attended"


def today_at(minutes_from_now: int):
    from django.utils import timezone

    return timezone.now() + timezone.timedelta(minutes=minutes_from_now)


def test_items_that_started_or_are_over_are_not_offered(front_desk_client, club):
    over = BenefitSlotFactory(facility=club.facility, starts_at=today_at(-60), ends_at=today_at(-30))
    started = BenefitSlotFactory(facility=club.facility, starts_at=today_at(-10), ends_at=today_at(20))
    today = {**state(club), "date": over.starts_at.astimezone(club.branch.zone).date().isoformat()}
    hidden = front_desk_client.get(url("pick", **today)).content.decode()
    assert "earlier one is over and not shown" in hidden and ">Over<" not in hidden
    page = front_desk_client.get(url("pick", **today, over=1)).content.decode()
    for slot in (over, started):
        assert f"item={slot.pk}" not in page  # neither "Choose" nor "Join waitlist"
    assert ">Over<" in page
    if started.starts_at.astimezone(club.branch.zone).date() == over.starts_at.astimezone(club.branch.zone).date():
        assert ">Started<" in page


def test_a_frozen_member_is_offered_neither_a_place_nor_the_waitlist(front_desk_client, club):
    fill(club)
    club.member.status = "frozen"
    club.member.save()
    page = front_desk_client.get(url("pick", **state(club))).content.decode()
    assert "The membership is frozen: nothing can be booked until it is active again." in page
    assert "Join waitlist" not in page and ">Choose<" not in page


def test_a_refusal_is_said_once_in_one_style(front_desk_client, club):
    fill(club)
    response = front_desk_client.post(url("confirm", **state(club, item=club.slot.pk)), {})
    page = response.content.decode()
    assert page.count("Full: 2 of 2 places taken.") == 1
    assert 'class="errorlist nonfield concierge-refusals"' in page


def test_the_waitlist_page_has_its_own_title_and_no_capacity_line(front_desk_client, club):
    fill(club)
    response = front_desk_client.post(url("confirm", **state(club, item=club.slot.pk, waitlist=1)), {})
    done = front_desk_client.get(response["Location"]).content.decode()
    assert "<title>On the waitlist |" in done and "beyond capacity" not in done
    booking = BenefitBooking.objects.get(member=club.member)
    record = front_desk_client.get(reverse("admin:bookings_benefitbooking_change", args=[booking.pk]))
    page = record.content.decode()
    assert "Capacity override" not in page
    for developer_words in ("capacity_at_booking", "places_taken_before", "Capacity at booking", "Overridden rules"):
        assert developer_words not in page


def test_an_overridden_booking_says_what_was_set_aside(manager, manager_client, club):
    fill(club)
    confirm = url("confirm", **state(club, item=club.slot.pk))
    manager_client.post(confirm, {"override": "on", "override_reason_code": "vip", "override_note": "Guest of the GM"})
    booking = BenefitBooking.objects.get(member=club.member)
    page = manager_client.get(reverse("admin:bookings_benefitbooking_change", args=[booking.pk])).content.decode()
    assert "Capacity override" in page and "capacity: booked as 3 of 2 places" in page and "Guest of the GM" in page


def test_cancelling_says_who_moved_up_from_the_waitlist(front_desk_client, club):
    fill(club)
    waiting = club.new_member(first_name="Wendy", last_name="Waits")
    booking_create(kind="slot", item_id=club.slot.pk, member_id=waiting.pk, actor=Actor.system("t"),
                   channel="concierge", source="command", join_waitlist=True)  # fmt: skip
    confirmed = BenefitBooking.objects.filter(slot=club.slot, status="confirmed").select_related("member").first()
    response = front_desk_client.post(
        reverse("admin:bookings_benefitbooking_changelist"),
        {"action": "cancel_bookings", "_selected_action": [confirmed.pk]},
        follow=True,
    )
    page = response.content.decode()
    assert "1 booking cancelled." in page
    assert "Wendy Waits moved up from the waitlist to Sauna (Riverside), " in page
    assert f"in {confirmed.member.full_name}&#x27;s place." in page


def test_member_search_marks_members_who_cannot_book(front_desk_client, club):
    club.new_member(first_name="Olivia", last_name="Smithers", status="frozen")
    page = front_desk_client.get(url("member", q="olivia smi")).content.decode()
    assert "Frozen: cannot book" in page


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "12/31/9999", "1999-02-30", "%", "x" * 5000])
def test_a_day_out_of_range_is_a_form_error(front_desk_client, club, day):
    response = front_desk_client.get(url("pick", **{**state(club), "date": day}))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Choose a day between" in page or "Enter a valid date." in page


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "garbage", "today"])
def test_the_day_filter_takes_any_value(front_desk_client, club, day):
    response = front_desk_client.get(f"{reverse('admin:bookings_benefitbooking_changelist')}?day={day}")
    assert response.status_code == 200
    if day != "today":
        assert "is not a day this list can show" in response.content.decode()


def test_a_forbidden_page_is_the_admins_own_with_a_way_back(client, django_user_model):
    clerk = django_user_model.objects.create_user(username="nobody", password="pw", is_staff=True)
    client.force_login(clerk)
    response = client.get(url("member"))
    page = response.content.decode()
    assert response.status_code == 403
    assert "You may not open this page" in page and f'href="{reverse("admin:index")}"' in page
    assert "Club Operations" in page and "Django administration" not in page and "Log out" in page


def test_the_book_button_is_offered_only_when_it_can_work(front_desk_client, manager_client, club):
    fill(club)
    confirm = url("confirm", **state(club, item=club.slot.pk))
    desk = front_desk_client.get(confirm).content.decode()
    assert 'name="book"' not in desk and "Join the waitlist instead" in desk
    manager_page = manager_client.get(confirm).content.decode()
    assert 'name="book"' in manager_page and "Booking this needs the override above." in manager_page
    refused = manager_client.post(confirm, {"override_reason_code": "vip", "override_note": "forgot to tick"})
    assert "Not booked: to set the reasons above aside, tick" in refused.content.decode()
    club.member.status = "frozen"
    club.member.save()
    frozen = manager_client.get(confirm).content.decode()
    assert 'name="book"' not in frozen and "This cannot be booked for Olivia" in frozen


def test_an_override_note_longer_than_the_limit_is_a_form_error(manager_client, club):
    fill(club)
    confirm = url("confirm", **state(club, item=club.slot.pk))
    too_long = {"override": "on", "override_reason_code": "vip", "override_note": "x" * 600}
    response = manager_client.post(confirm, too_long)
    assert response.status_code == 200
    assert "Ensure this value has at most 500 characters (it has 600)." in response.content.decode()
    assert not BenefitBooking.objects.filter(member=club.member).exists()
