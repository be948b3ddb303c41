"""What the headless-Chromium tests share: a live server on the test's own database connection,
the browser, and a page helper that signs in and saves screenshots under artifacts/browser/.

The live server shares the test's connection, so everything the test creates is visible to it and
rolled back afterwards, append-only audit trail included. Loaded as a pytest plugin by the root
conftest; each browser test module starts with `skip_without_chromium()`.
"""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connections
from django.test.testcases import LiveServerThread, QuietWSGIRequestHandler
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as shows
from selenium.webdriver.support.ui import WebDriverWait

from config.testing import requests_keep_the_test_connection

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "browser"
PASSWORD = "pw"


def skip_without_chromium() -> None:
    """Called at the top of a browser test module: skips it, saying how to run it, when the
    browser is missing."""
    if not (shutil.which(CHROMIUM) and shutil.which(CHROMEDRIVER)):
        pytest.skip("chromium and chromium-driver are not installed (make test installs them)", allow_module_level=True)


class SharedConnectionServer(ThreadedWSGIServer):
    def _close_connections(self):
        pass  # the connection is the test's: it must outlive each request


class SharedConnectionThread(LiveServerThread):
    def _create_server(self, connections_override=None):
        return SharedConnectionServer(
            (self.host, self.port), QuietWSGIRequestHandler, allow_reuse_address=False,
            connections_override=connections_override,
        )  # fmt: skip


class OneRequestAtATime(StaticFilesHandler):
    """Requests take turns: they share one database connection (the test's), which cannot serve
    two at once, and pages that refresh themselves send requests beside the test's clicks. The
    turn is per request, not per HTTP connection, which the browser keeps open between requests."""

    turn = threading.Lock()

    def __call__(self, environ, start_response):
        with self.turn:
            return super().__call__(environ, start_response)


@pytest.fixture
def live_url(db):
    connection = connections["default"]
    connection.inc_thread_sharing()
    keep = requests_keep_the_test_connection()
    keep.__enter__()
    thread = SharedConnectionThread("127.0.0.1", OneRequestAtATime, connections_override={"default": connection})
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


def chromium() -> webdriver.Chrome:
    """A headless Chromium; the `browser` fixture's, or a second one (another desk computer)."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1400,1000",
    ):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(CHROMEDRIVER))
    driver.implicitly_wait(5)
    return driver


@pytest.fixture
def browser():
    driver = chromium()
    yield driver
    driver.quit()


# Screenshot folders this test run has started: two pages of one test (two desks) share one.
_STARTED: set[str] = set()


class Page:
    def __init__(self, browser, base: str, name: str):
        self.browser, self.base, self.name, self.shots = browser, base, name, 0
        folder = ARTIFACTS / name
        if name not in _STARTED:  # the first page of a run starts the folder afresh
            shutil.rmtree(folder, ignore_errors=True)
            _STARTED.add(name)
        folder.mkdir(parents=True, exist_ok=True)

    def shot(self, label: str) -> None:
        self.shots += 1
        self.browser.save_screenshot(str(ARTIFACTS / self.name / f"{self.shots:02d}-{label}.png"))

    def login(self, username: str) -> None:
        self.browser.get(f"{self.base}/admin/login/")
        self.browser.find_element(By.NAME, "username").send_keys(username)
        self.browser.find_element(By.NAME, "password").send_keys(PASSWORD)
        self.browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
        # signed in once the next page shows the user's tools (the implicit wait waits for it): a
        # page asked for earlier would interrupt the sign-in and land on the login form
        self.browser.find_element(By.ID, "user-tools")

    def press(self, css: str) -> None:
        """Click what `css` finds, finding it again when the page swapped it meanwhile (the
        desk's panels reload themselves every few seconds)."""
        for attempt in range(5):
            try:
                self.browser.find_element(By.CSS_SELECTOR, css).click()
                return
            except StaleElementReferenceException:
                if attempt == 4:
                    raise

    def click_link(self, text: str) -> None:
        self.browser.find_element(By.LINK_TEXT, text).click()

    def text(self) -> str:
        return self.browser.find_element(By.TAG_NAME, "body").text


def wait_for(browser, condition, seconds: float = 10):
    """Wait until `condition()` is true; an element it read being swapped meanwhile (the desk's
    panels refresh themselves) is only a reason to look again."""
    wait = WebDriverWait(browser, seconds, ignored_exceptions=(StaleElementReferenceException,))
    return wait.until(lambda driver: condition())


def waits_for(browser, css: str, words: str, seconds: float = 10) -> None:
    """Wait until the element `css` finds shows `words`."""
    WebDriverWait(browser, seconds).until(shows.text_to_be_present_in_element((By.CSS_SELECTOR, css), words))


def with_password(user):
    user.set_password(PASSWORD)
    user.save()
    return user
