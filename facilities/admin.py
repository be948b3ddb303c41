import datetime
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse

from audit.admin_mixins import ClubModelAdmin
from clubs.admin_time import BranchTimeMixin, branch_day_filter, branch_local
from config.sql import places_taken
from facilities.models import FACILITY_DEFAULTS, BenefitSetting, BenefitSlot, Facility, Weekday

# The settings whose change reshapes the slots already made. A save that changes any of them (or
# one of FACILITY_SHAPE_FIELDS: the facility's capacity, which an empty settings capacity stands
# for, and its days of the week) saves everything else and leads to the schedule change's preview
# (schedule/changes.py, reached by its URL name: facilities sits below schedule), which shows what
# the new values do to the future slots and applies them to the facility, its settings and the
# slots at once.
SHAPE_FIELDS = ("capacity", "opens_at", "closes_at", "slot_minutes")
# The facility's own fields of its shape, and the preview's names for them.
FACILITY_SHAPE_FIELDS = {"capacity": "facility_capacity", "available_days": "available_days"}


def _query_value(value) -> str | list[str]:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return [str(item) for item in sorted(value)]  # one value per checkbox
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M:%S" if value.second else "%H:%M")
    return str(value)


def defer_shape_fields(form, names: tuple[str, ...]) -> dict:
    """Take the fields of `names` that `form` changed out of this save: its instance keeps its
    stored values for them (what the table holds, or the field's default for a new row), the audit
    entry of the save leaves them out, and the new values are returned, for the preview."""
    deferred = [name for name in form.changed_data if name in names]
    if not deferred:
        return {}
    instance = form.instance
    stored = type(instance).objects.filter(pk=instance.pk).values(*deferred).first() if instance.pk else None
    for name in deferred:
        value = stored[name] if stored is not None else instance._meta.get_field(name).get_default()
        setattr(instance, name, value)
    proposed = {name: form.cleaned_data[name] for name in deferred}
    form.changed_data = [name for name in form.changed_data if name not in deferred]
    return proposed


def _defer(request, facility: Facility, proposed: dict, *, other_changes: bool) -> None:
    pending = getattr(request, "schedule_change", None) or {"facility": facility, "values": {}, "other": False}
    pending["values"].update(proposed)
    pending["other"] = pending["other"] or other_changes
    request.schedule_change = pending


def schedule_change_redirect(request) -> HttpResponseRedirect | None:
    """To the preview of the values this save deferred, if it deferred any."""
    pending = getattr(request, "schedule_change", None)
    if not pending:
        return None
    facility = pending["facility"]
    settings = BenefitSetting.objects.filter(facility=facility).first()
    values = {
        "facility_capacity": facility.capacity,
        "available_days": facility.available_days,
        "capacity": settings.capacity if settings else None,
        "opens_at": settings.opens_at if settings else FACILITY_DEFAULTS.opens_at,
        "closes_at": settings.closes_at if settings else FACILITY_DEFAULTS.closes_at,
        "slot_minutes": settings.slot_minutes if settings else FACILITY_DEFAULTS.slot_minutes,
        **pending["values"],
    }
    if pending["other"]:
        messages.info(
            request,
            f"The other changes to {facility.name} are saved. Its new capacity, days, hours or slot length are "
            "not applied yet: here is what they do to the slots already made.",
        )
    query = {name: _query_value(value) for name, value in values.items()} | {"next": request.get_full_path()}
    address = reverse("admin:schedule_change_facility", args=[facility.pk])
    return HttpResponseRedirect(f"{address}?{urlencode(query, doseq=True)}")


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

    def save_model(self, request, obj, form, change):
        if change and (proposed := defer_shape_fields(form, tuple(FACILITY_SHAPE_FIELDS))):
            values = {FACILITY_SHAPE_FIELDS[name]: value for name, value in proposed.items()}
            _defer(request, obj, values, other_changes=bool(form.changed_data))
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        if change and formset.model is BenefitSetting:
            for inline_form in formset.forms:
                if getattr(inline_form, "cleaned_data", None) and (
                    proposed := defer_shape_fields(inline_form, SHAPE_FIELDS)
                ):
                    _defer(request, form.instance, proposed, other_changes=bool(inline_form.changed_data))
        super().save_formset(request, form, formset, change)

    def response_change(self, request, obj):
        return schedule_change_redirect(request) or super().response_change(request, obj)

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
        if proposed := defer_shape_fields(form, SHAPE_FIELDS):
            _defer(request, obj.facility, proposed, other_changes=bool(form.changed_data))
            if change and not form.changed_data:
                return  # nothing else to save: the preview's Apply saves the rest
        super().save_model(request, obj, form, change)

    def response_change(self, request, obj):
        return schedule_change_redirect(request) or super().response_change(request, obj)

    def response_add(self, request, obj, post_url_continue=None):
        return schedule_change_redirect(request) or super().response_add(request, obj, post_url_continue)


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
