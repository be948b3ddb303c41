"""Today, the staff's home page, at a branch in New York with the clock frozen at 10:20 on its
day; and the front desk landing on it."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from bookings.tests.test_services import CLASS, book
from desk.models import DeskBranch
from desk.tests.test_selectors import a_class, at

pytestmark = pytest.mark.django_db

TODAY = reverse("admin:desk_today")
PANELS = reverse("admin:desk_today_panels")


def test_the_front_desk_lands_on_today_and_reaches_every_admin_page_from_it(front_desk_client):
    answer = front_desk_client.get(reverse("admin:index"))
    assert answer.status_code == 302 and answer["Location"] == TODAY
    assert front_desk_client.get(reverse("admin:index") + "?all=1").status_code == 200
    assert 'href="/admin/?all=1"' in front_desk_client.get(TODAY).content.decode()


def test_a_manager_keeps_the_model_index_with_today_one_click_away(manager_client):
    page = manager_client.get(reverse("admin:index"))
    assert page.status_code == 200
    assert f'href="{TODAY}"' in page.content.decode()


def test_today_shows_the_branchs_day_on_its_own_clock(desk, at_10_20, front_desk_client):
    page = front_desk_client.get(TODAY, {"branch": desk.branch.pk}).content.decode()
    assert "Today at Harbourfront" in page
    assert "<strong>10:20</strong> on the branch's clock (America/New_York, EST)" in page
    # the timeline, earliest first, with counts and states; what is over is hidden until asked for
    for text in ["10:00–11:00", "Yoga", "3 of 2", "In progress", "Coming up", "the facility is under maintenance"]:
        assert text in page, text
    day = page[page.index('id="timeline-title"') :]
    assert day.index("10:00–11:00") < day.index("11:00–11:45") < day.index("18:00–18:45")
    assert "09:00–09:30" not in page and "1 earlier one is over and not shown" in page
    everything = front_desk_client.get(TODAY, {"branch": desk.branch.pk, "over": "1"}).content.decode()
    assert "09:00–09:30" in everything and "Showing the 1 that is over" in everything
    assert f"?branch={desk.branch.pk}&amp;over=1" in everything  # the refresh keeps showing them
    assert "Yoga" in page and '<strong class="desk-full">Full</strong>' in page  # Yoga: 3 of 2


def test_recovery_sessions_nobody_booked_wait_behind_a_link(desk, at_10_20, front_desk_client):
    from facilities.tests.factories import BenefitSlotFactory

    sauna = desk.sauna_slot.facility
    BenefitSlotFactory(facility=sauna, starts_at=at(15), ends_at=at(15, 30), capacity=2)
    page = front_desk_client.get(TODAY, {"branch": desk.branch.pk}).content.decode()
    assert "15:00–15:30" not in page and "1 recovery session nobody has booked not shown" in page
    shown = front_desk_client.get(TODAY, {"branch": desk.branch.pk, "empty": "1"}).content.decode()
    assert "15:00–15:30" in shown and "Showing the 1 recovery session nobody has booked" in shown
    assert f"?branch={desk.branch.pk}&amp;empty=1" in shown  # the refresh keeps showing it
    # arriving next with a one-click check-in, needs attention with a no-show
    assert 'aria-label="Check in Dan Evans"' in page
    assert 'aria-label="No-show Ben Adams"' in page
    assert "Cold plunge</strong> is closed" in page and "Steam room</strong> is under maintenance" in page
    assert "Guest of the owner" in page and "3 of 2" in page


def test_today_remembers_the_branch_the_user_chose(desk, at_10_20, front_desk, front_desk_client):
    other = a_class(desk.branch.__class__.objects.exclude(pk=desk.branch.pk).get(), "Elsewhere yoga", at(11), 45, 5)
    front_desk_client.get(TODAY, {"branch": other.branch_id})
    assert DeskBranch.objects.get(user=front_desk).branch_id == other.branch_id
    page = front_desk_client.get(TODAY).content.decode()
    assert "Elsewhere yoga" in page and "Pilates" not in page
    # an unknown or hostile branch keeps the remembered one
    for hostile in ["not-a-uuid", "00000000-0000-0000-0000-000000000000", "' or 1=1 --"]:
        answer = front_desk_client.get(TODAY, {"branch": hostile})
        assert answer.status_code == 200 and "Elsewhere yoga" in answer.content.decode()


def test_today_says_so_when_the_day_is_empty(front_desk_client, at_10_20):
    from clubs.tests.factories import BranchFactory

    BranchFactory(name="Quiet branch", time_zone="Asia/Kolkata")
    page = front_desk_client.get(TODAY).content.decode()
    assert "Nothing is scheduled at Quiet branch today" in page
    assert "Nobody is booked in the next hour." in page
    assert "Nothing needs attention right now." in page


def test_the_panels_refresh_themselves_and_after_every_action(desk, at_10_20, front_desk_client):
    page = front_desk_client.get(TODAY, {"branch": desk.branch.pk}).content.decode()
    assert 'hx-trigger="every 10s, deskChanged from:body"' in page
    panels = front_desk_client.get(PANELS, {"branch": desk.branch.pk}, HTTP_HX_REQUEST="true")
    assert panels.status_code == 200
    body = panels.content.decode()
    assert body.startswith('<div id="today-panels"') and "<html" not in body and "Pilates" in body


def _bookings_everywhere(desk, count: int) -> None:
    for hour in range(13, 13 + count):
        extra = a_class(desk.branch, f"Class at {hour}", at(hour), 45, capacity=3)
        for person in desk.members.values():
            book(extra, person, CLASS, join_waitlist=True)


@pytest.mark.parametrize("more_classes", [0, 5])
def test_today_and_its_panels_cost_a_fixed_number_of_queries(
    desk, at_10_20, front_desk_client, django_assert_num_queries, more_classes
):
    _bookings_everywhere(desk, more_classes)
    front_desk_client.get(TODAY, {"branch": desk.branch.pk})  # remembered: later pages read it
    # session, user and permissions (4), remembered branch, timeline (2), arriving (1),
    # attention (4: late arrivals, closed facilities, closures, overrides), and the branches to switch to
    with django_assert_num_queries(13):
        assert front_desk_client.get(TODAY).status_code == 200
    with django_assert_num_queries(12):
        assert front_desk_client.get(PANELS, HTTP_HX_REQUEST="true").status_code == 200


def test_today_is_for_staff_who_may_see_bookings(client, django_user_model):
    clerk = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    client.force_login(clerk)
    assert client.get(TODAY).status_code == 403
    assert client.get(PANELS).status_code == 403
    client.logout()
    assert client.get(TODAY).status_code == 302  # to the login page


def test_today_at_a_branch_in_kolkata_is_on_its_clock(front_desk_client):
    from clubs.tests.factories import BranchFactory
    from config.tests.clock import interesting_day, local

    day = interesting_day("Asia/Kolkata", "standard")
    branch = BranchFactory(name="Bandra", time_zone="Asia/Kolkata")
    a_class(branch, "Kolkata yoga", local(day, 12, 30, "Asia/Kolkata"), 45, capacity=5)
    with time_machine.travel(local(day, 12, 0, "Asia/Kolkata"), tick=False):  # 06:30 UTC
        page = front_desk_client.get(TODAY, {"branch": branch.pk}).content.decode()
    assert "<strong>12:00</strong> on the branch's clock (Asia/Kolkata, IST)" in page
    assert "12:30–13:15" in page and "Kolkata yoga" in page


def test_a_busy_hour_shows_its_first_arrivals_and_says_how_many_more(desk, at_10_20, front_desk_client, monkeypatch):
    import functools

    from desk import today
    from desk.selectors import arriving_next

    monkeypatch.setattr(today, "arriving_next", functools.partial(arriving_next, limit=1))
    page = front_desk_client.get(TODAY, {"branch": desk.branch.pk}).content.decode()
    assert 'aria-label="Check in Cleo Diaz"' in page and 'aria-label="Check in Dan Evans"' not in page
    assert "and 1 more in the next hour: find anyone by name in the search above, or open the class." in page


def test_a_refresh_shows_its_branch_without_changing_the_remembered_one(desk, at_10_20, front_desk, front_desk_client):
    from clubs.models import Branch

    other = Branch.objects.exclude(pk=desk.branch.pk).get()
    front_desk_client.get(TODAY, {"branch": desk.branch.pk})
    # a second tab at the other branch refreshes itself: it shows its branch, remembers nothing
    panels = front_desk_client.get(PANELS, {"branch": other.pk}, HTTP_HX_REQUEST="true").content.decode()
    assert "Pilates" not in panels
    assert DeskBranch.objects.get(user=front_desk).branch_id == desk.branch.pk


def test_the_rows_link_where_reverse_would(desk, at_10_20, front_desk_client):
    from bookings.models import ClassBooking

    page = front_desk_client.get(TODAY, {"branch": desk.branch.pk}).content.decode()
    dan = desk.members["Dan"]
    pilates = ClassBooking.objects.get(scheduled_class=desk.pilates, member=dan)
    assert f'href="{reverse("admin:desk_member", args=[dan.pk])}"' in page
    assert f'href="{reverse("admin:desk_roster", args=["class", desk.pilates.pk])}"' in page
    action = reverse("admin:desk_booking_action", args=["check-in"])
    assert f'action="{action}" hx-post="{action}"' in page and f'id="arriving-{pilates.pk}"' in page
