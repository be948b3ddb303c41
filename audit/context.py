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
    ip_address = _address(request.META.get("REMOTE_ADDR", ""))
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if settings.AUDIT_TRUST_X_FORWARDED_FOR and forwarded:
        # Whatever a client writes there is only an address if it reads as one.
        ip_address = _address(forwarded.split(",")[0]) or ip_address
    user_agent = request.META.get("HTTP_USER_AGENT", "").replace("\x00", "")[:500]  # text cannot hold NUL
    return RequestContext(request_id, ip_address, user_agent)


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
