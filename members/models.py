"""Members of the club and what their membership entitles them to."""

from django.contrib.postgres.indexes import OpClass
from django.db import models
from django.db.models import F, Func, Value
from django.db.models.functions import Lower, Now, Upper

from clubs.models import TenantModel


class MemberStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    FROZEN = "frozen", "Frozen"
    CANCELLED = "cancelled", "Cancelled"


class Member(TenantModel):
    Status = MemberStatus

    home_branch = models.ForeignKey("clubs.Branch", on_delete=models.PROTECT, related_name="members")
    auth_user_id = models.UUIDField(
        "Supabase auth user id",
        unique=True,
        null=True,
        blank=True,
        help_text="The member's user in Supabase Auth (auth.users.id); empty until they sign up in the app.",
    )
    member_number = models.CharField(max_length=32)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    # The phone's digits alone, so "+44 7700 900123" is found by typing 7700900.
    phone_digits = models.GeneratedField(
        expression=Func(F("phone"), Value(r"\D"), Value(""), Value("g"), function="regexp_replace"),
        output_field=models.CharField(max_length=32),
        db_persist=True,
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE, db_default=Status.ACTIVE)
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    tenant_parent = "home_branch"

    class Meta:
        db_table = "members"
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "member_number"], name="members_number_unique_per_org"),
            models.UniqueConstraint(fields=["id", "organization"], name="members_id_organization_key"),
            models.CheckConstraint(
                condition=models.Q(status__in=MemberStatus.values),
                name="members_status_valid",
            ),
            models.CheckConstraint(condition=~models.Q(member_number=""), name="members_number_not_blank"),
        ]
        indexes = [
            models.Index(fields=["organization", "last_name", "first_name"], name="members_org_name_idx"),
            # Prefix searches of the front desk's member search (search_members).
            models.Index(OpClass(Lower("last_name"), name="text_pattern_ops"), name="members_last_name_prefix_idx"),
            models.Index(OpClass(Lower("first_name"), name="text_pattern_ops"), name="members_first_name_prefix_idx"),
            models.Index(OpClass(Lower("email"), name="text_pattern_ops"), name="members_email_prefix_idx"),
            models.Index(OpClass(Upper("member_number"), name="text_pattern_ops"), name="members_number_prefix_idx"),
            models.Index(OpClass("phone_digits", name="text_pattern_ops"), name="members_phone_prefix_idx"),
            models.Index(fields=["status"], name="members_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} (#{self.member_number})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


class BenefitKind(models.TextChoices):
    """What an entitlement counts: sessions at any recovery facility, or classes."""

    RECOVERY = "recovery", "Recovery sessions"
    CLASS = "class", "Classes"


class EntitlementPeriod(models.TextChoices):
    WEEK = "week", "per week"
    MONTH = "month", "per month"


class Entitlement(TenantModel):
    Period = EntitlementPeriod

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="entitlements")
    benefit_kind = models.CharField(max_length=20, choices=BenefitKind.choices)
    quota = models.PositiveSmallIntegerField(help_text="Bookings allowed per period.")
    period = models.CharField(max_length=8, choices=Period.choices, default=Period.WEEK)

    tenant_parent = "member"

    class Meta:
        db_table = "entitlements"
        ordering = ["member", "benefit_kind"]
        constraints = [
            models.UniqueConstraint(fields=["member", "benefit_kind"], name="entitlements_one_per_kind"),
            models.CheckConstraint(condition=models.Q(quota__gt=0), name="entitlements_quota_positive"),
            models.CheckConstraint(
                condition=models.Q(period__in=EntitlementPeriod.values),
                name="entitlements_period_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(benefit_kind__in=BenefitKind.values),
                name="entitlements_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quota} {self.get_benefit_kind_display()} {self.get_period_display()}"
