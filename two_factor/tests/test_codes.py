"""Signing in with the app's code or a recovery code; wrong codes are said, recorded and throttled."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditAction, AuditLog
from two_factor.tests.conftest import USER_AGENT, app_code, signed_in
from two_factor.tests.factories import RECOVERY_CODES, enrol

pytestmark = pytest.mark.django_db

CODE_PAGE = "admin:two_factor_verify"


def test_the_apps_code_signs_in_and_leads_where_the_manager_was_going(manager):
    device = enrol(manager)
    client = signed_in(manager)
    answer = client.post(reverse(CODE_PAGE), {"code": app_code(device), "next": "/admin/audit/auditlog/"})
    assert answer["Location"] == "/admin/audit/auditlog/"
    assert client.get("/admin/audit/auditlog/").status_code == 200


def test_a_code_page_never_leads_off_the_site(manager):
    device = enrol(manager)
    answer = signed_in(manager).post(reverse(CODE_PAGE), {"code": app_code(device), "next": "https://evil.example/"})
    assert answer["Location"] == reverse("admin:index")


def test_a_wrong_code_is_said_recorded_and_the_next_waits(manager):
    device = enrol(manager)
    client = signed_in(manager)
    wrong = f"{(int(app_code(device)) + 1) % 1_000_000:06d}"
    page = client.post(reverse(CODE_PAGE), {"code": wrong}).content.decode()
    assert "That code is not right" in page and "The next code is checked in 1 second, at " in page
    entry = AuditLog.objects.get(action=AuditAction.TWO_FACTOR_FAILED)
    assert (entry.actor_id, entry.ip_address, entry.user_agent) == (str(manager.pk), "127.0.0.1", USER_AGENT)
    assert entry.new_values == {"during": "sign-in", "code": "authenticator code", "wrong_in_a_row": 1}

    # at once, even the right code is not looked at
    page = client.post(reverse(CODE_PAGE), {"code": app_code(device)}).content.decode()
    assert "Too many wrong codes: this one was not checked. Try again in 1 second, at " in page
    assert client.get(reverse("admin:index")).status_code == 302


def test_the_wait_doubles_with_each_wrong_code(manager):
    device = enrol(manager)
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=7, throttling_failure_timestamp=None)
    wrong = f"{(int(app_code(device)) + 1) % 1_000_000:06d}"
    page = signed_in(manager).post(reverse(CODE_PAGE), {"code": wrong}).content.decode()
    assert "The next code is checked in 3 minutes, at " in page  # 2⁷ = 128 seconds after the 8th


def test_after_the_wait_the_right_code_signs_in(manager):
    device = enrol(manager)
    a_while_ago = timezone.now() - datetime.timedelta(seconds=5)
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=2, throttling_failure_timestamp=a_while_ago)
    client = signed_in(manager)
    assert client.post(reverse(CODE_PAGE), {"code": app_code(device)}).status_code == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_a_recovery_code_signs_in_once(manager):
    enrol(manager)
    typed = RECOVERY_CODES[0][:4].upper() + "-" + RECOVERY_CODES[0][4:].upper()  # as shown, in capitals
    client = signed_in(manager)
    answer = client.post(reverse(CODE_PAGE), {"code": typed}, follow=True)
    assert answer.redirect_chain[0][0] == reverse("admin:index")
    assert "You signed in with a recovery code; 2 codes left." in answer.content.decode()
    assert not StaticToken.objects.filter(token=RECOVERY_CODES[0]).exists()
    entry = AuditLog.objects.get(action=AuditAction.RECOVERY_CODE_USED)
    assert (entry.actor_id, entry.new_values, entry.user_agent) == (
        str(manager.pk),
        {"recovery_codes_left": 2},
        USER_AGENT,
    )

    again = signed_in(manager).post(reverse(CODE_PAGE), {"code": typed})
    assert again.status_code == 200 and "That code is not right" in again.content.decode()


def test_a_fresh_set_of_recovery_codes_replaces_the_old(manager):
    enrol(manager)
    client = signed_in(manager)
    client.post(reverse(CODE_PAGE), {"code": RECOVERY_CODES[0]})
    page = client.get(reverse("admin:two_factor_recovery_codes"))
    assert "You have 2 recovery codes left." in page.content.decode()
    answer = client.post(reverse("admin:two_factor_recovery_codes"))
    assert "Your earlier recovery codes no longer work." in answer.content.decode()
    fresh = set(StaticToken.objects.filter(device__user=manager).values_list("token", flat=True))
    assert len(fresh) == 10 and not fresh & set(RECOVERY_CODES)
    entry = AuditLog.objects.get(action=AuditAction.RECOVERY_CODES_RENEWED)
    assert (entry.actor_id, entry.entity_type, entry.new_values) == (
        str(manager.pk),
        "two_factor",
        {"recovery_codes": 10},
    )
    assert signed_in(manager).post(reverse(CODE_PAGE), {"code": fresh.pop()}).status_code == 302
    assert signed_in(manager).post(reverse(CODE_PAGE), {"code": RECOVERY_CODES[1]}).status_code == 200  # refused
