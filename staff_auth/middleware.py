"""Ends a staff session that was idle too long (see staff_auth.sessions); nothing at all on /api/."""

from __future__ import annotations

import time

from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse, JsonResponse
from django.urls import reverse

from config.api import is_api
from staff_auth.services import session_record_expiry
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


class IdleSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_api(request) or SESSION_KEY not in request.session:
            return self.get_response(request)
        session, now = request.session, time.time()
        if IDLE_SECONDS not in session or ACTIVE_AT not in session:  # a session older than idle ends
            session_started(session, request.user)
        left = seconds_left(session, now)
        if left is not None and left < 0:
            return self._ended(request)
        note_activity(session, reported_idle_seconds(request), now=now)
        response = self.get_response(request)
        if left is not None and SESSION_KEY in request.session:
            # the page's script keeps its countdown to the server's, whatever other tabs did
            response[SECONDS_LEFT_HEADER] = str(seconds_left(request.session))
        return response

    @staticmethod
    def _ended(request) -> HttpResponse:
        idle = idle_duration(request.session)
        session_record_expiry(user=request.user, request=request, idle=idle)
        request.idle_session_ended = True  # the sign-out is this entry, not another
        logout(request)
        minutes = int(idle.total_seconds() // 60)
        messages.info(request, f"You were signed out after {minutes} minutes without activity. Sign in to go on.")
        if request.headers.get("HX-Request"):  # a panel's request: the page reloads, to the sign-in form
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        if reported_idle_seconds(request) is not None:  # the page's script asking: it opens the form
            return JsonResponse({"signed_in": False}, status=401)
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
