"""Submitting an admin change form as a browser would, and reading the errors it answers with."""

from __future__ import annotations

from collections import defaultdict
from html.parser import HTMLParser

SKIPPED_INPUTS = {"submit", "button", "image", "reset", "file"}


class _FormReader(HTMLParser):
    """The fields of the admin's change form (id `<model>_form`) with the values a browser sends."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.data: dict[str, list[str]] = defaultdict(list)
        self._in_form = False
        self._select: tuple[str, list[str], bool] | None = None  # name, options seen, anything selected
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self._in_form = (attributes.get("id") or "").endswith("_form")
        if not self._in_form or "disabled" in attributes:
            return
        name = attributes.get("name")
        if tag == "input" and name and attributes.get("type", "text") not in SKIPPED_INPUTS:
            if attributes.get("type") in ("checkbox", "radio") and "checked" not in attributes:
                return
            self.data[name].append(attributes.get("value") or ("on" if attributes.get("type") == "checkbox" else ""))
        elif tag == "select" and name:
            self._select = (name, [], False)
        elif tag == "option" and self._select:
            select_name, seen, chosen = self._select
            value = attributes.get("value", "")
            seen.append(value)
            if "selected" in attributes:
                self.data[select_name].append(value)
                self._select = (select_name, seen, True)
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name].append("")

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select" and self._select:
            name, seen, chosen = self._select
            if not chosen and seen:
                self.data[name].append(seen[0])  # a single select without a choice sends its first option
            self._select = None


def submitted_form(html: str) -> dict[str, list[str]]:
    reader = _FormReader()
    reader.feed(html)
    return dict(reader.data)


def form_errors(response) -> dict[str, list[str]]:
    """The errors of the page's form and inline forms, by field name as submitted (`settings-0-capacity`);
    errors of no one field are under "__all__"."""
    errors: dict[str, list[str]] = defaultdict(list)
    form = response.context["adminform"].form
    forms = [form] + [
        inline_form for inline in response.context["inline_admin_formsets"] for inline_form in inline.formset.forms
    ]
    for each in forms:
        for field, messages in each.errors.items():
            errors["__all__" if field == "__all__" else each.add_prefix(field)].extend(messages)
    for inline in response.context["inline_admin_formsets"]:
        errors["__all__"].extend(inline.formset.non_form_errors())
    return {field: messages for field, messages in errors.items() if messages}
