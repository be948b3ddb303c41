"""What every desk page shares: the admin's own context (header, user links, sidebar) around
the page's, so desk pages look and behave as the admin does."""

from __future__ import annotations

from django.contrib import admin
from django.template.response import TemplateResponse

from desk.access import lands_on_today


def render_page(request, template: str, *, title: str, **context) -> TemplateResponse:
    return TemplateResponse(
        request,
        template,
        {**admin.site.each_context(request), "title": title, "lands_on_today": lands_on_today(request.user), **context},
    )


def render_partial(request, template: str, **context) -> TemplateResponse:
    """A piece of a page for htmx to swap in: no admin context, so no queries for the header."""
    return TemplateResponse(request, template, context)
