"""The facility grid: one branch's recovery facilities on one day of its calendar, a column per
facility (with its next free place) and a row per start time, each cell the places left or why
it cannot be booked. A click books the cell for a member: with a member chosen (`?member=`, from
the member's page or the concierge), straight to the concierge's confirm step; without, through
its first step, finding the member, and on to confirm that slot."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404
from django.urls import path
from django.utils import timezone

from bookings.concierge import ONE_DAY, ShownDayField, admin_url, grid_table
from bookings.selectors import entitlement_line, facility_grid
from bookings.services import OVERRIDE_PERMISSION, BookingKind
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


def grid(request):
    require_desk(request)
    branch = desk_branch(request)
    if branch is None:
        return render_page(request, "admin/desk/grid.html", title="Facility grid", branch=None)
    if "branch" in request.GET and parse_uuid(request.GET["branch"]) != branch.pk:
        messages.warning(request, f"There is no active branch of that id: this is {branch.name}'s grid.")
    today = localtime.local_today(branch)
    form = GridDayForm(request.GET)
    if form.is_valid():
        day = form.cleaned_data["date"] or today
    else:
        messages.error(request, f"{form.errors['date'][0]} This is today's grid.")
        day = today
    member = _member(request)
    member_id = member.pk if member else None
    # Booking links only for whoever may book a slot, and for a member who may be booked here.
    member_problem = ""
    if member is not None and member.organization_id != branch.organization_id:
        member_problem = f"{member.full_name} is a member of another organization: choose one of its branches."
    elif member is not None and member.status != MemberStatus.ACTIVE:
        member_problem = (
            f"The membership is {member.get_status_display().lower()}: nothing can be booked until it is active again."
        )
    show_over = request.GET.get("over") == "1"

    grid = facility_grid(branch=branch, day=day, now=timezone.now(), member_id=member_id)
    first = grid.any_item_id
    state = {"branch": branch.pk, "member": member_id, "over": "1" if show_over else ""}
    return render_page(
        request,
        "admin/desk/grid.html",
        title=f"Facility grid: {branch.name}",
        branch=branch,
        branches=desk_branches(),
        day=day,
        table=grid_table(
            grid,
            branch=branch,
            member_id=member_id,
            bookable=may_book(request.user, BookingKind.SLOT) and not member_problem,
            may_override=request.user.has_perm(OVERRIDE_PERMISSION),
            show_over=show_over,
        ),
        member=member,
        member_problem=member_problem,
        entitlement=entitlement_line(kind=BookingKind.SLOT, item_id=first, member_id=member_id)
        if first and member and member.organization_id == branch.organization_id
        else "",
        show_over=show_over,
        over=grid.over,
        toggle_over=admin_url("desk_grid", **{**state, "over": "" if show_over else "1"}, date=day.isoformat()),
        other_day=[
            ("← Previous day", admin_url("desk_grid", **state, date=(day - ONE_DAY).isoformat())),
            ("Today", admin_url("desk_grid", **state)),
            ("Next day →", admin_url("desk_grid", **state, date=(day + ONE_DAY).isoformat())),
        ],
        without_member=admin_url("desk_grid", branch=branch.pk, date=day.isoformat()),
        is_today=day == today,
        future_day=day >= today,
    )


def urls(admin_site) -> list:
    return [path("grid/", admin_site.admin_view(grid), name="desk_grid")]
