"""The staff's authenticator apps, as django-otp's TOTP devices; this proxy names them in the admin
(/admin/two_factor/staffdevice/), where managers list and reset them. No table of its own."""

from django_otp.plugins.otp_totp.models import TOTPDevice


class StaffDevice(TOTPDevice):
    class Meta:
        proxy = True
        verbose_name = "two-factor device"
        default_permissions = ("view",)
        permissions = [("reset_staffdevice", "Can reset a staff member's two factors")]
