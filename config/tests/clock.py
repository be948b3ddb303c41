"""Days on which a branch's clock is interesting, found from the zone database relative to today,
so that tests freeze the clock on dates that stay in the future whatever day the suite runs.

PostgreSQL's own clock cannot be frozen: days in the future keep what the engine checks (not
started, inside a long booking window) true on both clocks.
"""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

# Branches whose offset is never zero, with and without daylight saving time, in both hemispheres.
ZONES = ["America/New_York", "Asia/Kolkata", "Australia/Sydney", "Pacific/Chatham"]
CASES = ["standard", "summer", "clocks_forward", "clocks_back"]
SEARCH_DAYS = 800


def _offsets(day: datetime.date, zone: ZoneInfo) -> tuple[datetime.timedelta, datetime.timedelta]:
    start = datetime.datetime.combine(day, datetime.time(), tzinfo=zone)
    end = datetime.datetime.combine(day, datetime.time(23, 59), tzinfo=zone)
    return start.utcoffset(), end.utcoffset()


def interesting_day(zone_name: str, case: str, *, after: datetime.date | None = None) -> datetime.date | None:
    """The first day at least two days from now that is: `standard` (no daylight saving time all
    day), `summer` (daylight saving time all day), `clocks_forward` or `clocks_back` (the day the
    clocks change). None where the zone has no such day (Asia/Kolkata keeps one offset)."""
    zone = ZoneInfo(zone_name)
    day = (after or datetime.datetime.now(datetime.UTC).date()) + datetime.timedelta(days=2)
    for _ in range(SEARCH_DAYS):
        first, last = _offsets(day, zone)
        noon = datetime.datetime.combine(day, datetime.time(12), tzinfo=zone)
        kind = (
            ("clocks_forward" if last > first else "clocks_back")
            if first != last
            else ("summer" if noon.dst() else "standard")
        )
        if kind == case:
            return day
        day += datetime.timedelta(days=1)
    return None


def zone_cases() -> list[tuple[str, str]]:
    """Every (zone, case) pair that exists."""
    return [(zone, case) for zone in ZONES for case in CASES if interesting_day(zone, case) is not None]


def local(day: datetime.date, hour: int, minute: int, zone_name: str) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=ZoneInfo(zone_name))
