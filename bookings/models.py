"""Bookings of recovery slots and of classes, by staff (concierge) or by members (app)."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Value
from django.db.models.functions import Length, Now
from django.db.models.lookups import LessThanOrEqual

from clubs.models import TenantModel, time_ordered_key
from config.rules import n_of_m


class BookingStatus(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    WAITLISTED = "waitlisted", "Waitlisted"
    CANCELLED = "cancelled", "Cancelled"
    ATTENDED = "attended", "Attended"
    NO_SHOW = "no_show", "No-show"


# Bookings that take one of the places counted against capacity; the SQL reads the same list
# (app_private.place_holding_statuses(), generated from here).
PLACE_HOLDING_STATUSES = [BookingStatus.CONFIRMED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW]
# What a member's entitlement counts, by kind of item: "2 of 4 recovery sessions used this week".
ENTITLEMENT_UNITS = {"slot": "recovery sessions", "class": "classes"}
# A class cancelled later than this before its start is a late cancellation (facilities have
# their own cutoff in their settings).
CLASS_CANCELLATION_CUTOFF_MINUTES = 60
# Check-in opens this long before the start (the desk offers it from then on).
CHECK_IN_OPENS_MINUTES_BEFORE = 60


def render_engine_constants_sql() -> str:
    """The booking engine's constants as SQL (bookings/sql/engine/, written by manage.py
    freeze_sql). Immutable, so the planner reads each once per statement, as if written in."""
    statuses = ", ".join(f"'{status}'" for status in PLACE_HOLDING_STATUSES)
    units = " ".join(f"when '{kind}' then '{unit}'" for kind, unit in ENTITLEMENT_UNITS.items())
    return f"""-- Generated from bookings/models.py (manage.py freeze_sql writes it): do not edit.
create or replace function app_private.place_holding_statuses() returns text[]
    language plpgsql immutable
    set search_path = ''
as $$
begin
    return array[{statuses}];
end
$$;

create or replace function app_private.entitlement_unit(p_kind text) returns text
    language plpgsql immutable
    set search_path = ''
as $$
begin
    return case p_kind {units} end;
end
$$;

create or replace function app_private.class_cancellation_cutoff_minutes() returns integer
    language plpgsql immutable
    set search_path = ''
as $$
begin
    return {CLASS_CANCELLATION_CUTOFF_MINUTES};
end
$$;

create or replace function app_private.check_in_opens_minutes_before() returns integer
    language plpgsql immutable
    set search_path = ''
as $$
begin
    return {CHECK_IN_OPENS_MINUTES_BEFORE};
end
$$;
"""


class BookingChannel(models.TextChoices):
    CONCIERGE = "concierge", "Concierge (staff)"
    MEMBER_APP = "member_app", "Member app"
    API = "api", "API"


# The longest override note a booking keeps; the forms and the API that take one read it here.
OVERRIDE_NOTE_MAX_LENGTH = 500


class OverrideReason(models.TextChoices):
    """Why a manager booked beyond capacity or entitlement; the note says the rest."""

    VIP = "vip", "VIP or guest of the club"
    MEDICAL = "medical", "Medical or physio referral"
    SERVICE_RECOVERY = "service_recovery", "Making up for a problem we caused"
    STAFF_ERROR = "staff_error", "Correcting a staff mistake"
    MANAGER_DISCRETION = "manager_discretion", "Manager's discretion"
    OTHER = "other", "Other (explain in the note)"


class OverrideRecord:
    """What a booking records of a manager's override, read the same from either booking table
    and from the relation of all bookings (ItemBooking)."""

    @property
    def places_when_overridden(self) -> str:
        """ "11 of 10": the places taken with this booking against the capacity, when an override
        booked it beyond capacity; else empty."""
        if self.capacity_at_booking is None or "capacity" not in self.overridden_rules:
            return ""
        return n_of_m(self.places_taken_before + 1, self.capacity_at_booking)

    @property
    def override_description(self) -> str:
        """ "VIP or guest of the club: Guest of the owner": the manager's reason and their note."""
        return f"{self.get_override_reason_code_display()}: {self.override_reason}"


class Booking(OverrideRecord, TenantModel):
    """What both kinds of booking share; each subclass adds the slot or class it books."""

    Status = BookingStatus
    Channel = BookingChannel

    # Time-ordered, as the engine makes them (app_private.book): a new booking is appended to its
    # key's index, not written into a random page of it.
    id = time_ordered_key()
    # The member, slot or class and organization are each checked by a composite foreign key
    # (item or member, organization) -> (id, organization_id) (bookings/migrations/0002); a
    # second, single-column check of the same reference would only cost every booking.
    organization = models.ForeignKey(
        "clubs.Organization",
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_constraint=False,
        db_index=False,  # (organization, created_at) serves it
    )
    member = models.ForeignKey(
        "members.Member",
        on_delete=models.PROTECT,
        related_name="%(class)ss",
        db_constraint=False,
        db_index=False,  # (member, organization) serves it
    )
    status = models.CharField(
        max_length=12,
        choices=BookingStatus.choices,
        default=BookingStatus.CONFIRMED,
        db_default=BookingStatus.CONFIRMED,
    )
    capacity_override = models.BooleanField(
        default=False, db_default=False, help_text="Booked beyond capacity by a manager's decision."
    )
    override_reason_code = models.CharField(
        "override reason", max_length=20, choices=OverrideReason.choices, blank=True, default="", db_default=""
    )
    override_reason = models.TextField(
        "override note", max_length=OVERRIDE_NOTE_MAX_LENGTH, blank=True, default="", db_default=""
    )
    overridden_rules = ArrayField(
        models.CharField(max_length=20),
        default=list,
        db_default=Value([], output_field=ArrayField(models.CharField(max_length=20))),
        blank=True,
        help_text="Which rules the override set aside: capacity, entitlement.",
    )
    capacity_at_booking = models.PositiveSmallIntegerField(null=True, blank=True)
    places_taken_before = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="With capacity_at_booking: booked 11 of 10 reads 10 taken before, capacity 10."
    )
    booked_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The staff member who booked; empty when the member booked themselves.",
    )
    channel = models.CharField(max_length=12, choices=BookingChannel.choices)
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())
    cancelled_at = models.DateTimeField(null=True, blank=True)
    is_late_cancellation = models.BooleanField(default=False, db_default=False)
    checked_in_at = models.DateTimeField(null=True, blank=True)

    tenant_parent = "member"

    class Meta:
        abstract = True

    @property
    def item_id(self):
        """The slot's or class's id: the bookable item (BookableItem) this books."""
        return getattr(self, f"{self.item_field}_id")


def booking_constraints(table: str, booked_item: str) -> list[models.BaseConstraint]:
    """The rules both booking tables enforce, named after the table."""
    return [
        models.UniqueConstraint(
            fields=[booked_item, "member"],
            condition=~models.Q(status=BookingStatus.CANCELLED),
            name=f"{table}_one_live_per_member",
            violation_error_message="This member already has a booking here.",
        ),
        models.CheckConstraint(condition=models.Q(status__in=BookingStatus.values), name=f"{table}_status_valid"),
        models.CheckConstraint(condition=models.Q(channel__in=BookingChannel.values), name=f"{table}_channel_valid"),
        models.CheckConstraint(
            condition=models.Q(capacity_override=False)
            | (~models.Q(override_reason__regex=r"^\s*$") & ~models.Q(override_reason_code="")),
            name=f"{table}_override_needs_reason",
            violation_error_message="A capacity override needs a reason and a note.",
        ),
        models.CheckConstraint(
            condition=models.Q(override_reason_code__in=["", *OverrideReason.values]),
            name=f"{table}_override_reason_valid",
        ),
        models.CheckConstraint(
            condition=LessThanOrEqual(Length("override_reason"), OVERRIDE_NOTE_MAX_LENGTH),
            name=f"{table}_override_note_length",
            violation_error_message=f"An override note is at most {OVERRIDE_NOTE_MAX_LENGTH} characters.",
        ),
        models.CheckConstraint(
            condition=models.Q(status=BookingStatus.CANCELLED, cancelled_at__isnull=False)
            | (~models.Q(status=BookingStatus.CANCELLED) & models.Q(cancelled_at__isnull=True)),
            name=f"{table}_cancelled_at_iff_cancelled",
        ),
    ]


def booking_indexes(prefix: str, booked_item: str) -> list[models.Index]:
    """Django caps index names at 30 characters, hence a short prefix rather than the table name.

    The member and the booked item are each indexed with the organization, the columns of their
    composite tenant keys (bookings/migrations/0002), which lead as a foreign key's index must.
    """
    return [
        models.Index(fields=["organization", "-created_at"], name=f"{prefix}_org_created_idx"),
        models.Index(fields=["member", "organization"], name=f"{prefix}_member_org_idx"),
        models.Index(fields=[booked_item, "organization"], name=f"{prefix}_item_org_idx"),
    ]


class BenefitBooking(Booking):
    item_field = "slot"
    slot = models.ForeignKey(
        "facilities.BenefitSlot",
        on_delete=models.PROTECT,
        related_name="bookings",
        db_constraint=False,
        db_index=False,  # (slot, organization) serves it
    )

    class Meta:
        db_table = "benefit_bookings"
        verbose_name = "recovery booking"
        ordering = ["-created_at"]
        # One permission for both kinds of booking: `bookings.override_capacity`.
        permissions = [("override_capacity", "Can book beyond capacity or entitlement, with a reason")]
        constraints = booking_constraints("benefit_bookings", "slot")
        indexes = booking_indexes("bbook", "slot")

    def __str__(self) -> str:
        return f"{self.member} at {self.slot}"


class ClassBooking(Booking):
    item_field = "scheduled_class"
    scheduled_class = models.ForeignKey(
        "classes.ScheduledClass",
        on_delete=models.PROTECT,
        related_name="bookings",
        db_column="class_id",
        db_constraint=False,
        db_index=False,  # (scheduled_class, organization) serves it
    )

    class Meta:
        db_table = "class_bookings"
        verbose_name = "class booking"
        ordering = ["-created_at"]
        constraints = booking_constraints("class_bookings", "scheduled_class")
        indexes = booking_indexes("cbook", "scheduled_class")

    def __str__(self) -> str:
        return f"{self.member} in {self.scheduled_class}"


class BookableItem(models.Model):
    """A recovery slot or a class, whichever: a row of the engine's relation
    app_private.bookable_items (bookings/sql/engine/10_relations.sql), read-only. The concierge's
    day, the API's lists and the front desk's screens read items through it."""

    kind = models.CharField(max_length=5)
    id = models.UUIDField(primary_key=True)
    organization = models.ForeignKey("clubs.Organization", models.DO_NOTHING, related_name="+")
    branch = models.ForeignKey("clubs.Branch", models.DO_NOTHING, related_name="+")
    time_zone = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    facility = models.ForeignKey("facilities.Facility", models.DO_NOTHING, null=True, related_name="+")
    instructor = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    capacity = models.IntegerField()
    places_taken = models.IntegerField()
    closed_reason = models.TextField(null=True)
    window_days = models.IntegerField(null=True)
    cutoff_minutes = models.IntegerField()
    benefit_kind = models.CharField(max_length=10)

    class Meta:
        managed = False
        db_table = 'app_private"."bookable_items'

    @property
    def remaining(self) -> int:
        """Places still free (none when an override booked beyond capacity)."""
        return max(self.capacity - self.places_taken, 0)

    @property
    def is_full(self) -> bool:
        return self.places_taken >= self.capacity

    @property
    def is_closed(self) -> bool:
        """Cancelled (a class), closed or under maintenance (a facility's slot)."""
        return self.closed_reason is not None


class ItemBooking(OverrideRecord, models.Model):
    """A booking of a slot or a class, whichever, with its item's time and title: a row of
    app_private.item_bookings, read-only. Bookings are written only by the engine."""

    kind = models.CharField(max_length=5)
    id = models.UUIDField(primary_key=True)
    item = models.ForeignKey(BookableItem, models.DO_NOTHING, related_name="bookings")
    organization = models.ForeignKey("clubs.Organization", models.DO_NOTHING, related_name="+")
    member = models.ForeignKey("members.Member", models.DO_NOTHING, related_name="+")
    status = models.CharField(max_length=12, choices=BookingStatus.choices)
    created_at = models.DateTimeField()
    checked_in_at = models.DateTimeField(null=True)
    capacity_override = models.BooleanField()
    override_reason_code = models.CharField("override reason", max_length=20, choices=OverrideReason.choices)
    override_reason = models.TextField("override note")
    overridden_rules = ArrayField(models.CharField(max_length=20))
    capacity_at_booking = models.IntegerField(null=True)
    places_taken_before = models.IntegerField(null=True)
    booked_by_user = models.ForeignKey(settings.AUTH_USER_MODEL, models.DO_NOTHING, null=True, related_name="+")
    is_late_cancellation = models.BooleanField()
    benefit_kind = models.CharField(max_length=10)
    branch = models.ForeignKey("clubs.Branch", models.DO_NOTHING, related_name="+")
    time_zone = models.CharField(max_length=64)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    title = models.CharField(max_length=200)
    cancelled_at = models.DateTimeField(null=True)

    class Meta:
        managed = False
        db_table = 'app_private"."item_bookings'
