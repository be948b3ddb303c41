"""Until the code is entered, a manager reaches no admin page but the code pages, the sign-in page
and sign-out; the front desk, and everyone while the setting is off, are not asked for one."""

from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from two_factor.tests.conftest import signed_in, verified
from two_factor.tests.factories import enrol

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    "admin:index",
    "admin:facilities_facility_changelist",
    "admin:audit_auditlog_changelist",
    "admin:desk_today",
    "admin:password_change",
    "admin:two_factor_recovery_codes",
]


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_a_manager_without_a_code_is_sent_to_the_code_page_from_every_admin_page(manager, page):
    enrol(manager)
    url = reverse(page)
    answer = signed_in(manager).get(f"{url}?q=x")
    assert answer.status_code == 302
    assert answer["Location"] == f"{reverse('admin:two_factor_verify')}?next={quote(f'{url}?q=x', safe='')}"


def test_a_manager_never_enrolled_is_sent_to_set_up_an_app(manager):
    answer = signed_in(manager).get(reverse("admin:index"))
    assert answer["Location"].startswith(reverse("admin:two_factor_enrol"))


def test_a_form_sent_without_a_code_changes_nothing_and_leads_to_the_code_page(manager):
    enrol(manager)
    answer = signed_in(manager).post(reverse("admin:facilities_facility_add"), {"name": "Sauna"})
    assert answer.status_code == 302
    assert answer["Location"] == f"{reverse('admin:two_factor_verify')}?next={quote(reverse('admin:index'), safe='')}"


def test_the_code_page_and_signing_out_stay_open(manager):
    enrol(manager)
    client = signed_in(manager)
    page = client.get(reverse("admin:two_factor_verify"))
    assert page.status_code == 200
    assert b"Not you? Sign out" in page.content
    assert b'id="desk-bar"' not in page.content  # the desk's links would only lead back here
    client.post(reverse("admin:logout"))
    assert "_auth_user_id" not in client.session


def test_a_panel_refreshing_itself_asks_htmx_to_open_the_code_page(manager):
    enrol(manager)
    answer = signed_in(manager).get(reverse("admin:desk_today_panels"), headers={"HX-Request": "true"})
    assert answer.status_code == 204
    assert answer["HX-Redirect"].startswith(reverse("admin:two_factor_verify"))


def test_a_superuser_needs_a_code_too(django_user_model):
    superuser = django_user_model.objects.create_superuser("root", password="pw")
    enrol(superuser)
    assert signed_in(superuser).get(reverse("admin:index")).status_code == 302


def test_the_front_desk_is_not_asked_for_a_code(front_desk):
    client = signed_in(front_desk)
    assert client.get(reverse("admin:index"))["Location"] == reverse("admin:desk_today")
    assert client.get(reverse("admin:desk_today")).status_code == 200
    assert client.get(reverse("admin:two_factor_verify"))["Location"] == reverse("admin:index")


def test_with_the_setting_off_a_manager_signs_in_with_the_password_alone(manager, settings):
    settings.STAFF_TWO_FACTOR_REQUIRED = False
    enrol(manager)
    assert signed_in(manager).get(reverse("admin:facilities_facility_changelist")).status_code == 200


def test_a_session_without_the_code_is_signed_out_for_the_api(manager):
    device = enrol(manager)
    url = reverse("api:staff-members")
    assert signed_in(manager).get(url, {"q": "ada"}).status_code in (401, 403)
    assert verified(manager, device).get(url, {"q": "ada"}).status_code == 200


def test_after_the_code_a_page_costs_no_query_more_than_without_two_factors(manager, settings):
    client = verified(manager, enrol(manager))
    url = reverse("admin:facilities_facility_changelist")
    client.get(url)  # warm
    with CaptureQueriesContext(connection) as with_code:
        assert client.get(url).status_code == 200
    settings.STAFF_TWO_FACTOR_REQUIRED = False
    with CaptureQueriesContext(connection) as without:
        assert client.get(url).status_code == 200
    # the permissions are the admin's own, and django-otp reads the session's device either way
    assert len(with_code) == len(without)
