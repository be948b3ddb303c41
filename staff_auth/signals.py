"""Sign-ins, failures, lockouts and sign-outs into the audit trail, from Django's signals.

Only those made by a request are recorded (the request carries audit.context's details): a
sign-in made in code, as tests' `force_login` does, is no one signing in. The receivers are
connected after axes' own (INSTALLED_APPS lists axes first), so whether a failure locked the
name or address out is known here.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from staff_auth.selectors import lockout_of
from staff_auth.services import (
    sign_in_record_failure,
    sign_in_record_lockout,
    sign_in_record_sign_out,
    sign_in_record_success,
)
from staff_auth.sessions import session_started
from staff_auth.throttle import counted_username


def _made_by_a_request(request) -> bool:
    return request is not None and hasattr(request, "audit_context")


def _refused_while_locked_out(request) -> bool:
    """Axes refused the attempt without checking the password: the name or address was locked
    out already (axes counts no failure then, so it never set the count)."""
    return getattr(request, "axes_locked_out", False) and getattr(request, "axes_failures_since_start", None) is None


@receiver(user_logged_in, dispatch_uid="staff_auth.signed_in")
def signed_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        session_started(request.session, user)
    if _made_by_a_request(request):
        sign_in_record_success(user=user, request=request)


@receiver(user_login_failed, dispatch_uid="staff_auth.sign_in_failed")
def sign_in_failed(sender, credentials, request=None, **kwargs):
    # While locked out, each refused attempt is not an entry of its own: the lockout's stands for
    # them, and someone hammering the form cannot grow the append-only trail faster than the throttle.
    if not _made_by_a_request(request) or _refused_while_locked_out(request):
        return
    username = credentials.get(get_user_model().USERNAME_FIELD)
    sign_in_record_failure(username=username, request=request, reason=_why(username))
    if getattr(request, "axes_locked_out", False):  # this failure reached the limit
        lockout = lockout_of(username=counted_username(request, credentials), ip_address=request.axes_ip_address)
        if lockout is not None:
            sign_in_record_lockout(lockout=lockout, username=username, request=request)


@receiver(user_logged_out, dispatch_uid="staff_auth.signed_out")
def signed_out(sender, request, user, **kwargs):
    if user is not None and _made_by_a_request(request) and not getattr(request, "idle_session_ended", False):
        sign_in_record_sign_out(user=user, request=request)


def _why(username) -> str:
    if not isinstance(username, str) or not username:
        return "no username given"
    user = get_user_model()._default_manager.filter(**{get_user_model().USERNAME_FIELD: username}).first()
    if user is None:
        return "no staff user of that name"
    return "wrong password" if user.is_active else "the account is deactivated"
