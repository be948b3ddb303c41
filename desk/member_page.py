"""(being built) A member's profile for staff."""

from django.http import Http404
from django.urls import path


def _todo(request, **kwargs):
    raise Http404


def urls(admin_site) -> list:
    return [path("members/<uuid:member_id>/", admin_site.admin_view(_todo), name="desk_member")]
