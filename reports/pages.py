"""The managers' report pages, mounted under /admin/reports/report/ by the admin of `Report`: an
index and the four reports (utilisation, attendance, waitlists, overrides) for a branch and a
period. Each page reads its figures with one selector (one SQL aggregate), and its chart, its
tables and their CSV downloads are all made from that one result.

Managers only: every page checks `reports.view_report` itself (the admin's own check only asks for
a staff user), so the front desk meets the admin's 403 page.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats

from bookings.models import OverrideReason
from clubs import localtime
from reports import charts
from reports.periods import MAX_DAYS, Period, PeriodForm, report_branches
from reports.selectors import (
    WEEKDAYS,
    Subject,
    attendance,
    overrides,
    utilisation,
    waitlists,
)
from reports.tables import Row, Table, count, duration, percent

PERMISSION = "reports.view_report"


def may_read_reports(user) -> bool:
    return user.is_active and user.is_staff and user.has_perm(PERMISSION)


def require_reports(request) -> None:
    if not may_read_reports(request.user):
        raise PermissionDenied


@dataclass(frozen=True)
class Control:
    """A choice of the report's own beside the period (which subject, which measure)."""

    name: str
    label: str
    options: list[tuple[str, str]]
    selected: str


@dataclass
class Shown:
    """What a report page shows: a chart, its tables, its own choices, or why there is nothing."""

    chart: charts.Chart | None = None
    chart_title: str = ""
    legend: list[charts.LegendEntry] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    controls: list[Control] = field(default_factory=list)
    empty: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Report:
    slug: str
    title: str
    summary: str
    build: Callable[[Period, dict], Shown]


def _week_label(first: datetime.date, last: datetime.date) -> str:
    """9–15 Nov, 30 Nov–6 Dec"""
    if first == last:
        return formats.date_format(first, "j M")
    if first.month == last.month:
        return f"{first.day}–{formats.date_format(last, 'j M')}"
    return f"{formats.date_format(first, 'j M')}–{formats.date_format(last, 'j M')}"


def _subject_control(subjects, chosen: Subject | None, everything: str) -> Control:
    options = [("", everything)] + [
        (subject.key, f"{subject.name} ({subject.kind_label.lower()})") for subject in subjects
    ]
    return Control("subject", "Show", options, chosen.key if chosen else "")


def _chosen_subject(query: dict, subjects, shown: Shown) -> Subject | None:
    asked = query.get("subject") or ""
    subject = Subject.from_key(asked)
    if asked and subject not in subjects:
        shown.notes.append("That facility or class has nothing in this period: showing every facility and class.")
        return None
    return subject


def _link(query: dict, **changes) -> str:
    """The page's own query string with `changes` (a value of None drops the parameter)."""
    merged = {key: value for key, value in {**query, **changes}.items() if value not in (None, "")}
    return "?" + urlencode(merged)


# --- 1. Utilisation ---------------------------------------------------------------------------

MEASURES = {"booked": "Places booked", "attended": "Places attended"}


def build_utilisation(period: Period, query: dict) -> Shown:
    figures = utilisation(period)
    shown = Shown()
    if not figures.total.sessions:
        shown.empty = (
            f"No slots or classes start at {period.branch.name} between {period.label}. Pick another period or"
            " branch: slots and classes exist once the nightly run has made them (ensure_slots, ensure_classes)."
        )
        return shown
    subject = _chosen_subject(query, figures.subjects, shown)
    measure = query.get("measure") if query.get("measure") in MEASURES else "booked"
    shown.controls = [
        _subject_control(figures.subjects, subject, "Every facility and class"),
        Control("measure", "Colour by", list(MEASURES.items()), measure),
    ]
    hours = figures.hours
    cells = figures.cells_of(subject)
    heat, rows = {}, []
    for day in range(1, 8):
        for column, hour in enumerate(hours):
            usage = cells.get((day, hour))
            if usage is None:
                continue
            when = f"{WEEKDAYS[day - 1]} {hour:02d}:00–{hour + 1:02d}:00"
            share = usage.booked_share if measure == "booked" else usage.attended_share
            heat[(day - 1, column)] = charts.HeatCell(
                share,
                percent(share),
                f"{when}: {usage.sessions} sessions, {usage.places} places, {usage.booked} booked"
                f" ({percent(usage.booked_share)}), {usage.attended} attended ({percent(usage.attended_share)})",
            )
            rows.append(Row((WEEKDAYS[day - 1][:3], f"{hour:02d}:00", *_usage_cells(usage))))
    whole = figures.subjects[subject] if subject else figures.total
    rows.append(Row(("Every day", "Every hour", *_usage_cells(whole)), total=True))
    name = subject.name if subject else "every facility and class"
    shown.chart_title = f"{MEASURES[measure]} of those offered: {name}, by weekday and hour starting"
    shown.chart = charts.heatmap(
        [day[:3] for day in WEEKDAYS], [f"{hour:02d}" for hour in hours], heat, shown.chart_title
    )
    shown.tables.append(
        Table(
            "hours",
            f"By weekday and hour: {name}",
            ("Weekday", "Hour", "Sessions", "Places", "Booked", "Booked %", "Attended", "Attended %"),
            rows,
            numeric_from=2,
        )
    )
    subject_rows = [
        Row(
            (each.name, each.kind_label, *_usage_cells(usage)),
            link=_link(query, subject=each.key),
            selected=each == subject,
        )
        for each, usage in figures.subjects.items()
    ]
    subject_rows.append(
        Row(
            ("Every facility and class", "", *_usage_cells(figures.total)),
            total=True,
            link=_link(query, subject=None),
            selected=subject is None,
        )
    )
    shown.tables.append(
        Table(
            "subjects",
            "By facility and class over the period",
            ("Facility or class", "Kind", "Sessions", "Places", "Booked", "Booked %", "Attended", "Attended %"),
            subject_rows,
            numeric_from=2,
            note="Choose a facility or class to see its own heatmap.",
        )
    )
    shown.notes.append(
        "Booked: bookings holding a place (confirmed, attended or no-show). Each slot or class counts in the"
        " hour it starts, on the branch's clock. Cancelled classes are left out."
    )
    return shown


def _usage_cells(usage) -> tuple[str, ...]:
    return (
        count(usage.sessions),
        count(usage.places),
        count(usage.booked),
        percent(usage.booked_share),
        count(usage.attended),
        percent(usage.attended_share),
    )


# --- 2. Attendance ----------------------------------------------------------------------------

OUTCOME_COLOURS = {
    "attended": ("Attended", "#16a34a"),
    "no_show": ("No-show", "#dc2626"),
    "late_cancelled": ("Late cancel", "#f59e0b"),
    "not_marked": ("Not marked", "#9ca3af"),
}


def build_attendance(period: Period, query: dict) -> Shown:
    figures = attendance(period)
    shown = Shown()
    if not figures.total.booked:
        shown.empty = (
            f"Nobody had a place booked at {period.branch.name} between {period.label}. Pick another period or branch."
        )
        return shown
    subject = _chosen_subject(query, figures.subjects, shown)
    shown.controls = [_subject_control(figures.subjects, subject, "Every facility and class")]
    bars, rows = [], []
    for week, outcomes in figures.weeks_of(subject):
        label = _week_label(week.first, week.last)
        segments = []
        for name, (words, colour) in OUTCOME_COLOURS.items():
            value = getattr(outcomes, name)
            tooltip = f"{label}: {value} {words.lower()} ({percent(outcomes.share(value))})"
            segments.append(charts.Segment(value, colour, tooltip))
        bars.append(
            charts.Bar(
                label,
                segments,
                note=count(outcomes.booked) if outcomes.booked else "none",
                tooltip=f"{label}: {outcomes.booked} booked",
            )
        )
        rows.append(Row((label, *_outcome_cells(outcomes))))
    whole = figures.subjects[subject] if subject else figures.total
    rows.append(Row(("Every week", *_outcome_cells(whole)), total=True))
    name = subject.name if subject else "every facility and class"
    shown.chart_title = f"How the places booked ended, week by week: {name} (bookings above each week)"
    shown.chart = charts.shares(bars, shown.chart_title)
    shown.legend = [charts.LegendEntry(words, colour) for words, colour in OUTCOME_COLOURS.values()]
    columns = ("Booked", "Attended", "No-show", "Late cancel", "Not marked", "Attended %", "No-show %", "Late cancel %")
    shown.tables.append(Table("weeks", f"Week by week: {name}", ("Week", *columns), rows))
    subject_rows = [
        Row(
            (each.name, each.kind_label, *_outcome_cells(outcomes)),
            link=_link(query, subject=each.key),
            selected=each == subject,
        )
        for each, outcomes in figures.subjects.items()
    ]
    subject_rows.append(
        Row(
            ("Every facility and class", "", *_outcome_cells(figures.total)),
            total=True,
            link=_link(query, subject=None),
            selected=subject is None,
        )
    )
    shown.tables.append(
        Table(
            "subjects",
            "By facility and class over the period",
            ("Facility or class", "Kind", *columns),
            subject_rows,
            numeric_from=2,
            note="Choose a facility or class to see its weeks.",
        )
    )
    shown.notes.append(
        "Booked: the places still held within the cancellation cutoff, whatever became of them (free"
        " cancellations and waitlist places are not counted). Not marked: nobody checked the member in or"
        " marked a no-show. Weeks are seven days from the period's first day, on the branch's clock."
    )
    return shown


def _outcome_cells(outcomes) -> tuple[str, ...]:
    return (
        count(outcomes.booked),
        count(outcomes.attended),
        count(outcomes.no_show),
        count(outcomes.late_cancelled),
        count(outcomes.not_marked),
        percent(outcomes.share(outcomes.attended)),
        percent(outcomes.share(outcomes.no_show)),
        percent(outcomes.share(outcomes.late_cancelled)),
    )


# --- 3. Waitlists -----------------------------------------------------------------------------

WAIT_COLOURS = {
    "promoted": ("Promoted", "#16a34a"),
    "left": ("Left the waitlist", "#f59e0b"),
    "still_waiting": ("Still waiting at the start", "#9ca3af"),
}


def build_waitlists(period: Period, query: dict) -> Shown:
    figures = waitlists(period)
    shown = Shown()
    if not figures.total.joined:
        shown.empty = f"Nobody joined a waitlist for a slot or class at {period.branch.name} between {period.label}."
        return shown
    bars, rows = [], []
    for subject, waits in figures.subjects.items():
        bars.append(
            charts.Bar(
                subject.name,
                [
                    charts.Segment(
                        getattr(waits, name), colour, f"{subject.name}: {getattr(waits, name)} {words.lower()}"
                    )
                    for name, (words, colour) in WAIT_COLOURS.items()
                ],
                note=f"{waits.joined} joined"
                + (f", median {duration(waits.median_seconds)}" if waits.promoted else ""),
                tooltip=f"{subject.name}: {waits.joined} joined, {waits.promoted} promoted",
            )
        )
        rows.append(Row((subject.name, subject.kind_label, *_wait_cells(waits))))
    rows.append(Row(("Every facility and class", "", *_wait_cells(figures.total)), total=True))
    shown.chart_title = "Members who joined a waitlist, by what became of them (median wait for a place after)"
    shown.chart = charts.rows(bars, shown.chart_title)
    shown.legend = [charts.LegendEntry(words, colour) for words, colour in WAIT_COLOURS.values()]
    shown.tables.append(
        Table(
            "subjects",
            "By facility and class",
            (
                "Facility or class",
                "Kind",
                "Joined",
                "Promoted",
                "Promoted %",
                "Left the waitlist",
                "Still waiting at the start",
                "Median time to promotion",
                "Average time to promotion",
            ),  # fmt: skip
            rows,
            numeric_from=2,
        )
    )
    shown.notes.append(
        "Joined: every waitlist place taken for a slot or class starting in the period. Promoted: given a place"
        " when someone cancelled; the time to promotion runs from joining to that moment. Left: cancelled while"
        " still waiting."
    )
    return shown


def _wait_cells(waits) -> tuple[str, ...]:
    return (
        count(waits.joined),
        count(waits.promoted),
        percent(waits.promoted_share),
        count(waits.left),
        count(waits.still_waiting),
        duration(waits.median_seconds),
        duration(waits.average_seconds),
    )


# --- 4. Overrides -----------------------------------------------------------------------------

REASON_COLOURS = {
    OverrideReason.VIP: "#7c3aed",
    OverrideReason.MEDICAL: "#0891b2",
    OverrideReason.SERVICE_RECOVERY: "#16a34a",
    OverrideReason.STAFF_ERROR: "#dc2626",
    OverrideReason.MANAGER_DISCRETION: "#2563eb",
    OverrideReason.OTHER: "#9ca3af",
}
REASON_LABELS = dict(OverrideReason.choices)


def _reason_label(code: str) -> str:
    return REASON_LABELS.get(code, code or "No reason recorded")


def build_overrides(period: Period, query: dict) -> Shown:
    figures = overrides(period)
    shown = Shown()
    if not figures.total.overrides:
        shown.empty = f"Nobody booked beyond capacity or entitlement at {period.branch.name} between {period.label}."
        return shown
    bars, rows = [], []
    for staff in figures:
        bars.append(
            charts.Bar(
                staff.name,
                [  # each reason in the same place on every bar: the legend's order
                    charts.Segment(
                        staff.by_reason[code].overrides,
                        colour,
                        f"{staff.name}: {staff.by_reason[code].overrides} × {_reason_label(code)}",
                    )
                    for code, colour in REASON_COLOURS.items()
                    if code in staff.by_reason
                ],
                note=f"{staff.figures.overrides}"
                + (f", up to {staff.figures.most_beyond} beyond capacity" if staff.figures.most_beyond else ""),
                tooltip=f"{staff.name}: {staff.figures.overrides} overrides",
            )
        )
        rows.append(Row((staff.name, "All reasons", *_override_cells(staff.figures)), total=True))
        rows.extend(
            Row((staff.name, _reason_label(code), *_override_cells(numbers)))
            for code, numbers in staff.by_reason.items()
        )
    rows.append(Row(("Everyone", "All reasons", *_override_cells(figures.total)), total=True))
    shown.chart_title = "Overrides per staff member, by reason (the most places beyond capacity after)"
    used = {code for staff in figures for code in staff.by_reason}
    shown.chart = charts.rows(bars, shown.chart_title)
    shown.legend = [
        charts.LegendEntry(label, REASON_COLOURS[code]) for code, label in OverrideReason.choices if code in used
    ]
    shown.tables.append(
        Table(
            "staff",
            "By staff member and reason",
            (
                "Staff member",
                "Reason",
                "Overrides",
                "Over capacity",
                "Entitlement only",
                "Places beyond capacity (average)",
                "Most beyond capacity",
                "Latest notes",
            ),  # fmt: skip
            rows,
            numeric_from=2,
            numeric_until=7,
            wide=True,
        )
    )
    shown.notes.append(
        "Over capacity: booked although the slot or class was full; \u201c11 of 10\u201d is one place beyond."
        " Entitlement only: the member's allowance was set aside, not the capacity. Counted by the start of the"
        " slot or class, cancelled bookings included (the decision was made)."
    )
    return shown


def _override_cells(numbers) -> tuple[str, ...]:
    average = numbers.average_beyond
    return (
        count(numbers.overrides),
        count(numbers.beyond_capacity),
        count(numbers.entitlement_only),
        "–" if average is None else f"{average:.1f}",
        count(numbers.most_beyond),
        " · ".join(note for note in numbers.notes if note),
    )


REPORTS = [
    Report(
        "utilisation",
        "Utilisation",
        "How full each facility and class is, by weekday and hour: a heatmap of places booked and attended.",
        build_utilisation,
    ),
    Report(
        "attendance",
        "Attendance",
        "Booked, attended, no-show and late-cancel rates per class and facility, week by week.",
        build_attendance,
    ),
    Report(
        "waitlists",
        "Waitlists",
        "Who joined a waitlist, who got a place and how long it took, who never did.",
        build_waitlists,
    ),
    Report(
        "overrides",
        "Overrides",
        "Who booked beyond capacity or entitlement, why, and how far beyond.",
        build_overrides,
    ),
]
BY_SLUG = {report.slug: report for report in REPORTS}


def _page(request, template: str, *, title: str, **context) -> TemplateResponse:
    """The admin's context for every page (AdminSite.each_context) but the list of every app and
    model, which asks each model's admin for the user's permissions to fill the sidebar these pages
    do not show: a good part of a small report's time."""
    site = admin.site
    script_name = request.META["SCRIPT_NAME"]
    page = {
        "site_title": site.site_title,
        "site_header": site.site_header,
        "site_url": script_name if site.site_url == "/" and script_name else site.site_url,
        "has_permission": site.has_permission(request),
        "available_apps": [],
        "is_popup": False,
        "is_nav_sidebar_enabled": False,
        "log_entries": site.get_log_entries(request),
        "title": title,
    }
    return TemplateResponse(request, template, {**page, **context})


# The branch a manager last chose, kept in their session: the reports open on it next time.
REMEMBERED_BRANCH = "reports_branch"


def _period_context(request) -> dict:
    branches = report_branches()
    form = PeriodForm(request.GET, branches=branches, remembered=request.session.get(REMEMBERED_BRANCH, ""))
    period = form.period
    if period and request.session.get(REMEMBERED_BRANCH) != str(period.branch.pk):
        request.session[REMEMBERED_BRANCH] = str(period.branch.pk)
    query = {key: request.GET.get(key, "") for key in ("branch", "from", "to") if request.GET.get(key)}
    if period:
        query = period.query()
    return {
        "form": form,
        "period": period,
        "branches": branches,
        "values": {
            "branch": str(period.branch.pk) if period else request.GET.get("branch", ""),
            "from": period.first.isoformat() if period else request.GET.get("from", ""),
            "to": period.last.isoformat() if period else request.GET.get("to", ""),
        },
        "query": query,
        "query_string": _link(query) if query else "",
        "shortcuts": _shortcuts(period) if period else [],
        "max_days": MAX_DAYS,
    }


def _shortcuts(period: Period) -> list[tuple[str, str]]:
    """The usual periods, ending yesterday on the branch's clock."""
    yesterday = localtime.local_today(period.branch) - datetime.timedelta(days=1)
    links = []
    for label, days in (("Last 4 weeks", 28), ("Last 13 weeks", 91)):
        first = yesterday - datetime.timedelta(days=days - 1)
        links.append(
            (label, _link({"branch": period.branch.pk, "from": first.isoformat(), "to": yesterday.isoformat()}))
        )
    return links


def index(request):
    require_reports(request)
    context = _period_context(request)
    links = [(report, reverse(f"admin:reports_{report.slug}") + _link(context["query"])) for report in REPORTS]
    return _page(request, "admin/reports/index.html", title="Reports", reports=links, **context)


def report_view(slug: str):
    report = BY_SLUG[slug]

    def view(request):
        require_reports(request)
        context = _period_context(request)
        period = context["period"]
        own = {key: request.GET.get(key) for key in ("subject", "measure") if request.GET.get(key)}
        shown = report.build(period, {**context["query"], **own}) if period else Shown()
        asked = request.GET.get("csv")
        if period and asked:
            table = next((table for table in shown.tables if table.key == asked), None)
            if table is not None:
                return table.csv_response(period, report.slug)
        base = {**context["query"], **{control.name: control.selected for control in shown.controls}}
        return _page(
            request,
            "admin/reports/report.html",
            title=report.title,
            report=report,
            shown=shown,
            tabs=[(each, reverse(f"admin:reports_{each.slug}") + _link(context["query"])) for each in REPORTS],
            tables=[(table, _link(base, csv=table.key)) for table in shown.tables],
            **context,
        )

    view.__name__ = f"{slug}_report"
    return view


def to_index(request, *args, **kwargs):
    """The admin's own addresses of a model (add, change, history, delete): reports have no objects,
    so they lead to the reports' index."""
    require_reports(request)
    return HttpResponseRedirect(reverse("admin:reports_report_changelist"))


def urls(admin_site) -> list:
    return [
        path("", admin_site.admin_view(index), name="reports_report_changelist"),
        *[
            path(f"{report.slug}/", admin_site.admin_view(report_view(report.slug)), name=f"reports_{report.slug}")
            for report in REPORTS
        ],
        path("add/", admin_site.admin_view(to_index), name="reports_report_add"),
        path("<path:object_id>/history/", admin_site.admin_view(to_index), name="reports_report_history"),
        path("<path:object_id>/delete/", admin_site.admin_view(to_index), name="reports_report_delete"),
        path("<path:object_id>/change/", admin_site.admin_view(to_index), name="reports_report_change"),
    ]
