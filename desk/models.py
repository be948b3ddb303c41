"""The front desk's own rows: which branch each staff member works at (remembered across
sign-ins), and the admin's anchor for the desk's pages."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from bookings.models import BookableItem


class Today(BookableItem):
    """The desk's pages hang off this name in the admin (/admin/desk/today/): the day of a branch
    is a view of its bookable items. No table of its own."""

    class Meta:
        proxy = True
        verbose_name = "today at the desk"
        verbose_name_plural = "today at the desk"


class DeskBranch(models.Model):
    """The branch a staff member last chose at the desk: their Today opens on it."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True)
    branch = models.ForeignKey("clubs.Branch", on_delete=models.CASCADE, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "desk_branches"
