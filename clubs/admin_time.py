"""The admin on each branch's clock: list columns, a day filter and change pages that read and
take times in the zone of the branch a row belongs to, whatever the server's zone is.

A list that mixes branches shows each row on its own branch's clock, labelled with the zone, and
sorts by the real instant; its day filter finds a day of each branch's own calendar (Django's
date_hierarchy would cut days at midnight UTC). A change page of a row that belongs to one
branch shows and takes its times on that branch's clock.
"""

from __future__ import annotations

import datetime
import zoneinfo

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db.models import DateField, DateTimeField, ExpressionWrapper, F, Func, Q, Value
from django.db.models.functions import Cast
from django.utils import timezone

from clubs import localtime

# A day of any branch's calendar lies within these bounds around the same day in UTC
# (zones run from UTC-12 to UTC+14): they let the filter use the index on the instant.
WIDEST_OFFSETS = (datetime.timedelta(hours=-14), datetime.timedelta(hours=12))
# How far from today the day filter looks, so no date arithmetic overflows.
YEARS_AROUND_TODAY = 10


def branch_local(moment: datetime.datetime | None, branch) -> str:
    """A time as the branch's clock shows it, labelled with the zone: Tue 1 Dec 2026, 18:00 EST."""
    return localtime.local_datetime(moment, branch) if moment else "—"


def _local_date(instant_path: str, zone_path: str) -> Cast:
    """The branch-local calendar date of an instant, in SQL: timezone(zone, instant)::date."""
    return Cast(Func(F(zone_path), F(instant_path), function="timezone"), DateField())


class BranchDayFilter(admin.SimpleListFilter):
    """Rows whose instant falls on a day of their own branch's calendar: today, tomorrow,
    yesterday, the next seven days, or any date given as ?day=YYYY-MM-DD."""

    title = "day (branch time)"
    parameter_name = "day"
    template = "admin/branch_day_filter.html"
    instant_path = ""
    zone_path = ""
    RELATIVE = {"yesterday": (-1, 1), "today": (0, 1), "tomorrow": (1, 1), "next7": (0, 7)}

    def lookups(self, request, model_admin):
        return [("today", "Today"), ("tomorrow", "Tomorrow"), ("yesterday", "Yesterday"), ("next7", "Next 7 days")]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        local_date = _local_date(self.instant_path, self.zone_path)
        if value in self.RELATIVE:
            first, days = self.RELATIVE[value]
            near = timezone.now()
            today = _local_date_at(self.zone_path, near)
            return (
                queryset.filter(
                    Q(**{f"{self.instant_path}__gte": near + datetime.timedelta(days=first - 2)})
                    & Q(**{f"{self.instant_path}__lt": near + datetime.timedelta(days=first + days + 2)})
                )
                .alias(local_date=local_date, local_today=today)
                .filter(
                    local_date__gte=_days_after("local_today", first),
                    local_date__lt=_days_after("local_today", first + days),
                )
            )
        day = _parse_day(value)
        if day is None:
            messages.warning(
                request,
                f"“{value[:40]}” is not a day this list can show: "
                f"use YYYY-MM-DD within {YEARS_AROUND_TODAY} years of today.",
            )
            return queryset
        start = datetime.datetime.combine(day, datetime.time(), tzinfo=datetime.UTC)
        return (
            queryset.filter(
                **{
                    f"{self.instant_path}__gte": start + WIDEST_OFFSETS[0],
                    f"{self.instant_path}__lt": start + datetime.timedelta(days=1) + WIDEST_OFFSETS[1],
                }
            )
            .alias(local_date=local_date)
            .filter(local_date=day)
        )

    def choices(self, changelist):
        yield from super().choices(changelist)
        self.day_value = self.value() if self.value() not in self.RELATIVE else ""
        # The other filters, the search and the ordering stay as they are; the page starts again.
        kept = changelist.params.items()
        self.day_query = {key: value for key, value in kept if key not in (self.parameter_name, "p")}


def _days_after(date_path: str, days: int) -> ExpressionWrapper:
    return ExpressionWrapper(F(date_path) + days, output_field=DateField())


def _local_date_at(zone_path: str, moment: datetime.datetime) -> Cast:
    return Cast(Func(F(zone_path), Value(moment, DateTimeField()), function="timezone"), DateField())


def _parse_day(value: str) -> datetime.date | None:
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        return None
    today = timezone.now().date()
    return day if abs((day - today).days) <= YEARS_AROUND_TODAY * 366 else None


def branch_day_filter(*, instant: str, zone: str) -> type[BranchDayFilter]:
    """The day filter for a list whose rows reach their instant and their branch's zone by these paths."""
    return type("BranchDayFilter", (BranchDayFilter,), {"instant_path": instant, "zone_path": zone})


class BranchTimeMixin:
    """For a ModelAdmin: change pages of rows that belong to one branch show and take their
    times on its clock.

    `branch_of(obj)` names the branch of a row; on the add page, the branch the form chooses
    (`branch_field`: a branch, such as a member's home branch, or a facility of one) decides how
    the typed times are read.
    """

    change_form_template = "admin/branch_time_change_form.html"
    branch_field = "branch"

    def branch_of(self, obj):
        return _branch(getattr(obj, self.branch_field))

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id)) if object_id else None
        zone = self.branch_of(obj).zone if obj is not None else timezone.get_current_timezone()
        extra_context = {**(extra_context or {}), "branch_zone": zone if obj is not None else None}
        with timezone.override(zone):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render"):
                response.render()  # inside the zone: the page's times are rendered on the branch's clock
        return response

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        attributes = {"branch_field": self.branch_field, "read_on_chosen_branch": obj is None}
        return type(form.__name__, (BranchTimesForm, form), attributes)


class BranchTimesForm(forms.ModelForm):
    """Times within ten years of today (nothing a calendar cannot hold reaches the database);
    on an add page, or when the row moves to another branch, typed as wall-clock times of the
    branch being chosen."""

    branch_field = "branch"
    read_on_chosen_branch = False

    def clean(self):
        cleaned = super().clean()
        branch = _branch(cleaned.get(self.branch_field))
        now = timezone.now()
        for name in self.fields:
            value = cleaned.get(name)
            if not isinstance(value, datetime.datetime):  # from a DateTimeField or the admin's split one
                continue
            if abs((value - now).days) > YEARS_AROUND_TODAY * 366:
                self.add_error(name, f"Choose a time within {YEARS_AROUND_TODAY} years of today.")
            elif branch is not None and (self.read_on_chosen_branch or self.branch_field in self.changed_data):
                try:
                    cleaned[name] = on_branch_clock(value, branch.zone)
                except ValueError as problem:
                    self.add_error(name, str(problem))
        return cleaned


def _branch(chosen):
    """The branch itself, or the branch of what was chosen (a facility)."""
    return getattr(chosen, "branch", chosen)


def on_branch_clock(value: datetime.datetime, zone: zoneinfo.ZoneInfo) -> datetime.datetime:
    """The same wall-clock reading (as typed, read in the active zone) on the branch's clock;
    a reading the branch's clock skips (clocks going forward) is refused."""
    wall = timezone.localtime(value).replace(tzinfo=None)
    moment = wall.replace(tzinfo=zone)
    if moment.astimezone(datetime.UTC).astimezone(zone).replace(tzinfo=None) != wall:
        raise ValueError(f"{wall:%H:%M} does not exist on {wall:%d %b %Y} in {zone.key}: the clocks go forward then.")
    return moment
