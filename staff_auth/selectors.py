"""Reads of staff sign-in: who is locked out and until when, and the API token behind a key."""

from __future__ import annotations

import datetime
import hashlib
import hmac
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from staff_auth.models import PREFIX_LENGTH, StaffApiToken

USERNAME, ADDRESS = "username", "address"


@dataclass(frozen=True)
class Lockout:
    """A username or an address that may not sign in until `until`."""

    by: str  # USERNAME or ADDRESS
    value: str | None
    failures: int
    until: datetime.datetime


def cool_off() -> datetime.timedelta:
    return get_cool_off()


def counted_attempts(*, usernames: Iterable = (), addresses: Iterable = (), now=None) -> list[AccessAttempt]:
    """The failures still counted (within the cool-off) of these usernames and addresses."""
    usernames, addresses = list(usernames), list(addresses)
    if not usernames and not addresses:
        return []
    of_them = Q(username__in=usernames) | Q(ip_address__in=addresses)
    if None in addresses:
        of_them |= Q(ip_address__isnull=True)
    since = (now or timezone.now()) - cool_off()
    return list(AccessAttempt.objects.filter(of_them, attempt_time__gte=since).order_by("-attempt_time", "-id"))


def lockouts(attempts: Iterable[AccessAttempt], now=None) -> dict[tuple[str, str | None], Lockout]:
    """Each username and address of `attempts` that is locked out now, as axes counts: the
    failures since the cool-off began, summed per username and per address, reach the limit. The
    lockout lasts until enough of its newest failures are older than the cool-off."""
    now = now or timezone.now()
    groups: dict[tuple[str, str | None], list[AccessAttempt]] = defaultdict(list)
    for attempt in sorted(attempts, key=lambda attempt: attempt.attempt_time, reverse=True):
        groups[USERNAME, attempt.username].append(attempt)
        groups[ADDRESS, attempt.ip_address].append(attempt)
    found = {}
    for (by, value), newest_first in groups.items():
        counted = 0
        for attempt in newest_first:
            counted += attempt.failures_since_start
            if counted >= settings.AXES_FAILURE_LIMIT:
                until = attempt.attempt_time + cool_off()
                if until > now:
                    total = sum(each.failures_since_start for each in newest_first)
                    found[by, value] = Lockout(by, value, total, until)
                break
    return found


def lockout_of(*, username: str | None, ip_address: str | None, now=None) -> Lockout | None:
    """The lockout that stops a sign-in with this username from this address (the longer, when
    both are locked), or None."""
    attempts = counted_attempts(usernames=[username] if username else [], addresses=[ip_address], now=now)
    found = lockouts(attempts, now)
    candidates = [found.get((USERNAME, username)) if username else None, found.get((ADDRESS, ip_address))]
    candidates = [lockout for lockout in candidates if lockout]
    return max(candidates, key=lambda lockout: lockout.until) if candidates else None


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_of(key: str) -> StaffApiToken | None:
    """The token whose key this is (revoked or expired ones too), with its user; None for a key
    this installation never made. Found by the key's first characters, then its digest compared
    in constant time."""
    token = StaffApiToken.objects.select_related("user").filter(prefix=key[:PREFIX_LENGTH]).first()
    if token is None or not hmac.compare_digest(token.digest, key_digest(key)):
        return None
    return token
