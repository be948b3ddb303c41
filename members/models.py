"""Members of the club and what their membership entitles them to."""

from django.conf import settings
from django.contrib.postgres.indexes import OpClass
from django.db import models
from django.db.models import F, Func, Value
from django.db.models.functions import Lower, Now, Reverse, Upper

from clubs.constraints import FieldCheckConstraint, not_blank
from clubs.models import TenantModel

# A phone number as people write it: an optional leading +, then 6 to 15 digits (E.164 allows
# at most 15) that spaces, brackets and dashes may separate. "+44 (0)7700 900123", "020 7946 0000".
PHONE_PATTERN = r"^\+?[ ()-]*([0-9][ ()-]*){6,15}$"
PHONE_DIGITS = Func(F("phone"), Value(r"\D"), Value(""), Value("g"), function="regexp_replace")


class MemberStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    FROZEN = "frozen", "Frozen"
    CANCELLED = "cancelled", "Cancelled"


class Member(TenantModel):
    Status = MemberStatus

    # Indexed by (home_branch, organization), which serves the composite tenant key too.
    home_branch = models.ForeignKey("clubs.Branch", on_delete=models.PROTECT, related_name="members", db_index=False)
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
    phone = models.CharField(max_length=32, blank=True, help_text="For example +44 7700 900123 or 020 7946 0000.")
    # The phone's digits alone, so "+44 7700 900123" is found by typing its start, 447700.
    phone_digits = models.GeneratedField(
        expression=PHONE_DIGITS,
        output_field=models.CharField(max_length=32),
        db_persist=True,
    )
    # Its significant digits (no trunk 0, written "(0)" or in front, no international 00)
    # reversed, so that "ends with" is a prefix search on an index: 07700 900123, 7700900123 and
    # 900123 all find +44 (0)7700 900123. members/sql/member_search/ reads a query the same way.
    phone_reversed = models.GeneratedField(
        expression=Reverse(
            Func(
                Func(F("phone"), Value(r"\(0\)|\D"), Value(""), Value("g"), function="regexp_replace"),
                Value("0"),
                function="ltrim",
            )
        ),
        output_field=models.CharField(max_length=32),
        db_persist=True,
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE, db_default=Status.ACTIVE)
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    tenant_parent = "home_branch"

    class Meta:
        db_table = "members"
        ordering = ["last_name", "first_name"]
        # Front-desk staff register a walk-in at the counter (a few fields) without the right to
        # add or edit members in general.
        permissions = [("add_walk_in", "Can register a walk-in member at the desk")]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "member_number"],
                name="members_number_unique_per_org",
                violation_error_message="Another member of this club has this member number.",
            ),
            models.UniqueConstraint(fields=["id", "organization"], name="members_id_organization_key"),
            FieldCheckConstraint(
                condition=models.Q(status__in=MemberStatus.values),
                name="members_status_valid",
                field="status",
                violation_error_message="Choose active, frozen or cancelled.",
            ),
            FieldCheckConstraint(
                condition=~models.Q(member_number=""),
                name="members_number_not_blank",
                field="member_number",
                violation_error_message="Enter the member number.",
            ),
            not_blank("first_name", table="members", message="Enter the member's first name."),
            not_blank("last_name", table="members", message="Enter the member's last name."),
            FieldCheckConstraint(
                condition=models.Q(phone="") | models.Q(phone__regex=PHONE_PATTERN),
                name="members_phone_valid",
                field="phone",
                violation_error_message=(
                    "Enter a phone number of 6 to 15 digits, with a + in front for an international one; "
                    "spaces, brackets and dashes may separate them."
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "last_name", "first_name"], name="members_org_name_idx"),
            # Prefix searches of the front desk's member search (search_members).
            models.Index(OpClass(Lower("last_name"), name="text_pattern_ops"), name="members_last_name_prefix_idx"),
            models.Index(OpClass(Lower("first_name"), name="text_pattern_ops"), name="members_first_name_prefix_idx"),
            models.Index(OpClass(Lower("email"), name="text_pattern_ops"), name="members_email_prefix_idx"),
            models.Index(OpClass(Upper("member_number"), name="text_pattern_ops"), name="members_number_prefix_idx"),
            models.Index(OpClass("phone_digits", name="text_pattern_ops"), name="members_phone_prefix_idx"),
            models.Index(OpClass("phone_reversed", name="text_pattern_ops"), name="members_phone_reversed_idx"),
            models.Index(fields=["status"], name="members_status_idx"),
            # The composite tenant key (home_branch_id, organization_id) -> branches (clubs/tenancy.py).
            models.Index(fields=["home_branch", "organization"], name="members_branch_org_idx"),
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

    # Indexed by (member, organization), which serves the composite tenant key too.
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="entitlements", db_index=False)
    benefit_kind = models.CharField(max_length=20, choices=BenefitKind.choices)
    quota = models.PositiveSmallIntegerField(help_text="Bookings allowed per period.")
    period = models.CharField(max_length=8, choices=Period.choices, default=Period.WEEK)

    tenant_parent = "member"

    class Meta:
        db_table = "entitlements"
        ordering = ["member", "benefit_kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "benefit_kind"],
                name="entitlements_one_per_kind",
                violation_error_message="This member already has an entitlement of this kind.",
            ),
            FieldCheckConstraint(
                condition=models.Q(quota__gt=0),
                name="entitlements_quota_positive",
                field="quota",
                violation_error_message="A quota is at least 1 booking per period.",
            ),
            FieldCheckConstraint(
                condition=models.Q(period__in=EntitlementPeriod.values),
                name="entitlements_period_valid",
                field="period",
                violation_error_message="Choose per week or per month.",
            ),
            FieldCheckConstraint(
                condition=models.Q(benefit_kind__in=BenefitKind.values),
                name="entitlements_kind_valid",
                field="benefit_kind",
                violation_error_message="Choose recovery sessions or classes.",
            ),
        ]
        indexes = [
            # The composite tenant key (member_id, organization_id) -> members (clubs/tenancy.py).
            models.Index(fields=["member", "organization"], name="entitlements_member_org_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.quota} {self.get_benefit_kind_display()} {self.get_period_display()}"


class MemberNote(models.Model):
    """The staff's note on a member ("prefers the late sauna", "knee injury: no spin"), shown on
    the member's profile at the desk. Staff only: no API role reads it."""

    member = models.OneToOneField(Member, on_delete=models.CASCADE, primary_key=True, related_name="staff_note")
    text = models.TextField(blank=True, max_length=2000)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        db_table = "member_notes"

    def __str__(self) -> str:
        return self.text
