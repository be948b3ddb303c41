"""The base of the club's own admin pages: audited changes, and an address (query string) that
asks for what a page cannot show gets a message or is ignored, never a 500."""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist, ValidationError

from audit.admin_mixins import AuditedModelAdmin

DATE_PARTS = ("year", "month", "day")


def date_hierarchy_in_range(params: dict[str, list[str]], field: str) -> bool:
    """Whether Django's date hierarchy can count from the date asked for to the next one.

    Django builds the date and adds a day, a month or a year to it: the year 9999 (there is no
    10000), a day 0 or a year of 20 digits would end in an OverflowError or ValueError (a 500).
    """
    year, month, day = (params.get(f"{field}__{part}", [None])[-1] for part in DATE_PARTS)
    if year is None:
        return True  # month or day alone are plain lookups, which Django checks itself
    try:
        datetime.date(int(year), int(month or 1), int(day or 1))
    except (ValueError, OverflowError):
        return False
    return int(year) < datetime.MAXYEAR


class ClubChangeList(ChangeList):
    """Ignores, with a message, the parts of the address the list cannot use: a date-hierarchy
    date outside the calendar, and values holding NUL (PostgreSQL's text cannot)."""

    def get_filters(self, request):
        with_nul = [name for name, values in self.filter_params.items() if any("\x00" in v for v in values)]
        if with_nul:
            self._ignore(with_nul)
            messages.warning(
                request, "A filter in the address held a NUL character, which nothing can match; it is ignored."
            )
        if self.date_hierarchy and not date_hierarchy_in_range(self.filter_params, self.date_hierarchy):
            self._ignore([f"{self.date_hierarchy}__{part}" for part in DATE_PARTS])
            messages.warning(request, "The date in the address is outside the calendar; showing every date.")
        return super().get_filters(request)

    def _ignore(self, names: list[str]) -> None:
        for name in names:
            self.filter_params.pop(name, None)
            self.params.pop(name, None)


class ClubModelAdmin(AuditedModelAdmin):
    """Audited like every admin page of the club; what a page cannot use of its address is
    ignored, never a 500."""

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
