"""Who is asking, from where: the request details every audit entry made during a request carries."""

from __future__ import annotations

import ipaddress
import re
import uuid
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip_address: str | None = None
    user_agent: str = ""


NO_REQUEST = RequestContext()
_current: ContextVar[RequestContext] = ContextVar("audit_request_context", default=NO_REQUEST)


def current_request_context() -> RequestContext:
    return _current.get()


def request_context_from(request) -> RequestContext:
    # META rather than request.headers, which would copy every header of every request
    incoming = request.META.get("HTTP_X_REQUEST_ID", "")
    request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    user_agent = request.META.get("HTTP_USER_AGENT", "").replace("\x00", "")[:500]  # text cannot hold NUL
    return RequestContext(request_id, client_address(request), user_agent)


def client_address(request) -> str | None:
    """The address a request comes from, for audit entries and the sign-in throttle alike.

    Behind TRUSTED_PROXY_COUNT proxies it is that many entries from the right of X-Forwarded-For:
    each proxy appends the address it saw, so those entries are the proxies' own words, while
    anything to their left was sent by the client and may be made up (an attacker would otherwise
    write the club desk's address there). Without proxies, or with a header shorter than that, it
    is the connection's own address.
    """
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < proxies:
        return remote
    return _address(hops[-proxies]) or remote  # only what reads as an address is one


def _address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


class RequestContextMiddleware:
    """Gives each request an id (the caller's X-Request-ID when it sends a sane one), and makes
    the id, address and user agent available to audit entries written while it is handled."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        context = request_context_from(request)
        request.audit_context = context
        token = _current.set(context)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response[REQUEST_ID_HEADER] = context.request_id
        return response
