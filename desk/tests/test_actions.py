"""The desk's one-click actions on a booking (check in, undo, no-show, cancel), asked by htmx and
without JavaScript. The engine checks in only near the start by PostgreSQL's own clock, which
tests cannot freeze: the classes here start half an hour from the real now, at a New York branch."""

from __future__ import annotations

import datetime
import json

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditLog
from bookings.models import ClassBooking
from bookings.tests.test_services import CLASS, book
from clubs.tests.factories import BranchFactory
from desk.tests.test_selectors import a_class, member

pytestmark = pytest.mark.django_db


def action_url(action: str) -> str:
    return reverse("admin:desk_booking_action", args=[action])


@pytest.fixture
def booking():
    branch = BranchFactory(name="Harbourfront", time_zone="America/New_York")
    start = timezone.now().replace(second=0, microsecond=0) + datetime.timedelta(minutes=30)
    spin = a_class(branch, "Spin", start, 45, capacity=1)
    outcome = book(spin, member(branch, "Dan", "Evans", "H004"), CLASS)
    return ClassBooking.objects.get(pk=outcome.booking_id)


def htmx_post(client, action: str, **data):
    return client.post(action_url(action), data, HTTP_HX_REQUEST="true")


def events(answer) -> dict:
    return json.loads(answer["HX-Trigger"])


def test_one_click_check_in_and_its_undo_say_what_happened_and_are_audited(front_desk_client, booking):
    answer = htmx_post(front_desk_client, "check-in", kind=CLASS, booking=booking.pk)
    assert answer.status_code == 200 and answer["HX-Reswap"] == "none"
    said = events(answer)
    assert said["deskMessage"]["level"] == "success"
    assert said["deskMessage"]["text"].startswith("Checked in Dan Evans for Spin at ")
    # to the body: the form that asked may have been swapped away by a refresh meanwhile
    assert said["deskChanged"] == {"target": "body"} and said["deskMessage"]["target"] == "body"
    # the message offers the undo, the row it was on having left the list
    assert said["deskMessage"]["undo"] == {"url": action_url("undo"), "kind": CLASS, "booking": str(booking.pk)}
    booking.refresh_from_db()
    assert booking.status == "attended"
    entry = AuditLog.objects.filter(entity_id=str(booking.pk)).latest("occurred_at")
    assert entry.actor_label == "test-front-desk" and entry.source == "admin"

    said = events(htmx_post(front_desk_client, "undo", kind=CLASS, booking=booking.pk))
    assert said["deskMessage"]["text"].startswith("Undone: Dan Evans is booked for Spin")
    booking.refresh_from_db()
    assert booking.status == "confirmed" and booking.checked_in_at is None


def test_a_refusal_is_said_in_words_and_changes_nothing(front_desk_client, booking):
    said = events(htmx_post(front_desk_client, "no-show", kind=CLASS, booking=booking.pk))
    assert said["deskMessage"] == {
        "text": "A no-show can only be marked once it has started.",
        "level": "error",
        "target": "body",
    }
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_cancel_says_whether_it_was_late(front_desk_client, booking):
    said = events(htmx_post(front_desk_client, "cancel", kind=CLASS, booking=booking.pk, reason="Called in sick"))
    assert said["deskMessage"]["text"] == (
        f"Cancelled Dan Evans's booking for Spin at {booking_time(booking)} (a late cancellation)."
    )
    booking.refresh_from_db()
    assert booking.status == "cancelled" and booking.is_late_cancellation
    said = events(htmx_post(front_desk_client, "cancel", kind=CLASS, booking=booking.pk))
    assert said["deskMessage"] == {
        "text": "Dan Evans's booking was already cancelled.",
        "level": "error",
        "target": "body",
    }


def booking_time(booking) -> str:
    from clubs import localtime

    return localtime.local_time(booking.scheduled_class.starts_at, "America/New_York")


def test_without_javascript_an_action_goes_back_to_its_page_with_a_message(front_desk_client, booking):
    roster = reverse("admin:desk_roster", args=[CLASS, booking.scheduled_class_id])
    answer = front_desk_client.post(action_url("check-in"), {"kind": CLASS, "booking": booking.pk, "next": roster})
    assert answer.status_code == 302 and answer["Location"] == roster
    page = front_desk_client.get(reverse("admin:desk_today"))
    assert "Checked in Dan Evans for Spin" in page.content.decode()
    # somewhere else than this site is not a way back
    answer = front_desk_client.post(
        action_url("undo"), {"kind": CLASS, "booking": booking.pk, "next": "https://evil.example/"}
    )
    assert answer["Location"] == reverse("admin:desk_today")


@pytest.mark.parametrize(
    ("action", "data", "status"),
    [
        ("check-in", {"kind": "nonsense"}, 403),
        ("explode", {"kind": CLASS}, 404),
        ("check-in", {"kind": CLASS, "booking": "not-a-uuid"}, 200),
        ("check-in", {"kind": CLASS, "booking": "00000000-0000-0000-0000-000000000000"}, 200),
    ],
)
def test_hostile_actions_get_a_clear_answer(front_desk_client, booking, action, data, status):
    answer = htmx_post(front_desk_client, action, **data)
    assert answer.status_code == status
    if status == 200:
        assert events(answer)["deskMessage"] == {
            "text": "That booking no longer exists.",
            "level": "error",
            "target": "body",
        }


def test_actions_need_the_permission_to_change_bookings_and_a_post(client, django_user_model, booking):
    viewer = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    client.force_login(viewer)
    assert htmx_post(client, "check-in", kind=CLASS, booking=booking.pk).status_code == 403
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_an_action_is_a_post(front_desk_client, booking):
    assert front_desk_client.get(action_url("check-in")).status_code == 405


def test_a_second_click_says_how_things_are(front_desk_client, booking):
    htmx_post(front_desk_client, "check-in", kind=CLASS, booking=booking.pk)
    said = events(htmx_post(front_desk_client, "check-in", kind=CLASS, booking=booking.pk))["deskMessage"]
    assert said["level"] == "success" and said["text"].startswith("Dan Evans is already checked in for Spin at ")
    htmx_post(front_desk_client, "undo", kind=CLASS, booking=booking.pk)
    said = events(htmx_post(front_desk_client, "undo", kind=CLASS, booking=booking.pk))["deskMessage"]
    assert said["text"].startswith("Dan Evans is booked for Spin at ") and said["text"].endswith(", not checked in.")
    assert AuditLog.objects.filter(entity_id=str(booking.pk), action__startswith="booking.").count() == 3


def test_a_second_click_while_the_first_is_on_its_way_is_dropped(front_desk_client, booking):
    page = front_desk_client.get(reverse("admin:desk_today")).content.decode()
    assert 'hx-sync="this:drop"' in page
