"""Recovery facilities (sauna, cold plunge…), their booking settings and their bookable slots."""

import datetime

from django import forms
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Value
from django.db.models.functions import Now

from clubs.models import TenantModel


class Weekday(models.IntegerChoices):
    """ISO weekday numbers, as PostgreSQL's `extract(isodow from …)` gives them."""

    MONDAY = 1, "Monday"
    TUESDAY = 2, "Tuesday"
    WEDNESDAY = 3, "Wednesday"
    THURSDAY = 4, "Thursday"
    FRIDAY = 5, "Friday"
    SATURDAY = 6, "Saturday"
    SUNDAY = 7, "Sunday"


def every_weekday() -> list[int]:
    return list(Weekday.values)


class WeekdaysField(ArrayField):
    """A set of ISO weekdays, edited as a row of checkboxes."""

    def __init__(self, **kwargs):
        kwargs["base_field"] = models.SmallIntegerField(choices=Weekday.choices)
        super().__init__(**kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("base_field", None)
        return name, path, args, kwargs

    def formfield(self, **kwargs):
        # Skip ArrayField's comma-separated text input; Field.formfield still supplies label,
        # help text and the default as the initial value.
        return models.Field.formfield(
            self,
            **{
                "form_class": forms.TypedMultipleChoiceField,
                "choices": Weekday.choices,
                "coerce": int,
                "widget": forms.CheckboxSelectMultiple,
                **kwargs,
            },
        )


class FacilityKind(models.TextChoices):
    SAUNA = "sauna", "Sauna"
    INFRARED_SAUNA = "infrared_sauna", "Infrared sauna"
    STEAM_ROOM = "steam_room", "Steam room"
    COLD_PLUNGE = "cold_plunge", "Cold plunge"
    HOT_TUB = "hot_tub", "Hot tub"
    CRYOTHERAPY = "cryotherapy", "Cryotherapy"
    COMPRESSION = "compression", "Compression therapy"
    OTHER = "other", "Other"


class Facility(TenantModel):
    Kind = FacilityKind

    branch = models.ForeignKey("clubs.Branch", on_delete=models.PROTECT, related_name="facilities")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=FacilityKind.choices)
    is_active = models.BooleanField(default=True, db_default=True)
    under_maintenance = models.BooleanField(default=False, db_default=False)
    available_days = WeekdaysField(
        default=every_weekday,
        db_default=Value(Weekday.values, output_field=ArrayField(models.SmallIntegerField())),
        help_text="Days of the week on which slots are generated.",
    )
    capacity = models.PositiveSmallIntegerField(help_text="People per slot, unless the settings say otherwise.")
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    tenant_parent = "branch"

    class Meta:
        db_table = "facilities"
        verbose_name_plural = "facilities"
        ordering = ["branch__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["branch", "name"], name="facilities_name_unique_per_branch"),
            models.UniqueConstraint(fields=["id", "organization"], name="facilities_id_organization_key"),
            models.CheckConstraint(condition=models.Q(capacity__gt=0), name="facilities_capacity_positive"),
            models.CheckConstraint(condition=models.Q(kind__in=FacilityKind.values), name="facilities_kind_valid"),
            models.CheckConstraint(
                condition=models.Q(available_days__contained_by=Weekday.values),
                name="facilities_available_days_are_weekdays",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.branch})"


class BenefitSetting(TenantModel):
    """How a facility is booked. Without a row, slot generation uses the field defaults."""

    facility = models.OneToOneField(Facility, on_delete=models.CASCADE, related_name="settings")
    opens_at = models.TimeField(default=datetime.time(6, 0), db_default=datetime.time(6, 0))
    closes_at = models.TimeField(default=datetime.time(22, 0), db_default=datetime.time(22, 0))
    slot_minutes = models.PositiveSmallIntegerField("slot length (minutes)", default=30, db_default=30)
    capacity = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="People per slot; empty means the facility's capacity."
    )
    booking_window_days = models.PositiveSmallIntegerField(
        default=7, db_default=7, help_text="How many days ahead members may book."
    )
    cancellation_cutoff_minutes = models.PositiveIntegerField(
        default=120,
        db_default=120,
        help_text="Cancelling later than this before the start counts as a late cancellation.",
    )
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    tenant_parent = "facility"

    class Meta:
        db_table = "benefit_settings"
        verbose_name = "booking settings"
        verbose_name_plural = "booking settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="benefit_settings_closes_after_opens",
            ),
            models.CheckConstraint(
                condition=models.Q(slot_minutes__gt=0, slot_minutes__lte=24 * 60),
                name="benefit_settings_slot_length_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(capacity__isnull=True) | models.Q(capacity__gt=0),
                name="benefit_settings_capacity_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(booking_window_days__lte=365),
                name="benefit_settings_window_at_most_a_year",
            ),
        ]

    def __str__(self) -> str:
        return f"Settings of {self.facility.name}"


class BenefitSlot(TenantModel):
    """One bookable time at a facility; generated from its settings (see `ensure_slots`)."""

    # Indexed by the unique (facility, starts_at) key, which leads with it.
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="slots", db_index=False)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.PositiveSmallIntegerField()

    tenant_parent = "facility"

    class Meta:
        db_table = "benefit_slots"
        verbose_name = "recovery slot"
        ordering = ["starts_at", "facility"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "starts_at"], name="benefit_slots_unique_start"),
            models.UniqueConstraint(fields=["id", "organization"], name="benefit_slots_id_organization_key"),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="benefit_slots_ends_after_start"
            ),
            models.CheckConstraint(condition=models.Q(capacity__gt=0), name="benefit_slots_capacity_positive"),
        ]
        indexes = [
            models.Index(fields=["organization", "starts_at"], name="benefit_slots_org_start_idx"),
        ]

    def __str__(self) -> str:
        local_start = self.starts_at.astimezone(self.facility.branch.zone)
        return f"{self.facility.name}, {local_start:%a %d %b %H:%M}"
