"""Times as a branch's clock shows them: the one place that turns a stored instant into what a
person reads. Every screen, message and human-readable export column goes through here, so a
time is never shown in the server's zone by accident.

Django's `date` and `time` template filters convert an aware datetime to the *active* zone first,
which is why views hand templates these strings, already on the branch's clock, and templates
never format an instant themselves.
"""

from __future__ import annotations

import datetime
import zoneinfo

from django.utils import formats, timezone

Zone = zoneinfo.ZoneInfo | str

DAY = "D j M Y"  # Tue 1 Dec 2026
CLOCK = "%H:%M"  # 18:00, the same in every language: no format lookup, which pages of many rows feel


def zone_of(zone_or_branch) -> zoneinfo.ZoneInfo:
    """A ZoneInfo from a zone, its IANA name, or anything with a `zone` (a branch)."""
    if isinstance(zone_or_branch, zoneinfo.ZoneInfo):
        return zone_or_branch
    if isinstance(zone_or_branch, str):
        return zoneinfo.ZoneInfo(zone_or_branch)
    return zone_or_branch.zone


def at(instant: datetime.datetime, zone: Zone) -> datetime.datetime:
    """The instant on the zone's clock (still the same instant)."""
    return instant.astimezone(zone_of(zone))


def zone_label(local: datetime.datetime) -> str:
    """The zone's abbreviation at that moment (EST, EDT, IST, AEDT); zones with none get their
    offset spelled out (Pacific/Chatham: UTC+13:45)."""
    name = local.tzname() or ""
    if name and name[0] not in "+-":
        return name
    offset = local.utcoffset() or datetime.timedelta()
    sign = "-" if offset < datetime.timedelta() else "+"
    hours, rest = divmod(abs(int(offset.total_seconds())) // 60, 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def local_time(instant: datetime.datetime, zone: Zone) -> str:
    """18:00"""
    return at(instant, zone).strftime(CLOCK)


def local_datetime(instant: datetime.datetime, zone: Zone) -> str:
    """Tue 1 Dec 2026, 18:00 EST"""
    local = at(instant, zone)
    return f"{formats.date_format(local, DAY)}, {local.strftime(CLOCK)} {zone_label(local)}"


def local_range(start: datetime.datetime, end: datetime.datetime, zone: Zone) -> str:
    """Tue 1 Dec 2026, 18:00–18:30 EST; the end's day is named when it is another day."""
    local_start, local_end = at(start, zone), at(end, zone)
    start_text = f"{formats.date_format(local_start, DAY)}, {local_start.strftime(CLOCK)}"
    if zone_label(local_start) != zone_label(local_end):  # across a change of the clocks
        start_text = f"{start_text} {zone_label(local_start)}"
    end_text = local_end.strftime(CLOCK)
    if local_end.date() != local_start.date():
        end_text = f"{formats.date_format(local_end, DAY)}, {end_text}"
    return f"{start_text}–{end_text} {zone_label(local_end)}"


def time_range(start: datetime.datetime, end: datetime.datetime, zone: Zone, *, labelled: bool = False) -> str:
    """18:00–18:30 on the zone's clock, with the zone's label ("18:00–18:30 EST") when asked: on a
    day whose times can be read twice (clocks_change_on)."""
    text = f"{local_time(start, zone)}–{local_time(end, zone)}"
    return f"{text} {zone_label(at(start, zone))}" if labelled else text


def clocks_change_on(day: datetime.date, zone: Zone) -> bool:
    """Whether the zone's clocks change on that day of its calendar."""
    zone = zone_of(zone)
    first = datetime.datetime.combine(day, datetime.time(), tzinfo=zone)
    last = datetime.datetime.combine(day, datetime.time(23, 59), tzinfo=zone)
    return zone_label(first) != zone_label(last)


def day_label(day: datetime.date, zone: Zone) -> str:
    """The zone's label over a day of its calendar: "EST", or "EDT, then EST" on the day the
    clocks change."""
    zone = zone_of(zone)
    first = datetime.datetime.combine(day, datetime.time(), tzinfo=zone)
    last = datetime.datetime.combine(day, datetime.time(23, 59), tzinfo=zone)
    labels = [zone_label(first), zone_label(last)]
    return labels[0] if labels[0] == labels[1] else ", then ".join(labels)


def local_today(zone: Zone) -> datetime.date:
    """Today on the zone's calendar."""
    return timezone.now().astimezone(zone_of(zone)).date()
