"""The header's member search, as you type: the first matches after two characters, by name,
member number, email or phone however it is written (app_private.search_members, the concierge's
search too). When nothing matches, the desk may register the person as a walk-in."""

from __future__ import annotations

from django.urls import path

from desk.access import require_desk
from desk.pages import render_partial
from members.selectors import member_search, search_text

MIN_LENGTH = 2
RESULTS = 8


def search(request):
    require_desk(request)
    query = search_text(request.GET.get("q", ""))
    # one more than shown, to say when there are more
    matches = member_search(query, limit=RESULTS + 1) if len(query) >= MIN_LENGTH else []
    return render_partial(
        request,
        "admin/desk/search_results.html",
        query=query,
        too_short=0 < len(query) < MIN_LENGTH,
        matches=matches[:RESULTS],
        more=len(matches) > RESULTS,
        may_register=request.user.has_perm("members.add_walk_in"),
    )


def urls(admin_site) -> list:
    return [path("search/", admin_site.admin_view(search), name="desk_search")]
