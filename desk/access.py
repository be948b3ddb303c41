"""Who may use the front desk, and which branch's desk they are at.

Every desk page and partial starts with `require_desk`: the desk shows bookings, so it needs the
permission to see them; writes check their own permission again (bookings.services' maps)."""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied

from bookings.services import ADD_PERMISSIONS, CHANGE_PERMISSIONS, OVERRIDE_PERMISSION, BookingKind
from clubs.models import Branch
from desk.models import DeskBranch
from desk.services import desk_branch_remember

VIEW_PERMISSIONS = ("bookings.view_benefitbooking", "bookings.view_classbooking")


def may_use_desk(user) -> bool:
    return user.is_active and user.is_staff and any(user.has_perm(name) for name in VIEW_PERMISSIONS)


def require_desk(request) -> None:
    if not may_use_desk(request.user):
        raise PermissionDenied


def require_change(request, kind: str) -> None:
    """Check in, no-show, cancel: the permission to change bookings of that kind."""
    if kind not in BookingKind.values or not request.user.has_perm(CHANGE_PERMISSIONS[kind]):
        raise PermissionDenied


def may_book(user, kind: str | None = None) -> bool:
    kinds = [kind] if kind else list(BookingKind.values)
    return any(user.has_perm(ADD_PERMISSIONS[name]) for name in kinds if name in ADD_PERMISSIONS)


def lands_on_today(user) -> bool:
    """Front-desk staff open the admin on Today; managers (who may override capacity) and
    superusers keep the model index, with Today one click away."""
    return may_use_desk(user) and not user.is_superuser and not user.has_perm(OVERRIDE_PERMISSION)


def desk_branches():
    return Branch.objects.filter(is_active=True).select_related("organization").order_by("name", "id")


def desk_branch(request, *, remember: bool = True) -> Branch | None:
    """The branch whose desk the user is at: `?branch=` (remembered when the user chose it, not
    when a page refreshes itself: two tabs at two branches must not take turns), else the one
    they chose last, else the first active branch. One query when nothing changes."""
    asked = parse_uuid(request.GET.get("branch"))
    remembered = (
        DeskBranch.objects.filter(user=request.user, branch__is_active=True)
        .select_related("branch__organization")
        .first()
    )
    if asked and (remembered is None or remembered.branch_id != asked):
        branch = desk_branches().filter(pk=asked).first()
        if branch is not None:
            if remember:
                desk_branch_remember(user=request.user, branch=branch)
            return branch
    return remembered.branch if remembered else desk_branches().first()


def parse_uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None
