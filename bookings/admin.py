"""The bookings lists: filters, override badges, and cancel, check-in and no-show actions.

New bookings are made in the concierge flow (`bookings/concierge.py`), never in a plain add form,
and existing ones change only through the actions: every change goes through the booking engine.
"""

from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from audit.models import AuditSource
from audit.services import Actor
from bookings.concierge import ConciergeFlow
from bookings.models import BenefitBooking, Booking, ClassBooking
from bookings.services import BookingKind, CancelOutcome, booking_cancel, booking_check_in, booking_mark_no_show
from bookings.wording import moved_up_from_the_waitlist
from clubs import localtime
from clubs.admin_base import ClubChangeList
from clubs.admin_time import branch_day_filter, branch_local
from config.errors import RuleViolation
from facilities.admin import FacilityFilter


def _bookings(count: int) -> str:
    return f"{count} booking" if count == 1 else f"{count} bookings"


def _run_on_each(modeladmin, request, queryset, service, done: str, announce=None) -> None:
    """Apply a booking service to each selected booking; report each refusal by member, and
    whatever `announce(booking, outcome)` has to say of a success."""
    succeeded = 0
    for booking in queryset.select_related("member"):
        try:
            outcome = service(
                kind=modeladmin.kind, booking_id=booking.pk, actor=Actor.staff(request.user), source=AuditSource.ADMIN
            )
        except RuleViolation as refusal:
            modeladmin.message_user(request, f"{booking.member.full_name}: {refusal.message}", messages.WARNING)
        else:
            succeeded += 1
            if announce and (news := announce(modeladmin, booking, outcome)):
                modeladmin.message_user(request, news, messages.INFO)
    if succeeded:
        modeladmin.message_user(request, f"{_bookings(succeeded)} {done}.", messages.SUCCESS)


def _cancellation_news(modeladmin, booking, outcome: CancelOutcome) -> str:
    """Who got the place, and whether the member cancelled too late to be free of charge."""
    news = []
    if outcome.late:
        news.append(f"{booking.member.full_name} cancelled late (after the cancellation cutoff).")
    if outcome.promoted_booking_id:
        promoted = (
            modeladmin.model.objects.select_related("member", *modeladmin.item_path_to_branch)
            .filter(pk=outcome.promoted_booking_id)
            .first()
        )
        if promoted is not None:
            news.append(
                moved_up_from_the_waitlist(
                    promoted.member.full_name, modeladmin.when(promoted), booking.member.full_name
                )
            )
    return " ".join(news)


@admin.action(description="Cancel the selected bookings (promotes the waitlist)", permissions=["change"])
def cancel_bookings(modeladmin, request, queryset):
    _run_on_each(modeladmin, request, queryset, booking_cancel, "cancelled", announce=_cancellation_news)


@admin.action(description="Check in (attended)", permissions=["change"])
def check_in(modeladmin, request, queryset):
    _run_on_each(modeladmin, request, queryset, booking_check_in, "checked in")


@admin.action(description="Mark as no-show", permissions=["change"])
def mark_no_show(modeladmin, request, queryset):
    _run_on_each(modeladmin, request, queryset, booking_mark_no_show, "marked as no-show")


class BookingAdmin(admin.ModelAdmin):
    """What both booking lists share; subclasses name the slot or class they book and how to
    reach its branch, whose clock every time on these pages is read on."""

    kind = ""
    booked_item = ""
    item_path_to_branch: tuple[str, ...] = ()
    actions = [cancel_bookings, check_in, mark_no_show]
    list_filter = ["status", "channel", "capacity_override", "booked_by_user"]
    search_fields = ["member__member_number", "member__first_name", "member__last_name", "member__email"]
    list_per_page = 50

    def get_list_display(self, request):
        return ["member", "booked_item_and_time", "status", "override_badge", "channel", "booked_by", "booked_at"]

    def get_changelist(self, request, **kwargs):
        return ClubChangeList  # a filter value the list cannot use is ignored, never a 500

    def get_queryset(self, request):
        # The list and the record page both read the member, who booked, the item and its branch.
        return super().get_queryset(request).select_related("member", "booked_by_user", *self.item_path_to_branch)

    # The record page: plain words, times on the branch's clock, the override only where there is one.

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (None, {"fields": ["member", "booked_item_and_time", "status", "channel", "booked_by", "booked_at"]}),
            ("Attendance and cancellation", {"fields": ["checked_in", "cancelled", "late_cancellation"]}),
        ]
        if obj is not None and obj.capacity_override:
            override = ["override_reason_code", "override_reason", "set_aside"]
            fieldsets.append(("Capacity override", {"fields": override}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        return [name for _, options in self.get_fieldsets(request, obj) for name in options["fields"]]

    def item(self, booking):
        raise NotImplementedError

    def branch(self, booking):
        raise NotImplementedError

    def when(self, booking) -> str:
        """Sauna (Harbourfront), Tue 1 Dec 2026, 18:00–18:30 EST: two branches may both have a sauna."""
        item, branch = self.item(booking), self.branch(booking)
        return f"{item_title(item)} ({branch.name}), {localtime.local_range(item.starts_at, item.ends_at, branch)}"

    @admin.display(description="Booked for")
    def booked_item_and_time(self, booking) -> str:
        return self.when(booking)

    @admin.display(description="Booked by", ordering="booked_by_user__username")
    def booked_by(self, booking) -> str:
        user = booking.booked_by_user
        return (user.get_full_name() or user.get_username()) if user else "The member (app)"

    @admin.display(description="Booked at (branch time)", ordering="created_at")
    def booked_at(self, booking) -> str:
        return branch_local(booking.created_at, self.branch(booking))

    @admin.display(description="Checked in")
    def checked_in(self, booking) -> str:
        return branch_local(booking.checked_in_at, self.branch(booking))

    @admin.display(description="Cancelled")
    def cancelled(self, booking) -> str:
        return branch_local(booking.cancelled_at, self.branch(booking))

    @admin.display(description="Late cancellation", boolean=True)
    def late_cancellation(self, booking) -> bool:
        return booking.is_late_cancellation

    @admin.display(description="What the override set aside")
    def set_aside(self, booking) -> str:
        parts = []
        if "capacity" in booking.overridden_rules:
            places = booking.places_when_overridden
            parts.append(f"capacity: booked as {places} places" if places else "capacity")
        if "entitlement" in booking.overridden_rules:
            parts.append("the member's entitlement")
        return "; ".join(parts) or "—"

    @admin.display(description="Override", ordering="capacity_override")
    def override_badge(self, booking: Booking) -> str:
        if not booking.capacity_override:
            return ""
        title = booking.override_description
        places = booking.places_when_overridden
        suffix = f" {places}" if places else ""
        return format_html('<span class="override-badge" title="{}">Override{}</span>', title, suffix)

    def has_change_permission(self, request, obj=None) -> bool:
        # The list's actions need it; a booking's own page is a record, changed only by the actions.
        return obj is None and super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def add_view(self, request, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("admin:bookings_concierge_member"))

    def get_urls(self):
        return [*ConciergeFlow(self.admin_site).urls(), *super().get_urls()]


def item_title(item) -> str:
    return item.facility.name if hasattr(item, "facility") else item.title


@admin.register(BenefitBooking)
class BenefitBookingAdmin(BookingAdmin):
    kind = BookingKind.SLOT
    booked_item = "slot"
    item_path_to_branch = ("slot__facility__branch",)
    list_filter = [
        branch_day_filter(instant="slot__starts_at", zone="slot__facility__branch__time_zone"),
        "slot__facility__branch",
        ("slot__facility", FacilityFilter),
        *BookingAdmin.list_filter,
    ]

    def item(self, booking):
        return booking.slot

    def branch(self, booking):
        return booking.slot.facility.branch


@admin.register(ClassBooking)
class ClassBookingAdmin(BookingAdmin):
    kind = BookingKind.CLASS
    booked_item = "scheduled_class"
    item_path_to_branch = ("scheduled_class__branch",)
    list_filter = [
        branch_day_filter(instant="scheduled_class__starts_at", zone="scheduled_class__branch__time_zone"),
        "scheduled_class__branch",
        *BookingAdmin.list_filter,
    ]

    def item(self, booking):
        return booking.scheduled_class

    def branch(self, booking):
        return booking.scheduled_class.branch

    def get_urls(self):
        return super(BookingAdmin, self).get_urls()  # the concierge flow is mounted once, by recovery bookings
