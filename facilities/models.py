"""Recovery facilities (sauna, cold plunge…), their booking settings and their bookable slots."""

import datetime
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Value
from django.db.models.functions import Now

from clubs import localtime
from clubs.constraints import FieldCheckConstraint, capacity_at_least_one, ends_after_start, not_blank
from clubs.models import TenantModel, time_ordered_key
from clubs.runs import RUN_MAX_DAYS


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

    # Indexed by (branch, organization), which serves the composite tenant key too.
    branch = models.ForeignKey("clubs.Branch", on_delete=models.PROTECT, related_name="facilities", db_index=False)
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
            models.UniqueConstraint(
                fields=["branch", "name"],
                name="facilities_name_unique_per_branch",
                violation_error_message="This branch already has a facility of this name.",
            ),
            models.UniqueConstraint(fields=["id", "organization"], name="facilities_id_organization_key"),
            capacity_at_least_one("facilities"),
            FieldCheckConstraint(
                condition=models.Q(kind__in=FacilityKind.values),
                name="facilities_kind_valid",
                field="kind",
                violation_error_message="Choose one of the listed kinds.",
            ),
            FieldCheckConstraint(
                condition=models.Q(available_days__contained_by=Weekday.values),
                name="facilities_available_days_are_weekdays",
                field="available_days",
                violation_error_message="Choose days of the week.",
            ),
            not_blank("name", table="facilities", message="Enter the facility's name."),
        ]
        indexes = [
            # The composite tenant key (branch_id, organization_id) -> branches (clubs/tenancy.py).
            models.Index(fields=["branch", "organization"], name="facilities_branch_org_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.branch})"


@dataclass(frozen=True)
class FacilityDefaults:
    """How a facility is booked until a manager says otherwise: the settings form's initial values,
    the columns' defaults, and what the SQL (`app_private.default_opens_at()` and its siblings,
    generated from here) uses for a facility without a settings row."""

    opens_at: datetime.time = datetime.time(6, 0)
    closes_at: datetime.time = datetime.time(22, 0)
    slot_minutes: int = 30
    booking_window_days: int = 7
    cancellation_cutoff_minutes: int = 120


FACILITY_DEFAULTS = FacilityDefaults()


def render_defaults_sql() -> str:
    """FACILITY_DEFAULTS and RUN_MAX_DAYS as SQL (facilities/sql/defaults/, written by
    manage.py freeze_sql): immutable functions without arguments, so the planner puts each value
    into a query as a constant."""
    d = FACILITY_DEFAULTS
    values = {
        "opens_at": ("time", f"time '{d.opens_at:%H:%M}'"),
        "closes_at": ("time", f"time '{d.closes_at:%H:%M}'"),
        "slot_minutes": ("integer", d.slot_minutes),
        "booking_window_days": ("integer", d.booking_window_days),
        "cancellation_cutoff_minutes": ("integer", d.cancellation_cutoff_minutes),
    }
    functions = "".join(
        f"""
create or replace function app_private.default_{name}() returns {sql_type}
    language plpgsql immutable
    set search_path = ''
as $$
begin
    return {value};
end
$$;
"""
        for name, (sql_type, value) in values.items()
    )
    return f"""-- Generated from facilities.models.FACILITY_DEFAULTS (manage.py freeze_sql writes it): do not edit.
-- One scalar function per value: the planner folds a call of each into a constant.
{functions}
create or replace function app_private.slot_run_max_days() returns integer
    language plpgsql immutable
    set search_path = ''
as $$
begin
    return {RUN_MAX_DAYS};
end
$$;
"""


class BenefitSetting(TenantModel):
    """How a facility is booked. Without a row, slot generation uses FACILITY_DEFAULTS."""

    facility = models.OneToOneField(Facility, on_delete=models.CASCADE, related_name="settings")
    opens_at = models.TimeField(default=FACILITY_DEFAULTS.opens_at, db_default=FACILITY_DEFAULTS.opens_at)
    closes_at = models.TimeField(default=FACILITY_DEFAULTS.closes_at, db_default=FACILITY_DEFAULTS.closes_at)
    slot_minutes = models.PositiveSmallIntegerField(
        "slot length (minutes)", default=FACILITY_DEFAULTS.slot_minutes, db_default=FACILITY_DEFAULTS.slot_minutes
    )
    capacity = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="People per slot; empty means the facility's capacity."
    )
    booking_window_days = models.PositiveSmallIntegerField(
        default=FACILITY_DEFAULTS.booking_window_days,
        db_default=FACILITY_DEFAULTS.booking_window_days,
        help_text="How many days ahead members may book.",
    )
    cancellation_cutoff_minutes = models.PositiveIntegerField(
        default=FACILITY_DEFAULTS.cancellation_cutoff_minutes,
        db_default=FACILITY_DEFAULTS.cancellation_cutoff_minutes,
        help_text="Cancelling later than this before the start counts as a late cancellation.",
    )
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    tenant_parent = "facility"

    class Meta:
        db_table = "benefit_settings"
        verbose_name = "booking settings"
        verbose_name_plural = "booking settings"
        constraints = [
            FieldCheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="benefit_settings_closes_after_opens",
                field="closes_at",
                violation_error_message="Closing time must be later than opening time, on the same day.",
            ),
            FieldCheckConstraint(
                condition=models.Q(slot_minutes__gt=0, slot_minutes__lte=24 * 60),
                name="benefit_settings_slot_length_valid",
                field="slot_minutes",
                violation_error_message="A slot lasts from 1 to 1440 minutes (24 hours).",
            ),
            capacity_at_least_one(
                "benefit_settings", nullable=True, also=" Leave it empty to use the facility's capacity."
            ),
            FieldCheckConstraint(
                condition=models.Q(booking_window_days__lte=365),
                name="benefit_settings_window_at_most_a_year",
                field="booking_window_days",
                violation_error_message="Members can book at most 365 days ahead.",
            ),
        ]
        indexes = [
            # The one-to-one key's unique index leads with facility alone; the composite tenant key
            # (facility_id, organization_id) -> facilities (clubs/tenancy.py) needs both columns.
            models.Index(fields=["facility", "organization"], name="benefit_settings_fac_org_idx"),
        ]

    def __str__(self) -> str:
        return f"Settings of {self.facility.name}"


class BenefitSlot(TenantModel):
    """One bookable time at a facility; generated from its settings (see `ensure_slots`).

    Written a year of a branch at a time, so it carries no key, index or check that another one
    already enforces: every one costs each slot written (benchmarks/slot_generation.py)."""

    id = time_ordered_key()
    # The composite tenant key (facility_id, organization_id) -> facilities (clubs/tenancy.py) checks
    # both the facility and the organization: the facility's own key to its organization covers the
    # organization, and a single-column key to the facility would check the same again.
    organization = models.ForeignKey(
        "clubs.Organization", on_delete=models.PROTECT, related_name="+", editable=False,
        db_constraint=False, db_index=False,  # (organization, starts_at) serves it
    )  # fmt: skip
    # Indexed by the unique (facility, starts_at) key and (facility, organization) for the tenant key.
    facility = models.ForeignKey(
        Facility, on_delete=models.CASCADE, related_name="slots", db_index=False, db_constraint=False
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    # At least 1 by capacity_at_least_one: a PositiveSmallIntegerField would add ">= 0" to it.
    capacity = models.SmallIntegerField()

    tenant_parent = "facility"

    class Meta:
        db_table = "benefit_slots"
        verbose_name = "recovery slot"
        ordering = ["starts_at", "facility"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "starts_at"],
                name="benefit_slots_unique_start",
                violation_error_message="This facility already has a slot that starts then.",
            ),
            models.UniqueConstraint(fields=["id", "organization"], name="benefit_slots_id_organization_key"),
            ends_after_start("benefit_slots", "A slot"),
            capacity_at_least_one("benefit_slots"),
        ]
        indexes = [
            models.Index(fields=["organization", "starts_at"], name="benefit_slots_org_start_idx"),
            # The composite tenant key (facility_id, organization_id) -> facilities (clubs/tenancy.py).
            models.Index(fields=["facility", "organization"], name="benefit_slots_facility_org_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.facility.name}, {localtime.local_datetime(self.starts_at, self.facility.branch)}"


class ClosureReason(models.TextChoices):
    MAINTENANCE = "maintenance", "Maintenance"
    HOLIDAY = "holiday", "Holiday"
    PRIVATE_EVENT = "private_event", "Private event"
    OTHER = "other", "Other"


CLOSURE_NOTE_MAX_LENGTH = 300


class Closure(TenantModel):
    """A facility, a room or a whole branch closed from `starts_at` to `ends_at`, with a reason.

    What it covers is closed while the closure is open (the booking engine refuses it, every list
    says why): a facility's slots; the classes held in a room (by the room's name on the class);
    a whole branch's slots and classes. Nothing is written to the slots or classes themselves, so
    reopening restores exactly what the closure closed, and slots or classes made later inside its
    range are closed too. Overlapping open closures and closures in the past are refused by the
    table's trigger (facilities/sql/closures/)."""

    branch = models.ForeignKey("clubs.Branch", on_delete=models.PROTECT, related_name="closures", db_index=False)
    facility = models.ForeignKey(
        Facility, on_delete=models.PROTECT, null=True, blank=True, related_name="closures", db_index=False,
        help_text="Close one facility's slots. Leave empty (and the room too) to close the whole branch.",
    )  # fmt: skip
    room = models.CharField(
        max_length=200, blank=True, default="", db_default="",
        help_text="Close the classes held in this room (as the classes name it).",
    )  # fmt: skip
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=20, choices=ClosureReason.choices)
    note = models.CharField(
        max_length=CLOSURE_NOTE_MAX_LENGTH, blank=True, default="", db_default="",
        help_text="What members and staff are told, e.g. “New heater being fitted”.",
    )  # fmt: skip
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        db_constraint=False, editable=False,
    )  # fmt: skip
    reopened_at = models.DateTimeField(null=True, blank=True, editable=False)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        db_constraint=False, editable=False,
    )  # fmt: skip

    tenant_parent = "branch"

    class Meta:
        db_table = "closures"
        ordering = ["-starts_at"]
        constraints = [
            ends_after_start("closures", "A closure"),
            FieldCheckConstraint(
                condition=models.Q(reason__in=ClosureReason.values),
                name="closures_reason_valid",
                field="reason",
                violation_error_message="Choose one of the listed reasons.",
            ),
            FieldCheckConstraint(
                condition=models.Q(facility__isnull=True) | models.Q(room=""),
                name="closures_facility_or_room",
                field="room",
                violation_error_message="Close either a facility or a room, not both.",
            ),
        ]
        indexes = [
            # The composite tenant key (branch_id, organization_id) -> branches (clubs/tenancy.py),
            # and every "is this item closed" lookup (the closures of a branch that end after the item starts).
            models.Index(fields=["branch", "organization"], name="closures_branch_org_idx"),
            models.Index(fields=["branch", "ends_at"], name="closures_branch_end_idx"),
            models.Index(fields=["facility", "organization"], name="closures_facility_org_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.what_is_closed}, {self.get_reason_display().lower()}"

    @property
    def what_is_closed(self) -> str:
        if self.facility_id:
            return self.facility.name
        if self.room:
            return f"room {self.room}"
        return f"the whole of {self.branch.name}"
