"""Reads about facilities that are not admin querysets."""

from __future__ import annotations

import uuid

from django.db import connection
from django.db.models import QuerySet

from facilities.models import Facility


def active_facilities(*, organization_id: uuid.UUID, branch_id: uuid.UUID | None = None) -> QuerySet[Facility]:
    """The organization's active facilities (of one branch), by name."""
    facilities = Facility.objects.filter(organization_id=organization_id, is_active=True)
    if branch_id is not None:
        facilities = facilities.filter(branch_id=branch_id)
    return facilities.order_by("name", "id")


def branch_rooms(branch) -> list[str]:
    """The rooms the branch's timetable and its classes to come name, as they name them (one
    spelling per room, whatever the case), in name order: what a room's closure can close."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            select min(btrim(room)) from (
                select room from public.class_timetable where branch_id = %s
                union all
                select room from public.classes where branch_id = %s and ends_at > now()
            ) named
            where btrim(room) <> ''
            group by lower(btrim(room))
            order by 1
            """,
            [branch.pk, branch.pk],
        )
        return [row[0] for row in cursor.fetchall()]
