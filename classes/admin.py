from django.contrib import admin

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


@admin.register(ClassTimetableEntry)
class ClassTimetableEntryAdmin(ClubModelAdmin):
    """The weekly timetable; `manage.py ensure_classes` (nightly) makes its classes."""

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
                "is the second one. Classes are made nightly for the coming weeks; classes already made keep "
                "their time when this entry changes.",
                "fields": ["weekday", "starts_at_local", "duration_minutes", "valid_from", "valid_until"],
            },
        ),
    ]

    @admin.display(description="Starts (branch time)", ordering="starts_at_local")
    def starts(self, entry: ClassTimetableEntry) -> str:
        return f"{entry.starts_at_local:%H:%M}"
