"""Member endpoints for recovery facilities: what there is, its slots with places left, and
generating slots (the same SQL function as the cron job and the member app)."""

from __future__ import annotations

import json

from django.db import DatabaseError, connection, transaction
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings.models import places_left
from clubs.models import Branch
from config.api import BranchClockField, DayField, IsMember, checked_query, day_bounds_at, time_zone_field
from config.errors import RuleViolation
from facilities.models import BenefitSlot, Facility

SLOT_GENERATION_CODES = {
    "22023": "invalid_range",
    "P0002": "not_found",
    "42501": "no_member",
    "CB001": "member_not_active",
}


class FacilitySerializer(serializers.ModelSerializer):
    class Meta:
        model = Facility
        fields = ["id", "branch", "name", "kind", "capacity", "available_days", "under_maintenance"]


class BranchQuery(serializers.Serializer):
    branch = serializers.UUIDField(required=False)


@extend_schema(parameters=[BranchQuery])
class FacilityList(generics.ListAPIView):
    """The organization's active facilities, optionally of one branch."""

    permission_classes = [IsMember]
    serializer_class = FacilitySerializer

    def get_queryset(self):
        asked = checked_query(BranchQuery, self.request)
        queryset = Facility.objects.filter(organization_id=self.request.user.member.organization_id, is_active=True)
        if "branch" in asked:
            queryset = queryset.filter(branch_id=asked["branch"])
        return queryset.order_by("name", "id")


class SlotSerializer(serializers.ModelSerializer):
    remaining = serializers.IntegerField(read_only=True, help_text="Places still free.")
    facility_name = serializers.CharField(source="facility.name")
    starts_at = BranchClockField(zone="facility.branch.time_zone")
    ends_at = BranchClockField(zone="facility.branch.time_zone")
    time_zone = time_zone_field(source="facility.branch.time_zone")

    class Meta:
        model = BenefitSlot
        fields = ["id", "facility", "facility_name", "starts_at", "ends_at", "time_zone", "capacity", "remaining"]


class SlotQuery(serializers.Serializer):
    branch = serializers.UUIDField(required=False)
    facility = serializers.UUIDField(required=False)
    date = DayField(
        required=False,
        help_text="A day on the clock of the branch asked for (or the facility's), else of the member's home branch; "
        "default today.",
    )


@extend_schema(parameters=[SlotQuery])
class SlotList(generics.ListAPIView):
    """Slots of a day, with the places left."""

    permission_classes = [IsMember]
    serializer_class = SlotSerializer

    def get_queryset(self):
        member, asked = self.request.user.member, checked_query(SlotQuery, self.request)
        branches = None
        if "branch" in asked:
            branches = Branch.objects.filter(pk=asked["branch"])
        elif "facility" in asked:
            branches = Branch.objects.filter(facilities=asked["facility"])
        start, end = day_bounds_at(member, asked.get("date"), branches)
        queryset = BenefitSlot.objects.filter(
            organization_id=member.organization_id, starts_at__gte=start, starts_at__lt=end
        )
        if "branch" in asked:
            queryset = queryset.filter(facility__branch_id=asked["branch"])
        if "facility" in asked:
            queryset = queryset.filter(facility_id=asked["facility"])
        return (
            queryset.select_related("facility__branch")
            .annotate(remaining=places_left())
            .order_by("starts_at", "facility__name", "id")
        )


class SlotGenerationRequest(serializers.Serializer):
    branch = serializers.UUIDField()
    start = DayField()
    end = DayField()


class SlotGenerationResult(serializers.Serializer):
    created = serializers.IntegerField()
    already_present = serializers.IntegerField()


class SlotGeneration(APIView):
    """Make sure a branch's slots exist for some days: the member app's `ensure_facility_slots`,
    called with the member's own token claims, so its checks and its audit entry are the same."""

    permission_classes = [IsMember]

    @extend_schema(request=SlotGenerationRequest, responses=SlotGenerationResult)
    def post(self, request):
        data = SlotGenerationRequest(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("select set_config('request.jwt.claims', %s, true)", [json.dumps(request.user.claims)])
                cursor.execute(
                    "select created, already_present from public.ensure_facility_slots(%s, %s, %s)",
                    [data.validated_data["branch"], data.validated_data["start"], data.validated_data["end"]],
                )
                created, already_present = cursor.fetchone()
        except DatabaseError as error:
            state = getattr(error.__cause__, "sqlstate", None)
            if state not in SLOT_GENERATION_CODES:
                raise
            raise RuleViolation(SLOT_GENERATION_CODES[state], error.__cause__.diag.message_primary) from error
        return Response({"created": created, "already_present": already_present})
