"""Booking endpoints: members see the slots and classes of a day, book and cancel for themselves;
staff search members, book on their behalf (with the override, as in the admin) and check them
in. Reads go through the selectors (the engine's relation of bookable items), writes through the
booking services, so the rules, refusals and audit entries are those of the admin and the member
app."""

from __future__ import annotations

import uuid

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.models import AuditSource
from audit.services import Actor
from bookings.models import OVERRIDE_NOTE_MAX_LENGTH, BookingChannel, OverrideReason
from bookings.selectors import booking_kind, day_bounds_for, items_between, member_bookings
from bookings.services import (
    ADD_PERMISSIONS,
    CHANGE_PERMISSIONS,
    BookingKind,
    Override,
    booking_cancel,
    booking_check_in,
    booking_create,
    booking_create_by_sign_in,
)
from config.api import BranchClockField, DayField, IsMember, IsStaff, RequestBody, checked_query, time_zone_field
from config.rules import refuse
from members.authentication import unknown_member
from members.selectors import member_search

# What members can book: slots and classes of a day, with the places left


class SlotSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    facility = serializers.UUIDField(source="facility_id")
    facility_name = serializers.CharField(source="title")
    starts_at = BranchClockField(zone="time_zone")
    ends_at = BranchClockField(zone="time_zone")
    time_zone = time_zone_field()
    capacity = serializers.IntegerField()
    remaining = serializers.IntegerField(help_text="Places still free.")
    is_closed = serializers.BooleanField(
        help_text="Not bookable: the facility is closed or under maintenance, or a closure covers the slot."
    )
    closed_reason = serializers.CharField(
        allow_null=True, help_text='Why it is closed, e.g. "closed for maintenance: New heater"; null when open.'
    )

    class Meta:
        ref_name = "Slot"


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
        start, end = day_bounds_for(
            member, asked.get("date"), branch_id=asked.get("branch"), facility_id=asked.get("facility")
        )
        narrowed = {f"{name}_id": asked[name] for name in ("branch", "facility") if name in asked}
        return items_between(
            organization_id=member.organization_id, start=start, end=end, kind=BookingKind.SLOT, **narrowed
        )


class ClassSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    branch = serializers.UUIDField(source="branch_id")
    title = serializers.CharField()
    instructor = serializers.CharField()
    starts_at = BranchClockField(zone="time_zone")
    ends_at = BranchClockField(zone="time_zone")
    time_zone = time_zone_field()
    capacity = serializers.IntegerField()
    remaining = serializers.IntegerField(help_text="Places still free.")
    is_cancelled = serializers.BooleanField(
        source="is_closed", help_text="Not bookable: the class is cancelled or a closure covers it."
    )
    closed_reason = serializers.CharField(
        allow_null=True,
        help_text='Why, e.g. "the class is cancelled" or "closed for private event: Open day"; null when open.',
    )

    class Meta:
        ref_name = "Class"


class ClassQuery(serializers.Serializer):
    branch = serializers.UUIDField(required=False)
    date = DayField(
        required=False,
        help_text="A day on the clock of the branch asked for, else of the member's home branch; default today.",
    )


@extend_schema(parameters=[ClassQuery])
class ClassList(generics.ListAPIView):
    """The organization's classes of a day, with the places left."""

    permission_classes = [IsMember]
    serializer_class = ClassSerializer

    def get_queryset(self):
        member, asked = self.request.user.member, checked_query(ClassQuery, self.request)
        start, end = day_bounds_for(member, asked.get("date"), branch_id=asked.get("branch"))
        narrowed = {"branch_id": asked["branch"]} if "branch" in asked else {}
        return items_between(
            organization_id=member.organization_id, start=start, end=end, kind=BookingKind.CLASS, **narrowed
        )


# Booking


class BookingRequest(RequestBody):
    kind = serializers.ChoiceField(choices=BookingKind.choices)
    item = serializers.UUIDField(help_text="The slot or class to book.")
    join_waitlist = serializers.BooleanField(default=False, help_text="When full, join the waitlist instead.")


class BookingResult(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    status = serializers.CharField()
    capacity_override = serializers.BooleanField()
    places = serializers.CharField(help_text='For an override: "11 of 10".')


def _result(outcome) -> dict:
    return {
        "id": outcome.booking_id,
        "kind": outcome.kind,
        "status": outcome.status,
        "capacity_override": outcome.capacity_override,
        "places": outcome.places_after_override,
    }


class MyBooking(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    item = serializers.UUIDField(source="item_id")
    title = serializers.CharField()
    starts_at = BranchClockField(zone="time_zone")
    ends_at = BranchClockField(zone="time_zone")
    time_zone = time_zone_field()
    status = serializers.CharField()
    is_late_cancellation = serializers.BooleanField()


class MyBookings(generics.ListAPIView):
    """GET: my bookings, newest first. POST: book a slot or class for myself."""

    permission_classes = [IsMember]
    serializer_class = MyBooking
    # POST books in the statement that finds the member (members.authentication): one round trip
    finds_member_itself = True

    def get_queryset(self):
        return member_bookings(member_id=self.request.user.member.id)

    @extend_schema(request=BookingRequest, responses={201: BookingResult})
    def post(self, request):
        signed_in = request.user
        try:
            data = BookingRequest(data=request.data)
            data.is_valid(raise_exception=True)
        except Exception:  # a body that cannot be read or is wrong: a token no member belongs to is refused first
            signed_in.find_member()
            raise
        outcome = booking_create_by_sign_in(
            kind=data.validated_data["kind"],
            item_id=data.validated_data["item"],
            auth_user_id=signed_in.auth_user_id,
            organization_id=signed_in.organization_id,
            channel=BookingChannel.API,
            source=AuditSource.API,
            join_waitlist=data.validated_data["join_waitlist"],
        )
        if outcome is None:
            raise unknown_member()
        return Response(_result(outcome), status=status.HTTP_201_CREATED)


class CancelResult(serializers.Serializer):
    status = serializers.CharField()
    late_cancellation = serializers.BooleanField()


def _kind_of_booking(booking_id: uuid.UUID) -> str:
    kind = booking_kind(booking_id=booking_id)
    if kind is None:
        raise refuse("not_found", "booking")
    return kind


class CancelMyBooking(APIView):
    """Cancel one of my bookings (another member's answers 404)."""

    permission_classes = [IsMember]

    @extend_schema(request=None, responses=CancelResult)
    def post(self, request, booking_id: uuid.UUID):
        member = request.user.member
        outcome = booking_cancel(
            kind=_kind_of_booking(booking_id),
            booking_id=booking_id,
            actor=Actor.member(member),
            source=AuditSource.API,
            only_member_id=member.id,
        )
        return Response({"status": "cancelled", "late_cancellation": outcome.late})


# Staff endpoints


class MemberMatchSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    member_number = serializers.CharField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    status = serializers.CharField()
    home_branch = serializers.CharField()


# Every character str.isspace() accepts, which DRF's text fields trim away.
PYTHON_SPACES = r"\t\n\u000b\u000c\r\u001c-\u001f \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"


class MemberSearchQuery(serializers.Serializer):
    # Something to search for: at least one character that str.strip() keeps (nor NUL, which text cannot
    # hold). The spaces are listed, not written \s, which means fewer characters in the document's regex
    # dialect than in Python's.
    q = serializers.CharField(
        max_length=100,
        validators=[
            RegexValidator(f"^[^\\u0000]*[^\\u0000{PYTHON_SPACES}][^\\u0000]*$", "Type something to search for.")
        ],
        help_text="Start of a name, email, member number or phone number.",
    )


@extend_schema(parameters=[MemberSearchQuery], responses=MemberMatchSerializer(many=True))
class StaffMemberSearch(APIView):
    permission_classes = [IsStaff]
    required_permissions = ["members.view_member"]

    def get(self, request):
        matches = member_search(checked_query(MemberSearchQuery, request)["q"])
        return Response(MemberMatchSerializer(matches, many=True).data)


class OverrideRequest(serializers.Serializer):
    reason_code = serializers.ChoiceField(choices=OverrideReason.choices)
    note = serializers.CharField(max_length=OVERRIDE_NOTE_MAX_LENGTH)


class StaffBookingRequest(BookingRequest):
    member = serializers.UUIDField()
    override = OverrideRequest(required=False, help_text="Only for staff with the override permission.")


class StaffBookings(APIView):
    """Book on a member's behalf, as the concierge flow does."""

    permission_classes = [IsStaff]

    @extend_schema(request=StaffBookingRequest, responses={201: BookingResult})
    def post(self, request):
        data = StaffBookingRequest(data=request.data)
        data.is_valid(raise_exception=True)
        kind = data.validated_data["kind"]
        if not request.user.has_perm(ADD_PERMISSIONS[kind]):
            raise refuse("permission_denied", "book")
        override = data.validated_data.get("override")
        outcome = booking_create(
            kind=kind,
            item_id=data.validated_data["item"],
            member_id=data.validated_data["member"],
            actor=Actor.staff(request.user),
            channel=BookingChannel.CONCIERGE,
            source=AuditSource.API,
            booked_by=request.user,
            override=Override(override["reason_code"], override["note"]) if override else None,
            join_waitlist=data.validated_data["join_waitlist"],
        )
        return Response(_result(outcome), status=status.HTTP_201_CREATED)


class CheckInResult(serializers.Serializer):
    status = serializers.CharField()


class StaffCheckIn(APIView):
    permission_classes = [IsStaff]

    @extend_schema(request=None, responses=CheckInResult)
    def post(self, request, booking_id: uuid.UUID):
        kind = _kind_of_booking(booking_id)
        if not request.user.has_perm(CHANGE_PERMISSIONS[kind]):
            raise refuse("permission_denied", "check_in")
        new_status = booking_check_in(
            kind=kind, booking_id=booking_id, actor=Actor.staff(request.user), source=AuditSource.API
        )
        return Response({"status": new_status})
