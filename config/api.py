"""What every API endpoint shares: one error body for every answer that is not a success, the
permissions, pagination, throttling, the checked fields of queries and the branch-clock fields of
answers. (How the OpenAPI document describes the errors: config/api_schema.py.)

Every error under /api/ is `{"code", "message", "details"}` as JSON: the views' own refusals
(DRF's exception handler below), and what Django answers before or around a view (`handler400`,
`handler404` and `handler500` in config/urls.py, which keep Django's HTML pages elsewhere).
"""

from __future__ import annotations

import copy
import datetime
import re
import sys
from dataclasses import dataclass, field

import psycopg
from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from django.utils.log import log_response
from django.views import defaults
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, parsers, permissions, serializers, status
from rest_framework.fields import get_attribute
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from clubs.localtime import at
from config.errors import RuleViolation
from config.rules import http_status

API_PREFIX = "/api/"

# The database cannot be reached, or the connection died under the request (a restart, a
# terminated backend, a pooler that dropped it): worth trying again shortly.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError)
RETRY_AFTER_SECONDS = 5


def error_body(code: str, message: str, details=None) -> dict:
    return {"code": code, "message": message, "details": details or {}}


@dataclass(frozen=True)
class Failure:
    """An error answer of the API, whichever layer noticed it."""

    status: int
    code: str
    message: str
    headers: dict = field(default_factory=dict)

    def response(self) -> JsonResponse:
        response = JsonResponse(error_body(self.code, self.message), status=self.status)
        for name, value in self.headers.items():
            response[name] = value
        return response


SERVER_ERROR = Failure(
    status.HTTP_500_INTERNAL_SERVER_ERROR,
    "server_error",
    "Something went wrong on our side. It has been logged; please try again later.",
)
BAD_REQUEST = Failure(status.HTTP_400_BAD_REQUEST, "bad_request", "The request could not be read.")


def failure_of(exc: BaseException) -> Failure | None:
    """What the client is told about an exception that is not the API's own; None for a bug."""
    if isinstance(exc, DATABASE_UNAVAILABLE):
        return Failure(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "service_unavailable",
            "The database cannot be reached right now; please try again in a few seconds.",
            {"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return Failure(
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            "request_too_large",
            f"The request body is larger than this API accepts ({limit} bytes).",
        )
    if isinstance(exc, TooManyFieldsSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        return Failure(
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            "request_too_large",
            f"The request has more fields than this API accepts ({limit}).",
        )
    if isinstance(exc, SuspiciousOperation | BadRequest):
        return BAD_REQUEST
    return None


def _server_error(request, exc: BaseException) -> JsonResponse:
    """A bug: logged with its traceback, reported like any uncaught exception, answered plainly."""
    response = SERVER_ERROR.response()
    got_request_exception.send(sender=None, request=request)
    log_response("Internal Server Error: %s", request.path, response=response, request=request, exception=exc)
    return response


def api_exception_handler(exc, context):
    """DRF's exception handler: everything a view raises becomes the error body, never a page."""
    from rest_framework.views import set_rollback  # DRF's views import this module's classes

    request = context["request"]._request
    set_rollback()
    if isinstance(exc, RuleViolation):
        return Response(error_body(exc.code, exc.message, exc.details), status=http_status(exc.code))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        failure = failure_of(exc)
        if failure is None:
            return _server_error(request, exc)
        response = failure.response()
        if failure.status >= 500:  # an outage someone should hear about, with its cause
            log_response("Service Unavailable: %s", request.path, response=response, request=request, exception=exc)
        return response
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        details = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        body = error_body("invalid", "Some fields are missing or wrong; see details.", details)
    else:
        codes = exc.get_codes()
        body = error_body(codes if isinstance(codes, str) else "error", str(exc.detail))
    return Response(body, status=exc.status_code, headers=headers)


class MultiPartFormParser(parsers.MultiPartParser):
    """multipart/form-data held to DATA_UPLOAD_MAX_MEMORY_SIZE as a whole, files included (Django
    counts only the other fields): no endpoint takes files, so none is written to disk."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = parser_context["request"]
        if int(request.META.get("CONTENT_LENGTH") or 0) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise RequestDataTooBig("The multipart body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE.")
        return super().parse(stream, media_type, parser_context)


# Django's own error views (config/urls.py): JSON under /api/, Django's pages everywhere else.


def is_api(request) -> bool:
    return f"{request.path_info}/".startswith(API_PREFIX)  # /api itself too


def bad_request(request, exception):
    if not is_api(request):
        return defaults.bad_request(request, exception)
    return (failure_of(exception) or BAD_REQUEST).response()


def page_not_found(request, exception):
    if not is_api(request):
        return defaults.page_not_found(request, exception)
    return Failure(status.HTTP_404_NOT_FOUND, "not_found", "There is no API endpoint at this address.").response()


def server_error(request):
    """Django has logged the exception already; under /api/ it is still answered as JSON, a 503
    when the database is what failed (the exception is the one being handled)."""
    if not is_api(request):
        return defaults.server_error(request)
    exc = sys.exc_info()[1]
    return ((failure_of(exc) if exc else None) or SERVER_ERROR).response()


class IsMember(permissions.BasePermission):
    message = "This endpoint needs a member's token."

    def has_permission(self, request, view) -> bool:
        return getattr(request.user, "is_member", False)


class IsStaff(permissions.BasePermission):
    """Staff users, with the same model permissions as in the admin (`required_permissions`)."""

    message = "This endpoint is for staff."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (getattr(user, "is_staff", False) and user.is_active and not getattr(user, "is_member", False)):
            return False
        return all(user.has_perm(permission) for permission in getattr(view, "required_permissions", ()))


# Query fields. Anything outside what they accept is a 400 naming the field, before any
# arithmetic or SQL sees it.


def checked_query(serializer_class: type[serializers.Serializer], request) -> dict:
    """The request's query parameters as `serializer_class` validates them, or a 400 naming each
    wrong one. Read as a plain dict: DRF takes an empty form value for a missing one, but in a
    query `branch=` is a wrong value. A parameter given twice counts with its last value."""
    query = serializer_class(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    return query.validated_data


# The checks of a request's body (no docstring: the OpenAPI document would show it for each body).
# Each request gets its own copies of the declared fields, as with DRF's serializers, but shallow
# ones: checking a body changes nothing the fields share (choices, messages, validators), and deep
# copies of them were most of what checking a small body cost. A nested serializer is still
# copied deeply.
class RequestBody(serializers.Serializer):
    def get_fields(self) -> dict:
        return {
            name: copy.deepcopy(declared) if isinstance(declared, serializers.BaseSerializer) else copy.copy(declared)
            for name, declared in self._declared_fields.items()
        }


# Days from 1900 to 2999: every day a club can mean, and far enough from year 1 and 9999 that a
# day's bounds in any zone (or the day after it) are still instants Python and PostgreSQL hold.
FIRST_DAY, LAST_DAY = datetime.date(1900, 1, 1), datetime.date(2999, 12, 31)
DAY_PATTERN = r"^(19|2[0-9])[0-9]{2}-[0-9]{2}-[0-9]{2}$"


@extend_schema_field({"type": "string", "format": "date", "pattern": DAY_PATTERN})
class DayField(serializers.DateField):
    """A calendar day written YYYY-MM-DD, from 1900-01-01 to 2999-12-31."""

    default_error_messages = {
        "invalid": "Write the day as YYYY-MM-DD.",
        "no_such_day": "There is no such day in the calendar.",
        "out_of_range": f"Choose a day from {FIRST_DAY} to {LAST_DAY}.",
    }

    def to_internal_value(self, value):
        if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
            self.fail("invalid")
        try:
            day = super().to_internal_value(value)
        except serializers.ValidationError:  # written right, but 2026-02-30
            self.fail("no_such_day")
        if not FIRST_DAY <= day <= LAST_DAY:
            self.fail("out_of_range")
        return day


# Answer fields.


class BranchClockField(serializers.DateTimeField):
    """An instant on its branch's clock: ISO 8601 with the branch's UTC offset at that moment
    (2026-12-01T18:00:00-05:00, still the same instant). `zone` says where the item's IANA zone
    is, as a dotted source (`facility.branch.time_zone`)."""

    def __init__(self, *, zone: str, **kwargs):
        self.zone_attributes = zone.split(".")
        kwargs.setdefault("help_text", "On the branch's clock: ISO 8601 with the branch's UTC offset at that moment.")
        super().__init__(read_only=True, **kwargs)

    def get_attribute(self, instance):
        return at(super().get_attribute(instance), get_attribute(instance, self.zone_attributes))

    def to_representation(self, value):
        return value.isoformat()  # DRF's own would write the offset of UTC, or Z


def time_zone_field(**source) -> serializers.CharField:
    return serializers.CharField(
        read_only=True, help_text="The branch's IANA time zone, e.g. America/New_York.", **source
    )


# PostgreSQL's integer: an OFFSET beyond it is no page anyone can mean.
MAX_OFFSET = 2_147_483_647


class Pages(LimitOffsetPagination):
    """`limit` and `offset` are checked like any other field: a 400 names the one that is wrong,
    instead of the silent default DRF falls back to."""

    default_limit = 50
    max_limit = 200

    def paginate_queryset(self, queryset, request, view=None):
        self.asked = checked_query(PageQuery, request)
        return super().paginate_queryset(queryset, request, view)

    def get_limit(self, request) -> int:
        return self.asked.get("limit", self.default_limit)

    def get_offset(self, request) -> int:
        return self.asked.get("offset", 0)

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": f"How many per page (default {self.default_limit}, at most {self.max_limit}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_limit},
            },
            {
                "name": "offset",
                "in": "query",
                "required": False,
                "description": "How many to skip before the page starts.",
                "schema": {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET},
            },
        ]


class PageQuery(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=Pages.max_limit, required=False)
    offset = serializers.IntegerField(min_value=0, max_value=MAX_OFFSET, required=False)


class PerMemberThrottle(SimpleRateThrottle):
    """Each member (by their sign-in: the token's user in its organization, one member at most) or
    staff user gets their own allowance."""

    scope = "member"

    def get_cache_key(self, request, view):
        user = request.user
        if getattr(user, "is_member", False):
            ident = f"member:{user.organization_id}:{user.auth_user_id}"
        elif user and user.is_authenticated:
            ident = f"user:{user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view) -> bool:
        if super().allow_request(request, view):
            return True
        # A token no member belongs to is told so (401) rather than to wait, also on a view that
        # finds its member itself (members.authentication).
        if getattr(request.user, "is_member", False):
            request.user.find_member()
        return False
