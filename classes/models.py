"""Scheduled group classes (yoga, spin…) that members book a place in."""

from django.db import models
from django.db.models.functions import Now

from clubs import localtime
from clubs.constraints import capacity_at_least_one, ends_after_start, not_blank
from clubs.models import TenantModel


class ScheduledClass(TenantModel):
    # Indexed by (branch, starts_at) for the schedule and (branch, organization) for the tenant key.
    branch = models.ForeignKey("clubs.Branch", on_delete=models.PROTECT, related_name="classes", db_index=False)
    title = models.CharField(max_length=200)
    instructor = models.CharField(max_length=200, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveSmallIntegerField()
    is_cancelled = models.BooleanField("cancelled", default=False, db_default=False)
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
        ]
        indexes = [
            models.Index(fields=["branch", "starts_at"], name="classes_branch_start_idx"),
            # The composite tenant key (branch_id, organization_id) -> branches (clubs/tenancy.py).
            models.Index(fields=["branch", "organization"], name="classes_branch_org_idx"),
            models.Index(fields=["organization", "starts_at"], name="classes_org_start_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title}, {localtime.local_datetime(self.starts_at, self.branch)}"
