"""Schedule changes with a preview: what a new capacity, new days or hours or a changed timetable
entry do to the slots and classes already made, applied to the future in one transaction.

Two admin pages, one per kind of change, for managers (the permission to change the facility and
its settings, or the timetable): the proposed values as a form (from the address, where saving the
facility, its settings or the entry leads, or typed here), the preview of what they do (figures,
and the items that keep bookings the change would otherwise drop or whose times it changes, with
who booked them), and
"Apply to the settings and the future", which applies them (schedule.services) and shows what was
done. Every value is checked again here: a value the form refuses is a form error, never a 500.
Times are on the branch's clock, labelled with its zone.
"""

from __future__ import annotations

import copy
import datetime
from dataclasses import dataclass

from django import forms
from django.apps import apps
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats
from django.utils.http import url_has_allowed_host_and_scheme

from audit.services import Actor
from classes.models import ClassTimetableEntry
from clubs import localtime
from config.errors import RuleViolation
from facilities.models import FACILITY_DEFAULTS, BenefitSetting, Facility, Weekday
from schedule.services import ItemLine, ScheduleChangeReport, facility_schedule_change, timetable_entry_change

FACILITY_PERMISSIONS = ("facilities.change_facility", "facilities.change_benefitsetting")
TIMETABLE_PERMISSIONS = ("classes.change_classtimetableentry",)
# Another transaction held a lock the change needed in an order that could never be granted, or
# the changes could not be made one after the other: nothing was applied, and trying again works.
RETRYABLE_SQLSTATES = {"40P01", "40001"}
# Listed items shown per list; the figures count them all.
SHOWN = 200


class FacilityShapeForm(forms.ModelForm):
    """A facility's booking shape: the settings' capacity, hours and slot length, and the
    facility's own capacity (what an empty settings capacity means) and days of the week."""

    facility_capacity = forms.IntegerField(
        label="Facility's capacity",
        min_value=1,
        max_value=32767,
        help_text="People per slot when the capacity above is empty.",
    )
    available_days = forms.TypedMultipleChoiceField(
        label="Available days",
        choices=Weekday.choices,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text="Days of the week on which slots are made.",
        error_messages={"required": "Choose the days of the week it is open."},
    )

    class Meta:
        model = BenefitSetting
        fields = ["capacity", "opens_at", "closes_at", "slot_minutes"]
        labels = {"capacity": "Capacity per slot", "opens_at": "Opens at", "closes_at": "Closes at"}
        widgets = {
            "opens_at": forms.TimeInput(format="%H:%M", attrs={"size": 6}),
            "closes_at": forms.TimeInput(format="%H:%M", attrs={"size": 6}),
        }


class TimetableEntryForm(forms.ModelForm):
    """A timetable entry's fields but its branch (an entry stays at its branch)."""

    class Meta:
        model = ClassTimetableEntry
        fields = ["title", "instructor", "room", "capacity", "weekday", "starts_at_local", "duration_minutes",
                  "valid_from", "valid_until"]  # fmt: skip
        widgets = {
            "starts_at_local": forms.TimeInput(format="%H:%M", attrs={"size": 6}),
            "valid_from": forms.DateInput(attrs={"type": "date"}),
            "valid_until": forms.DateInput(attrs={"type": "date"}),
        }


@dataclass(frozen=True)
class Row:
    """A listed slot or class as the page shows it, on the branch's clock."""

    line: ItemLine
    when: str
    was: str
    roster_url: str
    people: list[tuple[str, str, str]]  # (name and number, contact, profile link)


@dataclass(frozen=True)
class Difference:
    label: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def _time(value: str | None) -> str:
    """07:00 from the report's 07:00:00."""
    return value[:5] if value else ""


def _day(value) -> str:
    if not value:
        return "no end"
    day = value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)
    return formats.date_format(day, localtime.DAY)


def _capacity(values: dict) -> str:
    if values.get("settings_capacity") is None:
        return f"{values['capacity']} (the facility's)"
    return str(values["capacity"])


def days_label(days) -> str:
    """A set of ISO weekdays as the facilities list says them: "Every day", "Mon, Wed, Fri" or "None"."""
    days = sorted(set(days or ()))
    if days == Weekday.values:
        return "Every day"
    return ", ".join(Weekday(day).label[:3] for day in days) or "None"


def facility_differences(report: ScheduleChangeReport) -> list[Difference]:
    before, after = report.before, report.after
    return [
        Difference("Capacity per slot", _capacity(before), _capacity(after)),
        Difference("Available days", days_label(before["available_days"]), days_label(after["available_days"])),
        Difference(
            "Hours",
            f"{_time(before['opens_at'])}–{_time(before['closes_at'])}",
            f"{_time(after['opens_at'])}–{_time(after['closes_at'])}",
        ),
        Difference("Slot length", f"{before['slot_minutes']} minutes", f"{after['slot_minutes']} minutes"),
    ]


def entry_differences(report: ScheduleChangeReport) -> list[Difference]:
    weekdays = dict(ClassTimetableEntry._meta.get_field("weekday").choices)
    before, after = report.before, report.after
    return [
        Difference("Title", before["title"], after["title"]),
        Difference("Instructor", before["instructor"] or "—", after["instructor"] or "—"),
        Difference("Room or facility", before["room"] or "—", after["room"] or "—"),
        Difference("Weekday", weekdays.get(before["weekday"], ""), weekdays.get(after["weekday"], "")),
        Difference("Starts at (branch time)", _time(before["starts_at_local"]), _time(after["starts_at_local"])),
        Difference("Duration", f"{before['duration_minutes']} minutes", f"{after['duration_minutes']} minutes"),
        Difference("Capacity", str(before["capacity"]), str(after["capacity"])),
        Difference("Valid from", _day(before["valid_from"]), _day(after["valid_from"])),
        Difference("Valid until", _day(before["valid_until"]), _day(after["valid_until"])),
    ]


def _say(count: int, one: str, many: str) -> str:
    """`one` or `many` as `count` asks, with the count put in for {n}."""
    return (one if count == 1 else many).format(n=count) if count else ""


def facility_figures(report: ScheduleChangeReport) -> list[str]:
    f = report.figures
    lines = [
        _say(f["capacity_changed"], "Capacity changes on 1 slot.", "Capacity changes on {n} slots."),
        _say(f["times_changed"], "Times change on 1 slot.", "Times change on {n} slots."),
        _say(f["created"], "1 new slot is made.", "{n} new slots are made."),
        _say(f["removed"], "1 slot is removed: nobody had booked it.", "{n} slots are removed: nobody booked them."),
        _say(
            f["kept"],
            "1 slot the new values no longer hold is kept as it is, with its bookings (listed below).",
            "{n} slots the new values no longer hold are kept as they are, with their bookings (listed below).",
        ),
        _say(
            f["kept_cancelled"],
            "1 slot the new values no longer hold is kept as it is: cancelled bookings name it, and their history "
            "stays.",
            "{n} slots the new values no longer hold are kept as they are: cancelled bookings name them, and their "
            "history stays.",
        ),
    ]
    return [line for line in lines if line]


def entry_figures(report: ScheduleChangeReport) -> list[str]:
    f = report.figures
    lines = [
        _say(f["moved"], "1 class moves to the new time, with its bookings.",
             "{n} classes move to the new time, with their bookings."),
        _say(f["updated"] - f["moved"], "1 more class takes the new details.",
             "{n} more classes take the new details."),
        _say(f["created"], "1 new class is made.", "{n} new classes are made."),
        _say(f["removed"], "1 class no longer in the timetable is removed: nobody had booked it.",
             "{n} classes no longer in the timetable are removed: nobody had booked them."),
        _say(f["cancelled"], "1 class no longer in the timetable is marked cancelled: only cancelled bookings name it.",
             "{n} classes no longer in the timetable are marked cancelled: only cancelled bookings name them."),
        _say(f["kept"], "1 class no longer in the timetable is kept as it is, with its bookings (listed below).",
             "{n} classes no longer in the timetable are kept as they are, with their bookings (listed below)."),
        _say(f["kept_own"], "1 class changed by hand keeps what was changed by hand.",
             "{n} classes changed by hand keep what was changed by hand."),
    ]  # fmt: skip
    return [line for line in lines if line]


def _rows(lines: list[ItemLine], kind: str, zone: str) -> list[Row]:
    rows = []
    for line in lines[:SHOWN]:
        people = [
            (
                f"{booker.name} (#{booker.number})" + (", waiting" if booker.status == "waitlisted" else ""),
                " · ".join(contact for contact in (booker.phone, booker.email) if contact),
                reverse("admin:desk_member", args=[booker.member_id]),
            )
            for booker in line.bookings
        ]
        was = localtime.local_range(line.was_starts_at, line.was_ends_at, zone) if line.was_starts_at else ""
        rows.append(
            Row(
                line=line,
                when=localtime.local_range(line.starts_at, line.ends_at, zone),
                was=was,
                roster_url=reverse("admin:desk_roster", args=[kind, line.id]),
                people=people,
            )
        )
    return rows


def _require(request, permissions: tuple[str, ...]) -> None:
    if not all(request.user.has_perm(permission) for permission in permissions):
        raise PermissionDenied


def _back(request, default: str) -> str:
    """Where "Back" leads: the page the change came from, when it is one of this site's."""
    back = request.POST.get("next") or request.GET.get("next") or ""
    if "\x00" not in back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return back
    return default


def _bound_data(request, form_class) -> dict | None:
    """The values to check: posted (apply), or in the address (preview); None for neither."""
    if request.method == "POST":
        return request.POST
    names = [*form_class.base_fields]
    return request.GET if any(name in request.GET for name in names) else None


class SchedulePages:
    def __init__(self, admin_site):
        self.admin_site = admin_site

    def _render(self, request, template: str, **context) -> TemplateResponse:
        return TemplateResponse(request, template, {**self.admin_site.each_context(request), **context})

    def _run(self, request, form, change) -> ScheduleChangeReport | None:
        try:
            return change()
        except RuleViolation as violation:
            form.add_error(None, violation.message)
        except DatabaseError as error:
            if getattr(error.__cause__, "sqlstate", None) not in RETRYABLE_SQLSTATES:
                raise
            form.add_error(None, "The schedule was being changed at the same moment: nothing was applied. Try again.")
        return None

    def facility(self, request, facility_id):
        _require(request, FACILITY_PERMISSIONS)
        facility = get_object_or_404(Facility.objects.select_related("branch"), pk=facility_id)
        settings = BenefitSetting.objects.filter(facility=facility).first() or BenefitSetting(
            organization_id=facility.organization_id
        )
        settings.facility = facility  # read already: the form's checks ask for it
        data = _bound_data(request, FacilityShapeForm)
        initial = {"facility_capacity": facility.capacity, "available_days": sorted(facility.available_days)}
        form = FacilityShapeForm(data, instance=copy.copy(settings), initial=initial)
        back = _back(request, reverse("admin:facilities_facility_change", args=[facility.pk]))
        report = None
        if data is not None and form.is_valid():
            values = form.cleaned_data
            report = self._run(
                request,
                form,
                lambda: facility_schedule_change(
                    facility=facility,
                    capacity=values["capacity"],
                    opens_at=values["opens_at"],
                    closes_at=values["closes_at"],
                    slot_minutes=values["slot_minutes"],
                    facility_capacity=values["facility_capacity"],
                    available_days=values["available_days"],
                    actor=Actor.staff(request.user),
                    apply=request.method == "POST",
                ),
            )
        if report and report.applied and report.changes_anything:
            messages.success(request, f"{facility.name}: the new settings apply from now on, to the future too.")
        zone = facility.branch.time_zone
        return self._render(
            request,
            "admin/schedule/change_facility.html",
            title=f"Schedule change: {facility.name}",
            subtitle=facility.branch.name,
            subject=facility,
            subject_url=reverse("admin:facilities_facility_change", args=[facility.pk]),
            app_label="facilities",
            app_name=apps.get_app_config("facilities").verbose_name,
            model_name=Facility._meta.verbose_name_plural,
            changelist_url=reverse("admin:facilities_facility_changelist"),
            items="slots",
            form=form,
            report=report,
            differences=facility_differences(report) if report else [],
            figures=facility_figures(report) if report else [],
            **_listings(report, "slot", zone),
            zone=zone,
            range=_range(report),
            back=back,
            defaults=FACILITY_DEFAULTS,
        )

    def timetable_entry(self, request, entry_id):
        _require(request, TIMETABLE_PERMISSIONS)
        entry = get_object_or_404(ClassTimetableEntry.objects.select_related("branch"), pk=entry_id)
        data = _bound_data(request, TimetableEntryForm)
        form = TimetableEntryForm(data, instance=copy.copy(entry))
        back = _back(request, reverse("admin:classes_classtimetableentry_change", args=[entry.pk]))
        report = None
        if data is not None and form.is_valid():
            values = form.cleaned_data
            report = self._run(
                request,
                form,
                lambda: timetable_entry_change(
                    entry=entry,
                    **{name: values[name] for name in TimetableEntryForm.Meta.fields},
                    actor=Actor.staff(request.user),
                    apply=request.method == "POST",
                ),
            )
        if report and report.applied and report.changes_anything:
            messages.success(request, f"{values['title']}: the timetable entry and its future classes are changed.")
        zone = entry.branch.time_zone
        return self._render(
            request,
            "admin/schedule/change_timetable_entry.html",
            title=f"Schedule change: {entry.title}",
            subtitle=entry.branch.name,
            subject=entry,
            subject_url=reverse("admin:classes_classtimetableentry_change", args=[entry.pk]),
            app_label="classes",
            app_name=apps.get_app_config("classes").verbose_name,
            model_name=ClassTimetableEntry._meta.verbose_name_plural,
            changelist_url=reverse("admin:classes_classtimetableentry_changelist"),
            items="classes",
            form=form,
            report=report,
            differences=entry_differences(report) if report else [],
            figures=entry_figures(report) if report else [],
            **_listings(report, "class", zone),
            zone=zone,
            range=_range(report),
            back=back,
        )


def _listings(report: ScheduleChangeReport | None, kind: str, zone: str) -> dict:
    """Each list's rows as shown, and how many more it holds."""
    names = ("over_capacity", "outside", "moved")
    if report is None:
        return {name: [] for name in names}
    listed = {}
    for name in names:
        lines = getattr(report, name)
        listed[name] = _rows(lines, kind, zone)
        listed[f"{name}_more"] = max(0, len(lines) - SHOWN)
    return listed


def _range(report: ScheduleChangeReport | None) -> str:
    if report is None:
        return ""
    first, last = (formats.date_format(day, localtime.DAY) for day in (report.first_day, report.last_day))
    return first if first == last else f"{first} to {last}"


def urls(admin_site) -> list:
    pages = SchedulePages(admin_site)
    view = admin_site.admin_view
    return [
        path("changes/facility/<uuid:facility_id>/", view(pages.facility), name="schedule_change_facility"),
        path("changes/timetable/<uuid:entry_id>/", view(pages.timetable_entry), name="schedule_change_timetable_entry"),
    ]
