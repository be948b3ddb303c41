"""`{% idle_session_script %}`: the admin pages' idle clock (static/staff_auth/idle.js), for a
signed-in session that ends when idle; nothing otherwise."""

from django import template
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.templatetags.static import static
from django.urls import reverse
from django.utils.html import format_html

from staff_auth.sessions import seconds_left

register = template.Library()


@register.simple_tag(takes_context=True)
def idle_session_script(context) -> str:
    request = context.get("request")
    session = getattr(request, "session", None)
    if session is None or SESSION_KEY not in session:
        return ""
    left = seconds_left(session)
    if left is None:
        return ""
    return format_html(
        '<link rel="stylesheet" href="{}">'
        '<script src="{}" data-seconds-left="{}" data-warn-seconds="{}" data-clock-url="{}" '
        'data-sign-in-url="{}" defer></script>',
        static("staff_auth/idle.css"),
        static("staff_auth/idle.js"),
        max(left, 0),
        settings.SESSION_IDLE_WARNING_SECONDS,
        reverse("admin:staff_auth_session"),
        reverse("admin:login"),
    )
