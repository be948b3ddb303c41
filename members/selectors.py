"""Reads about members that are not admin querysets."""

from __future__ import annotations

import datetime
import uuid
import zoneinfo
from dataclasses import dataclass

from django.db.models.expressions import RawSQL

from clubs.localtime import local_today
from clubs.models import local_day_bounds
from config.sql import prepared_cursor


@dataclass(frozen=True)
class MemberIdentity:
    """What the API needs to know of the member a token speaks for."""

    id: uuid.UUID
    organization_id: uuid.UUID
    auth_user_id: uuid.UUID
    full_name: str
    home_branch_id: uuid.UUID
    time_zone: str

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def day_bounds(self, day: datetime.date | None) -> tuple[datetime.datetime, datetime.datetime]:
        """Start and end of `day` (default today) in the zone of the member's home branch."""
        zone = self.zone
        return local_day_bounds(day or local_today(zone), zone)


def member_identity(*, auth_user_id: uuid.UUID, organization_id: uuid.UUID) -> MemberIdentity | None:
    """The member of `organization_id` signed in as `auth_user_id`, or None.

    Every member request starts here: one indexed query, prepared, without the ORM's compiling.
    """
    with prepared_cursor() as cursor:
        cursor.execute(
            """
            select m.id, m.organization_id, m.auth_user_id, m.first_name || ' ' || m.last_name,
                   m.home_branch_id, b.time_zone
            from members m join branches b on b.id = m.home_branch_id
            where m.auth_user_id = %s and m.organization_id = %s
            """,
            [auth_user_id, organization_id],
        )
        row = cursor.fetchone()
    return MemberIdentity(*row) if row else None


def staff_search(query: str) -> RawSQL:
    """The ids of the members app_private.search_members finds for `query` (at most 100), to
    filter a queryset with: the admin's lists find a phone number however it is typed, as the
    concierge does."""
    return RawSQL("select id from app_private.search_members(%s, 100)", [query.replace("\x00", "")])
