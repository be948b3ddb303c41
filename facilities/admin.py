from django.contrib import admin

from bookings.models import places_taken
from clubs.admin_base import ClubModelAdmin
from clubs.admin_time import branch_local
from facilities.models import BenefitSetting, BenefitSlot, Facility, Weekday


class FacilityFilter(admin.RelatedFieldListFilter):
    """Lists facilities with their branch (as their names show it) in one query."""

    def field_choices(self, field, request, model_admin):
        facilities = Facility.objects.select_related("branch").order_by("branch__name", "name")
        return [(facility.pk, str(facility)) for facility in facilities]


class BenefitSettingInline(admin.StackedInline):
    model = BenefitSetting
    can_delete = False
    max_num = 1


@admin.register(Facility)
class FacilityAdmin(ClubModelAdmin):
    list_display = ["name", "kind", "branch", "capacity", "days", "is_active", "under_maintenance"]
    list_filter = ["branch", "kind", "is_active", "under_maintenance"]
    list_editable = ["under_maintenance"]
    list_select_related = ["branch"]
    search_fields = ["name", "branch__name"]
    inlines = [BenefitSettingInline]

    @admin.display(description="Available days")
    def days(self, facility: Facility) -> str:
        if sorted(facility.available_days) == Weekday.values:
            return "Every day"
        return ", ".join(Weekday(day).label[:3] for day in sorted(facility.available_days)) or "None"


@admin.register(BenefitSetting)
class BenefitSettingAdmin(ClubModelAdmin):
    list_display = [
        "facility",
        "opens_at",
        "closes_at",
        "slot_minutes",
        "capacity",
        "booking_window_days",
        "cancellation_cutoff_minutes",
    ]
    list_filter = ["facility__branch"]
    list_select_related = ["facility__branch"]
    search_fields = ["facility__name"]


@admin.register(BenefitSlot)
class BenefitSlotAdmin(ClubModelAdmin):
    list_display = ["facility", "starts", "ends", "booked", "capacity"]
    list_filter = ["facility__branch", ("facility", FacilityFilter)]
    list_select_related = ["facility__branch"]
    date_hierarchy = "starts_at"
    search_fields = ["facility__name"]
    ordering = ["starts_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(booked_count=places_taken())

    @admin.display(description="Starts (branch time)", ordering="starts_at")
    def starts(self, slot: BenefitSlot) -> str:
        return branch_local(slot.starts_at, slot.facility.branch)

    @admin.display(description="Ends (branch time)")
    def ends(self, slot: BenefitSlot) -> str:
        return branch_local(slot.ends_at, slot.facility.branch)

    @admin.display(description="Booked", ordering="booked_count")
    def booked(self, slot: BenefitSlot) -> int:
        return slot.booked_count
