"""The facility grid at a branch in New York (and one in Sydney and one in Kolkata), with the clock
frozen on its day: a column per facility, a row per start time on the branch's clock, each cell
its places left or why it cannot be booked, the next free place per facility, and where a click
on a cell leads (through the concierge's steps).

PostgreSQL's clock cannot be frozen (config/tests/clock.py): the days are in the future, so the
engine books as usual.
"""

from __future__ import annotations

import datetime
import html
import uuid
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bookings.selectors import facility_grid
from bookings.tests.test_services import book
from classes.tests.factories import ScheduledClassFactory
from clubs.tests.factories import BranchFactory
from config.tests.clock import interesting_day, local
from facilities.tests.factories import BenefitSettingFactory, BenefitSlotFactory, FacilityFactory
from members.models import BenefitKind
from members.tests.factories import EntitlementFactory, MemberFactory

pytestmark = pytest.mark.django_db

ZONE = "America/New_York"
DAY = interesting_day(ZONE, "standard")  # EST, UTC-5
GRID = reverse("admin:desk_grid")


def at(hour: int, minute: int = 0, day: datetime.date = DAY, zone: str = ZONE) -> datetime.datetime:
    return local(day, hour, minute, zone)


def slots(facility, first: datetime.datetime, count: int, minutes: int, capacity: int | None = None) -> list:
    first = first.astimezone(datetime.UTC)  # counted in real minutes, across a change of the clocks too
    return [
        BenefitSlotFactory(
            facility=facility,
            starts_at=first + datetime.timedelta(minutes=minutes * n),
            ends_at=first + datetime.timedelta(minutes=minutes * (n + 1)),
            capacity=capacity or facility.capacity,
        )
        for n in range(count)
    ]


def facility(branch, name: str, capacity: int, **fields):
    made = FacilityFactory(branch=branch, name=name, capacity=capacity, **fields)
    BenefitSettingFactory(facility=made, booking_window_days=365)
    return made


@dataclass
class Harbourfront:
    branch: object
    sauna: list  # 30-minute slots 09:00–12:00, two places
    plunge: list  # 15-minute slots 10:30–11:15, one place
    steam: list  # under maintenance: 11:00
    member: object


@pytest.fixture
def harbourfront() -> Harbourfront:
    branch = BranchFactory(name="Harbourfront", time_zone=ZONE)
    sauna = slots(facility(branch, "Sauna", 2), at(9), 6, 30)
    plunge = slots(facility(branch, "Cold plunge", 1), at(10, 30), 3, 15)
    steam = slots(facility(branch, "Steam room", 4, under_maintenance=True), at(11), 1, 30)
    facility(branch, "Old tub", 2, is_active=False)  # closed for good, no slots: no column
    member = MemberFactory(home_branch=branch, first_name="Olivia", last_name="Smith")
    for slot in (sauna[3], plunge[0]):  # 10:30 full in both
        for _ in range(slot.capacity):
            book(slot, MemberFactory(home_branch=branch))
    book(sauna[4], MemberFactory(home_branch=branch))  # 11:00: one of two left
    return Harbourfront(branch, sauna, plunge, steam, member)


@pytest.fixture
def at_10_20():
    with time_machine.travel(at(10, 20), tick=False):
        yield


def table(grid) -> list[tuple]:
    return [(row.time, *[cell.text if cell else "" for cell in row.cells]) for row in grid.rows]


def test_facilities_are_columns_and_the_days_start_times_rows_on_the_branchs_clock(
    harbourfront, at_10_20, django_assert_num_queries
):
    with django_assert_num_queries(3):
        grid = facility_grid(branch=harbourfront.branch, day=DAY)
    assert [column.name for column in grid.columns] == ["Cold plunge", "Sauna", "Steam room"]
    assert [column.shape for column in grid.columns] == ["15 min · 1 place", "30 min · 2 places", "30 min · 4 places"]
    assert [column.closed_reason for column in grid.columns] == ["", "", "under maintenance"]
    assert table(grid) == [
        ("09:00", "", "Over", ""),
        ("09:30", "", "Over", ""),
        ("10:00", "", "Started", ""),
        ("10:30", "Full", "Full", ""),
        ("10:45", "1 left", "", ""),
        ("11:00", "1 left", "1 left", "Closed"),
        ("11:30", "", "2 left", ""),
    ]
    assert [row.is_over for row in grid.rows] == [True, True, False, False, False, False, False]
    assert grid.over == 2 and grid.zone_label == "EST"
    full, closed = grid.rows[3].cells[1], grid.rows[5].cells[2]
    assert (full.state, full.places, full.time, full.facility) == ("full", "2 of 2 taken", "10:30–11:00", "Sauna")
    assert (closed.state, closed.closed_reason) == ("closed", "under maintenance")


def test_the_next_free_place_of_each_facility_is_the_first_slot_from_now_with_a_place(harbourfront, at_10_20):
    grid = facility_grid(branch=harbourfront.branch, day=DAY)
    plunge, sauna, steam = grid.columns
    assert (plunge.next_free.when, plunge.next_free.item_id) == ("10:45", harbourfront.plunge[1].pk)
    assert (sauna.next_free.when, sauna.next_free.item_id) == ("11:00", harbourfront.sauna[4].pk)
    assert steam.next_free is None  # under maintenance: nothing to book


def test_the_next_free_place_may_be_on_a_later_day_and_not_beyond_the_booking_window(harbourfront, at_10_20):
    sauna = harbourfront.sauna[0].facility
    for slot in (harbourfront.sauna[4], *[harbourfront.sauna[5]] * 2):  # the day's last places taken
        book(slot, MemberFactory(home_branch=harbourfront.branch))
    tomorrow = DAY + datetime.timedelta(days=1)
    later = slots(sauna, at(9, day=tomorrow), 1, 30)[0]
    grid = facility_grid(branch=harbourfront.branch, day=DAY)
    assert grid.columns[1].next_free.item_id == later.pk
    assert grid.columns[1].next_free.when == f"{tomorrow:%a} {tomorrow.day} {tomorrow:%b}, 09:00"
    assert grid.columns[1].next_free.day == tomorrow

    sauna.settings.booking_window_days = 0  # only today's slots may be booked: none is free
    sauna.settings.save()
    assert facility_grid(branch=harbourfront.branch, day=DAY).columns[1].next_free is None


def test_on_a_later_day_the_next_free_place_starts_at_that_day(harbourfront, at_10_20):
    sauna = harbourfront.sauna[0].facility
    tomorrow = DAY + datetime.timedelta(days=1)
    first = slots(sauna, at(7, day=tomorrow), 1, 30)[0]
    assert facility_grid(branch=harbourfront.branch, day=tomorrow).columns[1].next_free.when == "07:00"
    assert facility_grid(branch=harbourfront.branch, day=tomorrow).columns[1].next_free.item_id == first.pk


def test_a_chosen_members_own_bookings_are_marked_and_not_their_next_free_place(harbourfront, at_10_20):
    book(harbourfront.sauna[4], harbourfront.member)
    grid = facility_grid(branch=harbourfront.branch, day=DAY, member_id=harbourfront.member.pk)
    theirs = grid.rows[5].cells[1]
    assert (theirs.text, theirs.member_status) == ("Full", "confirmed")
    assert grid.columns[1].next_free.item_id == harbourfront.sauna[5].pk
    assert grid.member_day == ["Sauna 11:00–11:30"]


def test_cells_that_clash_with_the_members_own_bookings_say_so_and_offer_nothing(
    front_desk_client, harbourfront, at_10_20, django_assert_num_queries
):
    member = harbourfront.member
    book(harbourfront.sauna[4], member)  # 11:00–11:30
    params = {"branch": harbourfront.branch.pk, "date": DAY.isoformat(), "member": member.pk}
    page(front_desk_client, **params)  # the first request reads the session and the user's permissions
    with CaptureQueriesContext(connection) as one_booking:
        page(front_desk_client, **params)
    yoga = ScheduledClassFactory(branch=harbourfront.branch, title="Yoga", starts_at=at(11, 40), ends_at=at(12, 40))
    book(yoga, member, kind="class")
    with django_assert_num_queries(4):  # as without a clash: the member's day is read anyway
        grid = facility_grid(branch=harbourfront.branch, day=DAY, member_id=member.pk)
    plunge_11, sauna_1130 = grid.rows[5].cells[0], grid.rows[6].cells[1]
    assert (plunge_11.item_id, plunge_11.clash) == (harbourfront.plunge[2].pk, "Sauna 11:00–11:30")
    assert (sauna_1130.item_id, sauna_1130.clash) == (harbourfront.sauna[5].pk, "Yoga 11:40–12:40")
    assert grid.rows[5].cells[1].clash == ""  # their own booking: "Already booked", not a clash
    assert grid.rows[4].cells[0].clash == ""  # the plunge at 10:45–11:00 only touches it
    with CaptureQueriesContext(connection) as two_bookings:
        text = page(front_desk_client, **params)
    assert len(two_bookings) == len(one_booking)
    assert (
        'cell-clash" title="Cold plunge, 11:00–11:15: 1 of 1 left"><span class="grid-state">Clashes with</span>' in text
    )
    assert '<span class="grid-why">Sauna 11:00–11:30</span>' in text
    assert "cell-closed cell-clash" not in text  # the steam room is closed anyway: said so, not the clash
    assert '<span class="grid-why">Yoga 11:40–12:40</span>' in text
    for clashing in (harbourfront.plunge[2], harbourfront.sauna[5]):
        assert f"item={clashing.pk}" not in text.split('class="facility-grid"')[1]


@pytest.mark.parametrize(
    ("zone", "case", "label"),
    [
        ("America/New_York", "standard", "EST"),
        ("America/New_York", "summer", "EDT"),
        ("Australia/Sydney", "summer", "AEDT"),
        ("Asia/Kolkata", "standard", "IST"),
    ],
)
def test_times_are_on_the_branchs_clock_inside_and_outside_daylight_saving_time(zone, case, label):
    day = interesting_day(zone, case)
    branch = BranchFactory(time_zone=zone)
    slots(facility(branch, "Sauna", 2), at(18, day=day, zone=zone), 2, 45)
    with time_machine.travel(at(8, day=day, zone=zone), tick=False):
        grid = facility_grid(branch=branch, day=day)
    assert grid.zone_label == label
    assert table(grid) == [("18:00", "2 left"), ("18:45", "2 left")]
    assert grid.rows[0].cells[0].time == "18:00–18:45"
    assert grid.columns[0].next_free.when == "18:00"


def test_on_the_day_the_clocks_go_back_each_time_says_which_it_is():
    day = interesting_day(ZONE, "clocks_back")  # 01:00–02:00 happens twice: EDT, then EST
    branch = BranchFactory(time_zone=ZONE)
    first = at(0, 30, day=day)  # EDT
    slots(facility(branch, "Sauna", 2), first, 6, 30)
    with time_machine.travel(at(0, 0, day=day), tick=False):
        grid = facility_grid(branch=branch, day=day)
    assert grid.zone_label == "EDT, then EST"
    assert [row.time for row in grid.rows] == [
        "00:30 EDT",
        "01:00 EDT",
        "01:30 EDT",
        "01:00 EST",
        "01:30 EST",
        "02:00 EST",
    ]
    assert grid.rows[2].cells[0].time == "01:30–01:00 EDT"  # the slot ends after the clocks went back


def test_on_the_day_the_clocks_go_forward_the_missing_hour_has_no_row():
    day = interesting_day(ZONE, "clocks_forward")  # 02:00–03:00 does not happen
    branch = BranchFactory(time_zone=ZONE)
    slots(facility(branch, "Sauna", 2), at(1, 0, day=day), 3, 30)
    with time_machine.travel(at(0, 0, day=day), tick=False):
        grid = facility_grid(branch=branch, day=day)
    assert [row.time for row in grid.rows] == ["01:00 EST", "01:30 EST", "03:00 EDT"]


# The page


def page(client, **params) -> str:
    response = client.get(f"{GRID}?{urlencode(params)}")
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def step_url(name: str, **params) -> str:
    return f"{reverse(f'admin:bookings_concierge_{name}')}?{urlencode(params)}"


def test_the_page_shows_the_grid_and_a_click_on_a_cell_finds_the_member_then_confirms(
    front_desk_client, harbourfront, at_10_20
):
    text = page(front_desk_client, branch=harbourfront.branch.pk, date=DAY.isoformat())
    assert "Facility grid: Harbourfront" in text
    assert "times on the branch's clock: America/New_York, EST" in text
    assert "2 earlier ones are over and not shown" in text and ">09:00<" not in text
    free, full = harbourfront.sauna[5], harbourfront.sauna[3]
    assert f'href="{step_url("member", kind="slot")}&item={free.pk}"' in text
    assert f'href="{step_url("member", kind="slot", waitlist=1)}&item={full.pk}"' in text  # Join waitlist
    assert "Override…" not in text  # the front desk may not override
    assert "Under maintenance" in text and "under maintenance</span>" in text
    for over_or_started in harbourfront.sauna[:3]:
        assert f"item={over_or_started.pk}" not in text
    every = page(front_desk_client, branch=harbourfront.branch.pk, date=DAY.isoformat(), over=1)
    assert ">09:00<" in every and ">Over<" in every and ">Started<" in every


def test_with_a_member_chosen_a_click_goes_straight_to_confirm(manager_client, harbourfront, at_10_20):
    member = harbourfront.member
    EntitlementFactory(member=member, benefit_kind=BenefitKind.RECOVERY, quota=4)
    text = page(manager_client, branch=harbourfront.branch.pk, date=DAY.isoformat(), member=member.pk)
    state = {"member": member.pk, "kind": "slot", "branch": harbourfront.branch.pk, "date": DAY.isoformat()}
    free, full = harbourfront.sauna[5], harbourfront.sauna[3]
    assert f'href="{step_url("confirm", **state)}&item={free.pk}"' in text
    assert f'href="{step_url("confirm", **state, waitlist=1)}&item={full.pk}"' in text
    override = f"{step_url('confirm', **state, override=1)}&item={full.pk}"
    assert f'href="{override}" aria-label="Override capacity' in text  # a manager
    confirm = manager_client.get(override).content.decode()  # arrives with the box ticked, at the reason
    assert 'name="override" id="id_override" checked>' in confirm
    assert 'name="override_reason_code" autofocus' in confirm and 'name="book" autofocus' not in confirm
    assert "Booking for" in text and "Olivia Smith" in text and "0 of 4 recovery sessions used this week" in text
    response = manager_client.get(f"{step_url('confirm', **state)}&item={free.pk}")
    assert "Confirm the booking" in response.content.decode()


def test_the_next_free_place_is_a_link_that_books_it(front_desk_client, harbourfront, at_10_20):
    text = page(front_desk_client, branch=harbourfront.branch.pk, date=DAY.isoformat())
    assert f'href="{step_url("member", kind="slot", item=harbourfront.sauna[4].pk)}"' in text
    member = harbourfront.member
    chosen = page(front_desk_client, branch=harbourfront.branch.pk, date=DAY.isoformat(), member=member.pk)
    state = {"member": member.pk, "kind": "slot", "branch": harbourfront.branch.pk, "date": DAY.isoformat()}
    assert f'href="{step_url("confirm", **state, item=harbourfront.plunge[1].pk)}"' in chosen


def test_the_concierges_first_step_carries_the_slot_and_choosing_the_member_confirms_it(
    front_desk_client, harbourfront, at_10_20
):
    slot = harbourfront.sauna[5]
    text = html.unescape(
        front_desk_client.get(step_url("member", kind="slot", item=slot.pk, q="olivia smith")).content.decode()
    )
    assert "A place at <strong>Sauna</strong>, Harbourfront, " in text and "11:30–12:00 EST</span>: choose" in text
    assert f'<input type="hidden" name="item" value="{slot.pk}">' in text
    state = {"kind": "slot", "item": slot.pk, "branch": harbourfront.branch.pk, "date": DAY.isoformat()}
    assert f'href="{step_url("confirm", **state)}&member={harbourfront.member.pk}">Choose' in text
    waiting = html.unescape(
        front_desk_client.get(step_url("member", kind="slot", item=slot.pk, waitlist=1, q="olivia")).content.decode()
    )
    assert (
        "The waitlist of <strong>Sauna</strong>" in waiting
        and '<input type="hidden" name="waitlist" value="1">' in waiting
    )
    assert f'href="{step_url("confirm", **state, waitlist=1)}&member=' in waiting
    overriding = front_desk_client.get(step_url("member", kind="slot", item=slot.pk, override=1, q="olivia"))
    overriding = html.unescape(overriding.content.decode())  # a manager's "Override…" before the member is known
    assert '<input type="hidden" name="override" value="1">' in overriding
    assert f'href="{step_url("confirm", **state, override=1)}&member=' in overriding
    for hostile in ({"kind": "slot", "item": uuid.uuid4()}, {"kind": "spa", "item": slot.pk}, {"item": "x"}):
        assert front_desk_client.get(step_url("member", **hostile)).status_code == 404


def test_a_frozen_member_is_offered_nothing_to_click(front_desk_client, harbourfront, at_10_20):
    member = harbourfront.member
    member.status = "frozen"
    member.save()
    text = page(front_desk_client, branch=harbourfront.branch.pk, date=DAY.isoformat(), member=member.pk)
    assert "The membership is frozen: nothing can be booked until it is active again." in text
    assert "grid-book" not in text and "Join waitlist" not in text and "item=" not in text


def test_a_member_of_another_organization_cannot_be_booked_here(front_desk_client, harbourfront, at_10_20):
    stranger = MemberFactory(first_name="Sam", last_name="Else")  # another organization's branch
    text = page(front_desk_client, branch=harbourfront.branch.pk, date=DAY.isoformat(), member=stranger.pk)
    assert "Sam Else is a member of another organization: choose one of its branches." in text
    assert "item=" not in text


def test_the_query_count_does_not_grow_with_facilities_and_slots(
    front_desk_client, harbourfront, at_10_20, django_assert_num_queries
):
    small = BranchFactory(name="Small", time_zone=ZONE, organization=harbourfront.branch.organization)
    for name in ("Sauna", "Plunge"):
        slots(facility(small, name, 2), at(11), 4, 30)
    member = harbourfront.member
    addresses = [
        {"branch": small.pk, "date": DAY.isoformat()},
        {"branch": small.pk, "date": DAY.isoformat(), "member": member.pk},
    ]
    for params in addresses:
        page(front_desk_client, **params)  # the desk's branch remembered: the same writes each time
    counts = []
    for params in addresses:
        with CaptureQueriesContext(connection) as captured:
            page(front_desk_client, **params)
        counts.append(len(captured))
    for n in range(18):
        slots(facility(small, f"Room {n:02}", 2), at(7), 30, 30)
    for slot in slots(small.facilities.get(name="Sauna"), at(15), 26, 30)[:5]:
        book(slot, MemberFactory(home_branch=small))
    for params, count in zip(addresses, counts, strict=True):
        with django_assert_num_queries(count):
            text = page(front_desk_client, **params)
        assert text.count('class="grid-facility"') == 20 and "Room 17" in text
    assert max(counts) <= 16


def test_only_desk_staff_see_the_grid_and_only_who_may_book_get_links(
    client, front_desk_client, harbourfront, django_user_model, at_10_20
):
    address = f"{GRID}?branch={harbourfront.branch.pk}&date={DAY.isoformat()}"
    assert client.get(address).status_code == 302  # to the login
    clerk = django_user_model.objects.create_user(username="clerk", password="pw", is_staff=True)
    client.force_login(clerk)
    assert client.get(address).status_code == 403
    clerk.user_permissions.add(Permission.objects.get(codename="view_benefitbooking"))
    viewer = html.unescape(client.get(address).content.decode())
    assert "1 left" in viewer and "grid-book" not in viewer and "item=" not in viewer
    assert "grid-book" in front_desk_client.get(address).content.decode()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0001-01-01", "Choose a day between"),
        ("9999-12-31", "Choose a day between"),
        ("2026-02-30", "Enter a valid date."),
        ("garbage", "Enter a valid date."),
        ("%00", "Enter a valid date."),
        ("x" * 5000, "Enter a valid date."),
    ],
)
def test_an_absurd_day_is_said_and_todays_grid_shown(front_desk_client, harbourfront, at_10_20, value, message):
    text = page(front_desk_client, branch=harbourfront.branch.pk, date=value)
    assert message in text and "This is today's grid." in text
    assert f"{DAY:%A} {DAY.day} {DAY:%B %Y} (today)" in text


@pytest.mark.parametrize("value", ["garbage", "00000000-0000-4000-8000-000000000000", "' or 1=1 --", "x" * 5000])
def test_an_unknown_branch_is_said_and_the_remembered_one_shown(front_desk_client, harbourfront, at_10_20, value):
    page(front_desk_client, branch=harbourfront.branch.pk)  # remembered
    text = page(front_desk_client, branch=value, date=DAY.isoformat())
    assert "There is no active branch of that id: this is Harbourfront's grid." in text
    assert "Facility grid: Harbourfront" in text


def test_an_unknown_member_is_not_found_and_a_malformed_one_ignored(front_desk_client, harbourfront, at_10_20):
    assert front_desk_client.get(f"{GRID}?member={uuid.uuid4()}").status_code == 404
    assert "Booking for" not in page(front_desk_client, member="not-a-member")


def test_a_day_without_slots_says_so_under_each_facilitys_next_free_place(front_desk_client, harbourfront, at_10_20):
    earlier = DAY - datetime.timedelta(days=1)
    text = page(front_desk_client, branch=harbourfront.branch.pk, date=earlier.isoformat())
    assert "Nothing to book on this day. Try another day." in text and "slots are made every night" not in text
    assert text.count('class="grid-facility"') == 3
    sauna_next = f"{DAY:%a} {DAY.day} {DAY:%b}, 11:00"  # from now: the first with a place
    assert f'aria-label="Book the next free place at Sauna: {sauna_next}">{sauna_next}</a>' in text
    later = page(front_desk_client, branch=harbourfront.branch.pk, date=(DAY + datetime.timedelta(days=30)).isoformat())
    assert "slots are made every night for the weeks ahead" in later
    over = page(front_desk_client, branch=harbourfront.branch.pk, date=DAY.isoformat())
    assert "Nothing left" not in over
    with time_machine.travel(at(23), tick=False):
        late = page(front_desk_client, branch=harbourfront.branch.pk, date=DAY.isoformat())
    assert "10 earlier ones are over and not shown" in late and "Nothing left to book on this day." in late
