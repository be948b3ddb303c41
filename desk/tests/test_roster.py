"""The roster of a class or facility session at a branch in New York.

The day's tests use desk.tests.test_selectors' day (a future day, the clock frozen at 10:20 on it).
Check-in, no-show and late cancellation depend on PostgreSQL's clock, which cannot be frozen: their
tests book items near the real now and freeze Python's clock there, so both clocks agree.
"""

from __future__ import annotations

import datetime
import json
import re
from html import unescape
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from bookings.models import BookableItem, BookingStatus, ClassBooking, ItemBooking
from bookings.tests.test_services import CLASS, SLOT, book
from clubs import localtime
from clubs.tests.factories import BranchFactory
from desk.tests.test_selectors import DAY, a_class, at, member
from facilities.tests.factories import BenefitSettingFactory, BenefitSlotFactory, FacilityFactory
from members.models import MemberStatus

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def roster_url(item, kind=CLASS, view="desk_roster") -> str:
    return reverse(f"admin:{view}", args=[kind, item.pk])


def text(response) -> str:
    """The page's words, without tags, on one line."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def said(response) -> dict:
    """The events an htmx answer triggers."""
    return json.loads(response["HX-Trigger"])


def booking_of(item, person):
    return ItemBooking.objects.get(item_id=item.pk, member=person)


# The page


def test_the_roster_shows_the_class_its_attendees_and_its_waitlist_on_the_branchs_clock(
    desk, at_10_20, front_desk_client
):
    answer = front_desk_client.get(roster_url(desk.yoga))
    assert answer.status_code == 200
    page = text(answer)
    when = f"{DAY:%a} {DAY.day} {DAY:%b %Y}, 10:00–11:00 EST"
    assert f"Class with Priya Shah · Harbourfront {when}" in page
    assert "3 of 2 booked 2 on the waitlist In progress Override" in page
    # attendees by surname, with their status; the override with its reason and who made it
    assert re.search(
        r"Ben Adams #H002 Confirmed .*Ava Brown #H001 ✓ In at 09:58 .*Eve Clark #H005 Override "
        r"VIP or guest of the club: Guest of the owner \(3 of 2, by test-manager\) Confirmed",
        page,
    )
    # the waitlist in the order the engine promotes
    assert re.search(r"Waitlist \(2\) # Member .*1 Dan Evans #H004 .*2 Cleo Diaz #H003", page)
    html = answer.content.decode()
    # started: check in and no-show for the confirmed, undo for the checked in
    for label in ["Check in Ben Adams", "No-show Ben Adams", "Undo Ava Brown", "Check in Eve Clark"]:
        assert f'aria-label="{label}"' in html, label
    assert 'aria-label="Check in Ava Brown"' not in html
    assert answer.context["title"] == "Yoga"


def test_a_class_later_today_offers_check_in_an_hour_before_and_cancelling_free_until_its_cutoff(
    desk, at_10_20, front_desk_client
):
    evening = a_class(desk.branch, "Evening flow", at(18), 60, capacity=1)
    book(evening, desk.members["Ben"], CLASS)
    book(evening, desk.members["Cleo"], CLASS, join_waitlist=True)
    answer = front_desk_client.get(roster_url(evening))
    page, html = text(answer), answer.content.decode()
    assert "1 of 1 booked 1 on the waitlist Coming up" in page
    assert "Check-in opens at 17:00, an hour before the start." in page
    assert 'aria-label="Check in Ben Adams"' not in html and 'aria-label="No-show Ben Adams"' not in html
    # cancelling: what it means, said before confirming
    assert "Free cancellation until 17:00 (1 hour before the start); after that it is a late cancellation." in page
    assert "The place goes to the first on the waitlist who can take it: Cleo Diaz is first." in page
    assert "Cancel Ben Adams's booking" in page
    assert "Takes Cleo Diaz off the waitlist." in page and "Remove Cleo Diaz" in page


def test_a_facility_session_says_when_cancelling_now_is_late(desk, at_10_20, front_desk_client):
    pool = FacilityFactory(branch=desk.branch, name="Salt pool", capacity=4)
    BenefitSettingFactory(facility=pool, booking_window_days=365, cancellation_cutoff_minutes=720)
    session = BenefitSlotFactory(facility=pool, starts_at=at(19), ends_at=at(19, 45), capacity=4)
    book(session, desk.members["Eve"])
    page = text(front_desk_client.get(roster_url(session, SLOT)))
    assert "Recovery facility · Harbourfront" in page and "19:00–19:45 EST" in page
    assert "1 of 4 booked Coming up" in page
    assert (
        "Cancelling now is a late cancellation (less than 12 hours before the start): it goes on the member's history."
        in page
    )


def test_a_closed_item_says_why_and_offers_no_check_in(desk, at_10_20, front_desk_client):
    steam_slot = BookableItem.objects.get(branch=desk.branch, title="Steam room")
    page = text(front_desk_client.get(roster_url(steam_slot, SLOT)))
    assert "0 of 2 booked Closed The facility is under maintenance." in page
    assert "Nobody is booked." in page and "Nobody is waiting." in page


def test_the_roster_lists_the_cancelled_and_marks_a_late_cancellation(desk, at_10_20, front_desk_client):
    page = text(front_desk_client.get(roster_url(desk.barre)))
    assert "Cancelled (1) Dan Evans #H004" in page and "#H004 late cancellation" not in page
    ClassBooking.objects.filter(scheduled_class=desk.barre, member=desk.members["Dan"]).update(
        is_late_cancellation=True
    )
    assert "Cancelled (1) Dan Evans #H004 late cancellation" in text(front_desk_client.get(roster_url(desk.barre)))


def test_the_live_part_refreshes_itself_and_after_every_action_but_not_while_a_cancel_is_open(
    desk, at_10_20, front_desk_client
):
    html = front_desk_client.get(roster_url(desk.yoga)).content.decode()
    live = roster_url(desk.yoga, view="desk_roster_live")
    idle = "[!this.querySelector('details[data-cancel][open]')]"
    assert f'hx-get="{live}" hx-trigger="every 10s {idle}, deskChanged from:body"' in html
    answer = front_desk_client.get(live, **HTMX)
    body = answer.content.decode()
    assert answer.status_code == 200 and body.startswith('<div id="roster-live"') and "<html" not in body
    assert "Dan Evans" in body


def test_the_print_view_is_a_plain_list_with_a_box_to_tick_and_the_waitlist(desk, at_10_20, front_desk_client):
    answer = front_desk_client.get(roster_url(desk.yoga, view="desk_roster_print"))
    html, page = answer.content.decode(), text(answer)
    assert answer.status_code == 200
    assert "<button" not in html and "<form" not in html and 'id="desk-bar"' not in html
    assert html.count('class="roster-print-box"') == 3
    assert re.search(
        r"Ben Adams H002 Confirmed .*Ava Brown H001 Attended 09:58 .*Eve Clark H005 Confirmed Override", page
    )
    assert "Waitlist (2) # Member Number 1 Dan Evans H004 2 Cleo Diaz H003" in page
    assert f"Printed {DAY:%a} {DAY.day} {DAY:%b %Y}, 10:20 EST." in page


# What it costs


def _crowd(item, count: int, branch) -> None:
    for number in range(count):
        book(item, member(branch, f"Guest{number}", f"Crowd{number:02d}", f"C{number:03d}"), CLASS, join_waitlist=True)


@pytest.mark.parametrize("bookings", [1, 30])
def test_the_page_its_parts_and_the_print_view_cost_a_fixed_number_of_queries(
    desk, at_10_20, front_desk_client, django_assert_num_queries, bookings
):
    big = a_class(desk.branch, "Big class", at(17), 60, capacity=20)
    _crowd(big, bookings, desk.branch)  # 20 booked and 10 waiting when 30
    assert len(ItemBooking.objects.filter(item_id=big.pk)) == bookings
    # session, user and permissions (4), the item with its branch, its bookings with members and bookers
    with django_assert_num_queries(6):
        assert front_desk_client.get(roster_url(big)).status_code == 200
    with django_assert_num_queries(6):
        assert front_desk_client.get(roster_url(big, view="desk_roster_live"), **HTMX).status_code == 200
    # the same, without the admin's header
    with django_assert_num_queries(6):
        assert front_desk_client.get(roster_url(big, view="desk_roster_print")).status_code == 200
    # the item, the search, the matches' bookings of it
    with django_assert_num_queries(7):
        answer = front_desk_client.get(roster_url(big, view="desk_roster_members"), {"q": "guest"}, **HTMX)
    assert answer.content.decode().count("<li>") == min(bookings, 8)
    # the item, the member, the engine's booking (in a savepoint inside the test's transaction): booked,
    # or on the waitlist when full
    with django_assert_num_queries(9):
        answer = add(front_desk_client, big, desk.members["Eve"], waitlist="1")
    assert "deskChanged" in said(answer)


# One-click actions from the roster (desk/actions.py), on the real clock


@pytest.fixture
def soon(desk):
    """A class starting in 30 minutes (check-in open, cancelling late), Python's clock frozen now."""
    now = timezone.now().replace(microsecond=0)
    with time_machine.travel(now, tick=False):
        item = a_class(desk.branch, "Soon spin", now + datetime.timedelta(minutes=30), 45, capacity=2)
        yield item


def act(client, action: str, booking, item, **fields):
    return client.post(
        reverse("admin:desk_booking_action", args=[action]),
        {"kind": booking.kind, "booking": booking.pk, "next": roster_url(item), **fields},
        **HTMX,
    )


def test_check_in_and_undo_from_the_roster(desk, soon, front_desk_client):
    book(soon, desk.members["Ava"], CLASS)
    ava = booking_of(soon, desk.members["Ava"])
    assert 'aria-label="Check in Ava Brown"' in front_desk_client.get(roster_url(soon)).content.decode()
    answer = act(front_desk_client, "check-in", ava, soon)
    assert said(answer)["deskMessage"]["text"].startswith("Checked in Ava Brown for Soon spin at ")
    assert "deskChanged" in said(answer)
    assert booking_of(soon, desk.members["Ava"]).status == BookingStatus.ATTENDED
    live = front_desk_client.get(roster_url(soon, view="desk_roster_live"), **HTMX).content.decode()
    assert "✓ In at" in live and 'aria-label="Undo Ava Brown"' in live
    act(front_desk_client, "undo", ava, soon)
    assert booking_of(soon, desk.members["Ava"]).status == BookingStatus.CONFIRMED
    assert 'aria-label="Check in Ava Brown"' in front_desk_client.get(roster_url(soon)).content.decode()


def test_a_no_show_once_started_and_its_undo(desk, soon, front_desk_client):
    book(soon, desk.members["Ben"], CLASS)
    soon.__class__.objects.filter(pk=soon.pk).update(starts_at=timezone.now() - datetime.timedelta(minutes=10))
    ben = booking_of(soon, desk.members["Ben"])
    page = front_desk_client.get(roster_url(soon))
    assert "In progress" in text(page) and 'aria-label="No-show Ben Adams"' in page.content.decode()
    answer = act(front_desk_client, "no-show", ben, soon)
    assert said(answer)["deskMessage"]["text"].startswith("Marked Ben Adams as a no-show")
    assert booking_of(soon, desk.members["Ben"]).status == BookingStatus.NO_SHOW
    assert "Ben Adams #H002 No-show" in text(front_desk_client.get(roster_url(soon)))
    act(front_desk_client, "undo", ben, soon)
    assert booking_of(soon, desk.members["Ben"]).status == BookingStatus.CONFIRMED


def test_a_late_cancellation_is_said_before_and_recorded_after(desk, soon, front_desk_client):
    book(soon, desk.members["Cleo"], CLASS)
    assert (
        "Cancelling now is a late cancellation (less than 1 hour before the start): it goes on the member's history."
        in text(front_desk_client.get(roster_url(soon)))
    )
    answer = act(front_desk_client, "cancel", booking_of(soon, desk.members["Cleo"]), soon, reason="Feeling unwell")
    starts = localtime.local_time(soon.starts_at, desk.branch)
    assert said(answer)["deskMessage"] == {
        "text": f"Cancelled Cleo Diaz's booking for Soon spin at {starts} (a late cancellation).",
        "level": "success",
        "target": "body",
    }
    cancelled = booking_of(soon, desk.members["Cleo"])
    assert (cancelled.status, cancelled.is_late_cancellation) == (BookingStatus.CANCELLED, True)
    assert "Cancelled (1) Cleo Diaz #H003 late cancellation" in text(front_desk_client.get(roster_url(soon)))


def test_a_free_cancellation_gives_the_place_to_the_first_on_the_waitlist(desk, at_10_20, front_desk_client):
    evening = a_class(desk.branch, "Evening flow", at(18), 60, capacity=1)
    book(evening, desk.members["Ben"], CLASS)
    book(evening, desk.members["Cleo"], CLASS, join_waitlist=True)
    book(evening, desk.members["Dan"], CLASS, join_waitlist=True)
    answer = act(front_desk_client, "cancel", booking_of(evening, desk.members["Ben"]), evening)
    assert said(answer)["deskMessage"]["text"] == (
        "Cancelled Ben Adams's booking for Evening flow at 18:00. "
        "Cleo Diaz moved up from the waitlist to Evening flow at 18:00 in Ben Adams's place."
    )
    assert booking_of(evening, desk.members["Ben"]).is_late_cancellation is False
    page = text(front_desk_client.get(roster_url(evening)))
    assert "Cleo Diaz #H003 Confirmed" in page and "1 Dan Evans #H004" in page


def test_without_javascript_an_action_returns_to_the_roster_with_its_message(desk, at_10_20, front_desk_client):
    evening = a_class(desk.branch, "Evening flow", at(18), 60, capacity=2)
    book(evening, desk.members["Eve"], CLASS)
    answer = front_desk_client.post(
        reverse("admin:desk_booking_action", args=["cancel"]),
        {"kind": CLASS, "booking": booking_of(evening, desk.members["Eve"]).pk, "next": roster_url(evening)},
        follow=True,
    )
    assert answer.redirect_chain == [(roster_url(evening), 302)]
    assert "Cancelled Eve Clark's booking for Evening flow at 18:00." in text(answer)


# Adding a member


def add(client, item, person, kind=CLASS, **fields):
    return client.post(roster_url(item, kind, "desk_roster_add"), {"member": person.pk, **fields}, **HTMX)


def test_the_search_finds_members_of_the_items_organization_and_says_who_is_booked(desk, at_10_20, front_desk_client):
    elsewhere = member(BranchFactory(time_zone="America/New_York"), "Evelyn", "Other", "X001")  # another organization
    members = roster_url(desk.yoga, view="desk_roster_members")
    answer = front_desk_client.get(members, {"q": "ev"}, **HTMX)
    page = text(answer)
    assert "Book Eve Clark #H005" not in page and "Eve Clark #H005 Already on the roster: confirmed" in page
    assert "Dan Evans #H004 Already on the roster: waitlisted" in page
    assert elsewhere.member_number not in page
    assert "Type at least two characters." in text(front_desk_client.get(members, {"q": "e"}, **HTMX))
    assert "No member matches “zz”." in text(front_desk_client.get(members, {"q": "zz"}, **HTMX))
    for hostile in ["\x00' or 1=1 --", "%_%", "a" * 5000]:
        assert front_desk_client.get(members, {"q": hostile}, **HTMX).status_code == 200
    # without JavaScript the page itself searches
    page = front_desk_client.get(roster_url(desk.barre), {"q": "evans"}).content.decode()
    assert 'aria-label="Book Dan Evans, member H004"' in page  # his booking of it was cancelled


def test_the_search_of_a_full_item_offers_the_waitlist_not_a_booking(desk, at_10_20, front_desk_client):
    full = a_class(desk.branch, "Full flow", at(18), 60, capacity=1)
    book(full, desk.members["Ava"], CLASS)
    html = front_desk_client.get(roster_url(full, view="desk_roster_members"), {"q": "clark"}, **HTMX).content.decode()
    assert "Full: a member chosen here joins the waitlist." in html
    assert 'aria-label="Put Eve Clark, member H005, on the waitlist"' in html
    assert '<span class="roster-book">Join waitlist</span>' in html and ">Book<" not in html
    assert '<input type="hidden" name="waitlist" value="1">' in html
    # the same without JavaScript; and an item with places left books
    assert "Join waitlist" in front_desk_client.get(roster_url(full), {"q": "clark"}).content.decode()
    html = front_desk_client.get(roster_url(desk.barre, view="desk_roster_members"), {"q": "clark"}, **HTMX)
    html = html.content.decode()
    assert '<span class="roster-book">Book</span>' in html and 'name="waitlist"' not in html and "Full:" not in html
    assert "beyond capacity" not in html  # the front desk may not override


def test_a_manager_searching_a_full_item_may_book_beyond_capacity_in_the_booking_flow(desk, at_10_20, manager_client):
    full = a_class(desk.branch, "Full flow", at(18), 60, capacity=1)
    book(full, desk.members["Ava"], CLASS)
    html = manager_client.get(roster_url(full, view="desk_roster_members"), {"q": "clark"}, **HTMX).content.decode()
    link = re.search(r'href="([^"]+)">Book Eve beyond capacity \(override\)…', html).group(1).replace("&amp;", "&")
    assert urlparse(link).path == reverse("admin:bookings_concierge_confirm")
    assert parse_qs(urlparse(link).query)["member"] == [str(desk.members["Eve"].pk)]
    assert parse_qs(urlparse(link).query)["item"] == [str(full.pk)]
    assert "Join waitlist" in html  # the waitlist stays the one-click choice
    html = manager_client.get(roster_url(desk.barre, view="desk_roster_members"), {"q": "clark"}, **HTMX)
    assert "beyond capacity" not in html.content.decode()  # places left: nothing to override


def test_adding_a_member_books_them_through_the_engine_as_the_desk(desk, at_10_20, front_desk, front_desk_client):
    evening = a_class(desk.branch, "Evening flow", at(18), 60, capacity=5)
    answer = add(front_desk_client, evening, desk.members["Eve"])
    assert answer.status_code == 200
    assert said(answer)["deskMessage"] == {
        "text": "Booked Eve Clark for Evening flow at 18:00.",
        "level": "success",
        "target": "body",
    }
    assert "deskChanged" in said(answer)
    assert "✓ Booked Eve Clark for Evening flow at 18:00." in text(answer)
    booking = ClassBooking.objects.get(scheduled_class=evening, member=desk.members["Eve"])
    assert (booking.status, booking.channel, booking.booked_by_user_id) == ("confirmed", "concierge", front_desk.pk)
    assert "Eve Clark #H005 Confirmed" in text(front_desk_client.get(roster_url(evening)))


def test_without_javascript_adding_returns_to_the_roster_with_its_message(desk, at_10_20, front_desk_client):
    evening = a_class(desk.branch, "Evening flow", at(18), 60, capacity=5)
    answer = front_desk_client.post(
        roster_url(evening, view="desk_roster_add"), {"member": desk.members["Ava"].pk}, follow=True
    )
    assert answer.redirect_chain == [(roster_url(evening), 302)]
    assert "Booked Ava Brown for Evening flow at 18:00." in text(answer)


def test_without_javascript_a_refusal_shows_the_roster_with_its_reasons(desk, at_10_20, front_desk_client):
    full = a_class(desk.branch, "Full flow", at(18), 60, capacity=1)
    book(full, desk.members["Ava"], CLASS)
    answer = front_desk_client.post(roster_url(full, view="desk_roster_add"), {"member": desk.members["Ben"].pk})
    page = text(answer)
    assert answer.status_code == 200 and "Member Status Actions Ava Brown #H001 Confirmed" in page
    assert "Ben Adams is not booked: Full: 1 of 1 places taken. The member can join the waitlist." in page


def test_a_refusal_says_every_reason_and_offers_no_waitlist_when_full_is_not_the_only_one(
    desk, at_10_20, front_desk_client
):
    frozen = desk.members["Ben"]
    frozen.status = MemberStatus.FROZEN
    frozen.save()
    full = a_class(desk.branch, "Full flow", at(18), 60, capacity=1)
    book(full, desk.members["Ava"], CLASS)
    answer = add(front_desk_client, full, frozen)
    page = text(answer)
    assert "Ben Adams is not booked: The membership is frozen: only active members can book. " in page
    assert "Full: 1 of 1 places taken. The member can join the waitlist." in page
    assert "Join the waitlist" not in page and "HX-Trigger" not in answer
    assert not ItemBooking.objects.filter(item_id=full.pk, member=frozen).exists()


def test_a_full_class_offers_the_waitlist_and_joining_it_takes_the_next_position(desk, at_10_20, front_desk_client):
    full = a_class(desk.branch, "Full flow", at(18), 60, capacity=1)
    book(full, desk.members["Ava"], CLASS)
    book(full, desk.members["Ben"], CLASS, join_waitlist=True)
    refused = add(front_desk_client, full, desk.members["Cleo"])
    assert "Cleo Diaz is not booked: Full: 1 of 1 places taken. The member can join the waitlist." in text(refused)
    html = refused.content.decode()
    assert '<input type="hidden" name="waitlist" value="1">' in html and "Join the waitlist</button>" in html
    assert "Override in the booking flow" not in html  # the front desk may not override
    joined = add(front_desk_client, full, desk.members["Cleo"], waitlist="1")
    assert said(joined)["deskMessage"]["text"] == "Cleo Diaz is on the waitlist for Full flow at 18:00."
    assert booking_of(full, desk.members["Cleo"]).status == BookingStatus.WAITLISTED
    assert re.search(
        r"Waitlist \(2\) .* 1 Ben Adams #H002 .* 2 Cleo Diaz #H003", text(front_desk_client.get(roster_url(full)))
    )


def test_a_manager_may_take_a_refusal_to_the_booking_flows_override(desk, at_10_20, manager_client):
    full = a_class(desk.branch, "Full flow", at(18), 60, capacity=1)
    book(full, desk.members["Ava"], CLASS)
    html = add(manager_client, full, desk.members["Dan"]).content.decode()
    link = re.search(r'href="([^"]+)">Override in the booking flow…', html).group(1).replace("&amp;", "&")
    assert urlparse(link).path == reverse("admin:bookings_concierge_confirm")
    assert parse_qs(urlparse(link).query) == {
        "member": [str(desk.members["Dan"].pk)],
        "kind": [CLASS],
        "branch": [str(desk.branch.pk)],
        "date": [DAY.isoformat()],
        "item": [str(full.pk)],
    }
    assert "Join the waitlist</button>" in html


def test_adding_someone_already_on_the_roster_says_so(desk, at_10_20, front_desk_client):
    answer = add(front_desk_client, desk.pilates, desk.members["Ava"])  # from a list shown before she booked
    assert "Ava Brown is not booked: The member already has a booking for this." in text(answer)


def test_adding_someone_who_is_not_a_member_here_is_refused_in_words(desk, at_10_20, front_desk_client):
    elsewhere = member(BranchFactory(time_zone="America/New_York"), "Olga", "Other", "X002")
    for hostile in [elsewhere.pk, "not-a-uuid", "00000000-0000-0000-0000-000000000000", "' or 1=1 --"]:
        answer = front_desk_client.post(roster_url(desk.barre, view="desk_roster_add"), {"member": hostile}, **HTMX)
        assert answer.status_code == 200 and "That member does not exist here." in text(answer)
    assert not ItemBooking.objects.filter(member=elsewhere).exists()


# Who may, and what does not exist


def test_the_roster_is_for_staff_who_may_see_bookings(desk, client, django_user_model):
    clerk = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    client.force_login(clerk)
    for view in ["desk_roster", "desk_roster_live", "desk_roster_print", "desk_roster_members"]:
        assert client.get(roster_url(desk.yoga, view=view)).status_code == 403, view
    assert add(client, desk.yoga, desk.members["Ava"]).status_code == 403
    client.logout()
    assert client.get(roster_url(desk.yoga)).status_code == 302  # to the login page


def test_who_may_only_look_sees_no_buttons_and_may_not_add(desk, at_10_20, client, django_user_model):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_classbooking"))
    client.force_login(viewer)
    answer = client.get(roster_url(desk.yoga))
    html = answer.content.decode()
    assert answer.status_code == 200 and "Ben Adams" in html
    assert "<button" not in html.split('id="roster-live"')[1] and 'id="roster-add"' not in html
    assert client.get(roster_url(desk.yoga, view="desk_roster_members"), {"q": "ben"}).status_code == 403
    assert add(client, desk.barre, desk.members["Ava"]).status_code == 403
    assert not ItemBooking.objects.filter(item_id=desk.barre.pk, member=desk.members["Ava"]).exists()


@pytest.mark.parametrize(
    ("kind", "item"),
    [
        ("spa", "{yoga}"),
        ("slot", "{yoga}"),  # a class asked for as a slot
        ("class", "00000000-0000-0000-0000-000000000000"),
        ("class'--", "{yoga}"),
        ("%00", "{yoga}"),
    ],
)
def test_what_does_not_exist_is_not_found(desk, front_desk_client, kind, item):
    base = f"{reverse('admin:desk_today')}items/{kind}/{item.format(yoga=desk.yoga.pk)}/"
    for view in ["", "live/", "print/", "members/"]:
        assert front_desk_client.get(base + view, {"q": "ava"}).status_code == 404, view
    assert front_desk_client.post(base + "add/", {"member": desk.members["Ava"].pk}).status_code == 404


def test_a_malformed_id_is_not_found(desk, front_desk_client):
    assert front_desk_client.get(f"{reverse('admin:desk_today')}items/class/not-a-uuid/").status_code == 404
    assert front_desk_client.get(roster_url(desk.yoga, view="desk_roster_add")).status_code == 405
