"""Today: the staff's home page. One branch's day at a glance (the timeline of classes and
facility sessions, who is arriving next, what needs attention), refreshed in place every few
seconds and after every action, so two desk computers show the same state."""

from __future__ import annotations

from django.conf import settings
from django.urls import path
from django.utils import formats, timezone

from clubs import localtime
from desk.access import desk_branch, desk_branches, may_book, require_desk
from desk.pages import RowLinks, render_page, render_partial
from desk.selectors import ItemState, arriving_next, day_timeline, needs_attention


def _panels(request, *, remember: bool) -> dict:
    branch = desk_branch(request, remember=remember)
    if branch is None:
        return {"branch": None}
    now = timezone.now()
    day = localtime.local_today(branch)
    timeline = day_timeline(branch=branch, day=day, now=now)
    # What is over is history, and a spa's empty sessions are most of its day (the grid shows
    # them): both hidden unless asked for, so the timeline starts at what is next and booked.
    show_over, show_empty = request.GET.get("over") == "1", request.GET.get("empty") == "1"
    over = sum(1 for entry in timeline if entry.state == ItemState.OVER)
    shown = [entry for entry in timeline if show_over or entry.state != ItemState.OVER]
    empty = sum(1 for entry in shown if entry.is_empty)
    return {
        "branch": branch,
        "day": formats.date_format(day, "l j F"),
        "zone_label": localtime.day_label(day, branch),
        "now": localtime.local_time(now, branch),
        "timeline": shown if show_empty else [entry for entry in shown if not entry.is_empty],
        "over": over,
        "show_over": show_over,
        "toggle_over": _shown(branch, over=not show_over, empty=show_empty),
        "empty": empty,
        "show_empty": show_empty,
        "toggle_empty": _shown(branch, over=show_over, empty=not show_empty),
        "refresh": _shown(branch, over=show_over, empty=show_empty),
        "arriving": arriving_next(branch=branch, now=now),
        "attention": needs_attention(branch=branch, day=day, now=now, timeline=timeline),
        "may_book": may_book(request.user),
        "refresh_seconds": settings.DESK_REFRESH_SECONDS,
        "links": RowLinks.reversed(),
    }


def _shown(branch, *, over: bool, empty: bool) -> str:
    """The query string of Today at `branch` showing what is over and the empty sessions or not."""
    return f"?branch={branch.pk}" + ("&over=1" if over else "") + ("&empty=1" if empty else "")


def today(request):
    require_desk(request)
    context = _panels(request, remember=True)
    branch = context["branch"]
    return render_page(
        request,
        "admin/desk/today.html",
        title=f"Today at {branch.name}" if branch else "Today",
        branches=desk_branches() if branch else [],
        **context,
    )


def panels(request):
    """The page's live part alone, for htmx's polling and for the refresh after an action."""
    require_desk(request)
    return render_partial(request, "admin/desk/today_panels.html", **_panels(request, remember=False))


def urls(admin_site) -> list:
    return [
        path("", admin_site.admin_view(today), name="desk_today"),
        path("panels/", admin_site.admin_view(panels), name="desk_today_panels"),
    ]
