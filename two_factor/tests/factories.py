"""A staff member with an authenticator app set up, and three recovery codes."""

from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

RECOVERY_CODES = ("abcd2345", "efgh6723", "ijkl2233")


def enrol(user) -> TOTPDevice:
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    codes = StaticDevice.objects.create(user=user, name="Recovery codes")
    StaticToken.objects.bulk_create(StaticToken(device=codes, token=code) for code in RECOVERY_CODES)
    return device
