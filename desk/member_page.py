"""A member's profile for staff, with the member at the counter: their status impossible to miss,
contact and home branch, entitlement use this period, upcoming bookings with one-click check-in and
cancel (its consequence said first), the history, the overrides made for them, the staff's note
(edited in place) and "book for this member".

The bookings part reloads itself after every desk action (`deskChanged`) and every minute, so a
check-in window that opens or a cancellation that turns late shows without a page load.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from bookings.services import CHANGE_PERMISSIONS, BookingKind
from desk.access import may_book, require_desk
from desk.pages import render_page, render_partial
from desk.profiles import HISTORY_LENGTH, MemberProfile, member_bookings, member_profile
from members.models import MemberNote
from members.services import member_note_save

BOOKINGS_REFRESH_SECONDS = 60
NOTE_PERMISSIONS = ("members.add_membernote", "members.change_membernote")


def _profile(member_id) -> MemberProfile:
    profile = member_profile(member_id=member_id)
    if profile is None:
        raise Http404("No member with this id.")
    return profile


def _bookings(request, profile: MemberProfile) -> dict:
    return {
        "member": profile,
        "bookings": member_bookings(profile=profile, now=timezone.now()),
        # the kinds whose bookings this user may check in and cancel
        "changeable": [kind for kind in BookingKind.values if request.user.has_perm(CHANGE_PERMISSIONS[kind])],
        "refresh_seconds": BOOKINGS_REFRESH_SECONDS,
        "history_length": HISTORY_LENGTH,
    }


def _note(request, profile: MemberProfile, **extra) -> dict:
    user = request.user
    return {
        "member": profile,
        "may_see_note": user.has_perm("members.view_membernote") or user.has_perms(NOTE_PERMISSIONS),
        "may_edit_note": user.has_perms(NOTE_PERMISSIONS),
        "note_max_length": MemberNote._meta.get_field("text").max_length,
        **extra,
    }


def member(request, member_id):
    require_desk(request)
    profile = _profile(member_id)
    user = request.user
    book_query = f"?member={profile.id}"
    return render_page(
        request,
        "admin/desk/member.html",
        title=profile.full_name,
        concierge_url=reverse("admin:bookings_concierge_schedule") + book_query if may_book(user) else "",
        grid_url=reverse("admin:desk_grid") + book_query if may_book(user, BookingKind.SLOT) else "",
        admin_url=reverse("admin:members_member_change", args=[profile.id])
        if user.has_perm("members.change_member")
        else "",
        **_bookings(request, profile) | _note(request, profile),
    )


def bookings(request, member_id):
    """The profile's bookings part alone, for its reload after an action."""
    require_desk(request)
    return render_partial(request, "admin/desk/member_bookings.html", **_bookings(request, _profile(member_id)))


@require_POST
def note(request, member_id):
    """Save the staff's note: answers htmx with the note's part, a plain form with a redirect."""
    require_desk(request)
    if not request.user.has_perms(NOTE_PERMISSIONS):
        raise PermissionDenied
    profile = _profile(member_id)
    text = request.POST.get("text", "")
    try:
        member_note_save(member_id=profile.id, text=text, user=request.user)
    except ValidationError as error:
        problem = " ".join(error.message_dict.get("text", error.messages))
        if not request.htmx:
            messages.error(request, problem)
            return HttpResponseRedirect(reverse("admin:desk_member", args=[profile.id]))
        return render_partial(
            request, "admin/desk/member_note.html", **_note(request, profile, note_error=problem, note_text=text)
        )
    if not request.htmx:
        messages.success(request, f"Saved the note on {profile.full_name}.")
        return HttpResponseRedirect(reverse("admin:desk_member", args=[profile.id]))
    return render_partial(
        request, "admin/desk/member_note.html", **_note(request, _profile(member_id), note_saved=True)
    )


def urls(admin_site) -> list:
    return [
        path("members/<uuid:member_id>/", admin_site.admin_view(member), name="desk_member"),
        path("members/<uuid:member_id>/bookings/", admin_site.admin_view(bookings), name="desk_member_bookings"),
        path("members/<uuid:member_id>/note/", admin_site.admin_view(note), name="desk_member_note"),
    ]
