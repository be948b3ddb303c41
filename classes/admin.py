import datetime
from urllib.parse import urlencode

from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone

from audit.admin_mixins import ClubModelAdmin
from classes.models import ClassTimetableEntry, ScheduledClass
from clubs.admin_time import BranchTimeMixin, branch_day_filter, branch_local
from config.sql import places_taken


@admin.register(ScheduledClass)
class ScheduledClassAdmin(BranchTimeMixin, ClubModelAdmin):
    list_display = ["title", "branch", "instructor", "starts", "booked", "capacity", "is_cancelled"]
    list_filter = [branch_day_filter(instant="starts_at", zone="branch__time_zone"), "branch", "is_cancelled"]
    list_select_related = ["branch"]
    search_fields = ["title", "instructor"]
    ordering = ["starts_at"]
    # Which timetable entry and day made the class; empty on a one-off class.
    readonly_fields = ["timetable_entry", "timetable_date"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(booked_count=places_taken("class"))

    @admin.display(description="Starts (branch time)", ordering="starts_at")
    def starts(self, scheduled_class: ScheduledClass) -> str:
        return branch_local(scheduled_class.starts_at, scheduled_class.branch)

    @admin.display(description="Booked", ordering="booked_count")
    def booked(self, scheduled_class: ScheduledClass) -> int:
        return scheduled_class.booked_count


# The fields of a timetable entry that its classes copy: saving a change of any leads to the schedule
# change's preview (schedule/changes.py, reached by its URL name: classes sits below schedule), which
# shows what the change does to the classes already made and applies it to the entry and to them at
# once. An entry stays at its branch.
ENTRY_FIELDS = ("title", "instructor", "room", "capacity", "weekday", "starts_at_local", "duration_minutes",
                "valid_from", "valid_until")  # fmt: skip


# Said on the change form of an entry with classes still to come, which may not be deleted: deleting
# it would leave them as one-off classes without a word; ending it goes through the preview.
NO_DELETE_HELP = (
    "This entry has classes still to come, so it cannot be deleted. To end it, set “Valid until” to its last day "
    "and save: the preview shows what happens to its classes (empty ones are removed, booked ones kept and "
    "listed with who booked them) before anything is applied."
)


def has_future_classes(request, entry: ClassTimetableEntry) -> bool:
    """Whether the entry has classes still to come: asked once per entry and request."""
    known = request.__dict__.setdefault("_timetable_entries_with_future_classes", {})
    if entry.pk not in known:
        known[entry.pk] = ScheduledClass.objects.filter(timetable_entry=entry, starts_at__gt=timezone.now()).exists()
    return known[entry.pk]


def _query_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M:%S" if value.second else "%H:%M")
    return str(value)


@admin.register(ClassTimetableEntry)
class ClassTimetableEntryAdmin(ClubModelAdmin):
    """The weekly timetable; `manage.py ensure_classes` (nightly) makes its classes, and a change of an
    entry is saved through its preview. An entry with classes still to come cannot be deleted (its
    classes would become one-offs without a preview): it is ended by its "valid until"."""

    list_display = ["title", "branch", "weekday", "starts", "duration_minutes", "room", "instructor", "capacity",
                    "valid_from", "valid_until"]  # fmt: skip
    list_filter = ["branch", "weekday"]
    list_select_related = ["branch"]
    search_fields = ["title", "instructor", "room"]
    ordering = ["branch__name", "weekday", "starts_at_local"]
    fieldsets = [
        (None, {"fields": ["branch", "title", "instructor", "room", "capacity"]}),
        (
            "When (the branch's local clock)",
            {
                "description": "Times are on the branch's own clock, whatever the season: a 07:00 class is at "
                "07:00 there in winter and in summer. On the day clocks go forward, a start that does not exist "
                "moves on by the gap (02:30 becomes 03:30); on the day they go back, a start that happens twice "
                "is the second one. Classes are made nightly for the coming weeks; saving a change shows first what "
                "it does to the classes already made, then applies it to them too.",
                "fields": ["weekday", "starts_at_local", "duration_minutes", "valid_from", "valid_until"],
            },
        ),
    ]

    @admin.display(description="Starts (branch time)", ordering="starts_at_local")
    def starts(self, entry: ClassTimetableEntry) -> str:
        return f"{entry.starts_at_local:%H:%M}"

    def has_delete_permission(self, request, obj=None):
        if obj is not None and has_future_classes(request, obj):
            return False
        return super().has_delete_permission(request, obj)

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not has_future_classes(request, obj):
            return fieldsets
        # the entry can't be deleted: say how to end it, above its first fields
        (name, options), *rest = fieldsets
        return [(name, {**options, "description": NO_DELETE_HELP}), *rest]

    def get_readonly_fields(self, request, obj=None):
        # an entry stays at its branch: end it there (valid until) and add one at the other
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "branch"] if obj else fields

    def save_model(self, request, obj, form, change):
        if change and set(form.changed_data) & set(ENTRY_FIELDS):
            # saved, with its classes, by the preview's Apply
            query = {name: _query_value(form.cleaned_data[name]) for name in ENTRY_FIELDS}
            query["next"] = request.get_full_path()
            request.schedule_change_url = (
                f"{reverse('admin:schedule_change_timetable_entry', args=[obj.pk])}?{urlencode(query)}"
            )
            return
        super().save_model(request, obj, form, change)

    def log_change(self, request, obj, message):
        if not getattr(request, "schedule_change_url", None):  # nothing saved yet
            super().log_change(request, obj, message)

    def response_change(self, request, obj):
        if url := getattr(request, "schedule_change_url", None):
            return HttpResponseRedirect(url)
        return super().response_change(request, obj)
