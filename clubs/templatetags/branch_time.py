"""Template filters that show an instant on a branch's clock: `{% load branch_time %}`, then
`{{ slot.starts_at|branch_datetime:branch }}`, `{{ starts|branch_time:branch }}` or
`{{ item|branch_range:branch }}` (an object with `starts_at` and `ends_at`). The argument is a
branch, a ZoneInfo or an IANA name. They return text, so Django's own conversion to the active
zone never applies."""

from django import template

from clubs import localtime

register = template.Library()


@register.filter
def branch_time(instant, zone) -> str:
    return localtime.local_time(instant, zone) if instant else ""


@register.filter
def branch_datetime(instant, zone) -> str:
    return localtime.local_datetime(instant, zone) if instant else ""


@register.filter
def branch_range(item, zone) -> str:
    return localtime.local_range(item.starts_at, item.ends_at, zone) if item else ""
