"""`manage.py reset_two_factor`: a reset when no manager can make it in the admin (a superuser's lost
phone), audited as the command's."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import ActorType, AuditAction, AuditLog, AuditSource
from config.commands import BAD_ARGUMENTS
from two_factor.tests.factories import enrol

pytestmark = pytest.mark.django_db


def reset(*args) -> str:
    out = StringIO()
    call_command("reset_two_factor", *args, stdout=out)
    return out.getvalue()


def test_the_command_resets_a_superusers_app_and_codes(django_user_model):
    superuser = django_user_model.objects.create_superuser("root", password="pw")
    enrol(superuser)
    assert "Would forget Authenticator app and Recovery codes of “root” (dry run" in reset("root", "--dry-run")
    assert TOTPDevice.objects.filter(user=superuser).exists()
    assert "Reset “root”: they set up an authenticator app at their next sign-in." in reset("root")
    assert not TOTPDevice.objects.filter(user=superuser).exists()
    assert not StaticDevice.objects.filter(user=superuser).exists()
    entry = AuditLog.objects.get(action=AuditAction.TWO_FACTOR_RESET)
    assert (entry.actor_type, entry.actor_label, entry.source, entry.entity_id) == (
        ActorType.SYSTEM, "reset_two_factor", AuditSource.COMMAND, str(superuser.pk),
    )  # fmt: skip


def test_the_command_says_when_there_is_nothing_to_reset(manager):
    assert "Nothing to reset: “test-manager” has no authenticator app set up." in reset("test-manager")
    assert not AuditLog.objects.filter(action=AuditAction.TWO_FACTOR_RESET).exists()


def test_an_unknown_username_is_a_bad_argument():
    with pytest.raises(CommandError, match="no staff member signs in as “nobody”") as refusal:
        reset("nobody")
    assert refusal.value.returncode == BAD_ARGUMENTS
