"""The managers' schedule pages: closures (their list, a new closure, one closure with the bookings
it affects, its one-action cancellation and its reopening) and schedule changes with a preview,
mounted by the closures' admin."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone

from audit.admin_mixins import ClubModelAdmin
from audit.models import AuditSource
from audit.services import Actor
from bookings.selectors import closure_bookings
from bookings.services import closure_cancel_bookings
from clubs import localtime
from clubs.admin_time import BranchTimeMixin, branch_local
from config.errors import RuleViolation
from facilities.models import Closure
from facilities.selectors import branch_rooms
from facilities.services import closure_open, closure_reopen
from schedule import changes

CHANGE_CLOSURE = "facilities.change_closure"


class ClosureForm(forms.ModelForm):
    """A new closure, made by the service when the form is otherwise valid, so the closures' own
    rules (overlap, past, a facility of another branch) are errors on this form, in their words."""

    class Meta:
        model = Closure
        fields = ["branch", "facility", "room", "starts_at", "ends_at", "reason", "note"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        if "facility" in self.fields:  # (a closure's own page shows its fields read-only)
            self.fields["facility"].queryset = self.fields["facility"].queryset.select_related("branch")

    def _post_clean(self):
        # The table's checks (end after start, a facility or a room) first, as field errors; the
        # times are already on the chosen branch's clock (BranchTimesForm's clean()).
        if not self.instance._state.adding:
            return  # a closure is shown, not edited
        super()._post_clean()
        if self.errors:
            return
        cleaned = self.cleaned_data
        if cleaned.get("room", "").strip() and not self._room_is_known(cleaned["branch"], cleaned["room"]):
            return
        try:
            self.instance = closure_open(
                branch=cleaned["branch"],
                facility=cleaned.get("facility"),
                room=cleaned.get("room", ""),
                starts_at=cleaned["starts_at"],
                ends_at=cleaned["ends_at"],
                reason=cleaned["reason"],
                note=cleaned.get("note", ""),
                user=self.user,
                source=AuditSource.ADMIN,
            )
        except RuleViolation as refusal:
            self.add_error(None, refusal.message)

    def _room_is_known(self, branch, room: str) -> bool:
        """A room closes the classes that name it: a name no class or timetable entry of the branch
        gives would close nothing, so it is refused with the names they do give."""
        rooms = branch_rooms(branch)
        if room.strip().lower() in {name.lower() for name in rooms}:
            return True
        known = ", ".join(rooms) if rooms else "none: its classes name no room"
        self.add_error(
            "room", f"No class at {branch.name} is held in a room called “{room.strip()}”. Rooms there: {known}."
        )
        return False


@admin.register(Closure)
class ClosureAdmin(BranchTimeMixin, ClubModelAdmin):
    form = ClosureForm
    change_form_template = "admin/schedule/closure_change_form.html"
    list_display = ["what", "branch", "starts", "ends", "reason", "note", "state"]
    list_filter = ["branch", "reason", ("reopened_at", admin.EmptyFieldListFilter)]
    list_select_related = ["branch", "facility"]
    search_fields = ["note", "room", "facility__name"]
    ordering = ["-starts_at"]
    fieldsets = [
        (
            "What closes",
            {
                "description": "A facility closes its recovery slots; a room closes the classes held there (as the "
                "classes name the room); with neither, the whole branch closes, slots and classes alike.",
                "fields": ["branch", "facility", "room"],
            },
        ),
        ("When and why", {"fields": ["starts_at", "ends_at", "reason", "note"]}),
    ]

    def get_urls(self):
        return [
            path("<uuid:closure_id>/cancel-bookings/", self.admin_site.admin_view(self.cancel_bookings_view),
                 name="facilities_closure_cancel_bookings"),
            path("<uuid:closure_id>/reopen/", self.admin_site.admin_view(self.reopen_view),
                 name="facilities_closure_reopen"),
            *changes.urls(self.admin_site),
            *super().get_urls(),
        ]  # fmt: skip

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("branch", "facility")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"__init__": _with_user(form.__init__, request.user)})

    def get_readonly_fields(self, request, obj=None):
        # A closure is not edited: reopen it and make another; its page lists what it affects.
        return [name for _, options in self.fieldsets for name in options["fields"]] if obj else []

    def response_add(self, request, obj, post_url_continue=None):
        # straight to the closure's own page: the bookings it affects are the next thing to see
        when = localtime.local_range(obj.starts_at, obj.ends_at, obj.branch.zone)
        messages.success(request, f"{obj.what_is_closed} closed {when}. The bookings it affects are below.")
        return HttpResponseRedirect(reverse("admin:facilities_closure_change", args=[obj.pk]))

    def save_model(self, request, obj, form, change):
        pass  # made and audited by facilities.services.closure_open in the form's clean()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # reopening keeps the record of what was closed and why

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        extra_context = extra_context or {}
        if object_id and (closure := self.get_object(request, object_id)) is not None:
            extra_context.update(self._closure_context(request, closure))
        return super().changeform_view(request, object_id, form_url, extra_context)

    def _closure_context(self, request, closure: Closure) -> dict:
        bookings = closure_bookings(closure_id=closure.pk)
        zone = closure.branch.zone
        live = [booking for booking in bookings if booking.live]
        now = timezone.now()
        return {
            "title": f"{closure.what_is_closed} closed, {closure.get_reason_display().lower()} "
            f"({_state(closure, now)})",
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "closure": closure,
            "closure_state": _state(closure, now),
            "closure_when": localtime.local_range(closure.starts_at, closure.ends_at, zone),
            "closure_open": closure.reopened_at is None and closure.ends_at > now,
            "may_change_closure": request.user.has_perm(CHANGE_CLOSURE),
            "affected": [
                {
                    "booking": booking,
                    "when": localtime.time_range(booking.starts_at, booking.ends_at, zone),
                    "day": localtime.at(booking.starts_at, zone),
                }
                for booking in bookings
            ],
            "live_count": len(live),
            "waitlist_count": sum(booking.status == "waitlisted" for booking in live),
            "zone_label": localtime.zone_label(localtime.at(closure.starts_at, zone)),
        }

    def _post_only(self, request, closure_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm(CHANGE_CLOSURE):
            raise PermissionDenied
        return None

    def _back(self, closure_id) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:facilities_closure_change", args=[closure_id]))

    def cancel_bookings_view(self, request, closure_id):
        if refusal := self._post_only(request, closure_id):
            return refusal
        try:
            outcome = closure_cancel_bookings(closure_id=closure_id, actor=Actor.staff(request.user), source="admin")
        except RuleViolation as refusal:
            messages.error(request, refusal.message)
            return self._back(closure_id)
        cancelled = f"{outcome.cancelled} booking{'s' if outcome.cancelled != 1 else ''} cancelled"
        cleared = outcome.waitlist_cleared
        waitlist = f" and {cleared} waitlist place{'s' if cleared != 1 else ''} cleared" if cleared else ""
        messages.success(
            request,
            f"{cancelled}{waitlist}, none counted as a late cancellation. The members are not told "
            "automatically: their contacts are below.",
        )
        return self._back(closure_id)

    def reopen_view(self, request, closure_id):
        if refusal := self._post_only(request, closure_id):
            return refusal
        try:
            closure = closure_reopen(closure_id=closure_id, user=request.user, source="admin")
        except RuleViolation as refusal:
            messages.error(request, refusal.message)
            return self._back(closure_id)
        messages.success(
            request,
            f"Reopened: {closure.what_is_closed} can be booked again. Bookings cancelled for the closure stay "
            "cancelled.",
        )
        return self._back(closure_id)

    @admin.display(description="Closed")
    def what(self, closure: Closure) -> str:
        return closure.what_is_closed

    @admin.display(description="From (branch time)", ordering="starts_at")
    def starts(self, closure: Closure) -> str:
        return branch_local(closure.starts_at, closure.branch)

    @admin.display(description="Until (branch time)", ordering="ends_at")
    def ends(self, closure: Closure) -> str:
        return branch_local(closure.ends_at, closure.branch)

    @admin.display(description="State")
    def state(self, closure: Closure) -> str:
        return _state(closure, timezone.now())


def _state(closure: Closure, now) -> str:
    if closure.reopened_at:
        return f"Reopened {branch_local(closure.reopened_at, closure.branch)}"
    if closure.ends_at <= now:
        return "Over"
    return "In force" if closure.starts_at <= now else "Coming"


def _with_user(init, user):
    def __init__(self, *args, **kwargs):
        init(self, *args, user=user, **kwargs)

    return __init__
