"""The managers' view of the audit trail: filters on indexed columns, a count that stops at a
cap, names and links instead of ids, every time on its branch's clock, a readable before/after
page, and exports of exactly what the filters show."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from audit.admin_names import EntryNames, describe_entries
from audit.context import current_request_context
from audit.filters import (
    ActionFilter,
    ActorFilter,
    BranchFilter,
    DateRangeFilter,
    EntityIdFilter,
    EntityTypeFilter,
    MemberFilter,
    SourceFilter,
)
from audit.models import AuditLog, AuditSource
from audit.selectors import EXPORT_FORMATS
from audit.services import Actor, audit_export
from clubs.admin_base import ClubChangeList

EXPORT_PERMISSION = "audit.export_auditlog"
CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
# A reason or note in the list: its first line, at most this long; the detail page has all of it.
LIST_REASON_CHARS = 80


class CappedCountPaginator(Paginator):
    """Counting millions of rows costs seconds; count up to a cap and say "more than"."""

    cap = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: self.cap + 1].count()

    @property
    def is_capped(self) -> bool:
        return self.count > self.cap


class AuditChangeList(ClubChangeList):
    """Names the page's entries in bulk once it is cut to a page, and knows which filters were
    refused; like the club's other lists, ignores what of the address it cannot use."""

    def get_results(self, request):
        super().get_results(request)
        self.result_list = describe_entries(self.result_list, request, self.model_admin.admin_site)

    @property
    def filter_refusals(self) -> list[str]:
        return [spec.refusal for spec in self.filter_specs if getattr(spec, "refusal", "")]


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    """Read-only: the trail is written by the services, never edited by hand."""

    list_display = ["when", "actor", "what", "item", "member", "short_reason"]
    list_filter = [
        DateRangeFilter,
        ActorFilter,
        ActionFilter,
        EntityTypeFilter,
        EntityIdFilter,
        MemberFilter,
        BranchFilter,
        SourceFilter,
    ]
    list_select_related = ["organization"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # counts per choice would count the whole trail, again and again
    paginator = CappedCountPaginator
    ordering = ["-occurred_at"]  # the real instant, whatever clock each row is shown on
    fields = [
        "when",
        "actor",
        "what",
        "item",
        "entity_id",
        "organization",
        "member",
        "branch",
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

    def get_changelist(self, request, **kwargs):
        return AuditChangeList

    def get_object(self, request, object_id, from_field=None):
        entry = super().get_object(request, object_id, from_field)
        return describe_entries([entry], request, self.admin_site)[0] if entry else None

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["subtitle"] = obj.names.summary  # what happened to what, rather than ids
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description="When", ordering="occurred_at")
    def when(self, entry: AuditLog) -> SafeString:
        return _instant(entry.occurred_at, entry.names)

    @admin.display(description="Who")
    def actor(self, entry: AuditLog) -> SafeString:
        return format_html(
            '{} <span class="audit-kind">via {}</span>', entry.names.actor.html(), entry.get_source_display()
        )

    @admin.display(description="Action", ordering="action")
    def what(self, entry: AuditLog) -> str:
        return entry.names.action

    @admin.display(description="Item", ordering="entity_type")
    def item(self, entry: AuditLog) -> SafeString:
        name = entry.names.item.html() if entry.names.item else ""
        return format_html('<span class="audit-kind">{}</span> {}', entry.names.kind, name)

    @admin.display(description="Member")
    def member(self, entry: AuditLog) -> SafeString | None:
        return entry.names.member.html() if entry.names.member else None

    @admin.display(description="Branch (whose clock)")
    def branch(self, entry: AuditLog) -> str:
        return entry.names.clock

    @admin.display(description="Reason or note")
    def short_reason(self, entry: AuditLog) -> SafeString:
        text = entry.reason.strip()
        first_line = text.splitlines()[0] if text else ""
        shown = Truncator(first_line).chars(LIST_REASON_CHARS)
        if shown == first_line and first_line != text:
            shown = f"{first_line} …"
        return format_html('<span class="audit-one-line">{}</span>', shown)

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
            (
                (name, _shown(old.get(name, "—"), entry.names), _shown(new.get(name, "—"), entry.names))
                for name in fields
            ),
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
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        for refusal in changelist.filter_refusals if changelist else ():
            messages.warning(request, refusal)  # before the response renders, so shown on this page
        return response

    def export_view(self, request, export_format: str):
        """Exports exactly what the changelist shows with the same query string, streamed."""
        if not request.user.has_perm(EXPORT_PERMISSION):
            raise PermissionDenied
        if export_format not in EXPORT_FORMATS:
            raise PermissionDenied  # not a format we make; no half-answers
        changelist = self.get_changelist_instance(request)
        if changelist.filter_refusals:
            # Exporting more than the manager asked for would be worse than exporting nothing.
            messages.error(request, "Nothing was exported: correct the filters below first.")
            return HttpResponseRedirect(f"{reverse('admin:audit_auditlog_changelist')}?{request.GET.urlencode()}")
        queryset = changelist.get_queryset(request)
        chunks = audit_export(
            queryset=queryset,
            export_format=export_format,
            actor=Actor.staff(request.user),
            filters=applied_filters(changelist),
            source=AuditSource.ADMIN,
            context=current_request_context(),
        )
        response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES[export_format])
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.{export_format}"'
        return response


def applied_filters(changelist) -> dict[str, str]:
    """The filters the export applied, for its own entry: what the list kept of the address (a
    value it could not use is gone), each value in a form the trail can hold (no NUL, not endless)."""
    return {name: value.replace("\x00", "")[:200] for name, value in changelist.params.items()}


def _instant(instant, names: EntryNames) -> SafeString:
    """An instant on the entry's branch clock; the machine-readable instant stays in the markup."""
    return format_html(
        '<time datetime="{}" title="{}">{}</time>', instant.isoformat(), names.clock, names.time(instant)
    )


def _shown(value, names: EntryNames) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        try:
            instant = parse_datetime(value)
        except ValueError:
            instant = None
        return _instant(instant, names) if instant and timezone.is_aware(instant) else value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
