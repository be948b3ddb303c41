"""The club itself: organizations (tenants) and their branches, plus the base every tenant table shares."""

import datetime
import uuid
import zoneinfo

from django.contrib.postgres.functions import RandomUUID
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Now


def local_day_bounds(day: datetime.date, zone: zoneinfo.ZoneInfo) -> tuple[datetime.datetime, datetime.datetime]:
    """A day of a branch's calendar as instants [start, end): local midnight to local midnight,
    23 or 25 hours long on the days clocks change."""
    start = datetime.datetime.combine(day, datetime.time(), tzinfo=zone)
    return start, datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(), tzinfo=zone)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            "%(value)s is not an IANA time zone (for example Europe/London or America/New_York).",
            params={"value": value},
        )


class UUIDModel(models.Model):
    """UUID key that the database fills too, so rows inserted through PostgREST get one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=RandomUUID(), editable=False)
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        abstract = True


class TenantModel(UUIDModel):
    """A row that belongs to one organization; RLS isolates tenants by `organization_id`.

    The organization is derived from the parent row (`tenant_parent`) when it is not given, and
    a composite foreign key in the database (see `clubs.tenancy`) rejects a row whose
    organization differs from its parent's.
    """

    organization = models.ForeignKey("clubs.Organization", on_delete=models.PROTECT, related_name="+", editable=False)

    tenant_parent: str = ""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.organization_id is None and self.tenant_parent:
            parent = getattr(self, self.tenant_parent)
            self.organization_id = parent.organization_id
        super().save(*args, **kwargs)


class Organization(UUIDModel):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)

    class Meta:
        db_table = "organizations"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Branch(UUIDModel):
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="branches")
    name = models.CharField(max_length=200)
    time_zone = models.CharField(
        max_length=64,
        validators=[validate_time_zone],
        help_text="IANA time zone of the branch; opening hours are wall-clock times in this zone.",
    )
    address = models.CharField(max_length=300, blank=True)
    is_active = models.BooleanField(default=True, db_default=True)

    class Meta:
        db_table = "branches"
        verbose_name_plural = "branches"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="branches_name_unique_per_org"),
            # The target of the composite foreign keys that keep children in their branch's tenant.
            models.UniqueConstraint(fields=["id", "organization"], name="branches_id_organization_key"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)
