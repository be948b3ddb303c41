"""Two factors on (the tests' settings leave them off), managers with an enrolled app, and codes as
the app would show them, computed from the device's key."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from access.staff_groups import MANAGER

USER_AGENT = "Desk-PC-3 Chromium"


@pytest.fixture(autouse=True)
def two_factors_on(settings):
    settings.STAFF_TWO_FACTOR_REQUIRED = True


def app_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code the authenticator app shows now (or that many 30-second steps later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def signed_in(user) -> Client:
    """A session after the password, before any code: what the sign-in form leaves."""
    client = Client(HTTP_USER_AGENT=USER_AGENT)
    client.force_login(user)
    return client


def verified(user, device: TOTPDevice) -> Client:
    client = signed_in(user)
    answer = client.post(reverse("admin:two_factor_verify"), {"code": app_code(device)})
    assert answer.status_code == 302, answer.content
    return client


@pytest.fixture
def other_manager(db, django_user_model):
    user = django_user_model.objects.create_user(username="other-manager", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=MANAGER))
    return user
