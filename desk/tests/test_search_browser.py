"""The header's member search in a real browser (headless Chromium): Enter opens the first match
of what is in the box now, even when it was typed faster than the results came (a card reader
types a number and Enter at once); arrow keys reach the offer to register a walk-in."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as shows
from selenium.webdriver.support.ui import WebDriverWait

from clubs.tests.factories import BranchFactory
from config.browser import Page, skip_without_chromium, with_password
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

skip_without_chromium()


@pytest.fixture
def members():
    branch = BranchFactory(name="Harbourfront", time_zone="America/New_York")
    olivia = MemberFactory(home_branch=branch, first_name="Olivia", last_name="Smith", member_number="M00042")
    oliver = MemberFactory(home_branch=branch, first_name="Oliver", last_name="Twist", member_number="M00043")
    return olivia, oliver


def opened(browser, member) -> None:
    WebDriverWait(browser, 10).until(shows.url_contains(f"/members/{member.pk}/"))


def test_enter_opens_the_first_match_of_what_is_typed_now(browser, live_url, front_desk, members):
    olivia, oliver = members
    with_password(front_desk)
    page = Page(browser, live_url, "search-enter")
    page.login(front_desk.username)
    search = browser.find_element(By.ID, "desk-search")
    search.send_keys("oliv")
    WebDriverWait(browser, 10).until(shows.text_to_be_present_in_element((By.ID, "desk-search-results"), "Olivia"))
    page.shot("oliv")
    search.send_keys("er tw", Keys.ENTER)  # faster than the results: Olivia is still shown
    opened(browser, oliver)
    assert "Oliver Twist" in page.text()

    # a card reader: the number and Enter at once
    browser.find_element(By.ID, "desk-search").send_keys("M00042", Keys.ENTER)
    opened(browser, olivia)


def test_arrow_keys_reach_the_walk_in_offer_when_nobody_matches(browser, live_url, front_desk, members):
    with_password(front_desk)
    page = Page(browser, live_url, "search-walk-in")
    page.login(front_desk.username)
    search = browser.find_element(By.ID, "desk-search")
    search.send_keys("Zed Nobody")
    WebDriverWait(browser, 10).until(
        shows.text_to_be_present_in_element((By.ID, "desk-search-results"), "No member matches")
    )
    search.send_keys(Keys.ENTER)  # no match: Enter opens nothing
    assert browser.current_url.endswith("/admin/desk/today/")
    search.send_keys(Keys.ARROW_DOWN)
    assert browser.switch_to.active_element.text == "Register “Zed Nobody” as a walk-in"
    page.shot("walk-in-offer")
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    WebDriverWait(browser, 10).until(shows.url_contains("/walk-in/"))
    assert browser.find_element(By.NAME, "first_name").get_attribute("value") == "Zed"
    page.shot("walk-in-form")
