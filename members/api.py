"""Member endpoint: my entitlements, with what I have used in the current period."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import IsMember
from members.selectors import entitlement_uses


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
        return Response(entitlement_uses(member_id=member.id, time_zone=member.time_zone))
