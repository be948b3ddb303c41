"""Two factors for the staff who must use them (see selectors): enrolling an authenticator app,
checking a sign-in or recovery code, a fresh set of recovery codes, and a manager's reset.

Codes are checked by django-otp's devices, which throttle guessing: after each wrong code the next
one is checked only after 1, 2, 4, 8… seconds (per device, kept in the database, so it holds
across processes and sessions). A refused or wrong code is an audit entry, like an enrolment,
a recovery code used and a reset.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, replace

from django.contrib.auth import get_user_model
from django.db import transaction
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditAction, AuditSource
from audit.services import Actor, audit_record
from two_factor.selectors import enrolled_device

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_CODE = re.compile(r"^\d{6}$")  # what an authenticator app shows; recovery codes are 8 letters and digits


class TwoFactorRefused(Exception):
    """What was asked cannot be done, said in words a person can act on."""


@dataclass(frozen=True)
class CodeCheck:
    device: Device | None  # the device that took the code; None when it was refused
    retry_at: datetime.datetime | None  # when the next code will be checked, after wrong ones
    checked: bool = True  # False: too many wrong codes lately, this one was not even looked at
    recovery_codes: tuple[str, ...] = ()  # the set an enrolment made, to show once

    @property
    def accepted(self) -> bool:
        return self.device is not None


def normalized_code(code: str) -> str:
    """Codes as typed: spaces and dashes (a recovery code is shown as `abcd-efgh`) and case ignored."""
    return re.sub(r"[\s-]", "", code).lower()


def enrolment_device(*, user) -> TOTPDevice:
    """The authenticator app being set up: the one an earlier visit started (its key may already
    be scanned), or a new one with a fresh key. Refused once an app is enrolled: only a reset
    makes way for another, so a password alone never replaces someone's app."""
    with transaction.atomic():
        _lock(user)
        if enrolled_device(user) is not None:
            raise TwoFactorRefused("An authenticator app is already set up: enter its code.")
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
        return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def enrolment_confirm(*, user, code: str) -> CodeCheck:
    """The first code from the app being set up: when right, the app is enrolled and a set of
    recovery codes made (in the CodeCheck, to show once)."""
    with transaction.atomic():
        _lock(user)
        if enrolled_device(user) is not None:
            raise TwoFactorRefused("An authenticator app is already set up: enter its code.")
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            raise TwoFactorRefused("Nothing is being set up: open the set-up page again.")
        check = _checked(device, normalized_code(code), user=user, during="enrolment")
        if not check.accepted:
            return check
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        _record(AuditAction.TWO_FACTOR_ENROLLED, user=user, device=device.name)
        return replace(check, recovery_codes=_new_recovery_codes(user))


def sign_in_code_check(*, user, code: str) -> CodeCheck:
    """A code at sign-in: six digits are checked against the authenticator app, anything else
    against the recovery codes (a recovery code that works is used up)."""
    code = normalized_code(code)
    with transaction.atomic():
        recovery = not AUTHENTICATOR_CODE.match(code)
        model = StaticDevice if recovery else TOTPDevice
        device = model.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk").first()
        if device is None:
            _record(AuditAction.TWO_FACTOR_FAILED, user=user, during="sign-in", code=_kind(recovery))
            return CodeCheck(device=None, retry_at=None)
        check = _checked(device, code, user=user, during="sign-in")
        if check.accepted and recovery:
            left = device.token_set.count()
            _record(AuditAction.RECOVERY_CODE_USED, user=user, recovery_codes_left=left)
        return check


def recovery_codes_renew(*, user) -> tuple[str, ...]:
    """A fresh set of recovery codes for an enrolled user; the old ones stop working."""
    with transaction.atomic():
        _lock(user)
        if enrolled_device(user) is None:
            raise TwoFactorRefused("Set up an authenticator app first: recovery codes go with it.")
        codes = _new_recovery_codes(user)
        _record(AuditAction.RECOVERY_CODES_RENEWED, user=user, recovery_codes=len(codes))
        return codes


def devices_reset(*, user, actor: Actor, source: str, may_reset_superusers: bool, dry_run: bool = False) -> list[str]:
    """Forget the user's authenticator app and recovery codes (a lost phone): they set up an app
    again at their next sign-in, and a session they verified must verify again. A superuser's only
    when `may_reset_superusers` (a superuser asks, or the command line), since the reset hands the
    account to whoever next signs in with its password. The names of the devices removed (or that
    would be, on a dry run); none, and nothing recorded, when there were none."""
    if user.is_superuser and not may_reset_superusers:
        raise TwoFactorRefused(f"Only a superuser may reset the two factors of {user.get_username()} (a superuser).")
    with transaction.atomic():
        _lock(user)
        devices = [*TOTPDevice.objects.filter(user=user), *StaticDevice.objects.filter(user=user)]
        removed = [device.name for device in devices if device.confirmed]
        if dry_run or not removed:
            return removed
        for device in devices:
            device.delete()  # a recovery device's codes go with it
        _record(
            AuditAction.TWO_FACTOR_RESET,
            user=user,
            actor=actor,
            source=source,
            staff_user=user.get_username(),
            removed=removed,
        )
        return removed


def _checked(device: Device, code: str, *, user, during: str) -> CodeCheck:
    """The device's verdict on the code, within its throttle; a wrong code is recorded."""
    allowed, refusal = device.verify_is_allowed()
    if not allowed:
        return CodeCheck(device=None, retry_at=refusal["locked_until"], checked=False)
    if device.verify_token(code):
        return CodeCheck(device=device, retry_at=None)
    _, refusal = device.verify_is_allowed()  # the throttle after this failure
    _record(
        AuditAction.TWO_FACTOR_FAILED,
        user=user,
        during=during,
        code=_kind(isinstance(device, StaticDevice)),
        wrong_in_a_row=device.throttling_failure_count,
    )
    return CodeCheck(device=None, retry_at=refusal["locked_until"] if refusal else None)


def _new_recovery_codes(user) -> tuple[str, ...]:
    # The same device keeps its throttle; only its codes change.
    device, _ = StaticDevice.objects.get_or_create(user=user, defaults={"name": "Recovery codes"})
    device.token_set.all().delete()
    codes = tuple(StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT))
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def _lock(user) -> None:
    """One change to a user's devices at a time (two tabs enrolling, a reset meanwhile)."""
    get_user_model().objects.select_for_update().only("pk").get(pk=user.pk)


def _kind(recovery: bool) -> str:
    return "recovery code" if recovery else "authenticator code"


def _record(action: str, *, user, actor: Actor | None = None, source: str = AuditSource.ADMIN, **values) -> None:
    audit_record(
        action=action,
        entity_type="two_factor",  # the area the audit list's entity filter offers for these actions
        entity_id=user.pk,
        source=source,
        actor=actor or Actor.staff(user),
        new_values=values,
    )
