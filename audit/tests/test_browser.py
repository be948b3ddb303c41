"""The audit trail in a real browser (headless Chromium), read by a manager of a branch whose clock
is not UTC: each row on its own branch's clock, names linked, a long note on one line and whole on
the detail page, a "from" after "to" said in the filter. Screenshots in artifacts/browser/audit-list/.
"""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from selenium.webdriver.common.by import By

from audit.tests.factories import AuditLogFactory
from bookings.tests.factories import BenefitBookingFactory
from clubs.tests.factories import BranchFactory
from config.browser import Page, skip_without_chromium, with_password

pytestmark = pytest.mark.django_db
skip_without_chromium()

NOTE = "medical: physio referral after knee surgery, agreed with the duty manager; " * 4 + "\nSecond line."


def utc(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.UTC)


def test_a_manager_reads_the_trail_on_each_branchs_clock(browser, live_url, manager):
    harbourfront = BranchFactory(name="Harbourfront", time_zone="America/New_York")
    riverside = BranchFactory(name="Riverside", time_zone="Europe/London", organization=harbourfront.organization)
    booking = BenefitBookingFactory(
        slot__facility__branch=harbourfront, slot__facility__name="Cold plunge",
        member__first_name="Ada", member__last_name="Byron",
    )  # fmt: skip
    override = AuditLogFactory(
        occurred_at=utc("2025-12-01T23:00"), action="booking.capacity_overridden", entity_type="booking",
        entity_id=str(booking.pk), member_id=booking.member_id, branch_id=harbourfront.pk,
        actor_type="staff", actor_id=str(manager.pk), actor_label=manager.username, source="admin", reason=NOTE,
        old_values=None, new_values={"starts_at": "2025-12-02T11:00:00+00:00", "status": "confirmed"},
    )  # fmt: skip
    AuditLogFactory(occurred_at=utc("2025-12-01T19:30"), branch_id=riverside.pk, entity_type="branch",
                    entity_id=str(riverside.pk), action="branch.updated")  # fmt: skip
    with_password(manager)
    page = Page(browser, live_url, "audit-list")
    page.login(manager.username)

    browser.get(
        f"{live_url}{reverse('admin:audit_auditlog_changelist')}?occurred_from=2025-12-01&occurred_to=2025-12-01"
    )
    page.shot("list")
    rows = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")]
    overridden = next(index for index, row in enumerate(rows) if "Capacity overridden" in row)
    branch_updated = next(index for index, row in enumerate(rows) if "Branch updated" in row)
    assert overridden == 0 and branch_updated == len(rows) - 1  # by the real instant, latest first
    assert rows[0].startswith("Mon 1 Dec 2025, 18:00 EST")  # on New York's clock
    assert rows[-1].startswith("Mon 1 Dec 2025, 19:30 GMT")  # on London's
    assert "Cold plunge, " in rows[0] and "Ada Byron (#" in rows[0] and "Riverside" in rows[-1]
    note = browser.find_element(By.CSS_SELECTOR, "#result_list tbody tr .audit-one-line")
    line_height = browser.execute_script("return parseFloat(getComputedStyle(arguments[0]).lineHeight)", note)
    assert note.size["height"] <= line_height * 1.5  # one line
    assert "Second line." not in rows[0]

    browser.find_element(By.LINK_TEXT, "Mon 1 Dec 2025, 18:00 EST").click()
    page.shot("detail")
    detail = page.text()
    assert str(override.pk) in browser.current_url
    assert "Tue 2 Dec 2025, 06:00 EST" in detail  # the slot's start, in the change, on the branch's clock
    assert "Second line." in detail and NOTE.split("\n")[0].strip() in detail.replace("\n", " ")

    browser.get(f"{live_url}{reverse('admin:audit_auditlog_changelist')}")
    for name, day in (("occurred_from", "2025-12-10"), ("occurred_to", "2025-12-01")):
        browser.execute_script(f"document.querySelector('input[name={name}]').value = arguments[0]", day)
    browser.find_element(By.CSS_SELECTOR, "details[data-filter-title='date range'] input[type=submit]").click()
    page.shot("from-after-to")
    assert "“From” (Wed 10 Dec 2025) is after “To” (Mon 1 Dec 2025)." in page.text()
    assert browser.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")  # not an empty list
