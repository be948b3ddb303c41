"""Member endpoint: my entitlements, with what I have used in the current period."""

from __future__ import annotations

from django.db import connection
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import IsMember


class EntitlementUse(serializers.Serializer):
    benefit_kind = serializers.CharField()
    quota = serializers.IntegerField()
    period = serializers.CharField()
    period_starts = serializers.DateField()
    used = serializers.IntegerField()


class MyEntitlements(APIView):
    """Each entitlement and its use in the current week or month (the home branch's calendar),
    counted by the same SQL that refuses a booking when it is used up."""

    permission_classes = [IsMember]

    @extend_schema(responses=EntitlementUse(many=True))
    def get(self, request):
        member = request.user.member
        with connection.cursor() as cursor:
            cursor.execute(
                """
                select e.benefit_kind, use.quota, use.period, use.period_start, use.used
                from entitlements e,
                     app_private.entitlement_period_use(e.member_id, e.benefit_kind, now(), %s) use
                where e.member_id = %s order by e.benefit_kind
                """,
                [member.time_zone, member.id],
            )
            fields = ["benefit_kind", "quota", "period", "period_starts", "used"]
            return Response([dict(zip(fields, row, strict=True)) for row in cursor.fetchall()])
