"""Staff endpoint: the audit export, streamed, for managers only (as in the admin)."""

from __future__ import annotations

import datetime

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from audit.context import current_request_context
from audit.models import AuditSource
from audit.selectors import EXPORT_FORMATS, audit_entries
from audit.services import Actor, audit_export
from config.api import DayField, IsStaff, checked_query

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}
EXPORTED = {
    (200, content_type.split(";")[0]): OpenApiResponse(OpenApiTypes.STR, description="The entries, streamed.")
    for content_type in CONTENT_TYPES.values()
}


class ExportQuery(serializers.Serializer):
    start = DayField(help_text="First day (in TIME_ZONE), inclusive.")
    end = DayField(help_text="Last day, inclusive.")
    organization = serializers.UUIDField(required=False)
    action = serializers.CharField(required=False, max_length=64)
    # not "format": DRF reads ?format= to choose a renderer
    file_format = serializers.ChoiceField(choices=EXPORT_FORMATS, default="csv")

    def validate(self, data):
        if data["end"] < data["start"]:
            raise serializers.ValidationError({"end": "The last day is before the first."})
        return data


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time()))


class AuditExport(APIView):
    permission_classes = [IsStaff]
    required_permissions = ["audit.export_auditlog"]

    @extend_schema(
        parameters=[ExportQuery],
        responses=EXPORTED,
        description="The audit entries of the period, streamed: CSV (`file_format=csv`) or JSON Lines (`jsonl`).",
    )
    def get(self, request):
        data = checked_query(ExportQuery, request)
        criteria = {
            "start": _midnight(data["start"]),
            "end": _midnight(data["end"] + datetime.timedelta(days=1)),
            "organization_id": data.get("organization"),
            "action": data.get("action"),
        }
        chunks = audit_export(
            queryset=audit_entries(**criteria),
            export_format=data["file_format"],
            actor=Actor.staff(request.user),
            filters={key: str(value) for key, value in criteria.items() if value},
            source=AuditSource.API,
            context=current_request_context(),
        )
        response = StreamingHttpResponse(chunks, content_type=CONTENT_TYPES[data["file_format"]])
        response["Content-Disposition"] = f'attachment; filename="audit.{data["file_format"]}"'
        return response
