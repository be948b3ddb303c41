"""The reports in a real browser (headless Chromium), at a busy New York branch's last four weeks: a
manager opens each report from the admin's index, reads its chart with its table beside it, picks
a class or facility, and downloads nothing the screen does not show. Screenshots under
artifacts/browser/report-*/ (docs/report-utilisation.png is one of them)."""

from __future__ import annotations

import pytest
from django.db import connection
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from clubs.tests.factories import BranchFactory
from config.browser import Page, skip_without_chromium, wait_for, with_password
from reports.tests.data import NEW_YORK, busy_month, manager_named

pytestmark = pytest.mark.django_db

skip_without_chromium()


@pytest.fixture
def midtown(manager, django_user_model):
    manager.first_name, manager.last_name = "Morgan", "Lead"
    manager.save()
    staff = [manager, manager_named(django_user_model, "jo", "Jo", "Park"),
             manager_named(django_user_model, "sam", "Sam", "Okoro")]  # fmt: skip
    branch = BranchFactory(name="Midtown", time_zone=NEW_YORK)
    BranchFactory(name="Westside", time_zone=NEW_YORK, organization=branch.organization)
    first, last = busy_month(branch, staff=staff)
    with connection.cursor() as cursor:  # the planner's statistics of a month's bookings, as production has them
        cursor.execute("analyze public.audit_logs, public.benefit_bookings, public.class_bookings,"
                       " public.benefit_slots, public.classes")  # fmt: skip
    return branch, first, last


def open_report(browser, live_url, manager, name: str, title: str) -> Page:
    """Signed in as the manager, from the admin's index to the Reports and on to the report."""
    with_password(manager)
    page = Page(browser, live_url, f"report-{name}")
    page.login(manager.username)
    page.press('#content-main a[href="/admin/reports/report/"]')  # the model's entry, not the app's
    wait_for(browser, lambda: "Every report has its table beside its chart" in page.text())
    page.click_link(title)
    wait_for(browser, lambda: browser.find_elements(By.CSS_SELECTOR, "svg.report-chart"))
    return page


def beside(browser, table_key: str) -> bool:
    """Whether the table stands to the right of the chart, their tops level."""
    chart = browser.find_element(By.CSS_SELECTOR, ".report-figure").rect
    table = browser.find_element(By.ID, f"table-{table_key}").rect
    return table["x"] >= chart["x"] + chart["width"] and abs(table["y"] - chart["y"]) < 40


def test_utilisation_heatmap_of_the_branch_and_of_one_class(browser, live_url, manager, midtown):
    branch, first, last = midtown
    page = open_report(browser, live_url, manager, "utilisation", "Utilisation")
    text = page.text()
    assert "Midtown" in text and "(28 days)" in text and "America/New_York" in text
    cells = browser.find_elements(By.CSS_SELECTOR, "svg.report-chart g > rect")
    assert len(cells) == 7 * 15  # every weekday at every hour from 06 to 20
    assert beside(browser, "hours")
    page.shot("branch")

    Select(browser.find_element(By.ID, "report-subject")).select_by_visible_text("Spin (class)")
    browser.find_element(By.CSS_SELECTOR, ".report-period input[type=submit]").click()
    wait_for(browser, lambda: "Places booked of those offered: Spin" in page.text())
    rows = browser.find_elements(By.CSS_SELECTOR, "#table-hours tbody tr")
    assert [row.text.split()[1] for row in rows[:-1]] == ["07:00", "19:00"] * 7  # Spin's two hours, each day
    page.shot("spin")

    Select(browser.find_element(By.ID, "report-measure")).select_by_visible_text("Places attended")
    browser.find_element(By.CSS_SELECTOR, ".report-period input[type=submit]").click()
    wait_for(browser, lambda: "Places attended of those offered: Spin" in page.text())
    page.shot("spin-attended")


def test_attendance_week_by_week(browser, live_url, manager, midtown):
    page = open_report(browser, live_url, manager, "attendance", "Attendance")
    bars = browser.find_element(By.CSS_SELECTOR, "svg.report-chart")
    assert "How the places booked ended, week by week" in bars.get_attribute("aria-label")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#table-weeks tbody tr")) == 4 + 1  # four weeks and the total
    assert beside(browser, "weeks")
    assert [entry.text for entry in browser.find_elements(By.CSS_SELECTOR, ".report-legend li")] == [
        "Attended", "No-show", "Late cancel", "Not marked",
    ]  # fmt: skip
    page.shot("branch")
    browser.find_element(By.LINK_TEXT, "Cold plunge").click()
    wait_for(browser, lambda: "Week by week: Cold plunge" in page.text())
    assert "selected" in browser.find_element(By.CSS_SELECTOR, "#table-subjects tr.selected").get_attribute("class")
    page.shot("cold-plunge")


def test_waitlists_by_class_and_facility(browser, live_url, manager, midtown):
    page = open_report(browser, live_url, manager, "waitlists", "Waitlists")
    labels = [text.text for text in browser.find_elements(By.CSS_SELECTOR, "svg.report-chart > text")]
    assert {"Spin", "Sauna", "Cold plunge"} <= set(labels)
    assert any("joined, median" in label for label in labels)
    total = browser.find_element(By.CSS_SELECTOR, "#table-subjects tr.total").text
    assert total.startswith("Every facility and class")
    page.shot("branch")
    # another branch, with nothing in the period: said in words
    Select(browser.find_element(By.ID, "report-branch")).select_by_visible_text("Westside")
    browser.find_element(By.CSS_SELECTOR, ".report-period input[type=submit]").click()
    wait_for(browser, lambda: "Nobody joined a waitlist for a slot or class at Westside" in page.text())
    assert not browser.find_elements(By.CSS_SELECTOR, "svg.report-chart")
    page.shot("empty-branch")


def test_overrides_per_staff_member(browser, live_url, manager, midtown):
    page = open_report(browser, live_url, manager, "overrides", "Overrides")
    names = [text.text for text in browser.find_elements(By.CSS_SELECTOR, "svg.report-chart > text")]
    assert {"Morgan Lead", "Jo Park", "Sam Okoro"} <= set(names)
    assert "Everyone" in browser.find_element(By.ID, "table-staff").text
    page.shot("branch")


def test_reports_fit_a_tablet(browser, live_url, manager, midtown):
    browser.set_window_size(768, 1000)
    page = open_report(browser, live_url, manager, "tablet", "Utilisation")
    # the heatmap scrolls inside its box; the page itself is no wider than the screen
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 768
    page.shot("utilisation")
    page.click_link("Overrides")
    wait_for(browser, lambda: "By staff member and reason" in page.text())
    assert browser.execute_script("return document.documentElement.scrollWidth") <= 768
    page.shot("overrides")
