"""Staff API keys and failed sign-ins for tests."""

from __future__ import annotations

from axes.models import AccessAttempt
from django.utils import timezone

from audit.models import AuditSource
from audit.services import Actor
from staff_auth.services import api_token_create


def api_key_for(user, *, days: int = 30, name: str = "Test kiosk") -> str:
    """A new API key of the staff user, made as the command makes one."""
    return api_token_create(user=user, name=name, days=days, actor=Actor.system("test"), source=AuditSource.COMMAND)[1]


def failed_sign_ins(*, username: str | None, ip_address: str | None, failures: int, at=None) -> AccessAttempt:
    """`failures` failed sign-ins counted for the name from the address, the last at `at` (now)."""
    return AccessAttempt.objects.create(
        username=username,
        ip_address=ip_address,
        user_agent="test browser",
        http_accept="text/html",
        path_info="/admin/login/",
        get_data="",
        post_data="",
        failures_since_start=failures,
        attempt_time=at or timezone.now(),
    )
