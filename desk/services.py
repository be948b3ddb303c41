"""The desk's own writes: which branch a staff member works at."""

from __future__ import annotations

from django.db import transaction

from clubs.models import Branch
from desk.models import DeskBranch


def desk_branch_remember(*, user, branch: Branch) -> None:
    """The branch the user's desk pages open on from now on."""
    with transaction.atomic():
        DeskBranch.objects.update_or_create(user=user, defaults={"branch": branch})
