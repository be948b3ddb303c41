"""What every API endpoint shares: one error body, permissions, pagination, throttling."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, permissions, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from config.errors import RuleViolation

# Refusals by rule -> HTTP status; anything else a rule refuses is a conflict with the state.
RULE_STATUS = {
    "busy": status.HTTP_409_CONFLICT,
    "not_found": status.HTTP_404_NOT_FOUND,
    "override_not_allowed": status.HTTP_403_FORBIDDEN,
    "permission_denied": status.HTTP_403_FORBIDDEN,
    "override_needs_reason": status.HTTP_400_BAD_REQUEST,
    "invalid_range": status.HTTP_400_BAD_REQUEST,
    "no_member": status.HTTP_403_FORBIDDEN,
}


def error_body(code: str, message: str, details=None) -> dict:
    return {"code": code, "message": message, "details": details or {}}


def api_exception_handler(exc, context):
    """Every 4xx as {"code", "message", "details"}; `code` is stable per rule or check."""
    if isinstance(exc, RuleViolation):
        return Response(error_body(exc.code, exc.message, exc.details), status=RULE_STATUS.get(exc.code, 409))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: let it be a 500 and be seen
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    if isinstance(exc, exceptions.ValidationError):
        body = error_body("invalid", "Some fields are missing or wrong; see details.", exc.detail)
    else:
        codes = exc.get_codes()
        body = error_body(codes if isinstance(codes, str) else "error", str(exc.detail))
    return Response(body, status=exc.status_code, headers=headers)


class IsMember(permissions.BasePermission):
    message = "This endpoint needs a member's token."

    def has_permission(self, request, view) -> bool:
        return hasattr(request.user, "member")


class IsStaff(permissions.BasePermission):
    """Staff users, with the same model permissions as in the admin (`required_permissions`)."""

    message = "This endpoint is for staff."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (getattr(user, "is_staff", False) and user.is_active and not hasattr(user, "member")):
            return False
        return all(user.has_perm(permission) for permission in getattr(view, "required_permissions", ()))


class Pages(LimitOffsetPagination):
    default_limit = 50
    max_limit = 200


class PerMemberThrottle(SimpleRateThrottle):
    """Each member (by token) or staff user gets their own allowance."""

    scope = "member"

    def get_cache_key(self, request, view):
        user = request.user
        if hasattr(user, "member"):
            ident = f"member:{user.member.id}"
        elif user and user.is_authenticated:
            ident = f"user:{user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
