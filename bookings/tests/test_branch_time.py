"""Every time the front desk reads is on the clock of the branch it belongs to: the concierge
flow, the success page and the lists, at branches whose offset is not zero, with the clock frozen
inside and outside daylight saving time and on the days the clocks change."""

from __future__ import annotations

import datetime
import re
from urllib.parse import urlencode

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from audit.services import Actor
from bookings.models import BenefitBooking, ClassBooking
from classes.tests.factories import ScheduledClassFactory
from clubs import localtime
from clubs.tests.factories import BranchFactory
from config.tests.clock import interesting_day, local, zone_cases
from facilities.services import slots_ensure
from facilities.tests.factories import BenefitSettingFactory, FacilityFactory
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def concierge(name: str, **params) -> str:
    return f"{reverse(f'admin:bookings_concierge_{name}')}?{urlencode(params)}"


def times_listed(page: str) -> list[str]:
    return re.findall(r'<td class="concierge-time">([^<]+)</td>', page)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)  # under the frozen clock, so the session has not expired there
    return client


def day_text(day: datetime.date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def scheduled(branch, title: str, starts_at: datetime.datetime, ends_at: datetime.datetime):
    return ScheduledClassFactory(branch=branch, title=title, starts_at=starts_at, ends_at=ends_at)


def label(day: datetime.date, hour: int, minute: int, zone: str) -> str:
    return localtime.zone_label(local(day, hour, minute, zone))


@pytest.mark.parametrize(("zone", "case"), zone_cases())
def test_the_concierge_flow_and_the_lists_read_the_branchs_clock(zone, case, manager):
    day = interesting_day(zone, case)
    with time_machine.travel(local(day, 0, 30, zone), tick=False):
        branch = BranchFactory(name="Harbourfront", time_zone=zone)
        plunge = FacilityFactory(branch=branch, name="Cold plunge", capacity=3)
        BenefitSettingFactory(facility=plunge, booking_window_days=365)
        slots_ensure(branch_id=branch.pk, start_date=day, end_date=day, actor=Actor.system("test"), source="command")
        scheduled(branch, "Sunrise yoga", local(day, 0, 45, zone), local(day, 1, 30, zone))
        pilates = scheduled(branch, "Pilates", local(day, 23, 0, zone), local(day, 23, 50, zone))
        member = MemberFactory(home_branch=branch, first_name="Maya", last_name="Ortiz")
        client = signed_in(manager)

        # Step 2 offers the branch's today.
        assert f'value="{day.isoformat()}"' in client.get(concierge("schedule", member=member.pk)).content.decode()

        # Step 3: the facility's day runs from its opening to its closing on the branch's clock.
        state = {"member": member.pk, "branch": branch.pk, "date": day.isoformat()}
        slots = client.get(concierge("pick", kind="slot", **state)).content.decode()
        listed = re.findall(r'<th scope="row" class="grid-time">([^<]+)</th>', slots)  # the facility grid's rows
        assert (len(listed), listed[0], listed[-1]) == (32, "06:00", "21:30")
        assert zone in slots

        # Steps 4 and the success page: the chosen slot, with its day and zone.
        first_slot = plunge.slots.order_by("starts_at").first()
        when = f"{day_text(day)}, 06:00–06:30 {label(day, 6, 0, zone)}"
        confirm = concierge("confirm", kind="slot", item=first_slot.pk, **state)
        assert when in client.get(confirm).content.decode()
        done = client.get(client.post(confirm, {})["Location"]).content.decode()
        assert when in done and "<title>Booked |" in done

        # Classes: sorted by the instant, shown on the branch's clock, late ones on their own day.
        classes = times_listed(client.get(concierge("pick", kind="class", **state)).content.decode())
        if case.startswith("clocks"):  # the day has two offsets: each time says which
            assert classes == [f"00:45–01:30 {label(day, 0, 45, zone)}", f"23:00–23:50 {label(day, 23, 0, zone)}"]
            assert label(day, 0, 45, zone) != label(day, 23, 0, zone)
        else:
            assert classes == ["00:45–01:30", "23:00–23:50"]
        confirm = concierge("confirm", kind="class", item=pilates.pk, **state)
        late = f"{day_text(day)}, 23:00–23:50 {label(day, 23, 0, zone)}"
        assert late in client.get(confirm).content.decode()
        assert late in client.get(client.post(confirm, {})["Location"]).content.decode()

        # The lists: each booking at its branch's time, found by the day of the branch's calendar.
        bookings = reverse("admin:bookings_benefitbooking_changelist")
        assert when in client.get(bookings).content.decode()
        assert when in client.get(f"{bookings}?day={day.isoformat()}").content.decode()
        assert when in client.get(f"{bookings}?day=today").content.decode()
        next_day = (day + datetime.timedelta(days=1)).isoformat()
        assert when not in client.get(f"{bookings}?day={next_day}").content.decode()
        class_bookings = client.get(f"{reverse('admin:bookings_classbooking_changelist')}?day={day.isoformat()}")
        assert late in class_bookings.content.decode()
        assert BenefitBooking.objects.count() == ClassBooking.objects.count() == 1

        # A booking's record page.
        booking = BenefitBooking.objects.get()
        record = client.get(reverse("admin:bookings_benefitbooking_change", args=[booking.pk])).content.decode()
        assert when in record and localtime.local_datetime(booking.created_at, zone) in record  # booked at


def test_a_list_that_mixes_branches_sorts_by_the_instant_and_shows_each_branchs_clock(manager_client):
    day = interesting_day("America/New_York", "standard")
    new_york = BranchFactory(name="Harbourfront", time_zone="America/New_York")
    london = BranchFactory(name="Riverside", time_zone="Europe/London")
    scheduled(new_york, "Pilates", local(day, 18, 0, new_york.time_zone), local(day, 19, 0, new_york.time_zone))
    scheduled(london, "Spin", local(day, 19, 30, london.time_zone), local(day, 20, 15, london.time_zone))
    page = manager_client.get(reverse("admin:classes_scheduledclass_changelist")).content.decode()
    spin, pilates = page.index(f"{day_text(day)}, 19:30 GMT"), page.index(f"{day_text(day)}, 18:00 EST")
    assert spin < pilates  # 19:30 in London comes before 18:00 in New York (23:00 UTC)
