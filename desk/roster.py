"""(being built) The roster of one class or facility session."""

from django.http import Http404
from django.urls import path


def _todo(request, **kwargs):
    raise Http404


def urls(admin_site) -> list:
    return [path("items/<str:kind>/<uuid:item_id>/", admin_site.admin_view(_todo), name="desk_roster")]
