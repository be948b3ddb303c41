"""A run of days at a branch: the period the nightly generators (slots, classes) cover, checked
once for both."""

from __future__ import annotations

import datetime

from django.conf import settings

from clubs.localtime import local_today
from config.rules import refuse

# The most days one generation run covers (app_private.slot_run_max_days(), generated into
# facilities/sql/defaults/ from here; the class generator reads the same function).
RUN_MAX_DAYS = 366
# How far from a branch's today a run may start or end: further is a typo, not a timetable.
RUN_REACH_YEARS = 2


def run_period(
    *,
    branch,
    start: datetime.date | None = None,
    days: int | None = None,
    end: datetime.date | None = None,
    allow_past: bool = False,
    making: str = "",
) -> tuple[datetime.date, datetime.date]:
    """The first and last day of a run at `branch`: from `start` (default: today there) for `days`
    days (default SLOT_GENERATION_DAYS) or to `end`, inclusive.

    Each value is checked against its range before any date arithmetic, so no input overflows.
    A start before the branch's today is refused unless `allow_past`: what it makes would have
    ended already (`making`: the start_in_past rule's situation that names what, "" for slots,
    "classes"). Refusals name the value's field in `details["field"]`.
    """
    today = local_today(branch.zone)
    reach = datetime.timedelta(days=366 * RUN_REACH_YEARS)
    earliest, latest = (today - reach if allow_past else today), today + reach
    first = today if start is None else start
    if first < today and not allow_past:
        raise refuse(
            "start_in_past", making, first, branch.name, today, branch.time_zone,
            details={"field": "start", "today": today.isoformat()},
        )  # fmt: skip
    for name, day in (("start", first), ("end", end)):
        if day is not None and not earliest <= day <= latest:
            raise refuse(
                "invalid_range", "", day, earliest, latest, RUN_REACH_YEARS, branch.name, details={"field": name}
            )
    if end is None:
        days = settings.SLOT_GENERATION_DAYS if days is None else days
        if not 1 <= days <= RUN_MAX_DAYS:
            raise refuse("invalid_range", "days", days, RUN_MAX_DAYS, details={"field": "days"})
        return first, first + datetime.timedelta(days=days - 1)
    if end < first:
        raise refuse("invalid_range", "backwards", end, first, details={"field": "end"})
    if (end - first).days >= RUN_MAX_DAYS:
        raise refuse(
            "invalid_range", "too_long", end, (end - first).days + 1, first, RUN_MAX_DAYS, details={"field": "end"}
        )
    return first, end
