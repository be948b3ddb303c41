"""Member endpoint for classes: the organization's classes of a day, with places left."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from bookings.models import places_left
from classes.models import ScheduledClass
from config.api import IsMember


class ClassSerializer(serializers.ModelSerializer):
    remaining = serializers.IntegerField(read_only=True, help_text="Places still free.")

    class Meta:
        model = ScheduledClass
        fields = [
            "id", "branch", "title", "instructor", "starts_at", "ends_at", "capacity", "remaining", "is_cancelled",
        ]  # fmt: skip


class ClassQuery(serializers.Serializer):
    branch = serializers.UUIDField(required=False)
    date = serializers.DateField(required=False, help_text="A day in the member's branch's zone; default today.")


@extend_schema(parameters=[ClassQuery])
class ClassList(generics.ListAPIView):
    permission_classes = [IsMember]
    serializer_class = ClassSerializer

    def get_queryset(self):
        query = ClassQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        member = self.request.user.member
        start, end = member.day_bounds(query.validated_data.get("date"))
        queryset = ScheduledClass.objects.filter(
            organization_id=member.organization_id, starts_at__gte=start, starts_at__lt=end
        )
        if "branch" in query.validated_data:
            queryset = queryset.filter(branch_id=query.validated_data["branch"])
        return queryset.annotate(remaining=places_left()).order_by("starts_at", "title", "id")
