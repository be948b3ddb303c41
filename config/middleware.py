"""Middleware of the whole site."""

from __future__ import annotations

from html import escape

from django.http import HttpResponse

from config.api import Failure, is_api
from config.request_limits import refusal_of


class RequestLimitsMiddleware:
    """A request whose address or headers are beyond config.request_limits is refused before
    anything reads it: 414 (address) or 431 (headers), as the API's JSON error body under /api/
    and as a plain page elsewhere. First in MIDDLEWARE."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refusal = refusal_of(request.get_full_path(), request.META)
        if refusal is None:
            return self.get_response(request)
        if is_api(request):
            return Failure(refusal.status, refusal.code, refusal.message).response()
        title = f"{refusal.reason} ({refusal.status})"
        page = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{escape(title)}</title></head>"
            f"<body><h1>{escape(title)}</h1><p>{escape(refusal.message)}</p></body></html>"
        )
        return HttpResponse(page, status=refusal.status, reason=refusal.reason)
