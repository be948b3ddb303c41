"""The club itself: organizations (tenants) and their branches, plus the base every tenant table shares."""

import datetime
import uuid
import zoneinfo

from django.contrib.postgres.functions import RandomUUID
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models
from django.db.models.functions import Now

from clubs.constraints import not_blank


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


class TimeOrderedUUID(models.Func):
    """A new key from app_private.uuid_v7() (clubs/sql/ids/): time-ordered, so a table written in
    bulk appends to its key's index instead of writing all over it."""

    function = "app_private.uuid_v7"
    template = "%(function)s()"
    output_field = models.UUIDField()


def time_ordered_key() -> models.UUIDField:
    """A primary key the database alone fills, with TimeOrderedUUID: no Python default, which
    would send a random key in its place."""
    return models.UUIDField(primary_key=True, db_default=TimeOrderedUUID(), editable=False)


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
    organization differs from its parent's. Forms meet both rules as errors: a parent of another
    organization is refused on the parent's field, and the rules that involve the organization
    (a member number unique per organization) are checked although no form shows it.
    """

    organization = models.ForeignKey("clubs.Organization", on_delete=models.PROTECT, related_name="+", editable=False)

    tenant_parent: str = ""

    class Meta:
        abstract = True

    def parent_organization_id(self):
        """The organization of the parent row, or None while there is no parent."""
        try:
            parent = getattr(self, self.tenant_parent)
        except ObjectDoesNotExist:
            return None
        return parent.organization_id if parent is not None else None

    def clean(self):
        super().clean()
        parent_organization_id = self.parent_organization_id()
        if self.organization_id and parent_organization_id and parent_organization_id != self.organization_id:
            parent_field = self._meta.get_field(self.tenant_parent)
            raise ValidationError(
                {
                    self.tenant_parent: (
                        f"Choose a {parent_field.related_model._meta.verbose_name} of {self.organization}: "
                        f"this {self._meta.verbose_name} belongs to it."
                    )
                }
            )

    def validate_constraints(self, exclude=None):
        if self.organization_id is None and self.tenant_parent:
            self.organization_id = self.parent_organization_id()
        if self.organization_id is not None and exclude:
            exclude = set(exclude) - {"organization"}
        super().validate_constraints(exclude=exclude)

    def save(self, *args, **kwargs):
        if self.organization_id is None and self.tenant_parent:
            self.organization_id = self.parent_organization_id()
        super().save(*args, **kwargs)


class Organization(UUIDModel):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)

    class Meta:
        db_table = "organizations"
        ordering = ["name"]
        constraints = [
            not_blank("name", table="organizations", message="Enter the organization's name."),
        ]

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
            models.UniqueConstraint(
                fields=["organization", "name"],
                name="branches_name_unique_per_org",
                violation_error_message="This organization already has a branch of this name.",
            ),
            not_blank("name", table="branches", message="Enter the branch's name."),
            # The target of the composite foreign keys that keep children in their branch's tenant.
            models.UniqueConstraint(fields=["id", "organization"], name="branches_id_organization_key"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self):
        super().clean()
        if self._state.adding or self.organization_id is None:
            return
        was = Branch.objects.filter(pk=self.pk).values_list("organization_id", flat=True).first()
        moved = was is not None and was != self.organization_id
        if moved and (self.members.exists() or self.facilities.exists() or self.classes.exists()):
            raise ValidationError(
                {"organization": "A branch with members, facilities or classes stays in its organization."}
            )

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)
