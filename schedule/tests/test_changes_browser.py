"""Schedule changes in a real browser (headless Chromium), at a branch in New York: a manager gives
the sauna a smaller capacity and an earlier closing time in its booking settings, reads the preview
(a slot over the new capacity, a booked late slot kept with its member's name, on the branch's
clock), applies it; then moves the spin class to another weekday and an evening time, and applies
that. Screenshots under artifacts/browser/schedule-change/."""

from __future__ import annotations

import datetime

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from bookings.tests.factories import ClassBookingFactory
from classes.models import ScheduledClass
from clubs import localtime
from clubs.tests.factories import BranchFactory
from config.browser import Page, skip_without_chromium, wait_for, with_password
from config.tests.clock import interesting_day
from facilities.models import BenefitSetting, BenefitSlot
from members.tests.factories import MemberFactory
from schedule.tests.test_changes import WEEK, ZONE, book, day_after_tomorrow, sauna_at, slot_at, spin_at

pytestmark = pytest.mark.django_db

skip_without_chromium()


def type_into(browser, name: str, value: str) -> None:
    field = browser.find_element(By.NAME, name)
    field.clear()
    field.send_keys(value)


def test_a_manager_previews_and_applies_new_settings_and_a_moved_class(browser, live_url, manager):
    branch = BranchFactory(name="Harbourfront", time_zone=ZONE)
    today = localtime.local_today(ZONE)
    sauna = sauna_at(branch, today)
    day = day_after_tomorrow(today)
    full = slot_at(sauna, day, 9)
    book(full, 3)
    late = slot_at(sauna, day, 21, 30)
    book(late, 1, first_name="Noor", last_name="Haddad", phone="+1 212 555 0142")
    with_password(manager)
    page = Page(browser, live_url, "schedule-change")
    page.login(manager.username)

    # The booking settings: capacity 2, closing at 21:00.
    settings = BenefitSetting.objects.get(facility=sauna)
    browser.get(f"{live_url}/admin/facilities/benefitsetting/{settings.pk}/change/")
    type_into(browser, "capacity", "2")
    type_into(browser, "closes_at", "21:00")
    page.shot("settings")
    browser.find_element(By.NAME, "_save").click()

    wait_for(browser, lambda: "Preview: nothing is saved yet" in page.text())  # the next page, not the form
    text = page.text()
    assert f"Times are on the clock of Harbourfront ({ZONE})" in text
    assert "1 slot with more bookings than the new capacity" in text
    assert f"Sauna, {localtime.local_range(full.starts_at, full.ends_at, ZONE)}" in text
    assert "1 booked slot outside the new days or hours" in text and "Noor Haddad" in text and "+1 212 555 0142" in text
    assert f"Sauna, {localtime.local_range(late.starts_at, late.ends_at, ZONE)}" in text
    page.shot("settings-preview")
    browser.execute_script("document.getElementById('schedule-over-capacity').scrollIntoView()")
    page.shot("settings-preview-lists")
    assert BenefitSetting.objects.get(facility=sauna).capacity is None

    browser.find_element(By.NAME, "apply").click()
    wait_for(browser, lambda: "Applied: Sauna has the new settings" in page.text())
    page.shot("settings-applied")
    assert BenefitSetting.objects.get(facility=sauna).closes_at == datetime.time(21)
    assert BenefitSlot.objects.get(pk=full.pk).capacity == 2 and BenefitSlot.objects.filter(pk=late.pk).exists()

    # The spin class: from its weekday at 07:00 to two days later at 18:30, across a change of the clocks.
    clocks_forward = interesting_day(ZONE, "clocks_forward", after=today + WEEK)
    spin = spin_at(branch, today, clocks_forward)
    booked = ScheduledClass.objects.get(timetable_entry=spin, timetable_date=clocks_forward - WEEK)
    ClassBookingFactory(
        scheduled_class=booked, member=MemberFactory(home_branch=branch, first_name="Ana", last_name="Ruiz")
    )
    browser.get(f"{live_url}/admin/classes/classtimetableentry/{spin.pk}/change/")
    two_days_later = (
        clocks_forward.isoweekday() % 7 + 1 + 1 if clocks_forward.isoweekday() < 6 else clocks_forward.isoweekday() - 5
    )
    Select(browser.find_element(By.NAME, "weekday")).select_by_value(str(two_days_later))
    type_into(browser, "starts_at_local", "18:30")
    page.shot("entry")
    browser.find_element(By.NAME, "_save").click()

    wait_for(browser, lambda: "Preview: nothing is saved yet" in page.text())
    text = page.text()
    assert "Ana Ruiz" in text
    assert "1 booked class no longer in the timetable" in text
    assert localtime.local_range(booked.starts_at, booked.ends_at, ZONE) in text
    page.shot("entry-preview")
    browser.execute_script("document.getElementById('schedule-figures').scrollIntoView()")
    page.shot("entry-preview-lists")
    browser.find_element(By.NAME, "apply").click()
    wait_for(browser, lambda: "Applied: the entry has the new values" in page.text())
    page.shot("entry-applied")
    moved = ScheduledClass.objects.filter(timetable_entry=spin).exclude(pk=booked.pk)
    assert {localtime.local_time(c.starts_at, ZONE) for c in moved} == {"18:30"}
    labels = {localtime.zone_label(localtime.at(c.starts_at, ZONE)) for c in moved}
    assert labels == {"EST", "EDT"}
