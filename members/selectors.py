"""Reads about members that are not admin querysets."""

from __future__ import annotations

import datetime
import uuid
import zoneinfo
from dataclasses import dataclass

from django.db import connection
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


@dataclass(frozen=True)
class MemberMatch:
    id: uuid.UUID
    member_number: str
    first_name: str
    last_name: str
    email: str
    phone: str
    status: str
    home_branch_id: uuid.UUID
    home_branch: str
    organization_id: uuid.UUID

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


SEARCH_MAX_LENGTH = 100


def search_text(typed: str) -> str:
    """What a member search takes of what was typed: NUL cannot reach PostgreSQL's text, and
    nobody types more than SEARCH_MAX_LENGTH characters of a name, number, email or phone."""
    return typed.replace("\x00", "").strip()[:SEARCH_MAX_LENGTH]


def member_search(query: str, *, limit: int = 20) -> list[MemberMatch]:
    """Members whose name, email or number start with what was typed, or whose phone number is
    the one typed however it is written (national, international, without the country code, its
    last digits); frozen and cancelled members too, with their status."""
    with connection.cursor() as cursor:
        cursor.execute("select * from app_private.search_members(%s, %s)", [query, limit])
        return [MemberMatch(*row) for row in cursor.fetchall()]


def entitlement_uses(*, member_id: uuid.UUID, time_zone: str, at: datetime.datetime | None = None) -> list[dict]:
    """Each of the member's entitlements and its use in the week or month around `at` (default
    now) on the calendar of `time_zone`, counted by the booking engine's own SQL (the count that
    refuses a booking)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            select e.benefit_kind, use.quota, use.period, use.period_start, use.used
            from entitlements e,
                 app_private.entitlement_period_use(e.member_id, e.benefit_kind, coalesce(%s, now()), %s) use
            where e.member_id = %s order by e.benefit_kind
            """,
            [at, time_zone, member_id],
        )
        fields = ["benefit_kind", "quota", "period", "period_starts", "used"]
        return [dict(zip(fields, row, strict=True)) for row in cursor.fetchall()]


def staff_search(query: str) -> RawSQL:
    """The ids of the members app_private.search_members finds for `query` (at most 100), to
    filter a queryset with: the admin's lists find a phone number however it is typed, as the
    concierge does."""
    return RawSQL("select id from app_private.search_members(%s, 100)", [query.replace("\x00", "")])
