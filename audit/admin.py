"""The managers' view of the audit trail: filters on indexed columns, a count that stops at a
cap, a readable before/after page, and exports of exactly what the filters show."""

from __future__ import annotations

import datetime
import uuid

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join

from audit.context import current_request_context
from audit.models import ActorType, AuditAction, AuditLog, AuditSource
from audit.selectors import EXPORT_FORMATS, filter_entries
from audit.services import Actor, audit_export
from clubs.models import Branch
from members.models import Member

EXPORT_PERMISSION = "audit.export_auditlog"
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}


class CappedCountPaginator(Paginator):
    """Counting millions of rows costs seconds; count up to a cap and say "more than"."""

    cap = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: self.cap + 1].count()

    @property
    def is_capped(self) -> bool:
        return self.count > self.cap


class ChoiceFilter(admin.SimpleListFilter):
    """A filter with a short, fixed list of choices, applied through `filter_entries`."""

    criterion = ""

    def queryset(self, request, queryset):
        value = self.value()
        return filter_entries(queryset, **{self.criterion: value}) if value else queryset


class ActionFilter(ChoiceFilter):
    title = "action"
    parameter_name = criterion = "action"

    def lookups(self, request, model_admin):
        return AuditAction.choices


class EntityTypeFilter(ChoiceFilter):
    title = "entity"
    parameter_name = criterion = "entity_type"

    def lookups(self, request, model_admin):
        names = sorted({action.split(".")[0] for action in AuditAction.values} | {"slot"})
        return [(name, name.replace("_", " ")) for name in names]


class BranchFilter(ChoiceFilter):
    title = "branch"
    parameter_name = criterion = "branch_id"

    def lookups(self, request, model_admin):
        return [(str(branch.pk), branch.name) for branch in Branch.objects.order_by("name")]


class ActorFilter(admin.SimpleListFilter):
    """Staff by name (a few dozen at most), or all members, or the system."""

    title = "actor"
    parameter_name = "actor"

    def lookups(self, request, model_admin):
        staff = get_user_model().objects.filter(is_staff=True).order_by("username")
        return [
            (f"{ActorType.SYSTEM}:", "System (commands, cron)"),
            (f"{ActorType.MEMBER}:", "Members (member app)"),
            *((f"{ActorType.STAFF}:{user.pk}", user.get_full_name() or user.username) for user in staff),
        ]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        actor_type, _, actor_id = self.value().partition(":")
        return filter_entries(queryset, actor_type=actor_type, actor_id=actor_id or None)


class InputFilter(admin.SimpleListFilter):
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

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        if not value:
            return queryset
        try:
            member_id = uuid.UUID(value)
        except ValueError:
            member_id = Member.objects.filter(member_number__iexact=value).values_list("id", flat=True).first()
        return filter_entries(queryset, member_id=member_id) if member_id else queryset.none()


class EntityIdFilter(InputFilter):
    title = "entity id"
    parameter_name = "entity_id"

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        return filter_entries(queryset, entity_id=value) if value else queryset


class DateRangeFilter(admin.SimpleListFilter):
    """From and to dates (inclusive), in the admin's time zone."""

    title = "date range"
    parameter_name = "occurred"
    template = "admin/audit/date_range_filter.html"

    def lookups(self, request, model_admin):
        return [("", "")]

    def expected_parameters(self):
        return ["occurred_from", "occurred_to"]

    def __init__(self, request, params, model, model_admin):
        self.dates = {name: params.pop(name, [""])[-1] for name in self.expected_parameters()}
        super().__init__(request, params, model, model_admin)

    def has_output(self) -> bool:
        return True

    def value(self):
        return self.dates["occurred_from"] or self.dates["occurred_to"] or None

    def queryset(self, request, queryset):
        start, end = parse_date(self.dates["occurred_from"] or ""), parse_date(self.dates["occurred_to"] or "")
        return filter_entries(
            queryset,
            start=_midnight(start) if start else None,
            end=_midnight(end + datetime.timedelta(days=1)) if end else None,
        )

    def choices(self, changelist):
        others = {key: value for key, value in changelist.get_filters_params().items() if key not in self.dates}
        yield {"dates": self.dates, "hidden": others}


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """Read-only: the trail is written by the services, never edited by hand."""

    list_display = ["occurred_at", "actor_label", "action", "entity_type", "entity_id", "source", "reason"]
    list_filter = [
        DateRangeFilter,
        ActorFilter,
        ActionFilter,
        EntityTypeFilter,
        EntityIdFilter,
        MemberFilter,
        BranchFilter,
        "source",
    ]
    list_select_related = ["organization"]
    show_full_result_count = False
    paginator = CappedCountPaginator
    ordering = ["-occurred_at"]
    fields = [
        "occurred_at",
        "actor_type",
        "actor_label",
        "actor_id",
        "action",
        "entity_type",
        "entity_id",
        "organization",
        "member_id",
        "branch_id",
        "change_table",
        "reason",
        "source",
        "request_id",
        "ip_address",
        "user_agent",
    ]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Change")
    def change_table(self, entry: AuditLog) -> str:
        old, new = entry.old_values or {}, entry.new_values or {}
        if not isinstance(old, dict) or not isinstance(new, dict):
            old, new = {"value": old}, {"value": new}
        fields = sorted(set(old) | set(new))
        if not fields:
            return "—"
        rows = format_html_join(
            "",
            "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
            ((name, _shown(old.get(name, "—")), _shown(new.get(name, "—"))) for name in fields),
        )
        return format_html(
            '<table class="audit-change"><thead><tr><th>Field</th><th>Before</th><th>After</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            rows,
        )

    def get_urls(self):
        export = self.admin_site.admin_view(self.export_view)
        return [path("export/<str:export_format>/", export, name="audit_auditlog_export"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_export": request.user.has_perm(EXPORT_PERMISSION)}
        extra_context["export_links"] = [
            (export_format.upper() if export_format == "csv" else "JSON Lines",
             f"{reverse('admin:audit_auditlog_export', args=[export_format])}?{request.GET.urlencode()}")
            for export_format in EXPORT_FORMATS
        ]  # fmt: skip
        return super().changelist_view(request, extra_context)

    def export_view(self, request, export_format: str):
        """Exports exactly what the changelist shows with the same query string, streamed."""
        if not request.user.has_perm(EXPORT_PERMISSION):
            raise PermissionDenied
        if export_format not in EXPORT_FORMATS:
            raise PermissionDenied  # not a format we make; no half-answers
        changelist = self.get_changelist_instance(request)
        queryset = changelist.get_queryset(request)
        chunks = audit_export(
            queryset=queryset,
            export_format=export_format,
            actor=Actor.staff(request.user),
            filters=dict(request.GET.items()),
            source=AuditSource.ADMIN,
            context=current_request_context(),
        )
        response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES[export_format])
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.{export_format}"'
        return response


def _shown(value) -> str:
    return value if isinstance(value, str) else "—" if value is None else str(value)
