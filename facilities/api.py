"""Member endpoints for recovery facilities: what there is, and generating slots (the same SQL
function as the cron job and the member app). Their slots, with places left, are bookable items
(bookings/api.py)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import DayField, IsMember, checked_query
from facilities.models import Facility
from facilities.selectors import active_facilities
from facilities.services import slots_ensure_for_member


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
        return active_facilities(
            organization_id=self.request.user.member.organization_id, branch_id=asked.get("branch")
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
        created, already_present = slots_ensure_for_member(
            claims=request.user.claims,
            branch_id=data.validated_data["branch"],
            start_date=data.validated_data["start"],
            end_date=data.validated_data["end"],
        )
        return Response({"created": created, "already_present": already_present})
