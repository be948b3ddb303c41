"""A front-desk user at a branch in New York works a roster in a real browser (headless Chromium,
config/browser.py): from Today to a class in progress, a one-click check-in, then a member added to a
full class through the waitlist. Screenshots go to artifacts/browser/roster-*/.

Check-in depends on the database's clock, which cannot be frozen: the class runs now, on the real clock.
"""

from __future__ import annotations

import datetime
import time

import pytest
from django.urls import reverse
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from bookings.models import BookingStatus, ItemBooking
from bookings.tests.test_services import CLASS, book
from classes.models import ScheduledClass
from clubs import localtime
from clubs.tests.factories import BranchFactory
from config.browser import Page, skip_without_chromium, wait_for, waits_for, with_password
from desk.tests.test_selectors import a_class, member

pytestmark = pytest.mark.django_db

skip_without_chromium()

ZONE = "America/New_York"


@pytest.fixture
def branch():
    return BranchFactory(name="Harbourfront", time_zone=ZONE)


def class_in_progress(branch):
    """A class that started up to five minutes ago, today on the branch's calendar."""
    now = timezone.now()
    midnight = datetime.datetime.combine(localtime.local_today(ZONE), datetime.time(), tzinfo=localtime.zone_of(ZONE))
    yoga = a_class(branch, "Morning yoga", now + datetime.timedelta(hours=1), 60, capacity=5)
    people = [member(branch, "Ava", "Brown", "H001"), member(branch, "Ben", "Adams", "H002")]
    for person in people:
        book(yoga, person, CLASS)
    started = max(now - datetime.timedelta(minutes=5), midnight)  # booked before its start, then it started
    ScheduledClass.objects.filter(pk=yoga.pk).update(starts_at=started, ends_at=started + datetime.timedelta(hours=1))
    return yoga, people


def test_the_front_desk_checks_in_from_a_roster_opened_from_today(browser, live_url, front_desk, branch):
    yoga, (ava, _) = class_in_progress(branch)
    page = Page(browser, live_url, "roster-check-in")
    page.login(with_password(front_desk).username)
    waits_for(browser, ".today-timeline", "Morning yoga")  # the front desk lands on Today
    page.shot("today")
    browser.find_element(By.CSS_SELECTOR, ".today-timeline").find_element(By.LINK_TEXT, "Morning yoga").click()
    waits_for(browser, ".roster-head", "2 of 5 booked")
    assert "In progress" in page.text() and localtime.zone_label(localtime.at(yoga.starts_at, ZONE)) in page.text()
    page.shot("roster")
    browser.set_window_size(420, 900)  # on a phone too
    page.shot("roster-phone")
    browser.find_element(By.CSS_SELECTOR, 'button[aria-label="Check in Ava Brown"]').click()
    waits_for(browser, "#desk-status", "Checked in Ava Brown for Morning yoga")
    waits_for(browser, "#roster-live", "✓ In at")
    page.shot("checked-in")
    assert ItemBooking.objects.get(item_id=yoga.pk, member=ava).status == BookingStatus.ATTENDED
    # the undo is one click away
    assert browser.find_element(By.CSS_SELECTOR, 'button[aria-label="Undo Ava Brown"]').is_displayed()
    # the print view: the list with a box to tick, no buttons
    browser.get(browser.find_element(By.LINK_TEXT, "Print the roster").get_attribute("href"))
    assert "Ava Brown" in page.text() and not browser.find_elements(By.TAG_NAME, "button")
    page.shot("print")


def test_the_front_desk_adds_a_member_to_a_full_class_through_the_waitlist(browser, live_url, front_desk, branch):
    day = localtime.local_today(ZONE) + datetime.timedelta(days=1)
    evening = datetime.datetime.combine(day, datetime.time(18, 30), tzinfo=localtime.zone_of(ZONE))
    full = a_class(branch, "Evening barre", evening, 45, capacity=1)
    book(full, member(branch, "Ben", "Adams", "H002"), CLASS)
    book(full, member(branch, "Cleo", "Diaz", "H003"), CLASS, join_waitlist=True)
    maya = member(branch, "Maya", "Ortiz", "H010")
    page = Page(browser, live_url, "roster-full-class-waitlist")
    page.login(with_password(front_desk).username)
    browser.get(live_url + reverse("admin:desk_roster", args=[CLASS, full.pk]))
    waits_for(browser, ".roster-head", "1 of 1 booked")
    assert f"{day:%a} {day.day} {day:%b %Y}, 18:30–19:15 {localtime.zone_label(evening)}" in page.text()
    box = browser.find_element(By.ID, "roster-q")
    box.send_keys("maya")
    waits_for(browser, "#roster-add-results", "Maya Ortiz")
    page.shot("member-found")
    # the keyboard alone: Down to the member, Up back to the box, Down again, Enter
    box.send_keys(Keys.ARROW_DOWN)
    candidate = browser.switch_to.active_element
    assert candidate.get_attribute("aria-label") == "Put Maya Ortiz, member H010, on the waitlist"
    assert "Join waitlist" in candidate.text  # full: the label does not promise a place
    candidate.send_keys(Keys.ARROW_UP)
    assert browser.switch_to.active_element == box
    box.send_keys(Keys.ARROW_DOWN)
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    waits_for(browser, "#roster-add", "Maya Ortiz is on the waitlist for Evening barre at 18:30.")
    waits_for(browser, ".roster-waitlist", "Maya Ortiz")
    page.shot("on-the-waitlist")
    rows = browser.find_elements(By.CSS_SELECTOR, ".roster-waitlist tbody tr")
    cells = [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")[:2]] for row in rows]
    assert cells == [["1", "Cleo Diaz #H003"], ["2", "Maya Ortiz #H010"]]
    assert ItemBooking.objects.get(item_id=full.pk, member=maya).status == BookingStatus.WAITLISTED

    # at a tablet's width: one column, the cancel's consequence said before confirming
    browser.set_window_size(768, 1000)
    browser.refresh()
    browser.find_element(By.CSS_SELECTOR, 'summary[aria-label="Cancel Ben Adams…"]').click()
    waits_for(browser, ".roster-cancel[open]", "Free cancellation until 17:30 (1 hour before the start)")
    assert "The place goes to the first on the waitlist who can take it: Cleo Diaz is first." in page.text()
    page.shot("tablet-cancel")


def test_the_roster_shows_another_desks_booking_by_itself_but_not_under_an_open_cancel(
    browser, live_url, front_desk, branch, settings
):
    settings.DESK_REFRESH_SECONDS = 1
    day = localtime.local_today(ZONE) + datetime.timedelta(days=1)
    evening = a_class(
        branch,
        "Evening barre",
        datetime.datetime.combine(day, datetime.time(18, 30), tzinfo=localtime.zone_of(ZONE)),
        45,
        capacity=5,
    )
    book(evening, member(branch, "Ben", "Adams", "H002"), CLASS)
    page = Page(browser, live_url, "roster-live")
    page.login(with_password(front_desk).username)
    browser.get(live_url + reverse("admin:desk_roster", args=[CLASS, evening.pk]))
    waits_for(browser, ".roster-head", "1 of 5 booked")
    book(evening, member(branch, "Cleo", "Diaz", "H003"), CLASS)  # at another desk
    waits_for(browser, ".roster-head", "2 of 5 booked")
    # a cancellation being confirmed keeps its form: the roster waits
    browser.find_element(By.CSS_SELECTOR, 'summary[aria-label="Cancel Ben Adams…"]').click()
    browser.find_element(By.CSS_SELECTOR, ".roster-cancel[open] input[name=reason]").send_keys("Injured")
    book(evening, member(branch, "Dan", "Evans", "H004"), CLASS)
    time.sleep(2.5)
    assert "2 of 5 booked" in browser.find_element(By.CSS_SELECTOR, ".roster-head").text
    assert (
        browser.find_element(By.CSS_SELECTOR, ".roster-cancel[open] input[name=reason]").get_attribute("value")
        == "Injured"
    )
    page.shot("cancel-kept-open")
    # Escape closes it, the focus back on its button; the roster catches up
    browser.find_element(By.CSS_SELECTOR, ".roster-cancel[open] input[name=reason]").send_keys(Keys.ESCAPE)
    assert not browser.find_elements(By.CSS_SELECTOR, ".roster-cancel[open]")
    # (the roster may catch up at that very moment, replacing the button: its new one keeps the focus)
    wait_for(browser, lambda: browser.switch_to.active_element.get_attribute("aria-label") == "Cancel Ben Adams…")
    waits_for(browser, ".roster-head", "3 of 5 booked")
    page.shot("caught-up")
