"""The facility grid: one branch's recovery facilities on one day of its calendar, a column per
facility (with its next free place) and a row per start time, each cell the places left or why
it cannot be booked. A click books the cell for a member: with a member chosen (`?member=`, from
the member's page or the concierge), straight to the concierge's confirm step; without, through
its first step, finding the member, and on to confirm that slot."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode

from bookings.concierge import ONE_DAY, ShownDayField, grid_links
from bookings.selectors import entitlement_line, facility_grid
from bookings.services import BookingKind
from clubs import localtime
from desk.access import desk_branch, desk_branches, may_book, parse_uuid, require_desk
from desk.pages import render_page
from members.models import Member, MemberStatus


class GridDayForm(forms.Form):
    date = ShownDayField(required=False)


def _member(request) -> Member | None:
    """The member the grid books for, from `?member=`: none when not given (or not an id), and
    "not found" for an id of nobody."""
    member_id = parse_uuid(request.GET.get("member"))
    if member_id is None:
        return None
    member = Member.objects.select_related("home_branch").filter(pk=member_id).first()
    if member is None:
        raise Http404("There is no such member.")
    return member


def _grid_url(**params) -> str:
    return f"{reverse('admin:desk_grid')}?{urlencode({key: value for key, value in params.items() if value})}"


def grid(request):
    require_desk(request)
    branch = desk_branch(request)
    if branch is None:
        return render_page(request, "admin/desk/grid.html", title="Facility grid", branch=None)
    if "branch" in request.GET and parse_uuid(request.GET["branch"]) != branch.pk:
        messages.warning(request, f"There is no active branch of that id: this is {branch.name}'s grid.")
    form = GridDayForm(request.GET)
    day = form.cleaned_data["date"] if form.is_valid() and form.cleaned_data["date"] else None
    if not form.is_valid():
        messages.error(request, f"{form.errors['date'][0]} This is today's grid.")
    day = day or localtime.local_today(branch)
    member = _member(request)
    # Booking links only for whoever may book a slot, and for a member who may be booked here.
    member_problem = ""
    if member is not None and member.organization_id != branch.organization_id:
        member_problem = f"{member.full_name} is a member of another organization: choose one of its branches."
    elif member is not None and member.status != MemberStatus.ACTIVE:
        member_problem = (
            f"The membership is {member.get_status_display().lower()}: nothing can be booked until it is active again."
        )
    bookable = may_book(request.user, BookingKind.SLOT) and not member_problem
    show_over = request.GET.get("over") == "1"

    grid = facility_grid(branch=branch, day=day, now=timezone.now(), member_id=member.pk if member else None)
    first = grid.any_item_id
    state = {"branch": branch.pk, "member": member.pk if member else "", "over": "1" if show_over else ""}
    return render_page(
        request,
        "admin/desk/grid.html",
        title=f"Facility grid: {branch.name}",
        branch=branch,
        branches=desk_branches(),
        day=day,
        day_title=localtime.day_label(day, branch),
        grid=grid,
        links=grid_links(grid, branch=branch, member_id=member.pk if member else None),
        member=member,
        member_problem=member_problem,
        entitlement=entitlement_line(kind=BookingKind.SLOT, item_id=first, member_id=member.pk)
        if member and first
        else "",
        bookable=bookable,
        show_over=show_over,
        over=grid.over,
        toggle_over=_grid_url(**{**state, "over": "" if show_over else "1"}, date=day.isoformat()),
        other_day=[
            ("← Previous day", _grid_url(**state, date=(day - ONE_DAY).isoformat())),
            ("Today", _grid_url(**state)),
            ("Next day →", _grid_url(**state, date=(day + ONE_DAY).isoformat())),
        ],
        without_member=_grid_url(branch=branch.pk, date=day.isoformat()),
        is_today=day == localtime.local_today(branch),
    )


def urls(admin_site) -> list:
    return [path("grid/", admin_site.admin_view(grid), name="desk_grid")]
