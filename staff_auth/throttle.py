"""How axes counts failed sign-ins: by which address and name (AXES_CLIENT_IP_CALLABLE,
AXES_USERNAME_CALLABLE), in the database (AXES_HANDLER).

The address a sign-in comes from, as the throttle counts it and the sign-in's audit entry shows it.

Behind TRUSTED_PROXY_COUNT proxies it is that many entries from the right of X-Forwarded-For: each
proxy appends the address it saw, so those entries are the proxies' own words, while anything to
their left was sent by the client and may be made up (an attacker would otherwise count their
failures against another address, the club's own desk for one). Without proxies, or with a header
shorter than that, it is the connection's own address.
"""

from __future__ import annotations

import ipaddress

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < proxies:
        return remote
    return _address(hops[-proxies]) or remote


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


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
