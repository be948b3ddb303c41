"""Member endpoint for classes: the organization's classes of a day, with places left."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from bookings.models import places_left
from classes.models import ScheduledClass
from clubs.models import Branch
from config.api import BranchClockField, DayField, IsMember, checked_query, day_bounds_at, time_zone_field


class ClassSerializer(serializers.ModelSerializer):
    remaining = serializers.IntegerField(read_only=True, help_text="Places still free.")
    starts_at = BranchClockField(zone="branch.time_zone")
    ends_at = BranchClockField(zone="branch.time_zone")
    time_zone = time_zone_field(source="branch.time_zone")

    class Meta:
        model = ScheduledClass
        fields = [
            "id", "branch", "title", "instructor", "starts_at", "ends_at", "time_zone", "capacity", "remaining",
            "is_cancelled",
        ]  # fmt: skip


class ClassQuery(serializers.Serializer):
    branch = serializers.UUIDField(required=False)
    date = DayField(
        required=False,
        help_text="A day on the clock of the branch asked for, else of the member's home branch; default today.",
    )


@extend_schema(parameters=[ClassQuery])
class ClassList(generics.ListAPIView):
    permission_classes = [IsMember]
    serializer_class = ClassSerializer

    def get_queryset(self):
        member, asked = self.request.user.member, checked_query(ClassQuery, self.request)
        branches = Branch.objects.filter(pk=asked["branch"]) if "branch" in asked else None
        start, end = day_bounds_at(member, asked.get("date"), branches)
        queryset = ScheduledClass.objects.filter(
            organization_id=member.organization_id, starts_at__gte=start, starts_at__lt=end
        )
        if "branch" in asked:
            queryset = queryset.filter(branch_id=asked["branch"])
        return queryset.select_related("branch").annotate(remaining=places_left()).order_by("starts_at", "title", "id")
