"""The concierge flow end to end in a real browser: headless Chromium driven by Selenium
(config/browser.py). Screenshots of each step are saved under artifacts/browser/ (ignored by git).
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from audit.services import Actor
from bookings.models import BenefitBooking
from bookings.services import booking_create
from bookings.tests.conftest import tomorrow_at
from clubs import localtime
from clubs.tests.factories import BranchFactory
from config.browser import Page, skip_without_chromium, with_password
from facilities.tests.factories import BenefitSettingFactory, BenefitSlotFactory, FacilityFactory
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

skip_without_chromium()


FREE_CELL = (By.CSS_SELECTOR, "a.grid-book")  # a free place on step 3's facility grid


class ConciergePage(Page):
    def book_through_the_flow(self, member_query: str, pick: tuple[str, str], day) -> None:
        self.browser.get(f"{self.base}/admin/bookings/benefitbooking/")
        self.browser.find_element(By.CSS_SELECTOR, ".object-tools a.addlink").click()  # "New booking"
        self.browser.find_element(By.ID, "member-search").send_keys(member_query)  # not the header's search
        self.browser.find_element(By.CSS_SELECTOR, "form.concierge-search input[type=submit]").click()
        # Each shot once its page is there (the implicit wait of find_element).
        choose = self.browser.find_element(By.LINK_TEXT, "Choose")
        self.shot("member-found")
        choose.click()
        self.browser.execute_script("document.querySelector('input[name=date]').value = arguments[0]", day.isoformat())
        self.shot("what-and-when")
        self.browser.find_element(By.CSS_SELECTOR, "form.concierge-form input[type=submit]").click()
        chosen = self.browser.find_element(*pick)
        self.shot("pick")
        chosen.click()
        self.browser.find_element(By.CSS_SELECTOR, ".concierge-summary")
        self.shot("confirm")


def fill(club):
    for _ in range(club.slot.capacity):
        booking_create(kind="slot", item_id=club.slot.pk, member_id=club.new_member().pk,
                       actor=Actor.system("t"), channel="concierge", source="command")  # fmt: skip


def test_front_desk_books_a_member_into_a_slot_once_even_on_a_double_click(browser, live_url, front_desk, club):
    with_password(front_desk)
    page = ConciergePage(browser, live_url, "front-desk-books")
    page.login(front_desk.username)
    page.book_through_the_flow("olivia smith", FREE_CELL, tomorrow_at(0).date())
    assert "override" not in page.text().lower()  # no override box for the front desk
    ActionChains(browser).double_click(browser.find_element(By.NAME, "book")).perform()
    browser.find_element(By.CSS_SELECTOR, ".concierge-done")  # the done page is there
    page.shot("done")
    assert "Booked" in page.text() and "Book another for this member" in page.text()
    booking = BenefitBooking.objects.get(member=club.member)
    assert (booking.status, booking.booked_by_user_id) == ("confirmed", front_desk.pk)


def test_a_manager_overrides_a_full_slot_with_a_reason(browser, live_url, manager, club):
    with_password(manager)
    fill(club)
    page = ConciergePage(browser, live_url, "manager-overrides")
    page.login(manager.username)
    page.book_through_the_flow("olivia", (By.LINK_TEXT, "Override…"), tomorrow_at(0).date())
    assert "Full: 2 of 2 places taken." in page.text()
    assert browser.find_element(By.NAME, "override").is_selected()  # "Override…" ticked it
    assert browser.switch_to.active_element.get_attribute("name") == "override_reason_code"  # the reason is next
    browser.find_element(By.CSS_SELECTOR, "select[name=override_reason_code] option[value=medical]").click()
    browser.find_element(By.NAME, "override_note").send_keys("Physio referral")
    page.shot("override-filled")
    browser.find_element(By.NAME, "book").click()
    page.shot("done")
    assert "3 of 2 places" in page.text()
    booking = BenefitBooking.objects.get(member=club.member)
    assert (booking.capacity_override, booking.override_reason) == (True, "Physio referral")


def test_the_front_desk_at_a_new_york_branch_reads_new_york_times(browser, live_url, front_desk):
    """An evening slot in New York is the next morning in UTC: every step shows the branch's clock."""
    zone = "America/New_York"
    day = localtime.local_today(zone) + datetime.timedelta(days=1)
    evening = datetime.datetime.combine(day, datetime.time(19, 30), tzinfo=ZoneInfo(zone))
    branch = BranchFactory(name="Harbourfront", time_zone=zone)
    facility = FacilityFactory(branch=branch, name="Sauna", capacity=4)
    BenefitSettingFactory(facility=facility, booking_window_days=7)
    BenefitSlotFactory(facility=facility, starts_at=evening, ends_at=evening + datetime.timedelta(minutes=30))
    MemberFactory(home_branch=branch, first_name="Maya", last_name="Ortiz")
    with_password(front_desk)
    page = ConciergePage(browser, live_url, "front-desk-new-york")
    page.login(front_desk.username)
    page.book_through_the_flow("maya ortiz", FREE_CELL, day)
    label = localtime.zone_label(evening)
    when = f"{day:%a} {day.day} {day:%b %Y}, 19:30–20:00 {label}"
    assert when in page.text()
    browser.find_element(By.NAME, "book").click()
    page.shot("done")
    assert "Booked" in page.text() and when in page.text()
    browser.get(f"{live_url}/admin/bookings/benefitbooking/?day={day.isoformat()}")
    page.shot("list")
    assert when in page.text()
