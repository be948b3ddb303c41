"""The managers' pages of staff sign-in: the failed sign-ins that count towards a lockout, with
the action that unlocks them, and staff API tokens (made with the key shown once, revoked).
Axes' own pages are off (AXES_ENABLE_ADMIN): they show the data typed with each attempt."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from audit.models import AuditSource
from audit.services import Actor
from clubs import localtime
from clubs.admin_base import ClubAddressMixin, ClubChangeList
from staff_auth.models import SignInFailure, StaffApiToken
from staff_auth.selectors import ADDRESS, USERNAME, cool_off, counted_attempts, lockouts
from staff_auth.services import (
    MAX_TOKEN_DAYS,
    api_token_check,
    api_token_create,
    api_token_revoke,
    sign_in_context,
    sign_in_unlock,
)
from staff_auth.views import session_clock


def _local(instant) -> str:
    return localtime.local_datetime(instant, settings.TIME_ZONE) if instant else "—"


def _staff_name(user) -> str:
    full_name = user.get_full_name()
    return f"{full_name} ({user.get_username()})" if full_name else user.get_username()


@admin.register(SignInFailure)
class SignInFailureAdmin(ClubAddressMixin, admin.ModelAdmin):
    list_display = ["username", "ip_address", "failures_since_start", "last_failure", "locked", "user_agent"]
    list_display_links = None
    search_fields = ["username"]
    actions = ["unlock"]

    def get_urls(self):
        # The admin pages' script asks here how long the session has left (staff_auth.views).
        clock = path("session/", self.admin_site.admin_view(session_clock), name="staff_auth_session")
        return [clock, *super().get_urls()]

    def get_queryset(self, request):
        # Only those still counted: axes forgets older ones at the next sign-in.
        since = timezone.now() - cool_off()
        return super().get_queryset(request).filter(attempt_time__gte=since).order_by("-attempt_time")

    def get_changelist(self, request, **kwargs):
        return FailureList

    def has_unlock_permission(self, request) -> bool:
        return request.user.has_perm("staff_auth.unlock_sign_in")

    @admin.action(description="Unlock: forget these failures of the name and of the address", permissions=["unlock"])
    def unlock(self, request, failures) -> None:
        actor, context = Actor.staff(request.user), sign_in_context(request)
        pairs = {(failure.username, failure.ip_address) for failure in failures}
        forgotten = sum(
            sign_in_unlock(
                username=username, ip_address=address, actor=actor, source=AuditSource.ADMIN, context=context
            )
            for username, address in pairs
        )
        names = ", ".join(sorted({username or "(no name)" for username, _ in pairs}))
        messages.success(request, f"Unlocked {names}: {forgotten} failed sign-ins forgotten; they may sign in now.")

    @admin.display(description="Last failure", ordering="attempt_time")
    def last_failure(self, failure: SignInFailure) -> str:
        return _local(failure.attempt_time)

    @admin.display(description="Locked until")
    def locked(self, failure: SignInFailure) -> str:
        lockout = failure.lockout
        if lockout is None:
            return "—"
        return f"{_local(lockout.until)} ({'the name' if lockout.by == USERNAME else 'the address'})"


class FailureList(ClubChangeList):
    """Each row learns whether its name or address is locked, and until when: one query for the
    page, however many rows."""

    def get_results(self, request):
        super().get_results(request)
        rows = list(self.result_list)
        attempts = counted_attempts(
            usernames={row.username for row in rows if row.username}, addresses={row.ip_address for row in rows}
        )
        found = lockouts(attempts)
        for row in rows:
            candidates = [found.get((USERNAME, row.username)), found.get((ADDRESS, row.ip_address))]
            candidates = [lockout for lockout in candidates if lockout]
            row.lockout = max(candidates, key=lambda lockout: lockout.until) if candidates else None
        self.result_list = rows


class ApiTokenForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True, is_staff=True).order_by("username"),
        label="Staff user",
        help_text="Whose permissions the token carries: for a kiosk, a staff user of its own with only what it needs.",
    )
    name = forms.CharField(max_length=100, help_text="What it is for, e.g. “Riverside entrance kiosk”.")
    days = forms.IntegerField(min_value=1, max_value=MAX_TOKEN_DAYS, label="Lasts (days)")

    def __init__(self, *args, maker, **kwargs):
        super().__init__(*args, **kwargs)
        self.maker = maker
        self.fields["days"].initial = min(settings.STAFF_API_TOKEN_DAYS, MAX_TOKEN_DAYS)

    def clean(self):
        cleaned = super().clean()
        try:
            api_token_check(
                user=cleaned.get("user"), name=cleaned.get("name", ""), days=cleaned.get("days"), maker=self.maker
            )
        except ValidationError as refusal:
            for field, errors in refusal.message_dict.items():
                if field not in self.errors:
                    self.add_error(field, errors)
        return cleaned


@admin.register(StaffApiToken)
class StaffApiTokenAdmin(ClubAddressMixin, admin.ModelAdmin):
    list_display = ["name", "staff_member", "key_starts", "status", "created", "expires", "last_used"]
    list_select_related = ["user"]
    search_fields = ["name", "prefix", "user__username", "user__first_name", "user__last_name"]
    readonly_fields = ["name", "staff_member", "key_starts", "status", "created", "expires", "last_used", "revoked_by"]
    fields = readonly_fields
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("staff_auth.revoke_staffapitoken")

    def add_view(self, request, form_url="", extra_context=None):
        """The form, then the key on a page of its own, shown this once (kept nowhere)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = ApiTokenForm(request.POST or None, maker=request.user)
        context = {**self.admin_site.each_context(request), "opts": self.opts, "form": form, "title": "New API token"}
        if request.method == "POST" and form.is_valid():
            token, key = api_token_create(
                user=form.cleaned_data["user"],
                name=form.cleaned_data["name"],
                days=form.cleaned_data["days"],
                actor=Actor.staff(request.user),
                source=AuditSource.ADMIN,
                maker=request.user,
            )
            context.update(title="API token made", token=token, key=key, expires=_local(token.expires_at))
            response = TemplateResponse(request, "admin/staff_auth/api_token_made.html", context)
            response["Cache-Control"] = "no-store"  # the key must not outlive this page
            return response
        return TemplateResponse(request, "admin/staff_auth/api_token_add.html", context)

    @admin.action(description="Revoke: the selected tokens stop working now", permissions=["revoke"])
    def revoke(self, request, tokens) -> None:
        actor, revoked = Actor.staff(request.user), []
        for token in tokens:
            if api_token_revoke(token_id=token.pk, actor=actor, source=AuditSource.ADMIN):
                revoked.append(str(token))
        if revoked:
            messages.success(request, f"Revoked {', '.join(revoked)}: they no longer open the API.")
        else:
            messages.info(request, "Those tokens were already revoked.")

    @admin.display(description="Staff user", ordering="user__username")
    def staff_member(self, token: StaffApiToken) -> str:
        return _staff_name(token.user)

    @admin.display(description="Key starts", ordering="prefix")
    def key_starts(self, token: StaffApiToken) -> str:
        return f"{token.prefix}…"

    @admin.display(description="Status")
    def status(self, token: StaffApiToken) -> str:
        if token.revoked_at:
            return f"revoked {_local(token.revoked_at)}"
        return "expired" if token.expires_at <= timezone.now() else "active"

    @admin.display(description="Made", ordering="created_at")
    def created(self, token: StaffApiToken) -> str:
        return f"{_local(token.created_at)} by {token.created_by}" if token.created_by else _local(token.created_at)

    @admin.display(description="Expires", ordering="expires_at")
    def expires(self, token: StaffApiToken) -> str:
        return _local(token.expires_at)

    @admin.display(description="Last used", ordering="last_used_at")
    def last_used(self, token: StaffApiToken) -> str:
        return _local(token.last_used_at)
