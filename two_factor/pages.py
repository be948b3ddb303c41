"""The code pages of the admin: entering the sign-in code, setting up the authenticator app on
first sign-in, and one's recovery codes. Mounted by the two-factor devices' admin (admin.py)."""

from __future__ import annotations

import base64
import math
from urllib.parse import urlencode

import django_otp
import segno
from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django_otp.plugins.otp_static.models import StaticDevice

from clubs import localtime
from two_factor.selectors import enrolled_device, must_use_two_factors, recovery_codes_left
from two_factor.services import (
    CodeCheck,
    TwoFactorRefused,
    enrolment_confirm,
    enrolment_device,
    recovery_codes_renew,
    sign_in_code_check,
)


class CodeInput(forms.TextInput):
    """A refused code is not shown again: the next try starts from an empty field."""

    def format_value(self, value):
        return None


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        widget=CodeInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}),
    )


class AppCodeForm(CodeForm):
    """The first code of an app being set up: digits only, so phones offer their number pad."""

    code = forms.CharField(
        label="Code",
        max_length=20,
        widget=CodeInput(attrs={"autocomplete": "one-time-code", "autofocus": True, "inputmode": "numeric"}),
    )


def verify(request):
    user = request.user
    if not must_use_two_factors(user) or user.is_verified():
        return HttpResponseRedirect(_next(request))
    if enrolled_device(user) is None:
        return HttpResponseRedirect(_with_next(request, "admin:two_factor_enrol"))
    form = CodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        check = sign_in_code_check(user=user, code=form.cleaned_data["code"])
        if check.accepted:
            _signed_in(request, check)
            if isinstance(check.device, StaticDevice):
                messages.warning(request, _recovery_code_used(user))
            return HttpResponseRedirect(_next(request))
        form.add_error("code", refusal(check))
    return _page(request, "admin/two_factor/verify.html", title="Enter your sign-in code", form=form)


def enrol(request):
    user = request.user
    if not must_use_two_factors(user) or user.is_verified():
        return HttpResponseRedirect(_next(request))
    form = AppCodeForm(request.POST if request.method == "POST" else None)
    try:
        device = enrolment_device(user=user)
        check = enrolment_confirm(user=user, code=form.cleaned_data["code"]) if form.is_valid() else None
    except TwoFactorRefused:  # enrolled meanwhile (another tab): its code is what is asked now
        return HttpResponseRedirect(_with_next(request, "admin:two_factor_verify"))
    if check is not None:
        if check.accepted:
            _signed_in(request, check)
            return _page(
                request, "admin/two_factor/recovery_codes.html", title="Your recovery codes", codes=check.recovery_codes
            )
        form.add_error("code", refusal(check))
    secret = base64.b32encode(device.bin_key).decode()
    return _page(
        request,
        "admin/two_factor/enrol.html",
        title="Set up your sign-in code",
        form=form,
        qr_code=mark_safe(  # segno's own markup, the key inside it only as QR modules
            segno.make(device.config_url, error="m").svg_inline(
                scale=5, border=2, dark="#000", light="#fff", title="QR code for your authenticator app"
            )
        ),
        secret=" ".join(secret[start : start + 4] for start in range(0, len(secret), 4)),
    )


def recovery_codes(request):
    """How many are left, and a fresh set on request (shown once: the old ones stop working)."""
    user = request.user
    if not user.is_verified():
        return HttpResponseRedirect(_with_next(request, "admin:two_factor_verify"))
    codes = ()
    if request.method == "POST":
        try:
            codes = recovery_codes_renew(user=user)
        except TwoFactorRefused as refusal:  # reset meanwhile by a manager
            messages.error(request, str(refusal))
            return HttpResponseRedirect(reverse("admin:index"))
    return _page(
        request,
        "admin/two_factor/recovery_codes.html",
        title="Your recovery codes",
        codes=codes,
        left=recovery_codes_left(user),
    )


def refusal(check: CodeCheck) -> str:
    """Why the code did not sign in, and when the next one will be looked at."""
    wrong = "That code is not right: enter the 6-digit code your authenticator app shows now, or a recovery code."
    if check.retry_at is None:
        return wrong
    seconds = max(1, math.ceil((check.retry_at - timezone.now()).total_seconds()))
    wait = f"{seconds} second{'s' if seconds != 1 else ''}" if seconds < 120 else f"{math.ceil(seconds / 60)} minutes"
    local = localtime.at(check.retry_at, settings.TIME_ZONE)
    when = f"in {wait}, at {local:%H:%M:%S} {localtime.zone_label(local)}"
    if not check.checked:
        return f"Too many wrong codes: this one was not checked. Try again {when}."
    return f"{wrong} The next code is checked {when}."


def urls(admin_site) -> list:
    return [
        path("code/", admin_site.admin_view(verify), name="two_factor_verify"),
        path("set-up/", admin_site.admin_view(enrol), name="two_factor_enrol"),
        path("recovery-codes/", admin_site.admin_view(recovery_codes), name="two_factor_recovery_codes"),
    ]


def _signed_in(request, check: CodeCheck) -> None:
    request.session.cycle_key()  # a new session key for the session that now holds two factors
    django_otp.login(request, check.device)


def _recovery_code_used(user):
    left = recovery_codes_left(user)
    return format_html(
        "You signed in with a recovery code; {} left. <a href='{}'>Make a new set</a> when you can.",
        f"{left} code{'s' if left != 1 else ''}",
        reverse("admin:two_factor_recovery_codes"),
    )


def _page(request, template: str, *, title: str, **context) -> TemplateResponse:
    page = {**admin.site.each_context(request), "is_nav_sidebar_enabled": False, "title": title}
    return TemplateResponse(request, template, {**page, "next": _next(request), **context})


def _next(request) -> str:
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return wanted
    return reverse("admin:index")


def _with_next(request, page: str) -> str:
    return f"{reverse(page)}?{urlencode({'next': _next(request)})}"
