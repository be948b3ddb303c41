"""Reads about facilities that are not admin querysets."""

from __future__ import annotations

import uuid

from django.db.models import Count, QuerySet
from django.utils import timezone

from facilities.models import BenefitSlot, Facility


def future_slot_capacities(*, facility_id: uuid.UUID, other_than: int | None = None) -> dict[int, int]:
    """How many of the facility's slots start from now on, by capacity (largest group first),
    leaving out those of capacity `other_than`."""
    slots = BenefitSlot.objects.filter(facility_id=facility_id, starts_at__gt=timezone.now())
    if other_than is not None:
        slots = slots.exclude(capacity=other_than)
    groups = slots.values("capacity").annotate(slots=Count("id")).order_by("-slots", "capacity")
    return {group["capacity"]: group["slots"] for group in groups}


def active_facilities(*, organization_id: uuid.UUID, branch_id: uuid.UUID | None = None) -> QuerySet[Facility]:
    """The organization's active facilities (of one branch), by name."""
    facilities = Facility.objects.filter(organization_id=organization_id, is_active=True)
    if branch_id is not None:
        facilities = facilities.filter(branch_id=branch_id)
    return facilities.order_by("name", "id")
