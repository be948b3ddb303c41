"""The audit list's filters. Each checks its query-string value before using it: a value it cannot
use (a date out of range, "from" after "to", an id that is not one, a 5,000-character string) is
not applied, and the list says what is wrong instead of ending empty or in an error page."""

from __future__ import annotations

import datetime
import re
import uuid

from django import forms
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import formats, timezone
from django.utils.text import capfirst

from audit.models import ActorType, AuditAction, AuditSource
from audit.selectors import AUDIT_FIRST_DAY, AUDIT_LAST_DAY, filter_entries
from clubs.localtime import DAY
from clubs.models import Branch, local_day_bounds

# The trail's actor, action, entity and member-number columns are at most this long.
LONGEST_VALUE = 64
NAMESPACED = re.compile(r"^[a-z_]+\.[a-z_.]+$")
NAME = re.compile(r"^[a-z_]+$")


def _short_text(value: str) -> str:
    if len(value) > LONGEST_VALUE:
        raise ValidationError(f"at most {LONGEST_VALUE} characters, please.")
    if not value.isprintable():  # a NUL, for one, is refused by PostgreSQL itself
        raise ValidationError("use only characters that can be typed.")
    return value


class AuditFilter(admin.SimpleListFilter):
    """A filter whose value goes through `clean` first; a value it refuses leaves the list
    unfiltered by it, with `error` saying why (shown next to the filter and above the list)."""

    error = ""

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.cleaned = None
        value = (self.value() or "").strip()
        if value:
            try:
                self.cleaned = self.clean(value)
            except ValidationError as error:
                self.error = " ".join(error.messages)

    def clean(self, value: str):
        return _short_text(value)

    def queryset(self, request, queryset):
        if self.error or self.cleaned is None:
            return queryset
        return self.apply(queryset, self.cleaned)

    def apply(self, queryset: QuerySet, value) -> QuerySet:
        return filter_entries(queryset, **{self.parameter_name: value})

    @property
    def refusal(self) -> str:
        return f"{capfirst(self.title)}: {self.error} This filter was not applied." if self.error else ""


class ActionFilter(AuditFilter):
    title = "action"
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return AuditAction.choices

    def clean(self, value: str) -> str:
        # The database accepts any area.verb action, so a name not in the list may still be recorded.
        if not NAMESPACED.match(_short_text(value)):
            raise ValidationError("an action is named like booking.created.")
        return value


class EntityTypeFilter(AuditFilter):
    title = "entity"
    parameter_name = "entity_type"

    def lookups(self, request, model_admin):
        names = sorted({action.split(".")[0] for action in AuditAction.values} | {"slot"})
        return [(name, name.replace("_", " ")) for name in names]

    def clean(self, value: str) -> str:
        if not NAME.match(_short_text(value)):
            raise ValidationError("an entity is a name like booking or facility.")
        return value


class SourceFilter(AuditFilter):
    title = "source"
    parameter_name = "source"

    def lookups(self, request, model_admin):
        return AuditSource.choices

    def clean(self, value: str) -> str:
        if value not in AuditSource.values:
            raise ValidationError(f"choose one of {', '.join(AuditSource.labels)}.")
        return value

    def apply(self, queryset, value):
        return queryset.filter(source=value)


class BranchFilter(AuditFilter):
    title = "branch"
    parameter_name = "branch_id"

    def lookups(self, request, model_admin):
        return [(str(branch.pk), branch.name) for branch in Branch.objects.order_by("name")]

    def clean(self, value: str) -> uuid.UUID:
        try:
            return uuid.UUID(value)
        except ValueError:
            raise ValidationError("choose a branch from the list.") from None


class ActorFilter(AuditFilter):
    """Staff by name (a few dozen at most), or all members, or the system."""

    title = "actor"
    parameter_name = "actor"

    def lookups(self, request, model_admin):
        staff = get_user_model().objects.filter(is_staff=True).order_by("username")
        return [
            (f"{ActorType.SYSTEM}:", "System (commands, cron)"),
            (f"{ActorType.MEMBER}:", "Members (member app)"),
            *((f"{ActorType.STAFF}:{user.pk}", user.get_full_name() or user.get_username()) for user in staff),
        ]

    def clean(self, value: str) -> tuple[str, str | None]:
        actor_type, _, actor_id = _short_text(value).partition(":")
        if actor_type not in ActorType.values:
            raise ValidationError("choose an actor from the list.")
        return actor_type, actor_id or None

    def apply(self, queryset, value):
        actor_type, actor_id = value
        return filter_entries(queryset, actor_type=actor_type, actor_id=actor_id)


class InputFilter(AuditFilter):
    """A free-text filter (a box, not a list): for values with thousands of possibilities."""

    template = "admin/audit/input_filter.html"

    def lookups(self, request, model_admin):
        return [("", "")]  # the admin only shows filters that have lookups

    def choices(self, changelist):
        others = {key: value for key, value in changelist.get_filters_params().items() if key != self.parameter_name}
        yield {"value": self.value() or "", "hidden": others, "parameter_name": self.parameter_name}


class MemberFilter(InputFilter):
    title = "member (number or id)"
    parameter_name = "member"

    def apply(self, queryset, value):
        try:
            member_id = uuid.UUID(value)
        except ValueError:  # a member number, compared as typed: % and _ are not wildcards
            # By label, as the trail names it: the audit app imports none of the apps it records.
            member_id = (
                apps.get_model("members", "Member")
                .objects.filter(member_number__iexact=value)
                .values_list("id", flat=True)
                .first()
            )
        return filter_entries(queryset, member_id=member_id) if member_id else queryset.none()


class EntityIdFilter(InputFilter):
    title = "entity id"
    parameter_name = "entity_id"


def _in_range(day: datetime.date) -> None:
    if not AUDIT_FIRST_DAY <= day <= AUDIT_LAST_DAY:  # also keeps the day after within Python's calendar
        raise ValidationError(f"choose a day between {_day(AUDIT_FIRST_DAY)} and {_day(AUDIT_LAST_DAY)}.")


def _day(day: datetime.date) -> str:
    return formats.date_format(day, DAY)


class DateRangeForm(forms.Form):
    occurred_from = forms.DateField(label="From", required=False, validators=[_in_range])
    occurred_to = forms.DateField(label="To", required=False, validators=[_in_range])

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("occurred_from"), cleaned.get("occurred_to")
        if start and end and start > end:
            raise ValidationError(f"“From” ({_day(start)}) is after “To” ({_day(end)}).")
        return cleaned

    def messages(self) -> list[str]:
        return [
            f"{self.fields[name].label}: {message}" if name in self.fields else message
            for name, errors in self.errors.items()
            for message in errors
        ]


class DateRangeFilter(AuditFilter):
    """From and to days (both included) on one clock: the chosen branch's, or else the
    installation's (TIME_ZONE); the filter says which."""

    title = "date range"
    parameter_name = "occurred"
    template = "admin/audit/date_range_filter.html"

    def __init__(self, request, params, model, model_admin):
        self.dates = {name: params.pop(name, [""])[-1] for name in self.expected_parameters()}
        self.form = DateRangeForm(self.dates)
        self.branch = _chosen_branch(request) if any(self.dates.values()) else None
        super().__init__(request, params, model, model_admin)

    def lookups(self, request, model_admin):
        return [("", "")]

    def expected_parameters(self):
        return ["occurred_from", "occurred_to"]

    def has_output(self) -> bool:
        return True

    def value(self):
        return self.dates["occurred_from"] or self.dates["occurred_to"] or None

    def clean(self, value: str) -> tuple[datetime.date | None, datetime.date | None]:
        if not self.form.is_valid():
            raise ValidationError(self.form.messages())
        return self.form.cleaned_data["occurred_from"], self.form.cleaned_data["occurred_to"]

    @property
    def zone(self):
        return self.branch.zone if self.branch else timezone.get_default_timezone()

    def apply(self, queryset, value):
        start, end = value
        return filter_entries(
            queryset,
            start=local_day_bounds(start, self.zone)[0] if start else None,
            end=local_day_bounds(end, self.zone)[1] if end else None,
        )

    def choices(self, changelist):
        others = {key: value for key, value in changelist.get_filters_params().items() if key not in self.dates}
        clock = f"{self.branch.name}’s days ({self.branch.time_zone})" if self.branch else None
        yield {
            "dates": self.dates,
            "hidden": others,
            "errors": self.form.messages() if self.value() else [],
            "clock": clock or f"Days in {timezone.get_default_timezone_name()}; choose a branch for its days",
        }


def _chosen_branch(request) -> Branch | None:
    try:
        branch_id = uuid.UUID(request.GET.get(BranchFilter.parameter_name, ""))
    except ValueError:
        return None
    return Branch.objects.filter(pk=branch_id).first()
