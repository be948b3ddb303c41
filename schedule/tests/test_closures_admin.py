"""The closures' admin pages at a New York branch: a manager closes a facility with times typed on
the branch's clock, meets every refusal as a form error, reads the bookings it affects with the
members' contacts, cancels them in one action and reopens; the front desk reads, and may do neither."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditLog
from audit.services import Actor
from bookings.models import BenefitBooking, BookingStatus
from bookings.services import BookingKind, booking_create
from classes.tests.factories import ClassTimetableEntryFactory
from clubs.tests.factories import BranchFactory
from facilities.models import Closure
from facilities.services import closure_open
from facilities.tests.factories import BenefitSlotFactory, FacilityFactory
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
ADD = reverse("admin:facilities_closure_add")


def tomorrow_in_new_york(hour: int, minute: int = 0) -> datetime.datetime:
    day = timezone.localtime(timezone.now(), NEW_YORK).date() + datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=NEW_YORK)


@pytest.fixture
def harbourfront(db):
    branch = BranchFactory(name="Harbourfront", time_zone="America/New_York")
    sauna = FacilityFactory(branch=branch, name="Sauna", capacity=2)
    slot = BenefitSlotFactory(
        facility=sauna, starts_at=tomorrow_in_new_york(18), ends_at=tomorrow_in_new_york(18, 30), capacity=2
    )
    return branch, sauna, slot


def form_data(branch, facility, start: datetime.datetime, end: datetime.datetime, **extra) -> dict:
    return {
        "branch": branch.pk,
        "facility": facility.pk if facility else "",
        "room": "",
        "starts_at_0": f"{start:%Y-%m-%d}",
        "starts_at_1": f"{start:%H:%M}",
        "ends_at_0": f"{end:%Y-%m-%d}",
        "ends_at_1": f"{end:%H:%M}",
        "reason": "maintenance",
        "note": "New heater",
        **extra,
    }


def errors_of(response) -> str:
    assert response.status_code == 200, response.status_code
    form = response.context["adminform"].form
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def test_a_manager_closes_a_facility_on_the_branchs_clock(manager_client, harbourfront):
    branch, sauna, _ = harbourfront
    start, end = tomorrow_in_new_york(17), tomorrow_in_new_york(21)
    response = manager_client.post(ADD, form_data(branch, sauna, start, end))
    closure = Closure.objects.get()
    assert response.status_code == 302 and response.url == reverse("admin:facilities_closure_change", args=[closure.pk])
    assert (closure.starts_at, closure.ends_at, closure.facility) == (start, end, sauna)
    assert AuditLog.objects.filter(action="closure.opened").count() == 1
    assert not AuditLog.objects.filter(action="closure.created").exists()  # one entry, the service's


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ((-30, 2), "A closure cannot start in the past"),
        ((2, -1), "A closure must end after it starts."),
    ],
)
def test_past_and_backwards_closures_are_form_errors(manager_client, harbourfront, when, message):
    branch, sauna, _ = harbourfront
    start = timezone.localtime(timezone.now(), NEW_YORK) + datetime.timedelta(hours=when[0])
    end = start + datetime.timedelta(hours=when[1])
    assert message in errors_of(manager_client.post(ADD, form_data(branch, sauna, start, end)))
    assert not Closure.objects.exists()


def test_an_overlapping_closure_is_a_form_error_naming_the_other(manager_client, harbourfront, manager):
    branch, sauna, _ = harbourfront
    closure_open(branch=branch, facility=None, room="", starts_at=tomorrow_in_new_york(6),
                 ends_at=tomorrow_in_new_york(22), reason="holiday", note="", user=manager, source="admin")  # fmt: skip
    errors = errors_of(
        manager_client.post(ADD, form_data(branch, sauna, tomorrow_in_new_york(17), tomorrow_in_new_york(21)))
    )
    assert "It overlaps the closure of the whole branch" in errors and "06:00" in errors and "holiday" in errors
    assert Closure.objects.count() == 1


def test_a_facility_and_a_room_at_once_is_a_form_error(manager_client, harbourfront):
    branch, sauna, _ = harbourfront
    data = form_data(branch, sauna, tomorrow_in_new_york(17), tomorrow_in_new_york(21), room="Studio 1")
    assert "Close either a facility or a room, not both." in errors_of(manager_client.post(ADD, data))


def test_the_closures_page_lists_the_bookings_with_contacts_and_cancels_them(
    manager_client, manager, harbourfront, django_assert_num_queries
):
    branch, sauna, slot = harbourfront
    member = MemberFactory(home_branch=branch, first_name="Ada", last_name="Lovelace", phone="+1 212 555 0199")
    booking = booking_create(kind=BookingKind.SLOT, item_id=slot.pk, member_id=member.pk, actor=Actor.system("t"),
                             channel="concierge", source="command")  # fmt: skip
    closure = closure_open(branch=branch, facility=sauna, room="", starts_at=tomorrow_in_new_york(17),
                           ends_at=tomorrow_in_new_york(21), reason="maintenance", note="New heater", user=manager,
                           source="admin")  # fmt: skip
    Closure.objects.filter(pk=closure.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=1))
    page = reverse("admin:facilities_closure_change", args=[closure.pk])
    manager_client.get(page)  # warm: the session and the permissions
    with django_assert_num_queries(9):
        response = manager_client.get(page)
    html = response.content.decode()
    assert "<h1>Sauna closed, maintenance (Coming)</h1>" in html
    assert "Ada Lovelace" in html and "+1 212 555 0199" in html and "18:00–18:30" in html
    assert "Cancel 1 booking" in html and "Reopen Sauna" in html and "Times on this page are on the branch" in html

    response = manager_client.post(reverse("admin:facilities_closure_cancel_bookings", args=[closure.pk]), follow=True)
    assert "1 booking cancelled, none counted as a late cancellation." in response.content.decode()
    cancelled = BenefitBooking.objects.get(pk=booking.booking_id)
    assert (cancelled.status, cancelled.is_late_cancellation) == (BookingStatus.CANCELLED, False)
    assert "Ada Lovelace" in response.content.decode()  # still listed, to be told

    response = manager_client.post(reverse("admin:facilities_closure_reopen", args=[closure.pk]), follow=True)
    assert "Reopened: Sauna can be booked again." in response.content.decode()
    assert Closure.objects.get().reopened_by == manager
    response = manager_client.post(reverse("admin:facilities_closure_reopen", args=[closure.pk]), follow=True)
    assert "This closure was already reopened" in response.content.decode()


def test_the_front_desk_reads_closures_and_may_neither_cancel_nor_reopen(front_desk_client, manager, harbourfront):
    branch, sauna, _ = harbourfront
    closure = closure_open(branch=branch, facility=sauna, room="", starts_at=tomorrow_in_new_york(17),
                           ends_at=tomorrow_in_new_york(21), reason="maintenance", note="", user=manager,
                           source="admin")  # fmt: skip
    response = front_desk_client.get(reverse("admin:facilities_closure_change", args=[closure.pk]))
    assert response.status_code == 200 and "Reopen" not in response.content.decode()
    assert front_desk_client.get(ADD).status_code == 403
    for name in ("cancel_bookings", "reopen"):
        url = reverse(f"admin:facilities_closure_{name}", args=[closure.pk])
        assert front_desk_client.post(url).status_code == 403
    assert Closure.objects.get().reopened_at is None


def test_the_actions_take_only_a_post(manager_client, manager, harbourfront):
    branch, sauna, _ = harbourfront
    closure = closure_open(branch=branch, facility=sauna, room="", starts_at=tomorrow_in_new_york(17),
                           ends_at=tomorrow_in_new_york(21), reason="maintenance", note="", user=manager,
                           source="admin")  # fmt: skip
    assert manager_client.get(reverse("admin:facilities_closure_reopen", args=[closure.pk])).status_code == 405
    missing = reverse("admin:facilities_closure_reopen", args=[branch.pk])
    assert "That closure does not exist." in manager_client.post(missing, follow=True).content.decode()


def test_a_room_no_class_names_is_a_form_error_listing_the_rooms(manager_client, harbourfront):
    branch, _, _ = harbourfront
    ClassTimetableEntryFactory(branch=branch, room="Studio 1")
    ClassTimetableEntryFactory(branch=branch, room=" studio 1 ")  # one room, however it is typed
    ClassTimetableEntryFactory(branch=branch, room="Spin room")
    data = form_data(branch, None, tomorrow_in_new_york(17), tomorrow_in_new_york(21), room="Studio 3")
    assert (
        "No class at Harbourfront is held in a room called “Studio 3”. Rooms there: Spin room, Studio 1."
        in errors_of(manager_client.post(ADD, data))
    )
    data["room"] = "STUDIO 1"
    assert manager_client.post(ADD, data).status_code == 302
    assert Closure.objects.get().room == "STUDIO 1"
