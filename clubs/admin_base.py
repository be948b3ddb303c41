"""What the club's admin pages do with their address (query string) and their forms' hostile
values: what a page cannot show gets a message, a form error or is ignored, never a 500. The
audited base every page is built on, `audit.admin_mixins.ClubModelAdmin`, adds this to the audit
trail's recording."""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
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


class KeysOnlyAutocompleteMixin:
    """For an autocomplete widget: a submitted value that cannot be a key of the field's target
    (not a UUID, a NUL, a number beyond the column) is shown as nothing selected. Django's widget
    looks the value up to show it again, and such a value made the lookup itself fail: a 500 in
    place of the form's own "Select a valid choice"."""

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [each for each in value if self._may_be_a_key(each)], attr)

    def _may_be_a_key(self, value) -> bool:
        target = self.field.remote_field.model._meta
        key = target.get_field(getattr(self.field.remote_field, "field_name", None) or target.pk.attname)
        if "\x00" in str(value):  # PostgreSQL's text cannot hold one
            return False
        try:
            key.run_validators(key.to_python(value))
        except (ValidationError, ValueError, TypeError, OverflowError):
            return False
        return True


class ClubAutocompleteSelect(KeysOnlyAutocompleteMixin, AutocompleteSelect):
    pass


class ClubAutocompleteSelectMultiple(KeysOnlyAutocompleteMixin, AutocompleteSelectMultiple):
    pass


class KeyChoiceField(forms.ModelChoiceField):
    """A value that cannot be a key of the target (not a UUID, a NUL) is "Select a valid choice",
    as a key of no row is. Django's own field answers with the column's complaint instead
    ("“…” is not a valid UUID."), which repeats a value of any length back to the page."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError as error:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice") from error


class ClubRelationFieldsMixin:
    """For a ModelAdmin or an inline: a hostile value in a relation field (a foreign key, its
    `autocomplete_fields` above all) is the form's "Select a valid choice", never a 500."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        kwargs.setdefault("form_class", KeyChoiceField)
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = ClubAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = ClubAutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)
