"""The managers' list of two-factor devices, where they reset a lost phone's; and the code pages
(pages.py), mounted under it. django-otp's own device pages are removed: they show the secret keys
and recovery codes, which no one but their owner should see, and only once."""

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditSource
from audit.services import Actor
from clubs import localtime
from clubs.admin_base import ClubAddressMixin
from two_factor import pages
from two_factor.models import StaffDevice
from two_factor.services import TwoFactorRefused, devices_reset

RESET_PERMISSION = "two_factor.reset_staffdevice"

admin.site.unregister(TOTPDevice)
admin.site.unregister(StaticDevice)


@admin.register(StaffDevice)
class StaffDeviceAdmin(ClubAddressMixin, admin.ModelAdmin):
    list_display = ["staff_member", "enrolled", "last_used", "recovery_codes"]
    list_display_links = None
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    actions = ["reset"]

    def get_urls(self):
        return [*pages.urls(self.admin_site), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"title": "Staff two-factor devices", **(extra_context or {})})

    def get_queryset(self, request):
        devices = super().get_queryset(request).filter(confirmed=True).select_related("user")
        return devices.annotate(codes_left=Count("user__staticdevice__token_set")).order_by("user__username")

    def has_view_permission(self, request, obj=None) -> bool:
        # the list alone: a device's own page would show its secret key
        return obj is None and super().has_view_permission(request)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_reset_permission(self, request) -> bool:
        return request.user.has_perm(RESET_PERMISSION)

    @admin.action(description="Reset: they set up their authenticator app again at next sign-in", permissions=["reset"])
    def reset(self, request, devices) -> None:
        done = []
        for device in devices:
            try:
                devices_reset(
                    user=device.user,
                    actor=Actor.staff(request.user),
                    source=AuditSource.ADMIN,
                    may_reset_superusers=request.user.is_superuser,
                )
            except TwoFactorRefused as refusal:
                messages.error(request, str(refusal))
            else:
                done.append(device.user.get_username())
        if done:
            messages.success(request, f"Reset for {', '.join(done)}: each sets up an app again at their next sign-in.")

    @admin.display(description="Staff member", ordering="user__username")
    def staff_member(self, device: StaffDevice) -> str:
        full_name = device.user.get_full_name()
        return f"{full_name} ({device.user.get_username()})" if full_name else device.user.get_username()

    @admin.display(description="Set up", ordering="created_at")
    def enrolled(self, device: StaffDevice) -> str:
        return localtime.local_datetime(device.created_at, settings.TIME_ZONE) if device.created_at else "—"

    @admin.display(description="Last code", ordering="last_used_at")
    def last_used(self, device: StaffDevice) -> str:
        return localtime.local_datetime(device.last_used_at, settings.TIME_ZONE) if device.last_used_at else "—"

    @admin.display(description="Recovery codes left", ordering="codes_left")
    def recovery_codes(self, device: StaffDevice) -> int:
        return device.codes_left
