"""Every admin form, submitted with a hostile value in an autocomplete field, answers without a
server error: the field shows nothing selected and its form says "Select a valid choice".

Django's autocomplete widget looks up the submitted value to show it again, and a value that
cannot be a key (not a UUID, a NUL, 5,000 characters) made that lookup a 500. A valid key of
no row is the neighbouring case: it must be refused the same way. Each add and change page of
every registered admin is submitted, its inlines' autocomplete fields included.
"""

from __future__ import annotations

import uuid

import pytest
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteMixin
from django.db import transaction
from django.test import Client, RequestFactory
from django.urls import reverse

from clubs.admin_base import KeysOnlyAutocompleteMixin
from clubs.tests.admin_forms import form_errors, submitted_form
from config.tests.test_admin_pages import add_rows_of_every_kind

pytestmark = pytest.mark.django_db

HOSTILE_KEYS = ["not-a-uuid", "\x00", "9" * 5000, "%", "-1", str(uuid.UUID(int=0)), str(uuid.uuid4())]


def autocomplete_fields(model_admin) -> list[str]:
    return list(model_admin.get_autocomplete_fields(RequestFactory().get("/")))


ADMINS_WITH_AUTOCOMPLETE = sorted(
    (
        model
        for model, model_admin in admin.site._registry.items()
        if autocomplete_fields(model_admin)
        or any(autocomplete_fields(inline(model, admin.site)) for inline in model_admin.inlines)
    ),
    key=lambda model: model._meta.label,
)


def test_the_project_has_autocomplete_fields_to_test():
    """Not vacuous: the entitlement's member is one (members/admin.py)."""
    assert ADMINS_WITH_AUTOCOMPLETE


def client_that_may_change(model, manager, django_user_model) -> Client:
    """The manager where they may add and change, else a superuser."""
    label = f"{model._meta.app_label}.%s_{model._meta.model_name}"
    may = manager.has_perm(label % "add") and manager.has_perm(label % "change")
    user = manager if may else django_user_model.objects.create_superuser("hostile-forms-superuser")
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def hostile_submissions(form_page) -> list[tuple[str, dict]]:
    """The page's own form, as a browser would send it, with one autocomplete field spoiled at a
    time: (the field's name as submitted, the data). An inline's field is sent in one more form."""
    data = submitted_form(form_page.content.decode())
    model_admin = form_page.context["adminform"].model_admin
    fields = [(name, {}) for name in autocomplete_fields(model_admin)]
    for inline in form_page.context["inline_admin_formsets"]:
        prefix = inline.formset.prefix
        index = int(data[f"{prefix}-TOTAL_FORMS"][0])
        extra = {f"{prefix}-TOTAL_FORMS": [str(index + 1)]}
        fields += [(f"{prefix}-{index}-{name}", extra) for name in autocomplete_fields(inline.opts)]
    return [(name, {**data, **extra, name: [value]}) for name, extra in fields for value in HOSTILE_KEYS]


@pytest.mark.parametrize("model", ADMINS_WITH_AUTOCOMPLETE, ids=lambda model: model._meta.label)
@pytest.mark.parametrize("page", ["add", "change"])
def test_hostile_autocomplete_values_are_a_form_error_not_a_500(manager, django_user_model, model, page):
    add_rows_of_every_kind()
    client = client_that_may_change(model, manager, django_user_model)
    args = [model._default_manager.first().pk] if page == "change" else []
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}", args=args)
    form_page = client.get(url)
    assert form_page.status_code == 200

    failures = []
    for name, data in hostile_submissions(form_page):
        savepoint = transaction.savepoint()
        try:
            response = client.post(url, data)
        finally:
            transaction.savepoint_rollback(savepoint)
        shown = f"{name}={data[name][0][:20]!r}"
        if response.status_code >= 500:
            error = response.exc_info[1] if response.exc_info else None
            failures.append(f"{shown}: {response.status_code} {error!r}"[:300])
        elif response.status_code != 200:
            failures.append(f"{shown}: answered {response.status_code}, not the form with its error")
        elif not any("Select a valid choice" in message for message in form_errors(response).get(name, [])):
            failures.append(f"{shown}: no 'Select a valid choice' error, but {form_errors(response)}")
    assert failures == []


def test_the_spoiled_field_shows_nothing_selected(manager_client):
    """The refused value is not written back into the page: the field is empty, as before a choice."""
    add_rows_of_every_kind()
    url = reverse("admin:members_entitlement_add")
    response = manager_client.post(
        url, {"member": "not-a-uuid", "benefit_kind": "recovery", "quota": 4, "period": "week"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Select a valid choice" in page
    assert "not-a-uuid" not in page
    assert " selected>" not in page.split('name="member"')[1].split("</select>")[0]


def test_every_autocomplete_widget_of_the_admin_is_the_clubs_own(manager):
    """Every autocomplete field of every admin and inline, of every app, renders through the widget
        that leaves a value that cannot be a key unselected: a ModelAdmin built on ClubModelAdmin, an
    inline with clubs.admin_base.ClubRelationFieldsMixin."""
    request = RequestFactory().get("/")
    request.user = manager
    unsafe = []
    for model, model_admin in admin.site._registry.items():
        admins = [model_admin, *(inline(model, admin.site) for inline in model_admin.inlines)]
        for each in admins:
            for name in autocomplete_fields(each):
                db_field = each.model._meta.get_field(name)
                if db_field.many_to_many:
                    widget = each.formfield_for_manytomany(db_field, request).widget
                else:
                    widget = each.formfield_for_foreignkey(db_field, request).widget
                if isinstance(widget, AutocompleteMixin) and not isinstance(widget, KeysOnlyAutocompleteMixin):
                    unsafe.append(f"{type(each).__name__}.{name}")
    assert unsafe == []
