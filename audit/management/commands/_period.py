"""Command-line periods: dates are whole days in the app's TIME_ZONE; --to includes its day."""

import datetime

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from audit.selectors import AUDIT_FIRST_DAY, AUDIT_LAST_DAY
from config.commands import BAD_ARGUMENTS


def parse_moment(value: str | None, option: str, *, end_of_day: bool = False) -> datetime.datetime | None:
    if not value:
        return None
    try:
        day = parse_date(value)
        moment = None if day else parse_datetime(value)
    except ValueError:
        day = moment = None
    if day is None and moment is None:
        raise CommandError(
            f"{option} {value!r} is not a date (YYYY-MM-DD) or an ISO 8601 time", returncode=BAD_ARGUMENTS
        )
    # Checked before any arithmetic: the day after 9999-12-31 does not exist.
    if not AUDIT_FIRST_DAY <= (day or moment.date()) <= AUDIT_LAST_DAY:
        raise CommandError(
            f"{option} {value} is out of range: give a day from {AUDIT_FIRST_DAY} to {AUDIT_LAST_DAY}",
            returncode=BAD_ARGUMENTS,
        )
    if day is not None:
        moment = datetime.datetime.combine(day + datetime.timedelta(days=1 if end_of_day else 0), datetime.time())
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def parse_period(start: str | None, end: str | None) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    start_at = parse_moment(start, "--from")
    end_at = parse_moment(end, "--to", end_of_day=True)
    if start_at and end_at and end_at <= start_at:
        raise CommandError(f"--to {end} is before --from {start}: the period would be empty", returncode=BAD_ARGUMENTS)
    return start_at, end_at
