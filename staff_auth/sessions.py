"""Idle time on shared desk computers: a staff session ends after SESSION_IDLE_MINUTES without
activity (managers', who sign in with two factors, after SESSION_IDLE_MINUTES_MANAGERS).

The session keeps when its user was last active, to the minute (so that a session is written at
most once a minute, not on every request). A page the user opens is activity; a request a page
sends by itself is not: the admin pages' script (static/staff_auth/idle.js) says on each htmx
request how long the user has been idle (`X-Idle-Seconds`), so the desk's panels refreshing every
few seconds do not keep a forgotten session alive, while typing in the member search does.
"""

from __future__ import annotations

import datetime
import time

from django.conf import settings

from two_factor.selectors import TWO_FACTOR_PERMISSIONS

ACTIVE_AT = "staff_auth.active_at"  # epoch seconds of the last activity the server knows of
IDLE_SECONDS = "staff_auth.idle_seconds"  # this session's limit; 0: it never ends for idleness
IDLE_HEADER = "HTTP_X_IDLE_SECONDS"
SECONDS_LEFT_HEADER = "X-Session-Seconds-Left"
GRAIN = 60  # seconds: activity closer than this to the last one known is not written


def idle_limit(user) -> int:
    """Seconds of idleness this user's session survives (0: no limit): managers', who sign in
    with a code too and work away from the desk, may be longer than the front desk's."""
    manager = user.is_superuser or any(user.has_perm(name) for name in TWO_FACTOR_PERMISSIONS)
    minutes = settings.SESSION_IDLE_MINUTES_MANAGERS if manager else settings.SESSION_IDLE_MINUTES
    return max(minutes, 0) * 60


def session_started(session, user) -> None:
    """At sign-in: the limit is the user's for the whole session (read once, not per request)."""
    session[IDLE_SECONDS] = idle_limit(user)
    session[ACTIVE_AT] = int(time.time())


def reported_idle_seconds(request) -> int | None:
    """How long the page says its user has been idle, or None when it says nothing (a page the
    user opened, a form sent): a number of seconds, anything else counts as nothing said."""
    value = request.META.get(IDLE_HEADER)
    if value is None:
        return None
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None


def seconds_left(session, now: float | None = None) -> int | None:
    limit = session.get(IDLE_SECONDS)
    if not limit:
        return None
    now = time.time() if now is None else now
    return int(limit - (now - session.get(ACTIVE_AT, now)))


def note_activity(session, idle_seconds: int | None, *, now: float | None = None, exact: bool = False) -> None:
    """The user was active `idle_seconds` ago (now when None); written when it moves the last
    activity known by GRAIN or more, or always when `exact`."""
    now = time.time() if now is None else now
    active_at = int(now - (idle_seconds or 0))
    known = session.get(ACTIVE_AT, 0)
    if active_at - known >= (1 if exact else GRAIN):
        session[ACTIVE_AT] = active_at


def idle_duration(session) -> datetime.timedelta:
    return datetime.timedelta(seconds=session.get(IDLE_SECONDS) or 0)
