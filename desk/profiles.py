"""What the desk reads of one member for their profile: who they are (status, contact, home branch,
the staff's note) and their bookings (entitlement use this period, what is coming with what a
cancellation would cost, the history with its counts, the overrides made for them).

A fixed number of queries whatever the number of bookings, and frozen dataclasses whose times are
already text on the right clock: the member's own on their home branch's, each booking's on the
clock of the branch it is at (a member of New York booked in Kolkata reads Kolkata's time).
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import formats, timezone

from bookings.models import BookableItem, BookingStatus, ItemBooking
from clubs import localtime
from config.rules import n_of_m
from desk.selectors import cancel_consequence, check_in_is_open, staff_name
from members.models import BenefitKind, EntitlementPeriod, Member, MemberStatus
from members.selectors import entitlement_uses

HISTORY_LENGTH = 20
OVERRIDES_LENGTH = 20
COUNTED_DAYS = 90

BANNERS = {
    MemberStatus.FROZEN: "Frozen: cannot book until the membership is active again.",
    MemberStatus.CANCELLED: "Cancelled: the membership has ended; the member cannot book.",
}


@dataclass(frozen=True)
class StaffNote:
    text: str
    changed: str  # "Tue 1 Dec 2026, 18:02 EST by Jo Bloggs" on the home branch's clock, or "" if never written


@dataclass(frozen=True)
class MemberProfile:
    id: uuid.UUID
    full_name: str
    member_number: str
    status: str  # MemberStatus
    status_label: str  # "Frozen"
    banner: str  # what a frozen or cancelled membership means at the desk; "" when active
    organization: str
    home_branch: str
    home_branch_id: uuid.UUID
    time_zone: str  # the home branch's
    email: str
    phone: str
    member_since: str  # "Tue 1 Dec 2026" on the home branch's calendar
    note: StaffNote

    @property
    def may_book(self) -> bool:
        return self.status == MemberStatus.ACTIVE


def member_profile(*, member_id: uuid.UUID) -> MemberProfile | None:
    """The member with their home branch and the staff's note, or None: one query."""
    member = (
        Member.objects.select_related("home_branch__organization", "staff_note__updated_by")
        .filter(pk=member_id)
        .first()
    )
    if member is None:
        return None
    branch = member.home_branch
    note = getattr(member, "staff_note", None)
    changed = ""
    if note is not None:
        changed = localtime.local_datetime(note.updated_at, branch.zone)
        if note.updated_by:
            changed += f" by {staff_name(note.updated_by)}"
    return MemberProfile(
        id=member.pk,
        full_name=member.full_name,
        member_number=member.member_number,
        status=member.status,
        status_label=member.get_status_display(),
        banner=BANNERS.get(member.status, ""),
        organization=branch.organization.name,
        home_branch=branch.name,
        home_branch_id=branch.pk,
        time_zone=branch.time_zone,
        email=member.email,
        phone=member.phone,
        member_since=formats.date_format(localtime.at(member.created_at, branch.zone), localtime.DAY),
        note=StaffNote(text=note.text if note else "", changed=changed),
    )


@dataclass(frozen=True)
class EntitlementUse:
    text: str  # "Recovery sessions: 2 of 3 this week (week from Mon 30 Nov)"
    used_up: bool


@dataclass(frozen=True)
class UpcomingBooking:
    kind: str
    booking_id: uuid.UUID
    item_id: uuid.UUID
    member_name: str  # names the member on the action buttons
    title: str
    when: str  # "Tue 1 Dec 2026, 18:00–18:45 EST" on the clock of the item's branch
    branch: str  # the item's branch when it is not the member's home branch, else ""
    status: str  # BookingStatus
    status_label: str
    checked_in: str  # "17:55" on the item's branch's clock once checked in, else ""
    in_progress: bool
    capacity_override: bool
    may_check_in: bool  # confirmed, and check-in is open (check_in_is_open)
    may_cancel: bool  # confirmed or waitlisted
    cancel_consequence: str  # said before a cancellation is confirmed


@dataclass(frozen=True)
class PastBooking:
    kind: str
    booking_id: uuid.UUID
    title: str
    when: str  # on the clock of the item's branch
    branch: str  # as UpcomingBooking.branch
    outcome: str  # "Attended", "No-show", "Late cancellation", "Cancelled", ...
    outcome_class: str  # for the template's colours: attended, no-show, late, cancelled, unmarked


@dataclass(frozen=True)
class HistoryCounts:
    days: int
    attended: int
    no_shows: int
    late_cancellations: int


@dataclass(frozen=True)
class OverrideMade:
    title: str
    when: str  # the item's time, on its branch's clock
    made: str  # when the override booked it, on the same clock
    booked_by: str  # the staff member's name, or "" when unknown
    set_aside: str  # "capacity (11 of 10)", "entitlement", or both
    reason: str  # "VIP or guest of the club: Guest of the owner"
    cancelled: bool  # the booking has been cancelled since


@dataclass(frozen=True)
class MemberBookings:
    entitlements: list[EntitlementUse]
    upcoming: list[UpcomingBooking]
    history: list[PastBooking]  # the latest HISTORY_LENGTH, newest first
    counts: HistoryCounts
    overrides: list[OverrideMade]  # the latest OVERRIDES_LENGTH, newest first


def _entitlements(profile: MemberProfile, now: datetime.datetime) -> list[EntitlementUse]:
    uses = []
    for use in entitlement_uses(member_id=profile.id, time_zone=profile.time_zone, at=now):
        if use["period"] == EntitlementPeriod.WEEK:
            span = f"week from {formats.date_format(use['period_starts'], 'D j M')}"
        else:
            span = formats.date_format(use["period_starts"], "F Y")
        label = BenefitKind(use["benefit_kind"]).label
        uses.append(
            EntitlementUse(
                text=f"{label}: {n_of_m(use['used'], use['quota'])} this {use['period']} ({span})",
                used_up=use["used"] >= use["quota"],
            )
        )
    return uses


def _branch(booking: ItemBooking, profile: MemberProfile) -> str:
    return "" if booking.branch_id == profile.home_branch_id else booking.branch.name


def _consequence(booking: ItemBooking, counts: HistoryCounts, now: datetime.datetime) -> str:
    if booking.status == BookingStatus.WAITLISTED:
        return "Takes the member off the waitlist; never a late cancellation."
    late, said = cancel_consequence(
        starts_at=booking.starts_at, cutoff_minutes=booking.cutoff_minutes, time_zone=booking.time_zone, now=now
    )
    if not late:
        return said
    # what the history already holds, so the desk knows what one more means
    so_far = counts.late_cancellations
    return f"{said} They have {so_far} late cancellation{'s' if so_far != 1 else ''} in the last {counts.days} days."


def _upcoming(profile: MemberProfile, counts: HistoryCounts, now: datetime.datetime) -> list[UpcomingBooking]:
    bookings = (
        ItemBooking.objects.filter(member_id=profile.id, ends_at__gt=now)
        .exclude(status=BookingStatus.CANCELLED)
        .select_related("branch")
        # The item's cutoff by a subquery per booking: joining the relation of items would make
        # PostgreSQL build all of it (every slot of the year) before joining.
        .annotate(
            cutoff_minutes=Subquery(
                BookableItem.objects.filter(kind=OuterRef("kind"), pk=OuterRef("item_id")).values("cutoff_minutes")[:1]
            )
        )
        .only(
            "kind",
            "item_id",
            "status",
            "checked_in_at",
            "capacity_override",
            "branch_id",
            "time_zone",
            "starts_at",
            "ends_at",
            "title",
            "branch__name",
        )
        .order_by("starts_at", "title", "id")
    )
    return [
        UpcomingBooking(
            kind=booking.kind,
            booking_id=booking.pk,
            item_id=booking.item_id,
            member_name=profile.full_name,
            title=booking.title,
            when=localtime.local_range(booking.starts_at, booking.ends_at, booking.time_zone),
            branch=_branch(booking, profile),
            status=booking.status,
            status_label=booking.get_status_display(),
            checked_in=localtime.local_time(booking.checked_in_at, booking.time_zone) if booking.checked_in_at else "",
            in_progress=booking.starts_at <= now,
            capacity_override=booking.capacity_override,
            may_check_in=booking.status == BookingStatus.CONFIRMED
            and check_in_is_open(starts_at=booking.starts_at, now=now),
            may_cancel=booking.status in (BookingStatus.CONFIRMED, BookingStatus.WAITLISTED),
            cancel_consequence=_consequence(booking, counts, now),
        )
        for booking in bookings
    ]


def _outcome(booking: ItemBooking) -> tuple[str, str]:
    if booking.status == BookingStatus.CANCELLED:
        return ("Late cancellation", "late") if booking.is_late_cancellation else ("Cancelled", "cancelled")
    if booking.status == BookingStatus.CONFIRMED:
        return "Not checked in", "unmarked"
    if booking.status == BookingStatus.WAITLISTED:
        return "Waitlisted, no place came free", "cancelled"
    return booking.get_status_display(), booking.status.replace("_", "-")


def _history(profile: MemberProfile, now: datetime.datetime) -> list[PastBooking]:
    """Items that are over, and cancelled bookings of items still to come."""
    bookings = (
        ItemBooking.objects.filter(member_id=profile.id)
        .filter(Q(ends_at__lte=now) | Q(status=BookingStatus.CANCELLED))
        .select_related("branch")
        .only(
            "kind",
            "status",
            "is_late_cancellation",
            "branch_id",
            "time_zone",
            "starts_at",
            "ends_at",
            "title",
            "branch__name",
        )
        .order_by("-starts_at", "-id")[:HISTORY_LENGTH]
    )
    lines = []
    for booking in bookings:
        outcome, outcome_class = _outcome(booking)
        lines.append(
            PastBooking(
                kind=booking.kind,
                booking_id=booking.pk,
                title=booking.title,
                when=localtime.local_range(booking.starts_at, booking.ends_at, booking.time_zone),
                branch=_branch(booking, profile),
                outcome=outcome,
                outcome_class=outcome_class,
            )
        )
    return lines


def _counts(profile: MemberProfile, now: datetime.datetime) -> HistoryCounts:
    """One grouped query over the items that started in the last COUNTED_DAYS days."""
    counted = ItemBooking.objects.filter(
        member_id=profile.id, starts_at__gte=now - datetime.timedelta(days=COUNTED_DAYS), starts_at__lt=now
    ).aggregate(
        attended=Count("id", filter=Q(status=BookingStatus.ATTENDED)),
        no_shows=Count("id", filter=Q(status=BookingStatus.NO_SHOW)),
        late_cancellations=Count("id", filter=Q(is_late_cancellation=True)),
    )
    return HistoryCounts(days=COUNTED_DAYS, **counted)


def _overrides(profile: MemberProfile) -> list[OverrideMade]:
    bookings = (
        ItemBooking.objects.filter(member_id=profile.id, capacity_override=True)
        .select_related("booked_by_user")
        .order_by("-created_at", "-id")[:OVERRIDES_LENGTH]
    )
    lines = []
    for booking in bookings:
        set_aside = [
            f"capacity ({booking.places_when_overridden})" if rule == "capacity" and booking.places_when_overridden
            else rule
            for rule in booking.overridden_rules
        ]  # fmt: skip
        lines.append(
            OverrideMade(
                title=booking.title,
                when=localtime.local_range(booking.starts_at, booking.ends_at, booking.time_zone),
                made=localtime.local_datetime(booking.created_at, booking.time_zone),
                booked_by=staff_name(booking.booked_by_user) if booking.booked_by_user else "",
                set_aside=" and ".join(set_aside),
                reason=booking.override_description,
                cancelled=booking.status == BookingStatus.CANCELLED,
            )
        )
    return lines


def member_bookings(*, profile: MemberProfile, now: datetime.datetime | None = None) -> MemberBookings:
    """The member's bookings as the profile shows them, at `now`: five queries whatever their
    number. The entitlement use is the engine's own count (members.selectors.entitlement_uses)."""
    now = now or timezone.now()
    counts = _counts(profile, now)
    return MemberBookings(
        entitlements=_entitlements(profile, now),
        upcoming=_upcoming(profile, counts, now),
        history=_history(profile, now),
        counts=counts,
        overrides=_overrides(profile),
    )
