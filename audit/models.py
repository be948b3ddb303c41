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
            models.Index(fields=["entity_type", "entity_id"], name="audit_logs_entity_idx"),
            models.Index(fields=["actor_type", "actor_id"], name="audit_logs_actor_idx"),
            models.Index(fields=["member_id", "-occurred_at"], name="audit_logs_member_time_idx"),
            models.Index(fields=["branch_id", "-occurred_at"], name="audit_logs_branch_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.entity_type} {self.entity_id}"
