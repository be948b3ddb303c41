"""Staff sign-in's own rows: API tokens (stored as a digest, never the key), and the admin's page
of sign-in failures (axes' attempts, under a name and a permission of the club's)."""

from __future__ import annotations

import uuid

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.postgres.functions import RandomUUID
from django.db import models
from django.db.models.functions import Now

# A key is PREFIX_LENGTH characters found by index, then the rest; only its SHA-256 digest is kept.
PREFIX_LENGTH = 12


class StaffApiToken(models.Model):
    """A staff user's key for the API (a kiosk, a partner tool): `Authorization: Token <key>`.

    The key is shown once when it is made; the table keeps its first characters, to find it and
    to name it on screens, and the SHA-256 digest of the whole key. A token ends at `expires_at`,
    or earlier when a manager revokes it; revoked tokens are kept, so that the list says who had
    which key until when."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, db_default=RandomUUID(), editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What it is for, e.g. “Riverside entrance kiosk”.")
    prefix = models.CharField(max_length=PREFIX_LENGTH, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    created_by = models.CharField(max_length=200, blank=True, editable=False, help_text="Who made it.")
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.CharField(max_length=200, blank=True, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        db_table = "staff_api_tokens"
        verbose_name = "API token"
        ordering = ["-created_at"]
        # Made through the form that shows the key once, revoked, never edited or deleted.
        default_permissions = ("add", "view")
        permissions = [("revoke_staffapitoken", "Can revoke an API token")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(digest__regex=r"^[0-9a-f]{64}$"), name="staff_api_tokens_digest_is_sha256"
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")), name="staff_api_tokens_expire_after_made"
            ),
            models.CheckConstraint(
                condition=models.Q(revoked_at__isnull=True) | models.Q(revoked_at__gte=models.F("created_at")),
                name="staff_api_tokens_revoked_after_made",
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="staff_api_tokens_name_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class SignInFailure(AccessAttempt):
    """Failed sign-ins counted towards a lockout (axes' AccessAttempt, one row per name, address
    and browser), as the managers' page lists and unlocks them."""

    class Meta:
        proxy = True
        verbose_name = "sign-in failure"
        default_permissions = ("view",)
        permissions = [("unlock_sign_in", "Can unlock a locked-out sign-in")]
