"""The roster of one class or facility session: who is booked (checked in, undone or marked a
no-show in one click, cancelled in two with the late-cancel consequence said first), who waits and
in which order, adding a member at the counter (every reason the engine would refuse, and the
waitlist when the only one is "full"), and a print view.

The one-click writes are the shared actions (desk/actions.py); adding is bookings.services'
booking_create, the engine the concierge and the API use. The live part (header facts, attendees,
waitlist) reloads itself after every action and every few seconds.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from audit.models import AuditSource
from audit.services import Actor
from bookings.concierge import booking_verdict
from bookings.models import BookableItem, BookingChannel, BookingStatus, ItemBooking
from bookings.selectors import Refusal, booking_refusals
from bookings.services import ADD_PERMISSIONS, CHANGE_PERMISSIONS, OVERRIDE_PERMISSION, BookingKind, booking_create
from clubs import localtime
from config.errors import RuleViolation
from desk.access import parse_uuid, require_desk
from desk.actions import announce
from desk.pages import RowLinks, render_page, render_partial
from desk.search import MIN_LENGTH, RESULTS
from desk.selectors import Roster, roster
from members.models import Member
from members.selectors import MemberMatch, member_search, search_text

# member_search is not limited to one organization: ask for more, keep those of the item's.
SEARCHED = 3 * RESULTS


@dataclass(frozen=True)
class Candidate:
    """A member the search found, and their live booking of this item if they have one."""

    match: MemberMatch
    on_roster: str  # "Confirmed", "Waitlisted", ... or ""
    override_url: str = ""  # the item is full: a manager may book beyond capacity in the booking flow


@dataclass(frozen=True)
class AddPanel:
    """The "add a member" box: what was typed, who matched, and the outcome of the last try."""

    query: str = ""
    candidates: list[Candidate] = field(default_factory=list)
    item_full: bool = False  # choosing a candidate puts them on the waitlist (the engine books a place if one frees)
    member: Member | None = None  # the member a booking was tried for
    refusals: list[Refusal] = field(default_factory=list)  # every reason the engine gives
    not_booked: str = ""  # a refusal the reasons do not list (the engine's own, or an unknown member)
    waitlist_offered: bool = False  # full, and nothing else
    override_url: str = ""  # a manager may set the reasons aside in the booking flow
    done: str = ""

    @property
    def too_short(self) -> bool:
        return 0 < len(self.query) < MIN_LENGTH


def _kind(kind: str) -> str:
    if kind not in BookingKind.values:
        raise Http404("No such kind of booking.")
    return kind


def _roster(kind: str, item_id: uuid.UUID) -> Roster:
    try:
        return roster(kind=_kind(kind), item_id=item_id)
    except BookableItem.DoesNotExist:
        raise Http404("That slot or class does not exist.") from None


def _item(kind: str, item_id: uuid.UUID) -> BookableItem:
    """The item with what the add box needs (whether it is full): one query."""
    item = (
        BookableItem.objects.filter(kind=_kind(kind), pk=item_id)
        .only(
            "kind", "id", "organization_id", "branch_id", "time_zone", "title", "starts_at", "capacity", "places_taken"
        )
        .first()
    )
    if item is None:
        raise Http404("That slot or class does not exist.")
    return item


def _require_add(request, kind: str) -> None:
    if not request.user.has_perm(ADD_PERMISSIONS[kind]):
        raise PermissionDenied


def _override_url(item: BookableItem, member_id: uuid.UUID) -> str:
    """The booking flow's confirmation for this member and item, where a manager sets reasons aside."""
    day = localtime.at(item.starts_at, item.time_zone).date().isoformat()
    state = {"member": member_id, "kind": item.kind, "branch": item.branch_id, "date": day, "item": item.pk}
    return f"{reverse('admin:bookings_concierge_confirm')}?{urlencode(state)}"


def _candidates(request, item: BookableItem, query: str) -> list[Candidate]:
    """Members of the item's organization matching `query`, each with their live booking of the
    item (and, the item full, a manager's way past it): two queries."""
    if len(query) < MIN_LENGTH:
        return []
    overriding = item.is_full and request.user.has_perm(OVERRIDE_PERMISSION)
    matches = [m for m in member_search(query, limit=SEARCHED) if m.organization_id == item.organization_id][:RESULTS]
    booked = dict(
        ItemBooking.objects.filter(kind=item.kind, item_id=item.pk, member_id__in=[m.id for m in matches])
        .exclude(status=BookingStatus.CANCELLED)
        .values_list("member_id", "status")
    )
    return [
        Candidate(m, BookingStatus(booked[m.id]).label) if m.id in booked
        else Candidate(m, "", _override_url(item, m.id) if overriding else "")
        for m in matches
    ]  # fmt: skip


def _page(request, board: Roster, add: AddPanel):
    item = board.item
    return render_page(
        request,
        "admin/desk/roster.html",
        title=item.title,
        add=add,
        **_live_context(request, board),
        may_add=request.user.has_perm(ADD_PERMISSIONS[item.kind]),
        print_url=reverse("admin:desk_roster_print", args=[item.kind, item.pk]),
        day_url=f"{reverse('admin:desk_today')}?{urlencode({'branch': item.branch_id})}",
    )


def _live_context(request, board: Roster) -> dict:
    item = board.item
    return {
        "roster": board,
        "may_change": request.user.has_perm(CHANGE_PERMISSIONS[item.kind]),
        "roster_url": reverse("admin:desk_roster", args=[item.kind, item.pk]),
        "live_url": reverse("admin:desk_roster_live", args=[item.kind, item.pk]),
        "refresh_seconds": settings.DESK_REFRESH_SECONDS,
        "links": RowLinks.reversed(),
    }


def roster_page(request, kind: str, item_id: uuid.UUID):
    require_desk(request)
    board = _roster(kind, item_id)
    query = search_text(request.GET.get("q", ""))
    may_add = request.user.has_perm(ADD_PERMISSIONS[kind])
    # ?q= is the add box's search without JavaScript
    candidates = _candidates(request, board.item, query) if may_add else []
    return _page(request, board, AddPanel(query=query, candidates=candidates, item_full=board.item.is_full))


def live(request, kind: str, item_id: uuid.UUID):
    """The page's live part alone, for htmx's polling and for the refresh after an action."""
    require_desk(request)
    return render_partial(request, "admin/desk/roster_live.html", **_live_context(request, _roster(kind, item_id)))


def print_view(request, kind: str, item_id: uuid.UUID):
    require_desk(request)
    board = _roster(kind, item_id)
    return render_partial(
        request,
        "admin/desk/roster_print.html",
        roster=board,
        printed=localtime.local_datetime(timezone.now(), board.item.time_zone),
    )


def members(request, kind: str, item_id: uuid.UUID):
    """The add box's matches as you type."""
    require_desk(request)
    _require_add(request, _kind(kind))
    item = _item(kind, item_id)
    query = search_text(request.GET.get("q", ""))
    return render_partial(
        request,
        "admin/desk/roster_members.html",
        add=AddPanel(query=query, candidates=_candidates(request, item, query), item_full=item.is_full),
        kind=item.kind,
        item_id=item.pk,
    )


def _tried(request, item: BookableItem, member: Member, refusal: RuleViolation, *, waitlist: bool) -> AddPanel:
    """The add box after a refusal: every reason the engine gives now, and what can still be done."""
    refusals = booking_refusals(kind=item.kind, item_id=item.pk, member_id=member.pk)
    may_override = request.user.has_perm(OVERRIDE_PERMISSION)
    verdict = booking_verdict(refusals, waitlist=waitlist, may_override=may_override)
    listed = refusal.code in {reason.code for reason in refusals}
    return AddPanel(
        member=member,
        refusals=refusals,
        not_booked="" if listed else refusal.message,
        waitlist_offered=verdict.waitlist_instead,
        override_url=_override_url(item, member.pk) if verdict.needs_override else "",
    )


def _booked(request, item: BookableItem, member: Member, *, waitlist: bool) -> str:
    """Book through the engine, as the desk; what happened, in words. Raises RuleViolation."""
    outcome = booking_create(
        kind=item.kind,
        item_id=item.pk,
        member_id=member.pk,
        actor=Actor.staff(request.user),
        channel=BookingChannel.CONCIERGE,
        source=AuditSource.ADMIN,
        booked_by=request.user,
        join_waitlist=waitlist,
    )
    at = f"{item.title} at {localtime.local_time(item.starts_at, item.time_zone)}"
    if outcome.status == BookingStatus.WAITLISTED:
        return f"{member.full_name} is on the waitlist for {at}."
    return f"Booked {member.full_name} for {at}."


def _answer(request, item: BookableItem, panel: AddPanel):
    """The add box with the outcome, for htmx to swap in; without JavaScript, the whole page."""
    if request.htmx:
        return render_partial(request, "admin/desk/roster_add.html", add=panel, kind=item.kind, item_id=item.pk)
    return _page(request, _roster(item.kind, item.pk), panel)


@require_POST
def add(request, kind: str, item_id: uuid.UUID):
    """Book the chosen member (or put them on the waitlist when asked)."""
    require_desk(request)
    _require_add(request, _kind(kind))
    item = _item(kind, item_id)
    member = Member.objects.filter(pk=parse_uuid(request.POST.get("member")), organization_id=item.organization_id)
    member = member.first()
    if member is None:
        return _answer(request, item, AddPanel(not_booked="That member does not exist here."))
    waitlist = request.POST.get("waitlist") == "1"
    try:
        done = _booked(request, item, member, waitlist=waitlist)
    except RuleViolation as refusal:
        return _answer(request, item, _tried(request, item, member, refusal, waitlist=waitlist))
    if not request.htmx:
        messages.success(request, done)
        return HttpResponseRedirect(reverse("admin:desk_roster", args=[item.kind, item.pk]))
    return announce(_answer(request, item, AddPanel(done=done)), done, level="success")


def urls(admin_site) -> list:
    view = admin_site.admin_view
    item = "items/<str:kind>/<uuid:item_id>/"
    return [
        path(item, view(roster_page), name="desk_roster"),
        path(f"{item}live/", view(live), name="desk_roster_live"),
        path(f"{item}print/", view(print_view), name="desk_roster_print"),
        path(f"{item}members/", view(members), name="desk_roster_members"),
        path(f"{item}add/", view(add), name="desk_roster_add"),
    ]
