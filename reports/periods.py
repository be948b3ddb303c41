"""The branch and the days a report covers, as the manager picks them: `?branch=&from=&to=`.

Days are the branch's days (local midnight to local midnight), `to` included. Without dates a
report covers the last four full weeks ending yesterday on the branch's clock. What cannot be a
period (a date that is not one, backwards, before 2000 or after 2999, longer than a quarter) is a
form error on its field, and the page shows no figures until it is corrected.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django import forms
from django.utils import formats

from clubs import localtime
from clubs.models import Branch, local_day_bounds

DEFAULT_DAYS = 28  # four full weeks
# A quarter at most: every report stays under a second at a busy branch (benchmarks/reports.py);
# a year of a busy branch is over a million bookings to count.
MAX_DAYS = 92
EARLIEST, LATEST = datetime.date(2000, 1, 1), datetime.date(2999, 12, 31)
DAY = "D j M Y"  # Mon 9 Nov 2026


@dataclass(frozen=True)
class Period:
    branch: Branch
    first: datetime.date
    last: datetime.date  # included

    @property
    def zone(self):
        return self.branch.zone

    @property
    def start(self) -> datetime.datetime:
        return local_day_bounds(self.first, self.zone)[0]

    @property
    def end(self) -> datetime.datetime:
        return local_day_bounds(self.last, self.zone)[1]

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def label(self) -> str:
        """Mon 9 Nov 2026 – Sun 6 Dec 2026"""
        return f"{formats.date_format(self.first, DAY)} – {formats.date_format(self.last, DAY)}"

    @property
    def zone_label(self) -> str:
        """EST, or "EDT, then EST" when the clocks change within the period."""
        labels = []
        for day in (self.first, self.last):
            label = localtime.day_label(day, self.zone)
            labels += [part for part in label.split(", then ") if part not in labels]
        return ", then ".join(labels)

    def query(self) -> dict[str, str]:
        return {"branch": str(self.branch.pk), "from": self.first.isoformat(), "to": self.last.isoformat()}


def default_days(branch: Branch) -> tuple[datetime.date, datetime.date]:
    """The last four full weeks ending yesterday on the branch's clock."""
    yesterday = localtime.local_today(branch) - datetime.timedelta(days=1)
    return yesterday - datetime.timedelta(days=DEFAULT_DAYS - 1), yesterday


class DayField(forms.DateField):
    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    input_formats = ["%Y-%m-%d"]
    default_error_messages = {"invalid": "Enter a date as YYYY-MM-DD."}

    def validate(self, value):
        super().validate(value)
        if value is not None and not EARLIEST <= value <= LATEST:
            raise forms.ValidationError(
                f"Pick a day from {formats.date_format(EARLIEST, DAY)} to {formats.date_format(LATEST, DAY)}."
            )


class PeriodForm(forms.Form):
    """The branch and the days; `branches` are the choices (read once by the page)."""

    def __init__(self, data, *, branches: list[Branch], remembered: str = ""):
        super().__init__(data)
        self.branches = {str(branch.pk): branch for branch in branches}
        self.remembered = remembered
        self.fields["branch"] = forms.ChoiceField(
            choices=[
                (key, branch.name + ("" if branch.is_active else " (inactive)"))
                for key, branch in self.branches.items()
            ],
            required=False,
            error_messages={"invalid_choice": "Choose one of the listed branches."},
        )
        self.fields["from"] = DayField(required=False, label="From")
        self.fields["to"] = DayField(required=False, label="To")

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        branch = self.branches.get(cleaned.get("branch") or "") or self.default_branch()
        first, last = cleaned.get("from"), cleaned.get("to")
        if branch is None:
            return cleaned
        if first is None and last is None:
            first, last = default_days(branch)
        elif last is None:
            last = min(first + datetime.timedelta(days=DEFAULT_DAYS - 1), LATEST)
        elif first is None:
            first = max(last - datetime.timedelta(days=DEFAULT_DAYS - 1), EARLIEST)
        if first > last:
            self.add_error("to", "The last day is before the first: swap them.")
        elif (last - first).days + 1 > MAX_DAYS:
            self.add_error("to", f"A report covers at most {MAX_DAYS} days (a quarter): shorten the period.")
        else:
            cleaned["period"] = Period(branch, first, last)
        return cleaned

    def default_branch(self) -> Branch | None:
        """The branch the manager chose last (remembered), else the first active one by name (the
        list's order), else any."""
        if self.remembered in self.branches:
            return self.branches[self.remembered]
        branches = list(self.branches.values())
        return next((branch for branch in branches if branch.is_active), branches[0] if branches else None)

    @property
    def period(self) -> Period | None:
        return self.cleaned_data.get("period") if self.is_valid() else None


def report_branches() -> list[Branch]:
    """Every branch a manager may report on, the active ones first: one query."""
    return list(Branch.objects.order_by("-is_active", "name", "id"))
