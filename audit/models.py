"""The audit trail: one row per change, whoever made it and through whichever door."""

import uuid

from django.contrib.postgres.functions import RandomUUID
from django.db import models
from django.db.models.functions import Now


class ActorType(models.TextChoices):
    STAFF = "staff", "Staff user"
    MEMBER = "member", "Member"
    SYSTEM = "system", "System"


class AuditSource(models.TextChoices):
    ADMIN = "admin", "Admin"
    API = "api", "API"
    COMMAND = "command", "Management command"
    RPC = "rpc", "SQL function (member app)"


class AuditAction(models.TextChoices):
    """The namespaced actions the app records; the database accepts any `area.verb` name."""

    BOOKING_CREATED = "booking.created", "Booking created"
    BOOKING_CANCELLED = "booking.cancelled", "Booking cancelled"
    BOOKING_CAPACITY_OVERRIDDEN = "booking.capacity_overridden", "Capacity overridden"
    BOOKING_WAITLISTED = "booking.waitlisted", "Booking waitlisted"
    BOOKING_WAITLIST_PROMOTED = "booking.waitlist_promoted", "Promoted from the waitlist"
    BOOKING_CHECKED_IN = "booking.checked_in", "Checked in"
    BOOKING_NO_SHOW = "booking.no_show", "Marked no-show"
    BOOKING_ATTENDANCE_UNDONE = "booking.attendance_undone", "Check-in or no-show undone"
    SLOTS_GENERATED = "slots.generated", "Slots generated"
    SLOTS_REBUILT = "slots.rebuilt", "Slots rebuilt"
    GRANTS_SYNCED = "grants.synced", "Grants synced"
    AUDIT_EXPORTED = "audit.exported", "Audit trail exported"
    AUDIT_ARCHIVED = "audit.archived", "Audit month archived"
    FACILITY_CREATED = "facility.created", "Facility created"
    FACILITY_UPDATED = "facility.updated", "Facility updated"
    FACILITY_DELETED = "facility.deleted", "Facility deleted"
    SETTINGS_CREATED = "benefit_settings.created", "Booking settings created"
    SETTINGS_UPDATED = "benefit_settings.updated", "Booking settings updated"
    MEMBER_CREATED = "member.created", "Member created"
    MEMBER_UPDATED = "member.updated", "Member updated"
    MEMBER_DELETED = "member.deleted", "Member deleted"
    MEMBER_NOTE_UPDATED = "member_note.updated", "Staff note updated"
    CLASSES_GENERATED = "classes.generated", "Classes generated"
    ENTITLEMENT_CREATED = "entitlement.created", "Entitlement created"
    ENTITLEMENT_UPDATED = "entitlement.updated", "Entitlement updated"
    ENTITLEMENT_DELETED = "entitlement.deleted", "Entitlement deleted"
    CLASS_CREATED = "class.created", "Class created"
    CLASS_UPDATED = "class.updated", "Class updated"
    BRANCH_UPDATED = "branch.updated", "Branch updated"
    SCHEDULE_CHANGED = "schedule.changed", "Schedule changed"
    CLOSURE_OPENED = "closure.opened", "Closure made"
    CLOSURE_REOPENED = "closure.reopened", "Reopened after a closure"
    CLOSURE_BOOKINGS_CANCELLED = "closure.bookings_cancelled", "Bookings cancelled for a closure"
    SIGN_IN_SUCCEEDED = "sign_in.succeeded", "Signed in"
    SIGN_IN_FAILED = "sign_in.failed", "Sign-in failed"
    SIGN_IN_LOCKED_OUT = "sign_in.locked_out", "Locked out after failed sign-ins"
    SIGN_IN_UNLOCKED = "sign_in.unlocked", "Sign-in unlocked"
    SIGNED_OUT = "sign_in.signed_out", "Signed out"
    SESSION_EXPIRED = "sign_in.session_expired", "Session ended after idle time"
    TWO_FACTOR_ENROLLED = "two_factor.enrolled", "Two-factor device enrolled"
    TWO_FACTOR_RESET = "two_factor.reset", "Two-factor device reset"
    TWO_FACTOR_FAILED = "two_factor.failed", "Wrong one-time code"
    RECOVERY_CODE_USED = "two_factor.recovery_code_used", "Recovery code used"
    RECOVERY_CODES_RENEWED = "two_factor.recovery_codes_renewed", "Recovery codes renewed"
    API_TOKEN_CREATED = "api_token.created", "API token created"
    API_TOKEN_REVOKED = "api_token.revoked", "API token revoked"


class AuditLog(models.Model):
    """An audit entry. Actor, member and entity are copied, not foreign keys, so that deleting a
    member or a staff user never deletes or rewrites what they did."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=RandomUUID(), editable=False)
    occurred_at = models.DateTimeField(db_default=Now(), editable=False)
    organization = models.ForeignKey(
        "clubs.Organization",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,  # (organization, occurred_at) serves it
        # A copy, like the actor and the member: no foreign-key check on the trail's hot path.
        db_constraint=False,
        help_text="Empty for events that concern the whole installation (e.g. grants synced).",
    )
    actor_type = models.CharField(max_length=8, choices=ActorType.choices)
    actor_id = models.CharField(max_length=64, blank=True, help_text="Staff user id, member auth id, or command name.")
    actor_label = models.CharField(max_length=200, blank=True, help_text="Who it was, as shown at the time.")
    action = models.CharField(max_length=64, help_text="Namespaced, e.g. booking.created.")
    entity_type = models.CharField(max_length=64)
    entity_id = models.CharField(max_length=64, blank=True)
    member_id = models.UUIDField(null=True, blank=True, help_text="The member concerned, if any.")
    branch_id = models.UUIDField(null=True, blank=True, help_text="The branch concerned, if any.")
    old_values = models.JSONField(null=True, blank=True)
    new_values = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True, default="", db_default="")
    source = models.CharField(max_length=8, choices=AuditSource.choices)
    request_id = models.CharField(max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.TextField(blank=True, default="", db_default="")

    class Meta:
        db_table = "audit_logs"
        ordering = ["-occurred_at"]
        permissions = [("export_auditlog", "Can export the audit trail")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(actor_type__in=ActorType.values), name="audit_logs_actor_type_valid"
            ),
            models.CheckConstraint(condition=models.Q(source__in=AuditSource.values), name="audit_logs_source_valid"),
            models.CheckConstraint(
                condition=models.Q(action__regex=r"^[a-z_]+\.[a-z_.]+$"), name="audit_logs_action_namespaced"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-occurred_at"], name="audit_logs_org_time_idx"),
            models.Index(fields=["-occurred_at"], name="audit_logs_time_idx"),
            models.Index(fields=["action", "-occurred_at"], name="audit_logs_action_time_idx"),
            models.Index(fields=["entity_id"], name="audit_logs_entity_id_idx"),
            models.Index(fields=["actor_type", "actor_id", "-occurred_at"], name="audit_logs_actor_time_idx"),
            models.Index(fields=["member_id", "-occurred_at"], name="audit_logs_member_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.entity_type} {self.entity_id}"


# Entries with no organization (installation-wide events such as grants.synced) form one chain too.
INSTALLATION_CHAIN = uuid.UUID(int=0)


class AuditSeal(models.Model):
    """An entry's place in its organization's hash chain, written once by `seal_audit`.

    `hash` = sha256(previous_hash + the entry's canonical content), so editing, deleting or
    reordering any sealed entry breaks every hash after it. Append-only, like the entries.
    """

    # No foreign-key check: the trail is partitioned by month, so an entry's key is (id, occurred_at),
    # and the seals of a month cut by `archive_audit` go with it. Only the sealer writes seals, from
    # the entries themselves; `verify_audit` reports a seal whose entry is missing.
    entry = models.OneToOneField(
        AuditLog,
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="seal",
        db_column="audit_log_id",
        db_constraint=False,
    )
    occurred_at = models.DateTimeField(help_text="The entry's, which with its id finds it in its month.")
    chain = models.UUIDField(help_text="The organization, or the nil uuid for installation-wide entries.")
    position = models.BigIntegerField()
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    sealed_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        db_table = "audit_seals"
        constraints = [
            models.UniqueConstraint(fields=["chain", "position"], name="audit_seals_one_per_position"),
            models.CheckConstraint(condition=models.Q(position__gt=0), name="audit_seals_position_positive"),
        ]


class AuditPending(models.Model):
    """Entries written but not yet sealed; a trigger adds every new entry, sealing removes it.

    A small queue rather than a scan of the whole trail, so sealing stays fast at any size, and an
    entry whose transaction commits late is still found and sealed on the next run.
    """

    # No foreign-key check: entries are never deleted, and this insert rides on every change.
    entry = models.OneToOneField(
        AuditLog, on_delete=models.PROTECT, primary_key=True, db_column="audit_log_id", db_constraint=False
    )
    chain = models.UUIDField()
    occurred_at = models.DateTimeField()  # the entry's, so that sealing reads the queue in order by index

    class Meta:
        db_table = "audit_pending"
        indexes = [models.Index(fields=["chain", "occurred_at", "entry"], name="audit_pending_order_idx")]


class AuditCut(models.Model):
    """A month of the trail taken out of the database by `archive_audit`: exported with its chain
    proof to a file that verified, then its partition detached or dropped. Append-only."""

    month = models.DateField(primary_key=True, help_text="The first day of the month (UTC).")
    cut_at = models.DateTimeField(db_default=Now(), editable=False)
    entries = models.BigIntegerField()
    archive_name = models.CharField(max_length=255, help_text="The export's file name, as given.")
    archive_sha256 = models.CharField(max_length=64, help_text="The export file's own sha256.")
    dropped = models.BooleanField(help_text="Dropped, or else detached (kept as a table of its own).")

    class Meta:
        db_table = "audit_cuts"
        constraints = [
            models.CheckConstraint(condition=models.Q(month__day=1), name="audit_cuts_month_first_day"),
        ]


class AuditCutRun(models.Model):
    """Consecutive positions of one chain that a cut took away, and the hash of the last one: the
    chain's next seal follows from it, so the rest of the chain still verifies across the cut.

    A month is not always one run: an entry written late, or back-dated, is sealed after entries
    of later months."""

    pk = models.CompositePrimaryKey("chain", "first_position")
    chain = models.UUIDField()
    first_position = models.BigIntegerField()
    last_position = models.BigIntegerField()
    last_hash = models.CharField(max_length=64)
    cut = models.ForeignKey(AuditCut, on_delete=models.PROTECT, related_name="runs", db_column="month")

    class Meta:
        db_table = "audit_cut_runs"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(first_position__gt=0, last_position__gte=models.F("first_position")),
                name="audit_cut_runs_positions",
            ),
        ]
