"""The issue's whole front-desk morning in one real browser, at a branch in New York: a front-desk
user signs in and sees today at their branch, checks in the next arrival with one click, books a
member into a facility from the grid, puts another on the waitlist of a full class from its
roster, and opens a member's profile from the header search with the keyboard. Screenshots
under artifacts/browser/front-desk-morning/."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from bookings.models import BenefitBooking, ClassBooking
from bookings.tests.test_services import CLASS, book
from clubs import localtime
from clubs.tests.factories import BranchFactory
from config.browser import Page, skip_without_chromium, waits_for, with_password
from config.tests.clock import local
from desk.tests.test_grid import facility, slots
from desk.tests.test_selectors import a_class, member

pytestmark = pytest.mark.django_db

skip_without_chromium()

ZONE = "America/New_York"


@pytest.fixture
def morning(settings):
    settings.DESK_REFRESH_SECONDS = 2
    branch = BranchFactory(name="Harbourfront", time_zone=ZONE)
    soon = timezone.now().replace(second=0, microsecond=0) + datetime.timedelta(minutes=20)
    spin = a_class(branch, "Spin", soon, 45, capacity=10)
    barre = a_class(branch, "Barre", soon + datetime.timedelta(minutes=10), 45, capacity=1)
    tomorrow = localtime.local_today(ZONE) + datetime.timedelta(days=1)
    sauna = slots(facility(branch, "Sauna", 2), local(tomorrow, 9, 0, ZONE), 4, 30)
    people = {
        "dan": member(branch, "Dan", "Evans", "H004"),
        "ava": member(branch, "Ava", "Brown", "H001"),
        "maya": member(branch, "Maya", "Ortiz", "H010"),
        "omar": member(branch, "Omar", "Haddad", "H011"),
    }
    book(spin, people["dan"], CLASS)
    book(barre, people["ava"], CLASS)  # Barre is full
    return branch, spin, barre, sauna, people


def test_a_front_desk_morning(browser, live_url, front_desk, morning):
    branch, spin, barre, sauna, people = morning
    with_password(front_desk)
    page = Page(browser, live_url, "front-desk-morning")

    # Signed in, the front desk sees today at its branch.
    page.login(front_desk.username)
    assert "Today at Harbourfront" in page.text() and "Arriving next" in page.text()
    page.shot("today")

    # The next arrival, checked in with one click.
    page.press("button[aria-label='Check in Dan Evans']")
    waits_for(browser, "#desk-status", "Checked in Dan Evans for Spin")
    assert ClassBooking.objects.get(scheduled_class=spin, member=people["dan"]).status == "attended"
    page.shot("checked-in")

    # A sauna place tomorrow, from the grid: the cell, the member, Book.
    page.click_link("Facility grid")
    page.click_link("Next day →")
    browser.find_element(By.CSS_SELECTOR, "a.grid-book[aria-label^='Book Sauna, 09:30']").click()
    browser.find_element(By.ID, "member-search").send_keys("maya", Keys.ENTER)
    page.click_link("Choose")
    browser.find_element(By.NAME, "book").click()
    browser.find_element(By.CSS_SELECTOR, ".concierge-done")
    page.shot("sauna-booked")
    booking = BenefitBooking.objects.get(member=people["maya"])
    assert (booking.slot_id, booking.status) == (sauna[1].pk, "confirmed")

    # The full Barre class, from its arrival on Today to its roster: Omar joins its waitlist.
    # (Arrivals, not the timeline: near midnight the next hour is on tomorrow's timeline.)
    page.click_link("Today")
    browser.find_element(By.CSS_SELECTOR, ".today-arriving").find_element(By.LINK_TEXT, "Barre").click()
    browser.find_element(By.ID, "roster-q").send_keys("omar")
    waits_for(browser, "#roster-add-results", "Omar Haddad")
    page.press('button[aria-label="Put Omar Haddad, member H011, on the waitlist"]')
    waits_for(browser, "#roster-add", "Omar Haddad is on the waitlist for Barre at")
    waits_for(browser, ".roster-waitlist", "Omar Haddad")
    page.shot("waitlisted")
    assert ClassBooking.objects.get(scheduled_class=barre, member=people["omar"]).status == "waitlisted"

    # Maya's profile from the header search, by keyboard: two letters, arrow down, Enter.
    search = browser.find_element(By.ID, "desk-search")
    search.send_keys("ma")
    waits_for(browser, "#desk-search-results", "Maya Ortiz")
    search.send_keys(Keys.ARROW_DOWN)
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    waits_for(browser, "#content", "Upcoming bookings")
    assert "Maya Ortiz" in page.text() and "Sauna" in page.text()
    page.shot("profile")
