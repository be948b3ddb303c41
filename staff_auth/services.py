"""Staff sign-in's use cases: each sign-in, failure, lockout, unlock, sign-out and idle end as an
audit entry, unlocking a name or an address, and making and revoking API tokens.

Sign-in entries concern the username typed (entity `sign_in`, the name as the entity id); a
failure, a lockout and an unlock found by the throttle are the system's (nobody proved who they
were), a sign-in, a sign-out and an idle end are the staff user's. Their address is the one the
throttle counts (staff_auth.throttle), so an entry names the address a lockout holds.
"""

from __future__ import annotations

import datetime
import secrets
import uuid

from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.context import RequestContext, request_context_from
from audit.models import AuditAction, AuditSource
from audit.services import Actor, audit_record
from staff_auth.models import PREFIX_LENGTH, StaffApiToken
from staff_auth.selectors import Lockout, key_digest

SIGN_IN, API_TOKEN = "sign_in", "api_token"
THROTTLE = Actor.system("sign-in throttle")
# The trail's entity ids hold 64 characters; a name typed at the sign-in form may hold anything.
ENTITY_ID_LENGTH = 64
KEY_PREFIX = "cst_"  # club staff token: easy to recognise in a leaked file or a secret scanner
MAX_TOKEN_DAYS = 365


def attempted_name(value) -> str:
    """A username as typed, fit for the trail: text, characters that print, at most 64 of them."""
    text = "".join(character for character in str(value or "") if character.isprintable())
    return text if len(text) <= ENTITY_ID_LENGTH else text[: ENTITY_ID_LENGTH - 1] + "…"


def sign_in_context(request) -> RequestContext:
    """The request's id, address and user agent (the middleware's, or read now for a request that
    did not pass it)."""
    return getattr(request, "audit_context", None) or request_context_from(request)


def _record_sign_in(action: str, *, username, actor: Actor, request=None, context=None, source=AuditSource.ADMIN,
                    new_values=None, reason: str = "") -> None:  # fmt: skip
    with transaction.atomic():
        audit_record(
            action=action,
            entity_type=SIGN_IN,
            entity_id=attempted_name(username),
            source=source,
            actor=actor,
            new_values=new_values,
            reason=reason,
            context=context or sign_in_context(request),
        )


def sign_in_record_success(*, user, request) -> None:
    _record_sign_in(
        AuditAction.SIGN_IN_SUCCEEDED, username=user.get_username(), actor=Actor.staff(user), request=request
    )


def sign_in_record_failure(*, username, request, reason: str) -> None:
    _record_sign_in(AuditAction.SIGN_IN_FAILED, username=username, actor=THROTTLE, request=request, reason=reason)


def sign_in_record_lockout(*, lockout: Lockout, username, request) -> None:
    what = f"“{attempted_name(username)}”" if lockout.by == "username" else "this address"
    _record_sign_in(
        AuditAction.SIGN_IN_LOCKED_OUT,
        username=username,
        actor=THROTTLE,
        request=request,
        new_values={"locked": lockout.by, "failures": lockout.failures, "until": lockout.until},
        reason=f"{lockout.failures} failed sign-ins for {what} within {in_words(settings.AXES_COOLOFF_TIME)}",
    )


def sign_in_record_sign_out(*, user, request) -> None:
    _record_sign_in(AuditAction.SIGNED_OUT, username=user.get_username(), actor=Actor.staff(user), request=request)


def session_record_expiry(*, user, request, idle: datetime.timedelta) -> None:
    _record_sign_in(
        AuditAction.SESSION_EXPIRED,
        username=user.get_username(),
        actor=Actor.staff(user),
        request=request,
        new_values={"idle_minutes": int(idle.total_seconds() // 60)},
        reason=f"no activity for {in_words(idle)}",
    )


def sign_in_unlock(*, username: str | None = None, ip_address: str | None = None, actor: Actor, source: str,
                   context: RequestContext | None = None, dry_run: bool = False) -> int:  # fmt: skip
    """Forget the counted failures of a username and/or an address, so that they may sign in at
    once: the number forgotten (failed sign-ins, not rows). One audit entry, unless nothing was
    counted or it is a dry run."""
    if not username and not ip_address:
        raise ValueError("name a username or an address to unlock")
    criteria = Q()
    if username:
        criteria |= Q(username=username)
    if ip_address:
        criteria |= Q(ip_address=ip_address)
    with transaction.atomic():
        matching = AccessAttempt.objects.select_for_update().filter(criteria)
        failures = sum(attempt.failures_since_start for attempt in matching)
        if dry_run or not failures:
            return failures
        AccessAttempt.objects.filter(criteria).delete()
        _record_sign_in(
            AuditAction.SIGN_IN_UNLOCKED,
            username=username or ip_address,
            actor=actor,
            context=context or RequestContext(),
            source=source,
            new_values={"username": username, "address": ip_address, "failures_forgotten": failures},
        )
    return failures


def may_make_token_for(maker, user) -> bool:
    """A manager makes tokens only for staff who can do no more than they can: a token is the
    user's powers in a file, so this keeps anyone from raising their own by way of another's."""
    if maker.is_superuser:
        return True
    return not user.is_superuser and user.get_all_permissions() <= maker.get_all_permissions()


def api_token_check(*, user, name: str, days: int, maker=None) -> None:
    """ValidationError naming each field that api_token_create would refuse."""
    errors = {}
    if not (name or "").strip():
        errors["name"] = "Say what the token is for, e.g. “Riverside entrance kiosk”."
    if user is not None and not (user.is_active and user.is_staff):
        errors["user"] = f"{user.get_username()} is not an active staff user: API tokens are for staff."
    elif user is not None and maker is not None and not may_make_token_for(maker, user):
        errors["user"] = f"{user.get_username()} may do things you may not: only a superuser can make their token."
    if days is not None and not 1 <= days <= MAX_TOKEN_DAYS:
        errors["days"] = f"A token lasts from 1 to {MAX_TOKEN_DAYS} days."
    if errors:
        raise ValidationError(errors)


def api_token_create(*, user, name: str, days: int, actor: Actor, source: str, maker=None,
                     context: RequestContext | None = None) -> tuple[StaffApiToken, str]:  # fmt: skip
    """A new token for an active staff user, lasting `days` (1 to 365): the token and its key,
    which is shown this once and kept nowhere. `maker`, the staff user making it in the admin,
    may make it only for someone whose permissions they hold (may_make_token_for)."""
    api_token_check(user=user, name=name, days=days, maker=maker)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = StaffApiToken.objects.create(
            user=user,
            name=name.strip(),
            prefix=key[:PREFIX_LENGTH],
            digest=key_digest(key),
            created_by=actor.label,
            expires_at=timezone.now() + datetime.timedelta(days=days),
        )
        audit_record(
            action=AuditAction.API_TOKEN_CREATED,
            entity_type=API_TOKEN,
            entity_id=token.pk,
            source=source,
            actor=actor,
            new_values=_described(token),
            context=context,
        )
    return token, key


def api_token_revoke(*, token_id: uuid.UUID, actor: Actor, source: str, reason: str = "",
                     context: RequestContext | None = None) -> StaffApiToken | None:  # fmt: skip
    """Revoke a token now; None when it was already revoked (nothing recorded then)."""
    with transaction.atomic():
        token = StaffApiToken.objects.select_for_update().select_related("user").get(pk=token_id)
        if token.revoked_at is not None:
            return None
        token.revoked_at, token.revoked_by = timezone.now(), actor.label
        token.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            action=AuditAction.API_TOKEN_REVOKED,
            entity_type=API_TOKEN,
            entity_id=token.pk,
            source=source,
            actor=actor,
            old_values={"revoked_at": None},
            new_values={**_described(token), "revoked_at": token.revoked_at},
            reason=reason,
            context=context,
        )
    return token


def api_token_mark_used(*, token: StaffApiToken, every: datetime.timedelta = datetime.timedelta(minutes=10)) -> None:
    """Remember when a token was last used, at most once every `every`: a write on every API
    request would cost more than the request."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= every:
        StaffApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def _described(token: StaffApiToken) -> dict:
    return {
        "user": token.user.get_username(),
        "name": token.name,
        "prefix": token.prefix,
        "expires_at": token.expires_at,
    }


def in_words(duration: datetime.timedelta) -> str:
    """15 minutes; 1 minute; 40 seconds (a limit set that short, as a test may)."""
    seconds = int(duration.total_seconds())
    count, unit = (seconds // 60, "minute") if seconds >= 60 else (seconds, "second")
    return f"{count} {unit}{'s' if count != 1 else ''}"
