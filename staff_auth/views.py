"""Staff sign-in's pages: the sign-in form when a lockout holds, and the session's idle clock for
the admin pages' script."""

from __future__ import annotations

import math

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpResponse, JsonResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import escape

from clubs.localtime import at, local_time, zone_label
from staff_auth.selectors import USERNAME, Lockout, lockout_of
from staff_auth.sessions import note_activity, reported_idle_seconds, seconds_left
from staff_auth.throttle import counted_username


def lockout_message(lockout: Lockout, username: str) -> str:
    """Too many failed sign-ins for “manager”. Try again at 14:35 UTC (in 15 minutes), or ask a
    manager to unlock it."""
    now = timezone.now()
    minutes = max(1, math.ceil((lockout.until - now).total_seconds() / 60))
    local = at(lockout.until, settings.TIME_ZONE)
    day = "" if local.date() == at(now, settings.TIME_ZONE).date() else f" on {local:%a} {local.day} {local:%b}"
    what = f"for “{username}”" if lockout.by == USERNAME else "from this computer’s network address"
    return (
        f"Too many failed sign-ins {what}. Try again at {local_time(lockout.until, settings.TIME_ZONE)} "
        f"{zone_label(local)}{day} (in {minutes} minute{'s' if minutes != 1 else ''}), or ask a manager to unlock it."
    )


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """The answer to a sign-in axes refused (from StaffSessionMiddleware): the sign-in form again,
    saying until when, with 429 Too Many Requests."""
    username = counted_username(request, credentials)
    lockout = lockout_of(username=username, ip_address=request.axes_ip_address)
    message = (
        lockout_message(lockout, username)
        if lockout
        else "Too many failed sign-ins. Try again in a few minutes, or ask a manager to unlock it."
    )
    context = original_response.context_data if isinstance(original_response, TemplateResponse) else None
    form = (context or {}).get("form")
    if form is not None:
        form.errors[NON_FIELD_ERRORS] = form.error_class([message])  # shown above the form's fields
        original_response.content = original_response.rendered_content
        original_response.status_code = 429
        return original_response
    return HttpResponse(f"<!doctype html><title>Sign-in locked</title><p>{escape(message)}</p>", status=429)


def session_clock(request) -> JsonResponse:
    """The admin pages' script reporting activity (X-Idle-Seconds: 0 when the user asked to stay,
    or typed) or asking, at its deadline, whether the session still holds: the seconds left.
    Always written exactly, unlike other requests (sessions.GRAIN), so the countdown shown is the
    server's."""
    note_activity(request.session, reported_idle_seconds(request), exact=True)
    return JsonResponse({"signed_in": True, "seconds_left": seconds_left(request.session)})
