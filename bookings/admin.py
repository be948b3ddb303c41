"""The bookings lists: filters, override badges, and cancel, check-in and no-show actions.

New bookings are made in the concierge flow (`bookings/concierge.py`), never in a plain add form,
and existing ones change only through the actions: every change goes through the booking engine.
"""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from audit.models import AuditSource
from audit.services import Actor
from bookings.concierge import ConciergeFlow
from bookings.models import BenefitBooking, Booking, ClassBooking
from bookings.services import BookingKind, booking_cancel, booking_check_in, booking_mark_no_show
from config.errors import RuleViolation
from facilities.admin import FacilityFilter


def _run_on_each(modeladmin, request, queryset, service, done: str) -> None:
    """Apply a booking service to each selected booking; report each refusal by member."""
    succeeded = 0
    for booking in queryset.select_related("member"):
        try:
            service(
                kind=modeladmin.kind, booking_id=booking.pk, actor=Actor.staff(request.user), source=AuditSource.ADMIN
            )
        except RuleViolation as refusal:
            modeladmin.message_user(request, f"{booking.member.full_name}: {refusal.message}", messages.WARNING)
        else:
            succeeded += 1
    if succeeded:
        modeladmin.message_user(request, f"{succeeded} bookings {done}.", messages.SUCCESS)


@admin.action(description="Cancel the selected bookings (promotes the waitlist)", permissions=["change"])
def cancel_bookings(modeladmin, request, queryset):
    _run_on_each(modeladmin, request, queryset, booking_cancel, "cancelled")


@admin.action(description="Check in (attended)", permissions=["change"])
def check_in(modeladmin, request, queryset):
    _run_on_each(modeladmin, request, queryset, booking_check_in, "checked in")


@admin.action(description="Mark as no-show", permissions=["change"])
def mark_no_show(modeladmin, request, queryset):
    _run_on_each(modeladmin, request, queryset, booking_mark_no_show, "marked as no-show")


class BookingAdmin(admin.ModelAdmin):
    """What both booking lists share; subclasses name the slot or class they book."""

    kind = ""
    booked_item = ""
    actions = [cancel_bookings, check_in, mark_no_show]
    list_filter = ["status", "channel", "capacity_override", "booked_by_user"]
    search_fields = ["member__member_number", "member__first_name", "member__last_name", "member__email"]
    list_per_page = 50

    def get_list_display(self, request):
        return ["member", self.booked_item, "status", "override_badge", "channel", "booked_by_user", "created_at"]

    def get_list_select_related(self, request):
        return ["member", "booked_by_user"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    @admin.display(description="Override", ordering="capacity_override")
    def override_badge(self, booking: Booking) -> str:
        if not booking.capacity_override:
            return ""
        title = f"{booking.get_override_reason_code_display()}: {booking.override_reason}"
        places = (
            f" {booking.places_taken_before + 1} of {booking.capacity_at_booking}"
            if booking.capacity_at_booking
            else ""
        )
        return format_html('<span class="override-badge" title="{}">Override{}</span>', title, places)

    def has_change_permission(self, request, obj=None) -> bool:
        # The list's actions need it; a booking's own page is a record, changed only by the actions.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def add_view(self, request, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("admin:bookings_concierge_member"))

    def get_urls(self):
        return [*ConciergeFlow(self.admin_site).urls(), *super().get_urls()]


@admin.register(BenefitBooking)
class BenefitBookingAdmin(BookingAdmin):
    kind = BookingKind.SLOT
    booked_item = "slot"
    list_filter = ["slot__facility__branch", ("slot__facility", FacilityFilter), *BookingAdmin.list_filter]
    date_hierarchy = "slot__starts_at"

    def get_list_select_related(self, request):
        return [*super().get_list_select_related(request), "slot__facility__branch"]


@admin.register(ClassBooking)
class ClassBookingAdmin(BookingAdmin):
    kind = BookingKind.CLASS
    booked_item = "scheduled_class"
    list_filter = ["scheduled_class__branch", *BookingAdmin.list_filter]
    date_hierarchy = "scheduled_class__starts_at"

    def get_list_select_related(self, request):
        return [*super().get_list_select_related(request), "scheduled_class__branch"]

    def get_urls(self):
        return super(BookingAdmin, self).get_urls()  # the concierge flow is mounted once, by recovery bookings
