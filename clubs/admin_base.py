"""What the club's admin pages do with their address (query string): what a page cannot show
gets a message or is ignored, never a 500. The audited base every page is built on,
`audit.admin_mixins.ClubModelAdmin`, adds this to the audit trail's recording."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import EmptyResultSet, FieldDoesNotExist, ValidationError

# Date parts a lookup in the address may name (?created_at__year=2026, ?starts_at__year__gte=9),
# and the values a calendar holds: Django computes a year's or a day's bounds from them, and 99999
# or 0 would be a 500.
DATE_PART_RANGES = {
    "year": range(1, datetime.MAXYEAR),
    "iso_year": range(1, datetime.MAXYEAR),
    "month": range(1, 13),
    "day": range(1, 32),
    "week": range(1, 54),
    "week_day": range(1, 8),
    "iso_week_day": range(1, 8),
    "quarter": range(1, 5),
}


def date_part_in_range(name: str, value: str) -> bool:
    parts = name.split("__")[1:]
    named = [part for part in parts if part in DATE_PART_RANGES]
    if not named:
        return True
    value = value.strip()
    # only ASCII digits are a number to int() ("²" is a digit to str.isdigit)
    return value.isascii() and value.isdigit() and len(value) < 6 and int(value) in DATE_PART_RANGES[named[-1]]


class ClubChangeList(ChangeList):
    """Ignores, with a message, the parts of the address the list cannot use: values holding NUL
    (PostgreSQL's text cannot) and date parts outside the calendar. The club's lists have no date
    hierarchy, whose days would be UTC's: they filter by a day of each branch's calendar
    (clubs.admin_time.BranchDayFilter)."""

    def get_filters(self, request):
        with_nul = [name for name, values in self.filter_params.items() if any("\x00" in v for v in values)]
        if with_nul:
            self._ignore(with_nul)
            messages.warning(
                request, "A filter in the address held a NUL character, which nothing can match: it is not applied."
            )
        beyond = [
            name
            for name, values in self.filter_params.items()
            if not all(date_part_in_range(name, value) for value in values)
        ]
        if beyond:
            self._ignore(beyond)
            messages.warning(request, "A date in the address is outside the calendar: it is not applied.")
        return super().get_filters(request)

    def get_queryset(self, request, exclude_parameters=None):
        queryset = super().get_queryset(request, exclude_parameters)
        try:
            # Compiled here, not while the page renders: a lookup value no calendar or column can
            # hold fails now, and Django answers it as a lookup it cannot use (?e=1), not a 500.
            queryset.query.sql_with_params()
        except EmptyResultSet:
            pass  # matches nothing, which is an answer
        except (ValueError, OverflowError) as error:
            raise IncorrectLookupParameters(error) from error
        return queryset

    def _ignore(self, names: list[str]) -> None:
        for name in names:
            self.filter_params.pop(name, None)
            self.params.pop(name, None)


class ClubAddressMixin:
    """For a ModelAdmin: what a page cannot use of its address is ignored, never a 500."""

    def get_changelist(self, request, **kwargs):
        return ClubChangeList

    def get_changeform_initial_data(self, request):
        """Initial values from the address (?branch=…), keeping only those the field accepts:
        Django hands them to the widgets as they are, and a widget given `?starts_at=%` fails."""
        usable = {}
        for name, value in super().get_changeform_initial_data(request).items():
            try:
                form_field = self.model._meta.get_field(name).formfield()
            except FieldDoesNotExist:
                continue
            if form_field is None:
                continue
            try:
                usable[name] = form_field.clean(value)
            except ValidationError:
                continue
        return usable

    def get_search_results(self, request, queryset, search_term):
        # The changelist's search box refuses NUL itself; the autocomplete's term does not.
        return super().get_search_results(request, queryset, search_term.replace("\x00", ""))
