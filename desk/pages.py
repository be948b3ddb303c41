"""What every desk page shares: the admin's own context (header, user links, sidebar) around
the page's, so desk pages look and behave as the admin does."""

from __future__ import annotations

from django.contrib import admin
from django.template.response import TemplateResponse


def render_page(request, template: str, *, title: str, **context) -> TemplateResponse:
    # no model sidebar: the desk's screens need the width, and the header leads everywhere
    page = {**admin.site.each_context(request), "is_nav_sidebar_enabled": False, "title": title}
    return TemplateResponse(request, template, {**page, **context})


def render_partial(request, template: str, **context) -> TemplateResponse:
    """A piece of a page for htmx to swap in: no admin context, so no queries for the header."""
    return TemplateResponse(request, template, context)
