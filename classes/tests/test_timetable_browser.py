"""The class timetable in a real browser (headless Chromium), at a branch in New York: a manager
adds a weekly class on the branch's clock, the nightly run makes its classes, and the class list
shows them at that local time in winter and in summer. Screenshots under
artifacts/browser/timetable/."""

from __future__ import annotations

import datetime

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from audit.services import Actor
from classes.models import ClassTimetableEntry, ScheduledClass
from classes.services import classes_ensure
from clubs import localtime
from clubs.tests.factories import BranchFactory
from config.browser import Page, skip_without_chromium, with_password
from config.tests.clock import interesting_day

pytestmark = pytest.mark.django_db

skip_without_chromium()

ZONE = "America/New_York"


def test_a_manager_adds_a_weekly_class_and_its_classes_keep_the_local_time(browser, live_url, manager):
    branch = BranchFactory(name="Harbourfront", time_zone=ZONE)
    # a change of the clocks at least a week ahead, so the week before it is still to come
    change = interesting_day(ZONE, "clocks_forward", after=localtime.local_today(ZONE) + datetime.timedelta(days=7))
    first, last = change - datetime.timedelta(days=7), change + datetime.timedelta(days=7)
    with_password(manager)
    page = Page(browser, live_url, "timetable")
    page.login(manager.username)
    browser.get(f"{live_url}/admin/classes/classtimetableentry/add/")
    assert "the branch's local clock" in page.text()
    Select(browser.find_element(By.NAME, "branch")).select_by_visible_text("Harbourfront")
    browser.find_element(By.NAME, "title").send_keys("Morning spin")
    browser.find_element(By.NAME, "instructor").send_keys("Sam Okafor")
    browser.find_element(By.NAME, "room").send_keys("Studio 1")
    Select(browser.find_element(By.NAME, "weekday")).select_by_value(str(change.isoweekday()))
    browser.find_element(By.NAME, "starts_at_local").send_keys("07:00")
    browser.find_element(By.NAME, "duration_minutes").send_keys("45")
    browser.find_element(By.NAME, "capacity").send_keys("16")
    browser.find_element(By.NAME, "valid_from").send_keys(first.isoformat())
    page.shot("new-entry")
    browser.find_element(By.NAME, "_save").click()
    assert "was added successfully" in page.text()
    page.shot("timetable")
    entry = ClassTimetableEntry.objects.get(title="Morning spin")

    run = classes_ensure(
        branch_id=branch.pk, start_date=first, end_date=last, actor=Actor.system("test"), source="command"
    )
    assert run.created == 3  # the week before the clocks change, the day itself, the week after
    browser.get(f"{live_url}/admin/classes/scheduledclass/?q=Morning+spin")
    page.shot("classes")
    classes = ScheduledClass.objects.filter(timetable_entry=entry).order_by("starts_at")
    assert [localtime.local_time(c.starts_at, ZONE) for c in classes] == ["07:00"] * 3
    assert len({localtime.zone_label(localtime.at(c.starts_at, ZONE)) for c in classes}) == 2  # EST and EDT
    for scheduled in classes:  # "Sun 7 Mar 2027, 07:00 EST", then EDT
        assert localtime.local_datetime(scheduled.starts_at, ZONE) in page.text()
