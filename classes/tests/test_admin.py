"""The class pages read and take times on the branch's clock, whatever the server's zone."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from classes.models import ScheduledClass
from classes.tests.factories import ScheduledClassFactory
from clubs.tests.factories import BranchFactory
from config.tests.clock import interesting_day, local

pytestmark = pytest.mark.django_db

NEW_YORK = "America/New_York"


def form_data(branch, day: datetime.date, starts: str, ends: str, **extra) -> dict:
    return {
        "branch": branch.pk, "title": "Pilates", "instructor": "Priya", "capacity": 12,
        "starts_at_0": day.isoformat(), "starts_at_1": starts, "ends_at_0": day.isoformat(), "ends_at_1": ends,
        **extra,
    }  # fmt: skip


@pytest.fixture
def harbourfront(db):
    return BranchFactory(name="Harbourfront", time_zone=NEW_YORK)


def test_a_class_page_shows_and_takes_its_branchs_clock(manager_client, harbourfront):
    day = interesting_day(NEW_YORK, "standard")
    pilates = ScheduledClassFactory(branch=harbourfront, starts_at=local(day, 19, 30, NEW_YORK),
                                    ends_at=local(day, 20, 20, NEW_YORK))  # fmt: skip
    change = reverse("admin:classes_scheduledclass_change", args=[pilates.pk])
    page = manager_client.get(change).content.decode()
    assert 'value="19:30:00"' in page and "on the branch's clock: America/New_York" in page
    response = manager_client.post(change, form_data(harbourfront, day, "19:00", "19:50"))
    assert response.status_code == 302, response.content.decode()[:3000]
    pilates.refresh_from_db()
    assert pilates.starts_at == local(day, 19, 0, NEW_YORK)


def test_a_new_class_is_read_on_the_chosen_branchs_clock(manager_client, harbourfront):
    day = interesting_day(NEW_YORK, "summer")
    response = manager_client.post(
        reverse("admin:classes_scheduledclass_add"), form_data(harbourfront, day, "09:00", "09:45")
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    created = ScheduledClass.objects.get()
    assert created.starts_at == local(day, 9, 0, NEW_YORK)
    assert created.starts_at.astimezone(ZoneInfo(NEW_YORK)).strftime("%H:%M %Z") == "09:00 EDT"


def test_a_time_the_clocks_skip_is_refused(manager_client, harbourfront):
    day = interesting_day(NEW_YORK, "clocks_forward")
    response = manager_client.post(
        reverse("admin:classes_scheduledclass_add"), form_data(harbourfront, day, "02:30", "03:30")
    )
    assert response.status_code == 200
    assert "02:30 does not exist on" in response.content.decode() and not ScheduledClass.objects.exists()


@pytest.mark.parametrize("day", [datetime.date(1, 1, 1), datetime.date(9999, 12, 31)])
def test_a_time_beyond_the_calendar_is_a_form_error(manager_client, harbourfront, day):
    response = manager_client.post(
        reverse("admin:classes_scheduledclass_add"), form_data(harbourfront, day, "00:30", "23:00")
    )
    assert response.status_code == 200
    assert "Choose a time within 10 years of today." in response.content.decode()
    assert not ScheduledClass.objects.exists()


def test_the_class_list_finds_a_day_on_each_branchs_calendar(manager_client, harbourfront):
    day = interesting_day(NEW_YORK, "standard")
    late = local(day, 21, 0, NEW_YORK)  # 02:00 UTC the next day
    ScheduledClassFactory(
        branch=harbourfront, title="Late pilates", starts_at=late, ends_at=late + datetime.timedelta(minutes=50)
    )
    changelist = reverse("admin:classes_scheduledclass_changelist")
    assert "Late pilates" in manager_client.get(f"{changelist}?day={day.isoformat()}").content.decode()
    next_day = (day + datetime.timedelta(days=1)).isoformat()
    assert "Late pilates" not in manager_client.get(f"{changelist}?day={next_day}").content.decode()


def test_a_class_moved_to_another_branch_keeps_the_time_typed_on_the_new_branchs_clock(manager_client, harbourfront):
    day = interesting_day(NEW_YORK, "standard")
    riverside = BranchFactory(name="Riverside", time_zone="Europe/London", organization=harbourfront.organization)
    evening = local(day, 18, 0, "Europe/London")
    spin = ScheduledClassFactory(branch=riverside, starts_at=evening, ends_at=evening + datetime.timedelta(hours=1))
    change = reverse("admin:classes_scheduledclass_change", args=[spin.pk])
    response = manager_client.post(change, form_data(harbourfront, day, "18:00", "19:00"))
    assert response.status_code == 302, response.content.decode()[:3000]
    spin.refresh_from_db()
    assert spin.starts_at == local(day, 18, 0, NEW_YORK)
