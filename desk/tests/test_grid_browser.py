"""The facility grid in a real browser (headless Chromium), at a branch in New York: a front-desk
user opens the grid from the header, goes to tomorrow, books a free place for a member with the
keyboard only (the cell, the member's search, Choose, Book), and reads the grid at tablet and
phone widths. Screenshots under artifacts/browser/grid-*/."""

from __future__ import annotations

import datetime

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from bookings.models import BenefitBooking
from bookings.tests.test_services import book
from clubs import localtime
from clubs.tests.factories import BranchFactory
from config.browser import Page, skip_without_chromium, with_password
from config.tests.clock import local
from desk.tests.test_grid import facility, slots
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

skip_without_chromium()

ZONE = "America/New_York"


@pytest.fixture
def harbourfront():
    """Tomorrow on the branch's clock: a sauna (its 10:00 full), a cold plunge, a steam room under
    maintenance, and more rooms than a tablet's width holds."""
    branch = BranchFactory(name="Harbourfront", time_zone=ZONE)
    day = localtime.local_today(ZONE) + datetime.timedelta(days=1)
    sauna = slots(facility(branch, "Sauna", 2), local(day, 9, 0, ZONE), 6, 30)
    slots(facility(branch, "Cold plunge", 1), local(day, 10, 0, ZONE), 4, 15)
    slots(facility(branch, "Steam room", 4, under_maintenance=True), local(day, 9, 0, ZONE), 3, 60)
    for name in ("Infrared sauna", "Hot tub", "Compression", "Cryotherapy"):
        slots(facility(branch, name, 3), local(day, 9, 0, ZONE), 4, 45)
    for _ in range(2):
        book(sauna[2], MemberFactory(home_branch=branch))
    maya = MemberFactory(home_branch=branch, first_name="Maya", last_name="Ortiz")
    return branch, day, sauna, maya


class GridPage(Page):
    def tab_to(self, selector: str, most: int = 80):
        """Press Tab until the focus is on an element matching `selector`: reachable by keyboard."""
        for _ in range(most):
            self.browser.switch_to.active_element.send_keys(Keys.TAB)
            if self.browser.execute_script("return document.activeElement.matches(arguments[0])", selector):
                return self.browser.switch_to.active_element
        raise AssertionError(f"Tab never reached {selector}")


def test_the_front_desk_books_a_free_place_from_the_grid_by_keyboard(browser, live_url, front_desk, harbourfront):
    branch, day, sauna, maya = harbourfront
    with_password(front_desk)
    page = GridPage(browser, live_url, "grid-book")
    page.login(front_desk.username)
    page.click_link("Facility grid")  # the header's link
    browser.find_element(By.CSS_SELECTOR, f"#grid-branch option[value='{branch.pk}']").click()  # submits
    browser.find_element(By.CSS_SELECTOR, f"#grid-branch option[value='{branch.pk}'][selected]")
    page.shot("today")
    page.click_link("Next day →")
    browser.find_element(By.CSS_SELECTOR, "table.facility-grid")
    text = page.text()
    assert f"{day:%A} {day.day} {day:%B %Y}" in text and "America/New_York" in text
    assert "Sauna" in text and "30 min · 2 places" in text and "Full" in text and "Under maintenance" in text
    assert "Next free:" in text
    page.shot("tomorrow")

    # Tab reaches the cells, row by row (the first free one is the compression room's 09:00); Enter books one.
    cell = page.tab_to("a.grid-book")
    assert cell.get_attribute("aria-label") == "Book Compression, 09:00–09:45: 3 of 3 left"
    cell = page.tab_to("a.grid-book[aria-label^='Book Sauna, 09:00']")
    cell.send_keys(Keys.ENTER)
    carried = browser.find_element(By.CSS_SELECTOR, ".concierge-carried").text
    assert carried.startswith("A place at Sauna, Harbourfront, ") and "09:00–09:30" in carried
    search = browser.find_element(By.ID, "member-search")
    search.send_keys("maya ortiz", Keys.ENTER)
    choose = browser.find_element(By.LINK_TEXT, "Choose")
    page.shot("member-found")
    choose.send_keys(Keys.ENTER)
    book_button = browser.find_element(By.NAME, "book")
    when = localtime.local_range(sauna[0].starts_at, sauna[0].ends_at, ZONE)  # "Wed 9 Dec 2026, 09:00–09:30 EST"
    assert "Booking for Maya Ortiz" in page.text() and when in page.text()
    page.shot("confirm")
    book_button.send_keys(Keys.ENTER)
    browser.find_element(By.CSS_SELECTOR, ".concierge-done")
    assert "Booked" in page.text() and when in page.text()
    page.shot("done")
    booking = BenefitBooking.objects.get(member=maya)
    assert (booking.slot_id, booking.status, booking.booked_by_user_id) == (sauna[0].pk, "confirmed", front_desk.pk)


def test_with_the_member_chosen_a_click_confirms_and_the_grid_reads_on_a_tablet_and_a_phone(
    browser, live_url, front_desk, harbourfront
):
    branch, day, sauna, maya = harbourfront
    with_password(front_desk)
    page = GridPage(browser, live_url, "grid-member")
    page.login(front_desk.username)
    browser.set_window_size(768, 1024)
    browser.get(f"{live_url}/admin/desk/today/grid/?branch={branch.pk}&date={day.isoformat()}&member={maya.pk}")
    grid = browser.find_element(By.CSS_SELECTOR, ".grid-scroll")
    assert "Booking for Maya Ortiz" in page.text()
    # At a tablet's width the grid scrolls sideways in its box, not the page, and the times stay.
    assert browser.execute_script("return arguments[0].scrollWidth > arguments[0].clientWidth", grid)
    page_width = browser.execute_script("return document.documentElement.scrollWidth")
    assert page_width <= browser.execute_script("return window.innerWidth")
    page.shot("tablet")
    browser.execute_script("arguments[0].scrollLeft = 400", grid)
    time_cell = browser.find_element(By.CSS_SELECTOR, "tbody th.grid-time")
    assert time_cell.location["x"] - grid.location["x"] < 5  # sticky: still at the left edge
    page.shot("tablet-scrolled")

    browser.set_window_size(420, 900)
    browser.refresh()
    browser.find_element(By.CSS_SELECTOR, ".grid-scroll")
    page.shot("phone")

    browser.set_window_size(1400, 1000)
    browser.find_element(By.CSS_SELECTOR, "a.grid-next[aria-label^='Book the next free place at Sauna']").click()
    assert "Confirm the booking" in page.text() and "Maya Ortiz" in page.text()
    page.shot("next-free-confirm")
