from django.contrib import admin

from audit.admin_mixins import ClubModelAdmin
from classes.models import ScheduledClass
from clubs.admin_time import BranchTimeMixin, branch_day_filter, branch_local
from config.sql import places_taken


@admin.register(ScheduledClass)
class ScheduledClassAdmin(BranchTimeMixin, ClubModelAdmin):
    list_display = ["title", "branch", "instructor", "starts", "booked", "capacity", "is_cancelled"]
    list_filter = [branch_day_filter(instant="starts_at", zone="branch__time_zone"), "branch", "is_cancelled"]
    list_select_related = ["branch"]
    search_fields = ["title", "instructor"]
    ordering = ["starts_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(booked_count=places_taken("class"))

    @admin.display(description="Starts (branch time)", ordering="starts_at")
    def starts(self, scheduled_class: ScheduledClass) -> str:
        return branch_local(scheduled_class.starts_at, scheduled_class.branch)

    @admin.display(description="Booked", ordering="booked_count")
    def booked(self, scheduled_class: ScheduledClass) -> int:
        return scheduled_class.booked_count
