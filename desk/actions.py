"""The desk's one-click writes: check in, undo, no-show and cancel a booking, from Today, a
roster or a member's profile. Each is one call to the booking services (the engine's SQL, audited
there); none touches a table itself.

Asked by htmx, an action answers with no swap and two events: `deskMessage` (what happened, in
words, for the page's status line) and `deskChanged` (so every panel of the page reloads itself).
Without JavaScript it redirects back to the page it came from, with the same words as a message.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_htmx.http import reswap, trigger_client_event

from audit.models import AuditSource
from audit.services import Actor
from bookings.models import BookingStatus, ItemBooking
from bookings.services import (
    booking_cancel,
    booking_check_in,
    booking_mark_no_show,
    booking_undo_attendance,
)
from bookings.wording import moved_up_from_the_waitlist
from clubs import localtime
from config.errors import RuleViolation
from desk.access import parse_uuid, require_change, require_desk

CANCEL_REASON_LENGTH = 200


def _checked_in(request, booking: ItemBooking, actor: Actor) -> str:
    booking_check_in(kind=booking.kind, booking_id=booking.pk, actor=actor, source=AuditSource.ADMIN)
    return f"Checked in {booking.member.full_name} for {_item(booking)}."


def _undone(request, booking: ItemBooking, actor: Actor) -> str:
    booking_undo_attendance(kind=booking.kind, booking_id=booking.pk, actor=actor, source=AuditSource.ADMIN)
    return f"Undone: {booking.member.full_name} is booked for {_item(booking)} again, not yet checked in."


def _no_show(request, booking: ItemBooking, actor: Actor) -> str:
    booking_mark_no_show(kind=booking.kind, booking_id=booking.pk, actor=actor, source=AuditSource.ADMIN)
    return f"Marked {booking.member.full_name} as a no-show for {_item(booking)}."


def _cancelled(request, booking: ItemBooking, actor: Actor) -> str:
    reason = request.POST.get("reason", "").replace("\x00", "").strip()[:CANCEL_REASON_LENGTH]
    outcome = booking_cancel(
        kind=booking.kind, booking_id=booking.pk, actor=actor, source=AuditSource.ADMIN, reason=reason
    )
    said = f"Cancelled {booking.member.full_name}'s booking for {_item(booking)}"
    said += " (a late cancellation)." if outcome.late else "."
    promoted = (
        ItemBooking.objects.select_related("member").filter(kind=booking.kind, pk=outcome.promoted_booking_id).first()
        if outcome.promoted_booking_id
        else None
    )
    if promoted is not None:
        said += " " + moved_up_from_the_waitlist(promoted.member.full_name, _item(promoted), booking.member.full_name)
    return said


# A check-in or a no-show is undone from the message that says it was done.
UNDOABLE = {"check-in", "no-show"}
ACTIONS = {"check-in": _checked_in, "undo": _undone, "no-show": _no_show, "cancel": _cancelled}


def _already_done(action: str, booking: ItemBooking) -> str:
    name = booking.member.full_name
    if action == "check-in" and booking.status == BookingStatus.ATTENDED:
        return f"{name} is already checked in for {_item(booking)} (since {_local(booking.checked_in_at, booking)})."
    if action == "no-show" and booking.status == BookingStatus.NO_SHOW:
        return f"{name} is already marked as a no-show for {_item(booking)}."
    if action == "undo" and booking.status == BookingStatus.CONFIRMED:
        return f"{name} is booked for {_item(booking)}, not checked in."
    if action == "cancel" and booking.status == BookingStatus.CANCELLED:
        return f"{name}'s booking was already cancelled."
    return ""


def _local(instant, booking: ItemBooking) -> str:
    return localtime.local_time(instant, booking.time_zone)


def _item(booking: ItemBooking) -> str:
    return f"{booking.title} at {_local(booking.starts_at, booking)}"


def _back(request) -> str:
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return back
    return reverse("admin:desk_today")


def announce(response: HttpResponse, text: str, *, level: str, undo: dict | None = None) -> HttpResponse:
    """The events that tell the page what happened and to refresh, sent to the body: the form
    that asked may be gone by the time they arrive (a refresh swapped it). With `undo`, the
    message offers to undo it (the row it was on may have left the page)."""
    message = {"text": text, "level": level, "target": "body"}
    if undo:
        message["undo"] = undo
    trigger_client_event(response, "deskMessage", message)
    return trigger_client_event(response, "deskChanged", {"target": "body"})


def answer(request, text: str, *, level: str, undo: dict | None = None) -> HttpResponse:
    """What the page shows after an action, whichever way it was asked."""
    if request.htmx:
        return announce(reswap(HttpResponse(), "none"), text, level=level, undo=undo)
    messages.add_message(request, messages.SUCCESS if level == "success" else messages.ERROR, text)
    return HttpResponseRedirect(_back(request))


@require_POST
def booking_action(request, action: str):
    require_desk(request)
    act = ACTIONS.get(action)
    kind = request.POST.get("kind", "")
    require_change(request, kind)
    if act is None:
        raise Http404("No such action.")
    booking = (
        ItemBooking.objects.select_related("member")
        .filter(kind=kind, pk=parse_uuid(request.POST.get("booking")))
        .first()
    )
    if booking is None:
        return answer(request, "That booking no longer exists.", level="error")
    already = _already_done(action, booking)
    if already:
        # a second click, or another desk faster: what was asked for is how things are
        return answer(request, already, level="success" if action != "cancel" else "error")
    try:
        said = act(request, booking, Actor.staff(request.user))
    except RuleViolation as refusal:
        return answer(request, refusal.message, level="error")
    undo = None
    if action in UNDOABLE:
        undo = {"url": reverse("admin:desk_booking_action", args=["undo"]), "kind": kind, "booking": str(booking.pk)}
    return answer(request, said, level="success", undo=undo)


def urls(admin_site) -> list:
    return [
        path(
            "bookings/<str:action>/",
            admin_site.admin_view(booking_action),
            name="desk_booking_action",
        )
    ]
