"""Staff sign-in in a real browser (headless Chromium): the sign-in form saying until when a
lockout holds, and a desk left alone warning before it signs itself out, then showing the form.
Screenshots in artifacts/browser/sign-in-lockout/ and artifacts/browser/idle-session/."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.urls import reverse
from selenium.webdriver.common.by import By

from clubs.tests.factories import BranchFactory
from config.browser import PASSWORD, Page, skip_without_chromium, wait_for, waits_for, with_password
from staff_auth.sessions import ACTIVE_AT, IDLE_SECONDS

pytestmark = pytest.mark.django_db
skip_without_chromium()


def try_password(browser, base: str, username: str, password: str) -> None:
    browser.get(f"{base}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    waits_for(browser, ".errornote", "")  # the form again, with what went wrong


def test_the_fifth_wrong_password_shows_until_when_the_name_is_locked(browser, live_url, front_desk):
    with_password(front_desk)
    page = Page(browser, live_url, "sign-in-lockout")
    for _ in range(4):
        try_password(browser, live_url, front_desk.username, "not-my-password")
    page.shot("fourth-wrong-password")
    assert "Please enter the correct username and password" in page.text()
    try_password(browser, live_url, front_desk.username, "not-my-password")
    page.shot("locked-out")
    message = browser.find_element(By.CSS_SELECTOR, ".errornote").text
    assert re.fullmatch(
        rf"Too many failed sign-ins for “{front_desk.username}”\. Try again at \d\d:\d\d UTC \(in 15 minutes\), "
        r"or ask a manager to unlock it\.",
        message,
    ), message
    try_password(browser, live_url, front_desk.username, PASSWORD)  # the right one: still not now
    assert "Try again at" in browser.find_element(By.CSS_SELECTOR, ".errornote").text
    assert not browser.find_elements(By.ID, "user-tools")


def test_a_desk_left_alone_warns_then_signs_itself_out(browser, live_url, front_desk, settings):
    """A 20-second idle limit with the warning 12 seconds before, so the test takes seconds."""
    settings.SESSION_IDLE_WARNING_SECONDS = 12
    BranchFactory(name="Harbourfront", time_zone="America/New_York")
    with_password(front_desk)
    page = Page(browser, live_url, "idle-session")
    page.login(front_desk.username)
    session = SessionStore(session_key=browser.get_cookie("sessionid")["value"])
    session[IDLE_SECONDS], session[ACTIVE_AT] = 20, int(time.time())
    session.save()
    browser.get(f"{live_url}{reverse('admin:desk_today')}")
    page.shot("today")
    waits_for(browser, "#idle-warning p", "you will be signed out in", seconds=15)
    page.shot("warning")
    assert re.search(r"No activity at this computer: you will be signed out in 0:\d\d", page.text())

    browser.find_element(By.CSS_SELECTOR, "#idle-warning button").click()  # Stay signed in
    wait_for(browser, lambda: not browser.find_elements(By.ID, "idle-warning"))
    page.shot("stayed")
    assert browser.find_elements(By.ID, "user-tools")

    wait_for(browser, lambda: "/admin/login/" in browser.current_url, seconds=40)  # nobody touches it again
    waits_for(browser, ".messagelist", "You were signed out after 20 seconds without activity.")
    page.shot("signed-out")
    assert f"next={reverse('admin:desk_today')}" in browser.current_url.replace("%2F", "/")
    assert not browser.find_elements(By.ID, "user-tools")
    assert "Harbourfront" not in page.text()  # nothing of the desk's day left on the screen
