from django.contrib import admin, messages

from audit.admin_mixins import ClubModelAdmin
from clubs.admin_time import BranchTimeMixin, branch_day_filter, branch_local
from config.sql import places_taken
from facilities.models import BenefitSetting, BenefitSlot, Facility, Weekday
from facilities.selectors import future_slot_capacities

# Settings whose change reshapes the slots generated from now on.
HOURS_FIELDS = {"opens_at", "closes_at", "slot_minutes"}


def _slots_keep(count: int) -> str:
    return "1 future slot keeps" if count == 1 else f"{count} future slots keep"


def kept_slots_notice(facility: Facility, changed: set[str]) -> str:
    """What a manager is told after changing a facility's capacity or hours: the slots already
    generated keep what they had (applying a change to them comes with schedule changes)."""
    shape = facility.slot_shape()
    notes = []
    if "capacity" in changed:
        kept = future_slot_capacities(facility_id=facility.pk, other_than=shape.capacity)
        if kept:
            groups = " and ".join(f"{_slots_keep(count)} capacity {capacity}" for capacity, count in kept.items())
            notes.append(f"{groups}; slots made from now on have {shape.capacity}.")
    if changed & HOURS_FIELDS:
        count = sum(future_slot_capacities(facility_id=facility.pk).values())
        if count:
            kept = f"{_slots_keep(count)} the hours they were made with"
            notes.append(f"{kept}; slots made from now on are {shape.hours}.")
    if not notes:
        return ""
    return f"{facility.name}: {' '.join(notes)} Their bookings are untouched."


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

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change:
            changed = set(form.changed_data) & {"capacity"}
            for formset in formsets:  # the settings inline
                changed.update(name for inline_form in formset.forms for name in inline_form.changed_data)
            if notice := kept_slots_notice(form.instance, changed):
                self.message_user(request, notice, messages.WARNING)

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

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and (notice := kept_slots_notice(obj.facility, set(form.changed_data))):
            self.message_user(request, notice, messages.WARNING)


@admin.register(BenefitSlot)
class BenefitSlotAdmin(BranchTimeMixin, ClubModelAdmin):
    list_display = ["facility", "starts", "ends", "booked", "capacity"]
    list_filter = [
        branch_day_filter(instant="starts_at", zone="facility__branch__time_zone"),
        "facility__branch",
        ("facility", FacilityFilter),
    ]
    branch_field = "facility"
    list_select_related = ["facility__branch"]
    search_fields = ["facility__name"]
    ordering = ["starts_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(booked_count=places_taken("slot"))

    @admin.display(description="Starts (branch time)", ordering="starts_at")
    def starts(self, slot: BenefitSlot) -> str:
        return branch_local(slot.starts_at, slot.facility.branch)

    @admin.display(description="Ends (branch time)")
    def ends(self, slot: BenefitSlot) -> str:
        return branch_local(slot.ends_at, slot.facility.branch)

    @admin.display(description="Booked", ordering="booked_count")
    def booked(self, slot: BenefitSlot) -> int:
        return slot.booked_count
