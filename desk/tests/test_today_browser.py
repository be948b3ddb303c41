"""Today in a real browser (headless Chromium), at a branch in New York: a front-desk user signs
in, lands on Today, checks in the next arrival with one click and undoes it; a second desk
computer sees the check-in by itself within seconds; the page at tablet and phone widths.
Screenshots under artifacts/browser/today-*/."""

from __future__ import annotations

import datetime
import time

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By

from bookings.models import ClassBooking
from bookings.tests.test_services import CLASS, SLOT, book
from clubs import localtime
from clubs.tests.factories import BranchFactory
from config.browser import Page, chromium, skip_without_chromium, wait_for, with_password
from desk.tests.test_selectors import a_class, member
from facilities.tests.factories import BenefitSlotFactory, FacilityFactory

pytestmark = pytest.mark.django_db

skip_without_chromium()

ZONE = "America/New_York"


@pytest.fixture
def busy_morning(settings):
    settings.DESK_REFRESH_SECONDS = 1
    branch = BranchFactory(name="Harbourfront", time_zone=ZONE)
    soon = timezone.now().replace(second=0, microsecond=0) + datetime.timedelta(minutes=25)
    spin = a_class(branch, "Spin", soon, 45, capacity=10)
    sauna = FacilityFactory(branch=branch, name="Sauna", capacity=4)
    slot = BenefitSlotFactory(facility=sauna, starts_at=soon + datetime.timedelta(minutes=5),
                              ends_at=soon + datetime.timedelta(minutes=35), capacity=4)  # fmt: skip
    FacilityFactory(branch=branch, name="Cold plunge", capacity=2, under_maintenance=True)
    dan = member(branch, "Dan", "Evans", "H004")
    book(spin, dan, CLASS)
    book(spin, member(branch, "Ava", "Brown", "H001"), CLASS)
    book(slot, member(branch, "Ben", "Adams", "H002"), SLOT)
    return spin, dan, soon


def test_the_front_desk_checks_in_the_next_arrival_with_one_click(browser, live_url, front_desk, busy_morning):
    spin, dan, soon = busy_morning
    with_password(front_desk)
    page = Page(browser, live_url, "today-check-in")
    page.login(front_desk.username)
    assert browser.current_url.endswith("/admin/desk/today/")
    text = page.text()
    assert "Today at Harbourfront" in text and "Arriving next" in text
    arriving = browser.find_element(By.CSS_SELECTOR, ".today-arriving").text
    assert localtime.local_time(soon, ZONE) in arriving  # the class on the branch's clock
    assert "Cold plunge is under maintenance" in text
    page.shot("today")

    page.press("button[aria-label='Check in Dan Evans']")
    wait_for(browser, lambda: "Checked in Dan Evans for Spin" in page.text())
    wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "button[aria-label='Undo Dan Evans']"))
    page.shot("checked-in")
    booking = ClassBooking.objects.get(scheduled_class=spin, member=dan)
    assert booking.status == "attended"

    page.press("button[aria-label='Undo Dan Evans']")
    wait_for(browser, lambda: "Undone: Dan Evans is booked for Spin" in page.text())
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    page.shot("undone")


def test_a_second_desk_computer_sees_a_check_in_by_itself(browser, live_url, front_desk, busy_morning):
    spin, dan, soon = busy_morning
    with_password(front_desk)
    first, second = Page(browser, live_url, "today-two-desks"), None
    other = chromium()
    try:
        first.login(front_desk.username)
        second = Page(other, live_url, "today-two-desks")
        second.login(front_desk.username)
        first.press("button[aria-label='Check in Ava Brown']")
        wait_for(other, lambda: other.find_elements(By.CSS_SELECTOR, "button[aria-label='Undo Ava Brown']"))
        second.shot("the-other-desk")
    finally:
        other.quit()


@pytest.mark.parametrize(("width", "name"), [(768, "tablet"), (420, "phone")])
def test_today_fits_a_tablet_and_a_phone(browser, live_url, front_desk, busy_morning, width, name):
    with_password(front_desk)
    browser.set_window_size(width, 1000)
    page = Page(browser, live_url, f"today-{name}")
    page.login(front_desk.username)
    check_in = browser.find_element(By.CSS_SELECTOR, "button[aria-label='Check in Dan Evans']")
    # nothing wider than the screen; the arrivals come first, their button within reach
    assert browser.execute_script("return document.documentElement.scrollWidth") <= width
    assert check_in.is_displayed() and check_in.location["y"] < 1000
    page.shot("today")
    page.press("button[aria-label='Check in Dan Evans']")
    wait_for(browser, lambda: "Checked in Dan Evans" in page.text())
    page.shot("checked-in")


def test_a_no_show_is_undone_from_its_message(browser, live_url, front_desk, busy_morning):
    from classes.models import ScheduledClass

    spin, dan, soon = busy_morning
    early = a_class(spin.branch, "Early yoga", soon, 45, capacity=5)
    eve = member(spin.branch, "Eve", "Clark", "H005")
    book(early, eve, CLASS)
    started = timezone.now() - datetime.timedelta(minutes=10)  # it has begun, and Eve is not here
    ScheduledClass.objects.filter(pk=early.pk).update(starts_at=started, ends_at=started + datetime.timedelta(hours=1))
    with_password(front_desk)
    page = Page(browser, live_url, "today-no-show-undo")
    page.login(front_desk.username)
    page.press("button[aria-label='No-show Eve Clark']")
    wait_for(browser, lambda: "Marked Eve Clark as a no-show" in page.text())
    booking = ClassBooking.objects.get(scheduled_class=early, member=eve)
    assert booking.status == "no_show"
    page.shot("no-show-said")
    page.press("#desk-status .desk-undo")
    wait_for(browser, lambda: "Undone: Eve Clark is booked for Early yoga" in page.text())
    booking.refresh_from_db()
    assert booking.status == "confirmed"
    page.shot("undone")


def test_keyboard_only_check_in_keeps_the_focus_through_refreshes(browser, live_url, front_desk, busy_morning):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    def press(key: str) -> None:  # to whatever has the focus (a refresh may have just replaced it)
        ActionChains(browser).send_keys(key).perform()

    def focused() -> str:
        return browser.execute_script("return document.activeElement.getAttribute('aria-label') || ''")

    with_password(front_desk)
    page = Page(browser, live_url, "today-keyboard")
    page.login(front_desk.username)
    browser.find_element(By.TAG_NAME, "body").send_keys("/")  # to the search box, then Tab on
    assert browser.switch_to.active_element.get_attribute("id") == "desk-search"
    for _ in range(40):  # Tab through the page to Dan's check-in, through refreshes
        press(Keys.TAB)
        if focused() == "Check in Dan Evans":
            break
    else:
        raise AssertionError("Tab never reached Dan's check-in")
    press(Keys.ENTER)
    # the focus moves to the same booking's Undo, and stays there while the panels refresh
    wait_for(browser, lambda: focused() == "Undo Dan Evans")
    time.sleep(2.5)  # the fixture refreshes every second
    assert focused() == "Undo Dan Evans"
    page.shot("focus-on-undo")
