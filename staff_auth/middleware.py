"""Staff sessions, on every page but the API's (where this does nothing at all): a session idle too
long ends (see staff_auth.sessions), and a sign-in axes refused answers with the sign-in form saying
until when (staff_auth.views.lockout_response). Axes' own middleware, which does the latter, asks on
every request whether it runs asynchronously, which costs more than the rest of this together."""

from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth import SESSION_KEY, get_user, logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, JsonResponse
from django.urls import reverse

from config.api import is_api
from staff_auth.services import in_words, session_record_expiry
from staff_auth.sessions import (
    ACTIVE_AT,
    IDLE_SECONDS,
    SECONDS_LEFT_HEADER,
    idle_duration,
    note_activity,
    reported_idle_seconds,
    seconds_left,
    session_started,
)
from staff_auth.views import lockout_response


class StaffSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_api(request):
            return self.get_response(request)
        left = self._seconds_left(request)
        if left is not None and left < 0:
            return self._ended(request)
        response = self.get_response(request)
        if getattr(request, "axes_locked_out", False):
            return lockout_response(request, response, request.axes_credentials)
        if left is not None and SESSION_KEY in request.session:
            # the page's script keeps its countdown to the server's, whatever other tabs did
            response[SECONDS_LEFT_HEADER] = str(seconds_left(request.session))
        return response

    @staticmethod
    def _seconds_left(request) -> int | None:
        """The signed-in session's idle seconds left, this request's activity noted when it has
        some left; None when nobody is signed in or the session never ends for idleness."""
        session = request.session
        if SESSION_KEY not in session:
            return None
        now = time.time()
        if IDLE_SECONDS not in session or ACTIVE_AT not in session:  # a session older than idle ends
            session_started(session, get_user(request))
        left = seconds_left(session, now)
        if left is None or left >= 0:
            note_activity(session, reported_idle_seconds(request), now=now)
        return left

    @staticmethod
    def _ended(request) -> HttpResponse:
        idle = idle_duration(request.session)
        # the session's own user: two_factor's middleware shows a session that still owes its code
        # as nobody outside the admin
        session_record_expiry(user=get_user(request), request=request, idle=idle)
        request.idle_session_ended = True  # the sign-out is this entry, not another
        logout(request)
        messages.warning(request, f"You were signed out after {in_words(idle)} without activity. Sign in to go on.")
        if request.headers.get("HX-Request"):  # a panel's request: the page reloads, to the sign-in form
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        if reported_idle_seconds(request) is not None:  # the page's script asking: it opens the form
            return JsonResponse({"signed_in": False}, status=401)
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
