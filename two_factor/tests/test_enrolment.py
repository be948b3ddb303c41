"""A manager's first sign-in sets up their authenticator app: a QR code and the key as text, a
first code that confirms it, and recovery codes shown once."""

import base64
import re

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditAction, AuditLog
from two_factor.tests.conftest import USER_AGENT, app_code, signed_in
from two_factor.tests.factories import enrol

pytestmark = pytest.mark.django_db


def shown_key(page) -> str:
    return re.search(r'class="two-factor-secret">([A-Z2-7 ]+)<', page.content.decode())[1].replace(" ", "")


def test_the_set_up_page_shows_a_qr_code_and_the_key_as_text(manager):
    client = signed_in(manager)
    page = client.get(reverse("admin:two_factor_enrol"))
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=manager)
    assert not device.confirmed
    assert b"<svg" in page.content and b"QR code for your authenticator app" in page.content
    assert base64.b32decode(shown_key(page)) == device.bin_key
    assert shown_key(client.get(reverse("admin:two_factor_enrol"))) == shown_key(page)  # the same key, not a new one
    assert TOTPDevice.objects.filter(user=manager).count() == 1


def test_the_first_right_code_enrols_the_app_and_shows_recovery_codes_once(manager):
    client = signed_in(manager)
    page = client.get(reverse("admin:two_factor_enrol"))
    device = TOTPDevice.objects.get(user=manager)

    answer = client.post(
        reverse("admin:two_factor_enrol"), {"code": app_code(device), "next": "/admin/audit/auditlog/"}
    )
    assert answer.status_code == 200
    shown = re.findall(r"<code>([A-Z2-7]{4})-([A-Z2-7]{4})</code>", answer.content.decode())
    stored = set(StaticToken.objects.filter(device__user=manager).values_list("token", flat=True))
    assert len(shown) == 10 and {(first + last).lower() for first, last in shown} == stored
    assert b'href="/admin/audit/auditlog/"' in answer.content
    device.refresh_from_db()
    assert device.confirmed
    assert client.get(reverse("admin:audit_auditlog_changelist")).status_code == 200  # signed in with two factors
    entry = AuditLog.objects.get(action=AuditAction.TWO_FACTOR_ENROLLED)
    assert (entry.actor_id, entry.entity_type, entry.entity_id) == (str(manager.pk), "two_factor", str(manager.pk))
    assert (entry.ip_address, entry.user_agent, entry.source) == ("127.0.0.1", USER_AGENT, "admin")
    assert page.content.count(b"<code>") == 0


def test_a_wrong_first_code_says_so_and_enrols_nothing(manager):
    client = signed_in(manager)
    client.get(reverse("admin:two_factor_enrol"))
    device = TOTPDevice.objects.get(user=manager)
    wrong = f"{(int(app_code(device)) + 1) % 1_000_000:06d}"
    answer = client.post(reverse("admin:two_factor_enrol"), {"code": wrong})
    assert answer.status_code == 200
    assert "That code is not right" in answer.content.decode()
    assert not TOTPDevice.objects.get(user=manager).confirmed
    assert AuditLog.objects.get(action=AuditAction.TWO_FACTOR_FAILED).new_values["during"] == "enrolment"
    assert client.get(reverse("admin:index")).status_code == 302


def test_once_enrolled_a_password_alone_cannot_set_up_another_app(manager):
    enrol(manager)
    client = signed_in(manager)
    answer = client.get(reverse("admin:two_factor_enrol"))
    assert answer["Location"].startswith(reverse("admin:two_factor_verify"))
    assert TOTPDevice.objects.filter(user=manager).count() == 1
