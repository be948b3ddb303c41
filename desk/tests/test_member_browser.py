"""A member's profile in a real browser (headless Chromium), at a branch in New York: a front-desk
user finds the member from the header search with the keyboard alone, opens the profile, checks in
the class starting soon with one click and edits the staff note in place; the profile at a phone's
width. Screenshots under artifacts/browser/member-*/."""

from __future__ import annotations

import datetime
import time

import pytest
from django.urls import reverse
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from audit.models import AuditAction, AuditLog
from bookings.models import ClassBooking
from bookings.services import Override
from bookings.tests.test_services import CLASS, book
from classes.models import ScheduledClass
from clubs import localtime
from clubs.tests.factories import BranchFactory
from config.browser import Page, skip_without_chromium, wait_for, with_password
from desk.tests.test_selectors import a_class, member
from members.models import MemberNote

pytestmark = pytest.mark.django_db

skip_without_chromium()

ZONE = "America/New_York"
CHECK_IN = "button[aria-label='Check in Maya Ortiz']"


@pytest.fixture
def maya(manager):
    """Maya, of a New York branch: a class in 25 minutes (check-in is open), one tomorrow evening,
    and a note from an earlier visit. A namesake of another surname, so that the search has a choice."""
    branch = BranchFactory(name="Harbourfront", time_zone=ZONE)
    soon = timezone.now().replace(second=0, microsecond=0) + datetime.timedelta(minutes=25)
    maya = member(branch, "Maya", "Ortiz", "H100")
    maya.phone = "+1 212 555 0100"
    maya.save()
    member(branch, "Maya", "Zeller", "H101")
    spin = a_class(branch, "Spin", soon, 45, capacity=10)
    book(spin, maya, CLASS)
    tomorrow = localtime.local_today(ZONE) + datetime.timedelta(days=1)
    evening = datetime.datetime.combine(tomorrow, datetime.time(19, 30), tzinfo=branch.zone)
    book(a_class(branch, "Evening yoga", evening, 60, capacity=10), maya, CLASS)
    MemberNote.objects.create(member=maya, text="Prefers the late sauna.", updated_by=manager)
    return maya, spin, soon


def open_from_the_search(browser, page: Page, typed: str) -> None:
    """Keyboard only: type in the header's box, ArrowDown to the first match, Enter."""
    box = browser.find_element(By.ID, "desk-search")
    box.send_keys(typed)
    wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "#desk-search-results a.desk-result"))
    page.shot("search")
    box.send_keys(Keys.ARROW_DOWN)
    focused = browser.switch_to.active_element
    assert "Maya Ortiz" in focused.text
    focused.send_keys(Keys.ENTER)
    wait_for(browser, lambda: "/admin/desk/today/members/" in browser.current_url)


def test_the_front_desk_opens_a_profile_from_the_search_checks_in_and_edits_the_note(
    browser, live_url, front_desk, maya, monkeypatch
):
    person, spin, soon = maya
    monkeypatch.setattr("desk.member_page.BOOKINGS_REFRESH_SECONDS", 1)
    with_password(front_desk)
    page = Page(browser, live_url, "member-profile")
    page.login(front_desk.username)
    open_from_the_search(browser, page, "ortiz")
    text = page.text()
    assert "Maya Ortiz\n#H100" in text and "Home branch\nHarbourfront" in text and "+1 212 555 0100" in text
    start = localtime.local_time(soon, ZONE)
    assert f"{start}–" in text and "Spin" in text and "Evening yoga" in text and "19:30–20:30" in text
    assert "Prefers the late sauna." in browser.find_element(By.ID, "member-note-text").get_attribute("value")
    page.shot("profile")

    browser.find_element(By.CSS_SELECTOR, CHECK_IN).click()
    wait_for(browser, lambda: "Checked in Maya Ortiz for Spin" in page.text())
    wait_for(browser, lambda: "✓ in " in browser.find_element(By.ID, "member-bookings").text)
    page.shot("checked-in")
    assert ClassBooking.objects.get(scheduled_class=spin, member=person).status == "attended"

    # Evening yoga, cancelled: the consequence is said before the cancellation is confirmed. (Clicked
    # from the page's script: the part reloads itself every second here, between any two commands.)
    toggle = "document.querySelector(\"summary[aria-label^='Cancel Evening yoga']\").click()"
    browser.execute_script(toggle)
    said = "Free cancellation until 18:30 (1 hour before the start); after that it is a late cancellation."
    assert said in browser.find_element(By.CSS_SELECTOR, "#member-bookings details[open]").text
    page.shot("cancel-asked")
    time.sleep(2.5)  # no reload while a cancellation is being confirmed: the box stays open
    assert browser.find_elements(By.CSS_SELECTOR, "#member-bookings details[open]")
    # changed my mind: Escape closes it, the focus back on its button
    browser.find_element(By.CSS_SELECTOR, "#member-bookings details[open] summary").send_keys(Keys.ESCAPE)
    assert not browser.find_elements(By.CSS_SELECTOR, "#member-bookings details[open]")
    wait_for(browser, lambda: "Evening yoga" in browser.find_element(By.ID, "member-bookings").text)
    assert ClassBooking.objects.get(member=person, scheduled_class__title="Evening yoga").status == "confirmed"

    note = browser.find_element(By.ID, "member-note-text")
    note.send_keys(Keys.END, Keys.ENTER, "Knee injury: no spin.")
    browser.find_element(By.CSS_SELECTOR, "#member-note button[type=submit]").click()
    wait_for(browser, lambda: "✓ Saved." in browser.find_element(By.ID, "member-note").text)
    assert "by test-front-desk" in browser.find_element(By.ID, "member-note").text
    page.shot("note-saved")
    assert MemberNote.objects.get(member=person).text == "Prefers the late sauna.\nKnee injury: no spin."
    assert AuditLog.objects.filter(action=AuditAction.MEMBER_NOTE_UPDATED, member_id=person.pk).count() == 1


def test_on_a_phone_the_search_and_the_check_in_are_within_reach(browser, live_url, front_desk, maya):
    person, spin, soon = maya
    with_password(front_desk)
    width = 420
    browser.set_window_size(width, 900)
    page = Page(browser, live_url, "member-phone")
    page.login(front_desk.username)
    open_from_the_search(browser, page, "H100")
    check_in = browser.find_element(By.CSS_SELECTOR, CHECK_IN)
    # nothing wider than the screen
    assert browser.execute_script("return document.documentElement.scrollWidth") <= width
    page.shot("profile")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", check_in)
    page.shot("check-in-in-view")
    check_in.click()
    wait_for(browser, lambda: "Checked in Maya Ortiz for Spin" in page.text())
    wait_for(browser, lambda: "✓ in " in browser.find_element(By.ID, "member-bookings").text)
    browser.execute_script("window.scrollTo(0, 0)")
    page.shot("checked-in")
    assert ClassBooking.objects.get(scheduled_class=spin, member=person).status == "attended"


@pytest.mark.parametrize(("width", "name"), [(1400, "wide"), (420, "phone")])
def test_a_frozen_member_with_a_history_and_an_override(browser, live_url, front_desk, manager, maya, width, name):
    """The banner first; attended, no-show and late cancellation in the history; the override with who and why."""
    person, spin, soon = maya
    branch = person.home_branch
    for days_ago, title, status, late in [(2, "Barre", "attended", False), (5, "Pilates", "no_show", False),
                                          (9, "Boxing", "cancelled", True)]:  # fmt: skip
        past = a_class(branch, title, soon + datetime.timedelta(days=3), 45, capacity=1)
        outcome = book(past, person, CLASS)
        ClassBooking.objects.filter(pk=outcome.booking_id).update(
            status=status, is_late_cancellation=late, cancelled_at=timezone.now() if status == "cancelled" else None
        )
        # moved into the past once booked: the engine books only what is still to come
        starts = soon - datetime.timedelta(days=days_ago)
        ScheduledClass.objects.filter(pk=past.pk).update(
            starts_at=starts, ends_at=starts + datetime.timedelta(minutes=45)
        )
    # two days on: tomorrow, at about this hour, Maya has her evening yoga (at 19:30 New York time)
    full = a_class(branch, "Reformer", soon + datetime.timedelta(days=2), 45, capacity=1)
    book(full, member(branch, "Omar", "Haddad", "H102"), CLASS)
    book(full, person, CLASS, booked_by=manager, override=Override("medical", "Physio referral after knee surgery"))
    ClassBooking.objects.filter(member=person, scheduled_class=spin).update(
        status="cancelled", cancelled_at=timezone.now()
    )
    person.status = "frozen"  # after booking: a frozen member cannot book
    person.save()
    with_password(front_desk)
    browser.set_window_size(width, 1000)
    page = Page(browser, live_url, f"member-frozen-{name}")
    page.login(front_desk.username)
    browser.get(f"{live_url}{reverse('admin:desk_member', args=[person.pk])}")
    banner = browser.find_element(By.CSS_SELECTOR, ".member-banner")
    assert banner.text == "Frozen: cannot book until the membership is active again."
    assert banner.location["y"] < 400 and banner.is_displayed()
    assert "Book for this member" not in page.text()
    assert "Last 90 days: 1 attended · 1 no-show · 1 late cancellation" in page.text()
    assert browser.execute_script("return document.documentElement.scrollWidth") <= width
    page.shot("profile")
    browser.execute_script("document.getElementById('history-title').scrollIntoView()")
    page.shot("history")
