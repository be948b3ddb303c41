"""The concierge flow end to end in a real browser: headless Chromium driven by Selenium.

The live server shares the test's own database connection, so everything the test creates is
visible to it and rolled back afterwards, append-only audit trail included. Screenshots of each
step are saved under artifacts/browser/ (ignored by git).
"""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connections
from django.test.testcases import LiveServerThread, QuietWSGIRequestHandler

from audit.services import Actor
from bookings.models import BenefitBooking
from bookings.services import booking_create
from bookings.tests.conftest import tomorrow_at
from clubs import localtime
from clubs.tests.factories import BranchFactory
from config.testing import requests_keep_the_test_connection
from facilities.tests.factories import BenefitSettingFactory, BenefitSlotFactory, FacilityFactory
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "browser"
PASSWORD = "pw"

if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
    pytest.skip("chromium and chromium-driver are not installed (make test installs them)", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402


class SharedConnectionServer(ThreadedWSGIServer):
    def _close_connections(self):
        pass  # the connection is the test's: it must outlive each request


class SharedConnectionThread(LiveServerThread):
    def _create_server(self, connections_override=None):
        return SharedConnectionServer(
            (self.host, self.port), QuietWSGIRequestHandler, allow_reuse_address=False,
            connections_override=connections_override,
        )  # fmt: skip


@pytest.fixture
def live_url(db):
    connection = connections["default"]
    connection.inc_thread_sharing()
    keep = requests_keep_the_test_connection()
    keep.__enter__()
    thread = SharedConnectionThread("127.0.0.1", StaticFilesHandler, connections_override={"default": connection})
    thread.daemon = True
    original_close_all = connections.close_all
    connections.close_all = lambda: None  # the server thread would close the shared connection on exit
    thread.start()
    thread.is_ready.wait()
    try:
        if thread.error:
            raise thread.error
        yield f"http://127.0.0.1:{thread.port}"
    finally:
        thread.terminate()
        connections.close_all = original_close_all
        keep.__exit__(None, None, None)
        connection.dec_thread_sharing()


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1400,1000",
    ):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(CHROMEDRIVER))
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


class Page:
    def __init__(self, browser, base: str, name: str):
        self.browser, self.base, self.name, self.shots = browser, base, name, 0
        (ARTIFACTS / name).mkdir(parents=True, exist_ok=True)

    def shot(self, label: str) -> None:
        self.shots += 1
        self.browser.save_screenshot(str(ARTIFACTS / self.name / f"{self.shots:02d}-{label}.png"))

    def login(self, username: str) -> None:
        self.browser.get(f"{self.base}/admin/login/")
        self.browser.find_element(By.NAME, "username").send_keys(username)
        self.browser.find_element(By.NAME, "password").send_keys(PASSWORD)
        self.browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()

    def click_link(self, text: str) -> None:
        self.browser.find_element(By.LINK_TEXT, text).click()

    def text(self) -> str:
        return self.browser.find_element(By.TAG_NAME, "body").text

    def book_through_the_flow(self, member_query: str, row_button: str, day) -> None:
        self.browser.get(f"{self.base}/admin/bookings/benefitbooking/")
        self.browser.find_element(By.CSS_SELECTOR, ".object-tools a.addlink").click()  # "New booking"
        self.browser.find_element(By.NAME, "q").send_keys(member_query)
        self.browser.find_element(By.CSS_SELECTOR, "form.concierge-search input[type=submit]").click()
        self.shot("member-found")
        self.click_link("Choose")
        self.browser.execute_script("document.querySelector('input[name=date]').value = arguments[0]", day.isoformat())
        self.shot("what-and-when")
        self.browser.find_element(By.CSS_SELECTOR, "form.concierge-form input[type=submit]").click()
        self.shot("pick")
        self.click_link(row_button)
        self.shot("confirm")


def with_password(user):
    user.set_password(PASSWORD)
    user.save()
    return user


def fill(club):
    for _ in range(club.slot.capacity):
        booking_create(kind="slot", item_id=club.slot.pk, member_id=club.new_member().pk,
                       actor=Actor.system("t"), channel="concierge", source="command")  # fmt: skip


def test_front_desk_books_a_member_into_a_slot(browser, live_url, front_desk, club, django_user_model):
    with_password(front_desk)
    page = Page(browser, live_url, "front-desk-books")
    page.login(front_desk.username)
    page.book_through_the_flow("olivia smith", "Choose", tomorrow_at(0).date())
    assert "override" not in page.text().lower()  # no override box for the front desk
    browser.find_element(By.NAME, "book").click()
    page.shot("done")
    assert "Booked" in page.text() and "Book another for this member" in page.text()
    booking = BenefitBooking.objects.get(member=club.member)
    assert (booking.status, booking.booked_by_user_id) == ("confirmed", front_desk.pk)


def test_a_manager_overrides_a_full_slot_with_a_reason(browser, live_url, manager, club):
    with_password(manager)
    fill(club)
    page = Page(browser, live_url, "manager-overrides")
    page.login(manager.username)
    page.book_through_the_flow("olivia", "Override…", tomorrow_at(0).date())
    assert "Full: 2 of 2 places taken." in page.text()
    browser.find_element(By.NAME, "override").click()
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
    page = Page(browser, live_url, "front-desk-new-york")
    page.login(front_desk.username)
    page.book_through_the_flow("maya ortiz", "Choose", day)
    label = localtime.zone_label(evening)
    when = f"{day:%a} {day.day} {day:%b %Y}, 19:30–20:00 {label}"
    assert when in page.text()
    browser.find_element(By.NAME, "book").click()
    page.shot("done")
    assert "Booked" in page.text() and when in page.text()
    browser.get(f"{live_url}/admin/bookings/benefitbooking/?day={day.isoformat()}")
    page.shot("list")
    assert when in page.text()
