"""A closure in a real browser (headless Chromium) at a New York branch: a manager closes the
sauna for tomorrow evening, reads the bookings it affects with the members' contacts, cancels them
in one click, and reopens. Screenshots under artifacts/browser/closures/."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from audit.services import Actor
from bookings.models import BenefitBooking, BookingStatus
from bookings.services import BookingKind, booking_create
from clubs.tests.factories import BranchFactory
from config.browser import Page, skip_without_chromium, waits_for, with_password
from facilities.models import Closure
from facilities.tests.factories import BenefitSlotFactory, FacilityFactory
from members.tests.factories import MemberFactory
from schedule.tests.test_closures_admin import tomorrow_in_new_york

pytestmark = pytest.mark.django_db

skip_without_chromium()


def test_a_manager_closes_the_sauna_cancels_its_bookings_and_reopens(browser, live_url, manager):
    branch = BranchFactory(name="Harbourfront", time_zone="America/New_York")
    sauna = FacilityFactory(branch=branch, name="Sauna", capacity=4)
    members = [
        MemberFactory(home_branch=branch, first_name=first, last_name=last, phone=phone, email=email)
        for first, last, phone, email in [
            ("Ada", "Lovelace", "+1 212 555 0199", "ada@example.com"),
            ("Grace", "Hopper", "+1 212 555 0142", ""),
            ("Alan", "Turing", "", "alan@example.com"),
        ]
    ]
    six, seven = sauna_slot_at(sauna, 18), sauna_slot_at(sauna, 19)
    for slot, member in zip((six, six, seven), members, strict=True):
        booking_create(kind=BookingKind.SLOT, item_id=slot.pk, member_id=member.pk, actor=Actor.system("t"),
                       channel="concierge", source="command")  # fmt: skip
    with_password(manager)
    page = Page(browser, live_url, "closures")
    page.login(manager.username)

    browser.get(f"{live_url}/admin/facilities/closure/add/")
    Select(browser.find_element(By.NAME, "branch")).select_by_visible_text("Harbourfront")
    Select(browser.find_element(By.NAME, "facility")).select_by_visible_text(str(sauna))
    start, end = tomorrow_in_new_york(17), tomorrow_in_new_york(22)
    for name, value in (("starts_at_0", f"{start:%Y-%m-%d}"), ("starts_at_1", "17:00"),
                        ("ends_at_0", f"{end:%Y-%m-%d}"), ("ends_at_1", "22:00")):  # fmt: skip
        field = browser.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)
    Select(browser.find_element(By.NAME, "reason")).select_by_value("maintenance")
    browser.find_element(By.NAME, "note").send_keys("New heater being fitted")
    page.shot("new-closure")
    browser.find_element(By.NAME, "_save").click()
    waits_for(browser, "h1", "Sauna closed, maintenance (Coming)")
    text = page.text()
    assert "Sauna closed, maintenance (Coming)" in text
    assert "Ada Lovelace" in text and "+1 212 555 0199" in text and "alan@example.com" in text
    assert "18:00–18:30" in text and "19:00–19:30" in text
    closure = Closure.objects.get()
    assert closure.starts_at == start.astimezone(ZoneInfo("UTC"))
    page.shot("affected-bookings")
    # made a minute ago: the test is one transaction, whose now() precedes the row's statement time
    Closure.objects.update(created_at=closure.created_at - datetime.timedelta(minutes=1))

    browser.find_element(By.CSS_SELECTOR, "button[form=closure-cancel]").click()
    waits_for(browser, ".messagelist", "3 bookings cancelled")
    assert "3 bookings cancelled, none counted as a late cancellation." in page.text()
    assert set(BenefitBooking.objects.values_list("status", "is_late_cancellation")) == {
        (BookingStatus.CANCELLED, False)
    }
    page.shot("cancelled")

    browser.find_element(By.CSS_SELECTOR, "button[form=closure-reopen]").click()
    waits_for(browser, ".messagelist", "Reopened: Sauna")
    assert "Reopened: Sauna can be booked again." in page.text()
    page.shot("reopened")
    browser.get(f"{live_url}/admin/facilities/closure/")
    assert "Reopened" in page.text()
    page.shot("list")


def sauna_slot_at(facility, hour: int):
    return BenefitSlotFactory(
        facility=facility,
        starts_at=tomorrow_in_new_york(hour),
        ends_at=tomorrow_in_new_york(hour) + datetime.timedelta(minutes=30),
        capacity=4,
    )
