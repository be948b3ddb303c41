"""A member's profile page for staff, its bookings part and the staff note's saving, for a member of
a New York branch (desk.tests.test_profiles' counter, the clock frozen at 10:20 on a future day)."""

from __future__ import annotations

import datetime
import re
import uuid
from html import unescape

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from audit.models import AuditAction, AuditLog
from bookings.models import ClassBooking
from bookings.tests.test_services import CLASS, book
from clubs.tests.factories import BranchFactory
from desk.tests.test_profiles import DAY, Counter, at, day_text, frozen_at_10_20, maya_at_the_counter
from desk.tests.test_selectors import a_class
from members.models import MemberNote
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def counter(manager) -> Counter:
    return maya_at_the_counter(manager)


@pytest.fixture
def at_10_20():
    with frozen_at_10_20():
        yield


def page_url(member) -> str:
    return reverse("admin:desk_member", args=[member.pk])


def bookings_url(member) -> str:
    return reverse("admin:desk_member_bookings", args=[member.pk])


def note_url(member) -> str:
    return reverse("admin:desk_member_note", args=[member.pk])


def text(response) -> str:
    """The page's words, without tags, on one line."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def clerk(django_user_model, *permissions: str):
    """A staff user with only these permissions ("app.codename")."""
    user = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    for dotted in permissions:
        app, codename = dotted.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app, codename=codename))
    return user


# The page


def test_the_profile_shows_the_member_their_bookings_history_and_overrides(counter, at_10_20, front_desk_client):
    answer = front_desk_client.get(page_url(counter.member))
    assert answer.status_code == 200 and answer.context["title"] == "Maya Ortiz"
    page = text(answer)
    assert "Maya Ortiz #H100 Active" in page
    assert "Home branch Harbourfront" in page and "+1 212 555 0100" in page and "maya@example.com" in page
    assert "Frozen" not in page
    assert re.search(
        rf"{day_text(DAY)}, 09:40–10:40 EST Yoga In progress .*{day_text(DAY)}, 10:50–11:35 EST Pilates "
        rf".*12:00–12:45 EST Reformer Waitlisted .*14:00–14:45 EST Boxing Override .*18:00–18:45 EST Spin "
        rf".*19:00–19:45 IST at Bandra Meditation",
        page,
    )
    assert (
        "Cancelling now is a late cancellation (less than 1 hour before the start): it goes on the member's"
        " history. They have 1 late cancellation in the last 90 days." in page
    )
    assert "Free cancellation until 17:00 (1 hour before the start); after that it is a late cancellation." in page
    assert "Last 90 days: 1 attended · 1 no-show · 1 late cancellation" in page
    html = answer.content.decode()
    assert '<span class="outcome-no-show">1 no-show</span>' in html  # coloured: something to know
    assert '<span class="outcome-late">1 late cancellation</span>' in html
    assert re.search(
        r"09:00–09:30 EST Sauna Attended .*08:00–08:45 EST Barre No-show .*Stretch Late cancellation", page
    )
    assert (
        f"Boxing, {day_text(DAY)}, 14:00–14:45 EST: capacity (2 of 1) set aside by test-manager on" in page
        and "VIP or guest of the club: Guest of the owner" in page
    )
    html = answer.content.decode()
    # check-in where it opens (started, or within the hour), cancel (with its consequence) for every one
    for label in ["Check in Maya Ortiz", "Confirm cancellation Maya Ortiz"]:
        assert f'aria-label="{label}"' in html, label
    assert html.count('aria-label="Check in Maya Ortiz"') == 2
    assert html.count('aria-label="Confirm cancellation Maya Ortiz"') == 6
    # book for this member: the concierge's step 2 and the grid, the member chosen
    concierge = reverse("admin:bookings_concierge_schedule")
    assert f'href="{concierge}?member={counter.member.pk}"' in html
    assert f'href="{reverse("admin:desk_grid")}?member={counter.member.pk}"' in html
    assert reverse("admin:members_member_change", args=[counter.member.pk]) not in html  # not for the front desk
    # the bookings part reloads itself after every desk action
    assert f'hx-get="{bookings_url(counter.member)}"' in html and "deskChanged from:body" in html


def test_a_manager_gets_the_link_to_the_members_admin_page(counter, at_10_20, manager_client):
    html = manager_client.get(page_url(counter.member)).content.decode()
    assert f'href="{reverse("admin:members_member_change", args=[counter.member.pk])}"' in html


@pytest.mark.parametrize(
    ("status", "banner"),
    [
        ("frozen", "Frozen: cannot book until the membership is active again."),
        ("cancelled", "Cancelled: the membership has ended; the member cannot book."),
    ],
)
def test_a_frozen_or_cancelled_member_is_impossible_to_miss_and_not_offered_a_booking(
    front_desk_client, status, banner
):
    member = MemberFactory(status=status, first_name="Ida", last_name="Frost")
    answer = front_desk_client.get(page_url(member))
    html = answer.content.decode()
    assert f'<div class="member-banner member-banner-{status}" role="alert">{banner}</div>' in html
    assert "Book for this member" not in html and "?member=" not in html
    assert f"No new bookings while the membership is {status}." in text(answer)


def test_a_member_without_bookings_entitlements_or_note(front_desk_client):
    answer = front_desk_client.get(page_url(MemberFactory()))
    page = text(answer)
    for said in ["No entitlement limits", "No upcoming bookings.", "No past bookings.", "No overrides.",
                 "Last 90 days: 0 attended · 0 no-shows · 0 late cancellations"]:  # fmt: skip
        assert said in page, said
    # nothing to warn of: the counts are not coloured
    html = answer.content.decode()
    assert "<span>0 no-shows</span>" in html and "<span>0 late cancellations</span>" in html
    assert 'class="outcome-no-show"' not in html and 'class="outcome-late"' not in html


def test_a_member_of_another_organization_is_shown_to_staff_too(counter, front_desk_client):
    stranger = MemberFactory(first_name="Zed", last_name="Elsewhere")
    assert stranger.organization_id != counter.member.organization_id
    assert "Zed Elsewhere" in text(front_desk_client.get(page_url(stranger)))


def test_an_unknown_member_is_not_found(front_desk_client):
    assert front_desk_client.get(reverse("admin:desk_member", args=[uuid.uuid4()])).status_code == 404
    assert front_desk_client.get(reverse("admin:desk_member_bookings", args=[uuid.uuid4()])).status_code == 404


def test_the_profile_is_for_staff_who_may_use_the_desk(client, django_user_model):
    member = MemberFactory()
    client.force_login(clerk(django_user_model))
    for url in (page_url(member), bookings_url(member)):
        assert client.get(url).status_code == 403
    assert client.post(note_url(member), {"text": "Hi"}).status_code == 403
    client.logout()
    assert client.get(page_url(member)).status_code == 302  # to the login page


def test_staff_who_may_not_change_bookings_see_them_without_buttons(counter, at_10_20, client, django_user_model):
    client.force_login(clerk(django_user_model, "bookings.view_classbooking", "bookings.view_benefitbooking"))
    answer = client.get(page_url(counter.member))
    assert "Pilates" in text(answer)
    assert "desk_booking_action" not in answer.content.decode() and "Check in" not in text(answer)


# The bookings part


def test_the_bookings_part_alone_is_the_same_part(counter, at_10_20, front_desk_client):
    answer = front_desk_client.get(bookings_url(counter.member), **HTMX)
    html = answer.content.decode()
    assert html.lstrip().startswith('<div id="member-bookings"')
    assert "<html" not in html and "Staff note" not in html
    assert "Pilates" in text(answer) and 'aria-label="Check in Maya Ortiz"' in html


def many_bookings(member, count: int) -> None:
    """`count` classes booked, one a day from the New York day on, half of them attended."""
    for day in range(count):
        start = at(20, day=DAY + datetime.timedelta(days=day))
        outcome = book(a_class(member.home_branch, f"Evening {day}", start, 30, capacity=5), member, CLASS)
        if day % 2:
            ClassBooking.objects.filter(pk=outcome.booking_id).update(status="attended")


@pytest.mark.parametrize("count", [1, 40])
def test_the_page_and_its_parts_cost_a_fixed_number_of_queries(
    front_desk_client, django_assert_num_queries, count, front_desk
):
    member = MemberFactory(home_branch=BranchFactory(time_zone="America/New_York"))
    many_bookings(member, count)
    MemberNote.objects.create(member=member, text="Prefers the late sauna.", updated_by=front_desk)
    # session, user, permissions (2); the member with branch and note; entitlements, upcoming,
    # history, counts, overrides
    with django_assert_num_queries(10):
        assert front_desk_client.get(page_url(member)).status_code == 200
    with django_assert_num_queries(10):
        assert front_desk_client.get(bookings_url(member), **HTMX).status_code == 200
    # session, user, permissions (2); the member; the member locked, the note, its update, the audit
    # entry (in a savepoint here, the test's transaction around); the member and note read again
    with django_assert_num_queries(12):
        assert front_desk_client.post(note_url(member), {"text": "Prefers the early sauna."}, **HTMX).status_code == 200


# The staff note


def test_the_note_is_saved_in_place_and_audited(counter, at_10_20, front_desk_client, front_desk):
    answer = front_desk_client.post(note_url(counter.member), {"text": "Knee injury:\r\nno spin."}, **HTMX)
    assert answer.status_code == 200
    html = answer.content.decode()
    assert html.lstrip().startswith('<section id="member-note"')
    assert "✓ Saved." in html and f"Last changed {day_text(DAY)}, 10:20 EST by test-front-desk" in html
    assert "Knee injury:\nno spin.</textarea>" in html
    entry = AuditLog.objects.get(action=AuditAction.MEMBER_NOTE_UPDATED)
    assert (entry.member_id, entry.actor_label, entry.new_values) == (
        counter.member.pk, "test-front-desk", {"text": "Knee injury:\nno spin."},
    )  # fmt: skip
    assert "Knee injury:\nno spin.</textarea>" in front_desk_client.get(page_url(counter.member)).content.decode()


def test_without_javascript_the_note_is_saved_and_the_profile_says_so(counter, front_desk_client):
    answer = front_desk_client.post(note_url(counter.member), {"text": "Prefers the late sauna."}, follow=True)
    assert answer.redirect_chain == [(page_url(counter.member), 302)]
    assert "Saved the note on Maya Ortiz." in text(answer)
    assert MemberNote.objects.get(member=counter.member).text == "Prefers the late sauna."


def test_a_note_over_2000_characters_is_refused_with_the_text_kept(counter, front_desk_client):
    MemberNote.objects.create(member=counter.member, text="Before")
    typed = "x" * 2003
    answer = front_desk_client.post(note_url(counter.member), {"text": typed}, **HTMX)
    html = answer.content.decode()
    assert "A staff note is at most 2000 characters; this one has 2003: shorten it by 3." in html
    assert f">{typed}</textarea>" in html and 'aria-invalid="true"' in html
    assert MemberNote.objects.get(member=counter.member).text == "Before"
    assert not AuditLog.objects.filter(action=AuditAction.MEMBER_NOTE_UPDATED).exists()
    answer = front_desk_client.post(note_url(counter.member), {"text": typed}, follow=True)
    assert "shorten it by 3" in text(answer)


def test_staff_without_the_note_permissions_read_the_note_and_may_not_save_it(counter, client, django_user_model):
    MemberNote.objects.create(member=counter.member, text="Knee injury: no spin.")
    client.force_login(clerk(django_user_model, "bookings.view_classbooking", "members.view_membernote"))
    html = client.get(page_url(counter.member)).content.decode()
    assert '<p class="member-note-text">Knee injury: no spin.</p>' in html and "<textarea" not in html
    assert client.post(note_url(counter.member), {"text": "Changed"}).status_code == 403
    assert MemberNote.objects.get(member=counter.member).text == "Knee injury: no spin."


def test_staff_who_may_not_see_notes_do_not_see_it(counter, client, django_user_model):
    MemberNote.objects.create(member=counter.member, text="Knee injury: no spin.")
    client.force_login(clerk(django_user_model, "bookings.view_classbooking"))
    page = text(client.get(page_url(counter.member)))
    assert "Maya Ortiz" in page and "Knee injury" not in page and "Staff note" not in page


def test_the_note_is_escaped(counter, front_desk_client):
    MemberNote.objects.create(member=counter.member, text="<script>alert(1)</script>")
    html = front_desk_client.get(page_url(counter.member)).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
