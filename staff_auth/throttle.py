"""How axes counts failed sign-ins: by which address and name (AXES_CLIENT_IP_CALLABLE,
AXES_USERNAME_CALLABLE), in the database (AXES_HANDLER).

The address a sign-in comes from is audit.context.client_address, as every audit entry has it.
"""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from django.contrib.auth import get_user_model
from django.http import HttpRequest


def counted_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The username typed, as the throttle keeps it: at most as long as a username can be (the
    sign-in form lets longer ones through to authentication), and without NUL, which PostgreSQL's
    text cannot hold."""
    field = get_user_model().USERNAME_FIELD
    typed = (credentials or {}).get(field) if credentials else request.POST.get(field)
    if not isinstance(typed, str):
        return None
    longest = get_user_model()._meta.get_field(field).max_length
    return typed.replace("\x00", "")[:longest]


class SignInThrottle(AxesDatabaseHandler):
    """Axes' database handler, keeping a failure's user agent without NUL (PostgreSQL's text cannot
    hold one; gunicorn refuses such a header, other servers may pass it on)."""

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is not None:
            request.axes_user_agent = request.axes_user_agent.replace("\x00", "")
        return super().user_login_failed(sender, credentials, request, **kwargs)
