"""Who must sign in with a one-time code, and what they have enrolled."""

from __future__ import annotations

from django.conf import settings
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

# Overriding capacity and exporting the whole audit trail: what a stolen password must not reach.
TWO_FACTOR_PERMISSIONS = ("bookings.override_capacity", "audit.export_auditlog")


def must_use_two_factors(user) -> bool:
    """Superusers and whoever holds one of TWO_FACTOR_PERMISSIONS, when the installation asks for
    two factors (STAFF_TWO_FACTOR_REQUIRED, on whenever DEBUG is off)."""
    if not (settings.STAFF_TWO_FACTOR_REQUIRED and user.is_authenticated):
        return False
    return user.is_superuser or any(user.has_perm(name) for name in TWO_FACTOR_PERMISSIONS)


def enrolled_device(user) -> TOTPDevice | None:
    """The authenticator app the user confirmed with a code, if any."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user).count()
