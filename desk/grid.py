"""(being built) The facility grid of a day."""

from django.http import Http404
from django.urls import path


def _todo(request, **kwargs):
    raise Http404


def urls(admin_site) -> list:
    return [path("grid/", admin_site.admin_view(_todo), name="desk_grid")]
