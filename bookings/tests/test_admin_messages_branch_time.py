"""A message that names a time says it on the clock of the item's branch: cancelling a booking
in the bookings list moves the first waitlisted member up, and the message that says who names
the item's time at a branch whose offset is never zero (issue 12: "messages"; the list's own
columns are tested in test_branch_time.py)."""

from __future__ import annotations

import datetime
from html import escape

import pytest
from django.urls import reverse

from audit.services import Actor
from bookings.models import BenefitBooking
from bookings.services import booking_create
from clubs import localtime
from clubs.tests.factories import BranchFactory
from config.tests.clock import ZONES, interesting_day, local
from facilities.tests.factories import BenefitSettingFactory, BenefitSlotFactory, FacilityFactory
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def book(slot, member, **extra):
    return booking_create(kind="slot", item_id=slot.pk, member_id=member.pk, actor=Actor.system("test"),
                          channel="concierge", source="command", **extra)  # fmt: skip


@pytest.mark.parametrize("zone", ZONES)
def test_who_moved_up_is_told_with_the_items_time_on_its_branchs_clock(front_desk_client, zone):
    day = interesting_day(zone, "standard")
    branch = BranchFactory(name="Harbourfront", time_zone=zone)
    sauna = FacilityFactory(branch=branch, name="Sauna", capacity=1)
    BenefitSettingFactory(facility=sauna, booking_window_days=365)
    # 23:00 on the branch's clock: on UTC's, another hour and, east of Greenwich, another day.
    slot = BenefitSlotFactory(
        facility=sauna, starts_at=local(day, 23, 0, zone), ends_at=local(day, 23, 30, zone), capacity=1
    )
    leaving = MemberFactory(home_branch=branch, first_name="Ben", last_name="Adams")
    waiting = MemberFactory(home_branch=branch, first_name="Wendy", last_name="Waits")
    first = book(slot, leaving)
    book(slot, waiting, join_waitlist=True)

    response = front_desk_client.post(
        reverse("admin:bookings_benefitbooking_changelist"),
        {"action": "cancel_bookings", "_selected_action": [first.booking_id]},
        follow=True,
    )

    page = response.content.decode()
    label = localtime.zone_label(local(day, 23, 0, zone))
    when = f"{day:%a} {day.day} {day:%b %Y}, 23:00–23:30 {label}"
    assert "1 booking cancelled." in page
    said = f"Wendy Waits moved up from the waitlist to Sauna (Harbourfront), {when} in Ben Adams's place."
    assert escape(said) in page
    assert BenefitBooking.objects.get(member=waiting).status == "confirmed"
    next_day = day + datetime.timedelta(days=1)
    assert f"{next_day:%a} {next_day.day} {next_day:%b %Y}" not in page  # no UTC day leaks in
