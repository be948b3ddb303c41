"""Scheduled group classes (yoga, spin…) that members book a place in, and the weekly timetable
that the nightly run (`manage.py ensure_classes`) turns into classes."""

import calendar

from django.db import models
from django.db.models.functions import Now

from clubs import localtime
from clubs.constraints import FieldCheckConstraint, capacity_at_least_one, ends_after_start, not_blank
from clubs.models import TenantModel

# ISO weekday numbers, as PostgreSQL's `extract(isodow from …)` gives them.
WEEKDAYS = [(number, calendar.day_name[number - 1]) for number in range(1, 8)]


class ClassTimetableEntry(TenantModel):
    """A class held every week on one weekday at one time on the branch's clock, from `valid_from`
    until `valid_until` (inclusive; open-ended without it). The classes themselves are generated
    from it (classes/sql/class_generation/)."""

    branch = models.ForeignKey("clubs.Branch", on_delete=models.PROTECT, related_name="class_timetable", db_index=False)
    title = models.CharField(max_length=200)
    instructor = models.CharField(max_length=200, blank=True)
    room = models.CharField("room or facility", max_length=200, blank=True)
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS)
    starts_at_local = models.TimeField(
        "starts at (branch time)", help_text="On the branch's own clock, whatever the season."
    )
    duration_minutes = models.PositiveSmallIntegerField("duration (minutes)")
    capacity = models.PositiveSmallIntegerField()
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True, help_text="The last day it is held. Empty: no end.")
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    tenant_parent = "branch"

    class Meta:
        db_table = "class_timetable"
        verbose_name = "timetable entry"
        verbose_name_plural = "class timetable"
        ordering = ["weekday", "starts_at_local", "title"]
        constraints = [
            capacity_at_least_one("class_timetable"),
            not_blank("title", table="class_timetable", message="Enter the class's title."),
            FieldCheckConstraint(
                condition=models.Q(weekday__gte=1, weekday__lte=7),
                name="class_timetable_weekday_iso",
                field="weekday",
                violation_error_message="Choose a weekday.",
            ),
            FieldCheckConstraint(
                condition=models.Q(duration_minutes__gte=5, duration_minutes__lte=24 * 60),
                name="class_timetable_duration_range",
                field="duration_minutes",
                violation_error_message="A class lasts from 5 minutes to 24 hours.",
            ),
            FieldCheckConstraint(
                condition=models.Q(valid_until__isnull=True) | models.Q(valid_until__gte=models.F("valid_from")),
                name="class_timetable_valid_until_after_from",
                field="valid_until",
                violation_error_message="The last day cannot be before the first.",
            ),
        ]
        indexes = [
            # The composite tenant key (branch_id, organization_id) -> branches (clubs/tenancy.py).
            models.Index(fields=["branch", "organization"], name="class_timetable_branch_org_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title}, {self.get_weekday_display()}s at {self.starts_at_local:%H:%M}"


class ScheduledClass(TenantModel):
    # Indexed by (branch, starts_at) for the schedule and (branch, organization) for the tenant key.
    branch = models.ForeignKey("clubs.Branch", on_delete=models.PROTECT, related_name="classes", db_index=False)
    title = models.CharField(max_length=200)
    instructor = models.CharField(max_length=200, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveSmallIntegerField()
    is_cancelled = models.BooleanField("cancelled", default=False, db_default=False)
    room = models.CharField("room or facility", max_length=200, blank=True, default="", db_default="")
    # Set on the classes generated from the timetable, with the day on the branch's clock each was
    # generated for: a second run finds it there (unique), and a class moved by hand stays one.
    # No entry on a one-off class.
    timetable_entry = models.ForeignKey(
        ClassTimetableEntry, on_delete=models.SET_NULL, null=True, blank=True, related_name="classes", editable=False
    )
    timetable_date = models.DateField("timetable day (branch time)", null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    tenant_parent = "branch"

    class Meta:
        db_table = "classes"
        verbose_name = "class"
        verbose_name_plural = "classes"
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["id", "organization"], name="classes_id_organization_key"),
            ends_after_start("classes", "A class"),
            capacity_at_least_one("classes"),
            not_blank("title", table="classes", message="Enter the class's title."),
            # The generator's key (ON CONFLICT): no form sets these fields, so an index, not a form rule.
            models.UniqueConstraint(
                fields=["timetable_entry", "timetable_date"],
                condition=models.Q(timetable_entry__isnull=False),
                name="classes_timetable_entry_day_key",
            ),
        ]
        indexes = [
            models.Index(fields=["branch", "starts_at"], name="classes_branch_start_idx"),
            # The composite tenant key (branch_id, organization_id) -> branches (clubs/tenancy.py).
            models.Index(fields=["branch", "organization"], name="classes_branch_org_idx"),
            models.Index(fields=["organization", "starts_at"], name="classes_org_start_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title}, {localtime.local_datetime(self.starts_at, self.branch)}"
