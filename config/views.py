"""Pages of the whole site that are not any app's."""

from django.contrib import admin
from django.template.response import TemplateResponse


def permission_denied(request, exception=None):
    """The 403 page in the admin's own look (its header, its user links), with a way back. API
    views answer their own JSON 403 before this is reached."""
    return TemplateResponse(request, "403.html", admin.site.each_context(request), status=403).render()
