"""Two factors in a real browser (headless Chromium): a manager's first sign-in sets up the app
(QR code, the key as text), the codes shown once; next time the code is asked after the password,
a wrong one is said with when to try again, and the app's code signs in. The front desk is asked
for no code. Screenshots in artifacts/browser/two-factor/."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from selenium.webdriver.common.by import By

from config.browser import Page, skip_without_chromium, wait_for, waits_for, with_password
from two_factor.tests.conftest import app_code

pytestmark = pytest.mark.django_db
skip_without_chromium()


def enter_code(browser, code: str) -> None:
    field = browser.find_element(By.NAME, "code")
    field.clear()
    field.send_keys(code)
    browser.find_element(By.CSS_SELECTOR, "#content-main input[type=submit]").click()


def sign_out(browser) -> None:
    browser.find_element(By.CSS_SELECTOR, "#logout-form button").click()
    wait_for(browser, lambda: browser.current_url.endswith(("/logout/", "/login/")))


def test_a_manager_sets_up_the_app_then_signs_in_with_its_code(browser, live_url, manager, front_desk):
    with_password(manager)
    with_password(front_desk)
    page = Page(browser, live_url, "two-factor")

    page.login(manager.username)
    waits_for(browser, "h1", "Set up your sign-in code")
    page.shot("set-up")
    assert browser.find_element(By.CSS_SELECTOR, ".two-factor-qr svg").size["width"] >= 150
    device = TOTPDevice.objects.get(user=manager, confirmed=False)
    shown_key = browser.find_element(By.CSS_SELECTOR, ".two-factor-secret").text.replace(" ", "")
    assert device.config_url.split("secret=")[1].startswith(shown_key)
    assert "Today" not in browser.find_element(By.ID, "header").text  # nothing else opens yet

    enter_code(browser, app_code(device))
    waits_for(browser, "h1", "Your recovery codes")
    page.shot("recovery-codes")
    assert len(browser.find_elements(By.CSS_SELECTOR, ".recovery-codes code")) == 10
    page.click_link("I have saved them, continue")
    waits_for(browser, "#desk-bar", "Today")

    sign_out(browser)
    page.login(manager.username)
    waits_for(browser, "h1", "Enter your sign-in code")
    enter_code(browser, "000000" if app_code(device) != "000000" else "111111")
    waits_for(browser, ".errorlist", "That code is not right")
    page.shot("wrong-code")
    assert "The next code is checked in 1 second, at " in page.text()
    assert browser.find_element(By.NAME, "code").get_attribute("value") == ""  # a fresh try

    time.sleep(1.2)  # the wait after one wrong code
    enter_code(browser, app_code(device, steps_ahead=1))  # this step's code was taken by the set-up
    waits_for(browser, "#desk-bar", "Today")
    page.shot("signed-in")
    assert browser.current_url == f"{live_url}{reverse('admin:index')}"  # where the sign-in was going
    browser.get(f"{live_url}{reverse('admin:two_factor_staffdevice_changelist')}")
    waits_for(browser, "#result_list", manager.username)
    page.shot("devices")  # where a manager resets a lost phone's

    sign_out(browser)
    page.login(front_desk.username)
    waits_for(browser, "#desk-bar", "Today")
    assert browser.current_url.startswith(f"{live_url}{reverse('admin:desk_today')}")  # no code asked
