"""Every admin page of the club's models renders for a manager, with a number of queries that
does not grow with the number of rows."""

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.tests.factories import AuditLogFactory
from bookings.tests.factories import BenefitBookingFactory, ClassBookingFactory
from facilities.tests.factories import BenefitSettingFactory
from members.tests.factories import EntitlementFactory

pytestmark = pytest.mark.django_db

CLUB_APPS = {"clubs", "members", "facilities", "classes", "bookings", "audit"}
CLUB_MODELS = sorted(
    (model for model in admin.site._registry if model._meta.app_label in CLUB_APPS),
    key=lambda model: model._meta.label,
)
MAX_QUERIES_PER_PAGE = 15
# Written only by the services; not even a superuser adds or edits rows by hand.
READ_ONLY_MODELS = {"audit.AuditLog"}
# Made in the concierge flow: their add page leads there (its steps are tested in bookings/).
CONCIERGE_MODELS = {"bookings.BenefitBooking", "bookings.ClassBooking"}


def add_rows_of_every_kind() -> None:
    BenefitBookingFactory(capacity_override=True, override_reason_code="medical", override_reason="Physio referral")
    ClassBookingFactory()
    EntitlementFactory()
    BenefitSettingFactory()
    AuditLogFactory()


def queries_to_render(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return len(queries)


def admin_url(model, page: str) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{page}")


@pytest.mark.parametrize("model", CLUB_MODELS, ids=lambda model: model._meta.label)
def test_changelist_renders_with_a_bounded_number_of_queries(manager_client, model):
    url = admin_url(model, "changelist")
    add_rows_of_every_kind()
    with_few_rows = queries_to_render(manager_client, url)
    for _ in range(4):
        add_rows_of_every_kind()
    with_more_rows = queries_to_render(manager_client, url)

    assert with_more_rows == with_few_rows, "a query per row: add list_select_related or an annotation"
    assert with_more_rows <= MAX_QUERIES_PER_PAGE


@pytest.mark.parametrize("model", CLUB_MODELS, ids=lambda model: model._meta.label)
def test_add_page_renders_for_whoever_may_add(manager, manager_client, admin_client, model):
    url = admin_url(model, "add")
    add_rows_of_every_kind()
    if model._meta.label in READ_ONLY_MODELS:
        assert admin_client.get(url).status_code == 403
        return
    if model._meta.label in CONCIERGE_MODELS:
        assert manager_client.get(url)["Location"] == reverse("admin:bookings_concierge_member")
        return
    manager_may_add = manager.has_perm(f"{model._meta.app_label}.add_{model._meta.model_name}")
    client = manager_client if manager_may_add else admin_client
    assert queries_to_render(client, url) <= MAX_QUERIES_PER_PAGE


@pytest.mark.parametrize("model", CLUB_MODELS, ids=lambda model: model._meta.label)
def test_change_page_renders_for_a_manager(manager_client, model):
    add_rows_of_every_kind()
    row = model.objects.first()
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[row.pk])
    assert queries_to_render(manager_client, url) <= MAX_QUERIES_PER_PAGE
