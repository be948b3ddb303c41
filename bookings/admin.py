from django.contrib import admin
from django.utils.html import format_html

from audit.admin_mixins import AuditedModelAdmin
from bookings.models import BenefitBooking, Booking, ClassBooking
from facilities.admin import FacilityFilter


class BookingAdmin(AuditedModelAdmin):
    """What both booking lists share; subclasses name the slot or class column."""

    booked_item = ""
    list_filter = ["status", "channel", "capacity_override"]
    date_hierarchy = "created_at"
    search_fields = ["member__member_number", "member__first_name", "member__last_name", "member__email"]
    autocomplete_fields = ["member"]
    readonly_fields = ["created_at", "updated_at", "cancelled_at", "booked_by_user"]

    def get_list_display(self, request):
        return ["member", self.booked_item, "status", "override_badge", "channel", "booked_by_user", "created_at"]

    def get_list_select_related(self, request):
        return ["member", "booked_by_user"]

    @admin.display(description="Override", boolean=False, ordering="capacity_override")
    def override_badge(self, booking: Booking) -> str:
        if not booking.capacity_override:
            return ""
        return format_html('<span class="override-badge" title="{}">Override</span>', booking.override_reason)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.booked_by_user = request.user
            obj.channel = Booking.Channel.CONCIERGE
        super().save_model(request, obj, form, change)

    def get_exclude(self, request, obj=None):
        return ["channel"] if obj is None else []

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            readonly.append("channel")
        if not request.user.has_perm("bookings.override_capacity"):
            readonly += ["capacity_override", "override_reason"]
        return readonly


@admin.register(BenefitBooking)
class BenefitBookingAdmin(BookingAdmin):
    booked_item = "slot"
    list_filter = [*BookingAdmin.list_filter, "slot__facility__branch", ("slot__facility", FacilityFilter)]
    autocomplete_fields = ["member", "slot"]

    def get_list_select_related(self, request):
        return [*super().get_list_select_related(request), "slot__facility__branch"]


@admin.register(ClassBooking)
class ClassBookingAdmin(BookingAdmin):
    booked_item = "scheduled_class"
    list_filter = [*BookingAdmin.list_filter, "scheduled_class__branch"]
    autocomplete_fields = ["member", "scheduled_class"]

    def get_list_select_related(self, request):
        return [*super().get_list_select_related(request), "scheduled_class__branch"]
