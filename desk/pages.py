"""What every desk page shares: the admin's own context (header, user links, sidebar) around
the page's, so desk pages look and behave as the admin does."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import reverse


def render_page(request, template: str, *, title: str, **context) -> TemplateResponse:
    # no model sidebar: the desk's screens need the width, and the header leads everywhere
    page = {**admin.site.each_context(request), "is_nav_sidebar_enabled": False, "title": title}
    return TemplateResponse(request, template, {**page, **context})


def render_partial(request, template: str, **context) -> TemplateResponse:
    """A piece of a page for htmx to swap in: no admin context, so no queries for the header."""
    return TemplateResponse(request, template, context)


@dataclass(frozen=True)
class RowLinks:
    """The links of a page of many rows, each reversed once per page: a row's link is a prefix
    and its ids (`{{ links.member }}{{ id }}/`), since reverse() per row would cost more than
    the rest of the row. The actions' addresses have no ids at all."""

    member: str  # + member id + "/"
    items: str  # + kind + "/" + item id + "/"
    check_in: str
    undo: str
    no_show: str
    cancel: str

    @classmethod
    def reversed(cls) -> RowLinks:
        any_id = uuid.UUID(int=0)
        member = reverse("admin:desk_member", args=[any_id])
        roster = reverse("admin:desk_roster", args=["kind", any_id])
        actions = ("check-in", "undo", "no-show", "cancel")
        action = {name: reverse("admin:desk_booking_action", args=[name]) for name in actions}
        return cls(
            member=member.removesuffix(f"{any_id}/"),
            items=roster.removesuffix(f"kind/{any_id}/"),
            check_in=action["check-in"],
            undo=action["undo"],
            no_show=action["no-show"],
            cancel=action["cancel"],
        )
